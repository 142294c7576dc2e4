#!/usr/bin/env python3
"""Writes R copies of the shared Stratus + Invictus CloudTrail events, one S3-delivery file per copy.

Copy r perturbs every event: eventID gets the suffix -r<r> (unique), eventTime moves r hours later, and the account id
(in recipientAccountId, userIdentity and every ARN) becomes (account + r) mod 10^12, so each copy is another set of
principals with the same behaviour.

    python3 replicate.py SHARED_CLOUDTRAIL_DIR OUT_DIR R
"""
import datetime
import glob
import json
import os
import sys

source, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
events = []
for path in sorted(glob.glob(os.path.join(source, "stratus-red-team", "*.json"))):
    events += json.load(open(path))
for path in sorted(glob.glob(os.path.join(source, "invictus-ir", "*.json"))):
    events += json.load(open(path))["Records"]
texts = [json.dumps(e, separators=(",", ":")) for e in events]
accounts = sorted({a for e in events for a in [e.get("recipientAccountId"), (e.get("userIdentity") or {}).get("accountId")]
                   if a and a.isdigit() and len(a) == 12})
os.makedirs(out, exist_ok=True)
for r in range(copies):
    records = []
    for event, text in zip(events, texts):
        for account in accounts:
            if account in text:
                text = text.replace(account, "%012d" % ((int(account) + r) % 10**12))
        copy = json.loads(text)
        copy["eventID"] = "%s-r%d" % (event["eventID"], r)
        t = datetime.datetime.strptime(event["eventTime"], "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(hours=r)
        copy["eventTime"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        records.append(copy)
    with open(os.path.join(out, "copy-%05d.json" % r), "w") as f:
        json.dump({"Records": records}, f, separators=(",", ":"))
print("%d events in %d files" % (len(events) * copies, copies))
