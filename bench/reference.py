#!/usr/bin/env python3
"""The yardstick of the network benchmark: a plain script that pages one task's runs with urllib,
one page after another (offset += items), gzip on, and upserts them into SQLite. What most people
would write first; apify-runs-sync-bench network measures the daemon against it."""
import gzip
import json
import sqlite3
import sys
import urllib.request

base_url, token, task, database = sys.argv[1:5]
db = sqlite3.connect(database)
db.execute("PRAGMA journal_mode = WAL")
db.execute("CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, status TEXT, started_at TEXT, raw_json TEXT)")
offset = 0
requests = 0
while True:
    request = urllib.request.Request(
        f"{base_url}/v2/actor-tasks/{task}/runs?offset={offset}&limit=1000",
        headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
    requests += 1
    items = json.loads(body)["data"]["items"]
    if not items:
        break
    db.executemany(
        "INSERT INTO runs VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status",
        [(item["id"], item["status"], item.get("startedAt"), json.dumps(item)) for item in items],
    )
    db.commit()
    offset += len(items)
print(json.dumps({"runs": offset, "requests": requests}))
