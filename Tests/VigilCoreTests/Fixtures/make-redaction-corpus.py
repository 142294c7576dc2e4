#!/usr/bin/env python3
"""Writes redaction-corpus.jsonl: fake but well-formed secrets in the formats real ones take, each planted in a
field the way it shows up in logs. Each line: {"id", "kind", "secrets": [...], "value": <JSON to sanitise>}.
None of these is a real credential. Run from this folder."""
import base64, json, random, string

rng = random.Random(424242)
B32 = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"


def pick(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def access_key(prefix="AKIA"):
    return prefix + pick(B32, 16)


def secret_key():
    while True:
        key = pick(B64, 40)
        if any(c.isdigit() or c in "+/" for c in key) and any(c.isupper() for c in key) and any(c.islower() for c in key):
            return key


def session_token(prefix):
    return prefix + pick(B64, 340) + "=="


def jwt():
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    payload = base64.urlsafe_b64encode(json.dumps({"sub": pick(ALNUM, 10), "iat": 1700000000}).encode()).decode().rstrip("=")
    return f"{header}.{payload}.{pick(ALNUM + '-_', 43)}"


def pem(kind):
    body = "\n".join(pick(B64, 64) for _ in range(6))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"


cases = []


def add(kind, secrets, value):
    cases.append({"id": f"red-{len(cases) + 1:03d}", "kind": kind, "secrets": secrets, "value": value})


for prefix in ["AKIA", "ASIA"]:
    for _ in range(4):
        k = access_key(prefix)
        add("aws_access_key_id", [k], {"userIdentity": {"accessKeyId": k}})
        k2 = access_key(prefix)
        add("aws_access_key_id", [k2], {"errorMessage": f"The AWS Access Key Id {k2} does not exist in our records."})
        k3 = access_key(prefix)
        add("aws_access_key_id", [k3], {"commandLine": f"export AWS_ACCESS_KEY_ID={k3}"})
for _ in range(5):
    s = secret_key()
    add("aws_secret_access_key", [s], {"commandLine": f"aws configure set aws_secret_access_key {s}"})
    s2 = secret_key()
    add("aws_secret_access_key", [s2], {"note": f"AWS_SECRET_ACCESS_KEY={s2}"})
    s3 = secret_key()
    add("aws_secret_access_key", [s3], {"credentials": {"SecretAccessKey": s3}})
    k, s4 = access_key(), secret_key()
    add("aws_key_pair", [k, s4], {"userData": f"[default]\naws_access_key_id = {k}\naws_secret_access_key = {s4}\n"})
for prefix in ["IQoJb3JpZ2luX2VjE", "FwoGZXIvYXdzE"]:
    for _ in range(3):
        t = session_token(prefix)
        add("aws_session_token", [t], {"responseElements": {"credentials": {"sessionToken": t}}})
        t2 = session_token(prefix)
        add("aws_session_token", [t2], {"requestHeader": f"x-amz-security-token: {t2}"})
for _ in range(4):
    p = pick(ALNUM + "!#%^*", 14)
    add("url_password", [p], {"requestParameters": {"endpoint": f"postgres://app:{p}@db.internal:5432/app"}})
    p2 = pick(ALNUM, 12)
    add("url_password", [p2], {"message": f"fetching https://deploy:{p2}@git.example.com/org/repo.git failed"})
    p3 = pick(ALNUM + "-_", 16)
    add("password_field", [p3], {"requestParameters": {"masterUserPassword": p3}})
    p4 = pick(ALNUM, 10)
    add("password_field", [p4], {"parameters": {"DbPassword": p4, "DbUser": "app"}})
    p5 = pick(ALNUM, 11)
    add("password_text", [p5], {"commandLine": f"mysql -u root --password={p5} -h db.internal"})
    p6 = pick(ALNUM, 9)
    add("password_text", [p6], {"commandLine": f"psql --username app --password {p6}"})
    p7 = pick(ALNUM, 13)
    add("password_text", [p7], {"log": f"config loaded: db_password: {p7}, pool=10"})
    p8 = pick(ALNUM, 12)
    add("password_text", [p8], {"query": f"user=app&password={p8}&next=/"})
for _ in range(4):
    j = jwt()
    add("bearer_jwt", [j], {"requestHeaders": {"Authorization": f"Bearer {j}"}})
    j2 = jwt()
    add("jwt", [j2], {"message": f"token rejected: {j2}"})
    b = base64.b64encode(f"svc:{pick(ALNUM, 12)}".encode()).decode()
    add("basic", [b], {"headers": f"Authorization: Basic {b}"})
    o = "sk-proj-" + pick(ALNUM + "-_", 48)
    add("openai_key", [o], {"environment": f"OPENAI_API_KEY={o}"})
    a = "sk-ant-api03-" + pick(ALNUM + "-_", 93) + "AA"
    add("anthropic_key", [a], {"userAgent": f"python-httpx/0.27 key={a}"})
    g = "ghp_" + pick(ALNUM, 36)
    add("github_token", [g], {"message": f"git clone https://{g}@github.com/org/repo"})
    g2 = "github_pat_" + pick(ALNUM, 22) + "_" + pick(ALNUM, 59)
    add("github_token", [g2], {"env": {"GH_TOKEN": g2}})
    sl = f"xoxb-{pick(string.digits, 12)}-{pick(string.digits, 13)}-{pick(ALNUM, 24)}"
    add("slack_token", [sl], {"webhookNote": f"slack bot token {sl} rotated"})
    sl2 = f"xoxp-{pick(string.digits, 12)}-{pick(string.digits, 12)}-{pick(string.digits, 13)}-{pick('abcdef0123456789', 32)}"
    add("slack_token", [sl2], {"errorMessage": f"invalid_auth for {sl2}"})
    st = "sk_live_" + pick(ALNUM, 24)
    add("stripe_key", [st], {"description": f"billing integration uses {st}"})
    go = "AIza" + pick(ALNUM + "-_", 35)
    add("google_api_key", [go], {"url": f"https://maps.googleapis.com/maps/api/geocode/json?key={go}"})
    gl = "glpat-" + pick(ALNUM + "-_", 20)
    add("gitlab_token", [gl], {"ci": f"PRIVATE-TOKEN: {gl}"})
    nt = "npm_" + pick(ALNUM, 36)
    add("npm_token", [nt], {"npmrc": f"//registry.npmjs.org/:_authToken={nt}"})
for kind in ["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]:
    key = pem(kind)
    add("private_key", [key] + key.split("\n")[1:-1], {"userData": f"#!/bin/bash\ncat > /root/.ssh/id <<EOF\n{key}\nEOF\n"})
    key2 = pem(kind)
    add("private_key", [key2] + key2.split("\n")[1:-1], {"requestParameters": {"privateKey": key2}})
# Field-name secrets with values that have no recognisable shape.
for name in ["password", "clientSecret", "client_secret", "apiKey", "api-key", "authToken", "refresh_token", "secretString",
             "Authorization", "cookie", "privateKey", "webhookSecret"]:
    v = pick(ALNUM, 18)
    add("named_field", [v], {"requestParameters": {name: v}})

with open("redaction-corpus.jsonl", "w", encoding="utf-8") as out:
    for case in cases:
        out.write(json.dumps(case) + "\n")
print(len(cases), "cases")
