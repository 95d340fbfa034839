#!/usr/bin/env python3
"""Reads the simulator with Apify's official Python client and fails on any validation error.

apify-client 3.x validates every answer against models generated from Apify's OpenAPI
specification (pydantic): an answer the real API would not give fails here. The script lists,
iterates and gets tasks and runs, an Actor's runs and the account's runs, and asks for the
methods the simulator does not serve (POST) to check it refuses them rather than answering a list.

Usage: apify_client_conformance.py BASE_URL TOKEN
Needs apify-client==3.4.0 (.ci/run installs it in a virtual environment). Exit 0 when every
check passed; one line per check, and a closing "N passed, N failed" line.
"""

import sys
import urllib.error
import urllib.request

import pydantic
from apify_client import ApifyClient
from apify_client.errors import ApifyApiError


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    client = ApifyClient(token, api_url=base_url, max_retries=0)
    passed, failed = 0, 0

    def check(name, body):
        nonlocal passed, failed
        try:
            detail = body()
            passed += 1
            print(f"ok: {name}" + (f" ({detail})" if detail else ""))
        except (pydantic.ValidationError, ApifyApiError, AssertionError, urllib.error.URLError) as error:
            failed += 1
            text = str(error).replace(token, "<token>")
            print(f"FAILED: {name}: {type(error).__name__}: {text}")

    tasks = client.tasks().list().items
    check("tasks().list()", lambda: f"{len(tasks)} tasks")
    check("tasks().iterate(chunk_size=1)", lambda: f"{sum(1 for _ in client.tasks().iterate(chunk_size=1))} tasks")
    assert tasks, "the simulator serves no task"

    actor_ids = set()
    for task in tasks:
        actor_ids.add(task.act_id)
        check(f"task({task.id}).get()", lambda task=task: client.task(task.id).get().modified_at.isoformat())
        named = f"{task.username}~{task.name}"
        check(f"task({named}).get()", lambda named=named, task=task: _same(client.task(named).get().id, task.id))
        runs = client.task(task.id).runs()
        check(f"task({task.id}).runs().list()", lambda runs=runs: f"{runs.list().total} runs")
        check(f"task({task.id}).runs().list(desc, status)", lambda runs=runs: _filtered(runs))
        listed = []
        check(
            f"task({task.id}).runs().iterate(chunk_size=250)",
            lambda runs=runs, listed=listed: f"{len(_extend(listed, runs.iterate(chunk_size=250)))} runs",
        )
        for item in _samples(listed):
            check(f"run({item.id}).get()", lambda item=item: _same(client.run(item.id).get().id, item.id))

    for actor_id in sorted(actor_ids):
        check(
            f"actor({actor_id}).runs().iterate()",
            lambda actor_id=actor_id: f"{sum(1 for _ in client.actor(actor_id).runs().iterate())} runs",
        )
    everything = []
    check("runs().iterate()", lambda: f"{len(_extend(everything, client.runs().iterate(chunk_size=700)))} runs")
    for item in _samples(everything):
        check(f"run({item.id}).get()", lambda item=item: _same(client.run(item.id).get().id, item.id))
    check("run(missing).get() is None", lambda: _same(client.run("NoSuchRun00000000").get(), None))

    # The simulator serves GET only: a POST that would start a run must not be answered with the list.
    path = f"{base_url.rstrip('/')}/v2/actor-tasks/{tasks[0].id}/runs"
    check("POST …/runs is refused (405)", lambda: _refused(path, token))
    # The real API also takes the token as a query parameter.
    check("?token= is accepted", lambda: _token_in_query(f"{base_url.rstrip('/')}/v2/actor-tasks", token))

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def _same(actual, expected):
    assert actual == expected, f"{actual!r} != {expected!r}"


def _extend(into, iterator):
    into.extend(iterator)
    return into


def _samples(items):
    """The first and last runs and every unfinished one, at most 20."""
    unfinished = [item for item in items if item.finished_at is None]
    picked = {item.id: item for item in (items[:1] + items[-1:] + unfinished[:18])}
    return list(picked.values())


def _filtered(runs):
    page = runs.list(desc=True, status=["SUCCEEDED", "FAILED"], limit=50)
    assert all(item.status in ("SUCCEEDED", "FAILED") for item in page.items), "the status filter was ignored"
    starts = [item.started_at for item in page.items]
    assert starts == sorted(starts, reverse=True), "desc=1 did not sort newest first"
    return f"{page.count} of {page.total}"


def _refused(url, token):
    request = urllib.request.Request(url, method="POST", data=b"{}", headers={"Authorization": f"Bearer {token}"})
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 405, f"HTTP {error.code}"
        return "HTTP 405"
    raise AssertionError("a POST was answered with 2xx")


def _token_in_query(url, token):
    with urllib.request.urlopen(f"{url}?token={token}&limit=1", timeout=10) as response:
        assert response.status == 200, f"HTTP {response.status}"
    return "HTTP 200"


if __name__ == "__main__":
    sys.exit(main())
