"""The wheel is complete: built from this checkout and installed into a fresh
virtual environment, its ``supervisor-rules`` command checks both shipped
policies from an unrelated folder — so the grammar and the policies really
travel inside the wheel (``supervisor_rules/grammars``, ``supervisor_rules/policies``).

Offline-safe: the wheel is built without build isolation (hatchling comes with
the ``test`` extra) and installed with ``--no-deps --no-index``; the runtime
dependencies (lark, attrs, chinesecalendar, pyyaml, hypothesis) are borrowed from the
environment running the tests.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _bin(venv: Path, name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return venv / folder / f"{name}{suffix}"


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"):
        env.pop(key, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, encoding="utf-8",
                            stdin=subprocess.DEVNULL, timeout=600, env=_clean_env(), **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result


def _dependency_dirs() -> list[str]:
    """The site-packages folders that hold the test environment's dependencies.

    ``--system-site-packages`` alone is not enough when the tests themselves run
    in a venv (as .ci/run does): the new venv would see the *base* interpreter's
    packages, not this venv's. Folders listed in a ``.pth`` file are plain
    ``sys.path`` entries, so this environment's own (editable) install of
    supervisor_rules is not picked up from there — its ``.pth`` is not processed.
    """
    dirs = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()]
    out: list[str] = []
    for d in dirs:
        if d and Path(d).is_dir() and d not in out:
            out.append(d)
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, ROOT])
    wheels = sorted(dist.glob("supervisor_rules-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("supervisor_rules/__init__.py", "supervisor_rules/cli/main.py", "supervisor_rules/__main__.py",
                     "supervisor_rules/grammars/policy.lark", "supervisor_rules/policies/common.rules",
                     "supervisor_rules/policies/wuhan.rules", "supervisor_rules/policies/guangxi.rules",
                     "supervisor_rules/py.typed", "supervisor_rules/pytest_plugin.py",
                     # the page of `serve`, package data beside its module
                     "supervisor_rules/web/app.py", "supervisor_rules/web/static/index.html",
                     "supervisor_rules/web/static/app.js", "supervisor_rules/web/static/style.css"):
        assert required in names, f"{required} missing from {wheel.name}"
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "supervisor-rules = supervisor_rules.cli:main" in text
    assert "[pytest11]" in text and "supervisor_rules = supervisor_rules.pytest_plugin" in text
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]


def test_installed_wheel_checks_shipped_policies(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", venv])
    python = _bin(venv, "python")
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    Path(purelib, "_supervisor_rules_test_deps.pth").write_text(
        "".join(d + "\n" for d in _dependency_dirs()), encoding="utf-8")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel])

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    # The package (and its data) come from the venv, not from this checkout.
    where = _run([python, "-c", "import supervisor_rules, supervisor_rules.resources as r; "
                                "print(supervisor_rules.__file__); print(r.grammar_path()); "
                                "print(r.policies_dir())"], cwd=elsewhere).stdout.split("\n")
    for line in where[:3]:
        assert Path(line).resolve().is_relative_to(venv.resolve()), where

    result = _run([_bin(venv, "supervisor-rules"), "check", "guangxi", "wuhan", "--format", "text"], cwd=elsewhere)
    assert "guangxi: ok" in result.stdout and "wuhan: ok" in result.stdout

    result = _run([python, "-m", "supervisor_rules", "schema", "guangxi"], cwd=elsewhere)
    assert '"properties"' in result.stdout
