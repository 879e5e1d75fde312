"""Batch worker processes are bounded and never outlive the command (issue 10, finding 1).

``--jobs`` is capped (a number, at most ``batch.MAX_JOBS``), no more workers start than
the CPUs and the input's blocks can use, and killing the parent — SIGKILL or SIGTERM,
mid-run — leaves no worker behind."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.tools import batch

LINE = json.dumps({"as_of": "2024-03-01", "person": {"honest": True}}) + "\n"


def _spy_on_workers(monkeypatch) -> list:
    """The worker processes run_parallel starts, recorded as it starts them."""
    started: list = []
    real = multiprocessing.get_context

    class Spy:
        def __init__(self, context):
            self.context = context

        def __getattr__(self, name):
            return getattr(self.context, name)

        def Process(self, *args, **kwargs):  # noqa: N802 - multiprocessing's name
            process = self.context.Process(*args, **kwargs)
            started.append(process)
            return process

    monkeypatch.setattr(multiprocessing, "get_context", lambda *a: Spy(real(*a)))
    return started


def _decide(lines: str, jobs: int) -> bytes:
    policy = sr.builtin_policy("wuhan")
    out = io.BytesIO()
    bad = batch.run_parallel(policy, "wuhan", None, False, jobs, io.BytesIO(lines.encode()), out.write,
                             lambda: None)
    assert bad == 0
    return out.getvalue()


def test_five_lines_start_no_worker_however_many_are_asked_for(monkeypatch):
    started = _spy_on_workers(monkeypatch)
    output = _decide(LINE * 5, jobs=1000)
    assert started == []
    assert output.count(b"\n") == 5


@pytest.mark.skipif(not batch.PARALLEL, reason="worker processes need POSIX")
def test_workers_are_capped_by_the_cpus(monkeypatch):
    lines = LINE * (3 * batch.BLOCK // len(LINE) + 10)  # four blocks of input
    started = _spy_on_workers(monkeypatch)
    output = _decide(lines, jobs=1000)
    assert 0 < len(started) <= batch.usable_cpus() or (batch.usable_cpus() == 1 and not started)
    assert output == _decide(lines, jobs=1)


@pytest.mark.parametrize("jobs", ["99999999999999999999", "9" * 5000, "257", "-1", "1e3", "２", "a few"])
def test_an_absurd_jobs_value_is_refused(cli, jobs, tmp_path):
    cases = tmp_path / "c.jsonl"
    cases.write_text(LINE, encoding="utf-8")
    code, out, err = cli("eval", "wuhan", "--batch", str(cases), "--jobs", jobs)
    assert code == 2 and out == ""
    assert f"from 0 to {batch.MAX_JOBS}, or auto" in err and "Traceback" not in err
    # the value is cut short, not echoed whole; the rest is argparse's usage line, which grows with the options
    assert jobs[:41] not in err if len(jobs) > 40 else True
    assert len(err) < 600


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited: only its entry waits to be reaped


@pytest.mark.skipif(not (Path("/proc/self/stat").exists() and batch.PARALLEL and batch.usable_cpus() >= 2),
                    reason="needs Linux's /proc and two CPUs (with one, the batch starts no worker)")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_no_worker_survives_its_parent(how):
    parent = subprocess.Popen([sys.executable, "-m", "supervisor_rules", "eval", "wuhan", "--batch", "-",
                               "--jobs", "2"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        # Enough input for two blocks, so both workers start; stdin stays open, so the run goes on.
        assert parent.stdin is not None
        parent.stdin.write((LINE * (2 * batch.BLOCK // len(LINE) + 10)).encode())
        parent.stdin.flush()
        deadline = time.monotonic() + 30
        while len(workers := _children(parent.pid)) < 2:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.05)
        os.kill(parent.pid, how)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = [w for w in workers if _alive(w)]
        for w in survivors:
            os.kill(w, signal.SIGKILL)
        assert survivors == [], f"workers {survivors} outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
