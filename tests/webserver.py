"""Start ``supervisor-rules serve`` for a test: a real process on a free port, ready when its API
answers, always stopped (``with serving(...) as url``)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

READY_SECONDS = 30


def request(url: str, body: bytes | None = None, *, method: str | None = None,
            headers: dict | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one HTTP request; an HTTP error status is an answer, not an exception."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def get_json(url: str) -> tuple[int, dict]:
    status, _, body = request(url)
    return status, json.loads(body)


def post_json(url: str, value: object) -> tuple[int, dict]:
    status, _, body = request(url, json.dumps(value).encode(), headers={"Content-Type": "application/json"})
    return status, json.loads(body)


@contextlib.contextmanager
def serving(*args: str) -> Iterator[str]:
    """``supervisor-rules serve --port 0 ARGS...`` in a subprocess; yields its base URL (no trailing
    slash) once ``/v1/policies`` answers; stops it (and waits for it) whatever happens."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "supervisor_rules", "serve", "--port", "0", *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8", env=env)
    try:
        line = proc.stderr.readline()  # the URL line, written once the socket listens
        found = re.search(r"http://(?:\[[^\]]+\]|[^ :/]+):\d+", line)
        assert found, f"serve did not start: {line}{proc.stderr.read() if proc.poll() is not None else ''}"
        url = found.group(0)
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                if request(url + "/v1/policies")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, f"serve exited with {proc.returncode}"
            assert time.monotonic() < deadline, "serve did not answer in time"
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
