#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL 15 server for tests and benchmarks.
#
#   eval "$(scripts/pg-throwaway.sh start [--fast] [--ssl])"   # prints export lines: DATABASE_URL, VIGIL_PG_DIR
#   scripts/pg-throwaway.sh stop DIR
#
# --fast turns fsync off (tests only; benchmarks must keep it on).
# --ssl turns TLS on with a throwaway CA and a server certificate for localhost / 127.0.0.1 (made with openssl),
#       and also prints VIGIL_PG_SSL_ROOT (the CA certificate, for sslrootcert=… with sslmode=verify-full).
# Runs the server as the `postgres` user when invoked as root (initdb refuses root).
set -euo pipefail

pg_bin() {
    local dir
    for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return; }
    done
    echo "no PostgreSQL server binaries under /usr/lib/postgresql (install the 'postgresql' package)" >&2
    exit 1
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

case "${1:-}" in
start)
    fast=0
    ssl=0
    for option in "${@:2}"; do
        case "$option" in
        --fast) fast=1 ;;
        --ssl) ssl=1 ;;
        *) echo "unknown option $option" >&2; exit 2 ;;
        esac
    done
    bin=$(pg_bin)
    dir=$(mktemp -d /tmp/vigil-pg.XXXXXX)
    chmod 755 "$dir"
    mkdir -p "$dir/data" "$dir/sock"
    if [ "$ssl" = 1 ]; then
        mkdir -p "$dir/ssl"
        (
            cd "$dir/ssl"
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=Vigil throwaway CA" \
                -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
                -keyout ca.key -out root.crt
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >server.ext
            openssl x509 -req -in server.csr -CA root.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt
            chmod 600 server.key ca.key
        ) >"$dir/ssl.log" 2>&1 || { cat "$dir/ssl.log" >&2; exit 1; }
    fi
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" --auth=trust --username=postgres --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    opts="-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c max_connections=400 -c shared_buffers=256MB"
    [ "$fast" = 1 ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "$ssl" = 1 ] && opts="$opts -c ssl=on -c ssl_cert_file=$dir/ssl/server.crt -c ssl_key_file=$dir/ssl/server.key"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "export DATABASE_URL='postgresql://postgres@127.0.0.1:$port/postgres'"
    echo "export VIGIL_PG_DIR='$dir'"
    echo "export VIGIL_PG_BIN='$bin'"
    [ "$ssl" = 1 ] && echo "export VIGIL_PG_SSL_ROOT='$dir/ssl/root.crt'"
    true
    ;;
stop)
    dir=${2:?usage: pg-throwaway.sh stop DIR}
    bin=$(pg_bin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start [--fast] | stop DIR" >&2
    exit 2
    ;;
esac
