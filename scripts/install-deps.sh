#!/usr/bin/env bash
# Installs the Debian packages Vigil needs to build, test and run, when missing (as root).
set -euo pipefail
need=()
for pkg in libpq-dev postgresql pkg-config python3-venv zlib1g-dev openssl chromium; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "missing Debian packages: ${need[*]} (run as root, or install them)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# Debian's postgresql package starts a cluster on 5432; Vigil never uses it, and leaves it alone.
# chromium: the review console's browser test (headless, driven over the DevTools pipe by scripts/console-browser.py);
# openssl: the throwaway CA for the PostgreSQL TLS test.
