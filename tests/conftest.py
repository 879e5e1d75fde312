"""Shared fixtures and Hypothesis profiles for the whole suite.

Profiles (``HYPOTHESIS_PROFILE=NAME``):

- ``ci`` (the default): derandomised, no example database, no deadline — the
  same examples on every machine, so a red run reproduces anywhere.
- ``dev``: randomised, with the local example database, for exploring; a
  failure it finds is replayed from the database on the next run.

Tests that need a number of examples of their own set ``max_examples`` in
their ``@settings``; everything else comes from the profile. The quick loop is
``pytest -m "not slow"`` (long searches are marked ``slow``; CI runs them too).
"""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout

import pytest
from hypothesis import HealthCheck, settings

from supervisor_rules import cli as _cli_module

settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", derandomize=False, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _run_redirected(*argv) -> tuple[int, str, str]:
    """``supervisor-rules ARGV`` in this process: (exit code, stdout, stderr) as text."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = _cli_module.main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def run_cli():
    """Run the command line in-process, usable from fixtures of any scope: ``run_cli(*argv)`` →
    ``(code, stdout, stderr)``. For commands that write bytes to ``sys.stdout.buffer`` use ``cli``."""
    return _run_redirected


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run the command line in-process through pytest's capture: ``cli(*argv, stdin=None)`` →
    ``(code, stdout, stderr)``; ``stdin`` (text) is what the command reads from standard input."""
    def run(*argv, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8"))
        code = _cli_module.main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run
