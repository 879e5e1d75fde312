"""A pytest plugin: policy test files (``*.tests.yaml``) as pytest tests.

Installed with the package (the ``pytest11`` entry point), it is off until
asked for, so a project's own test run never collects a test file by surprise:

    pytest --policy-tests policies/          # or, in pytest's configuration: policy_tests = true

Each test of a ``*.tests.yaml`` file becomes one pytest item named by the
test's ``name`` (so ``-k`` selects by name), decided by the policy the file
belongs to: the ``X.rules`` (or ``X.family``) beside ``X.tests.yaml``, else the
policy its ``policy:`` names (a shipped id, or a rule file's path read from the
test file's folder). A failure shows each expected decision field against the
actual one, as ``supervisor-rules test`` does; ``--junitxml`` reports the items
as any other. A test file that cannot be read, or a policy that does not load,
is a collection error naming the problem.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import supervisor_rules as sr
from supervisor_rules.policy import FAMILY_SUFFIX
from supervisor_rules.tools import policytests as pt

__all__ = ["PolicyTestFailed", "PolicyTestFile", "PolicyTestItem"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("supervisor-rules", "policy tests (supervisor-rules)")
    group.addoption("--policy-tests", action="store_true", dest="policy_tests", default=None,
                    help="collect policy test files (*.tests.yaml): each test an item named by its name")
    parser.addini("policy_tests", type="bool", default=False,
                  help="collect policy test files (*.tests.yaml), as --policy-tests does")


def _enabled(config: pytest.Config) -> bool:
    option = config.getoption("policy_tests", default=None)
    return bool(option) if option is not None else bool(config.getini("policy_tests"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith(pt.TESTS_SUFFIX) and _enabled(parent.config):
        return PolicyTestFile.from_parent(parent, path=file_path)
    return None


def policy_for(tests: Path, file: pt.TestFile) -> Any:
    """The policy (or family) a test file tests: the rule or family file beside it, else its ``policy:``."""
    stem = tests.name[: -len(pt.TESTS_SUFFIX)]
    for suffix in (".rules", FAMILY_SUFFIX):
        beside = tests.with_name(stem + suffix)
        if beside.is_file():
            return sr.load_policy(beside)
    if file.policy:
        named = file.policy
        if named.endswith((".rules", FAMILY_SUFFIX)) and not os.path.isabs(named):
            named = str(tests.parent / named)
        return sr.resolve_policy(named)
    raise pt.TestFileError([sr.Diagnostic(str(tests), 1, 1, f"no rule file {stem}.rules next to the test file, "
                                                            f"and it names no `policy:`", code="test-file")])


class PolicyTestFile(pytest.File):
    """A ``*.tests.yaml`` file: one item per test."""

    def collect(self) -> Iterator[PolicyTestItem]:
        try:
            file = pt.load_tests(self.path)
            policy = policy_for(self.path, file)
        except (sr.RulesError, OSError) as exc:
            raise self.CollectError(f"{self.path}: {' '.join(str(exc).split()) if not hasattr(exc, 'diagnostics') else ''}"
                                    + "\n".join(d.render() for d in getattr(exc, "diagnostics", ()))) from None
        for test in file.tests:
            yield PolicyTestItem.from_parent(self, name=test.name, policy=policy, test=test, file=file)


class PolicyTestFailed(Exception):
    """A policy test whose decision is not what it expects."""

    def __init__(self, result: pt.TestResult, cites: dict[str, str]):
        super().__init__(result.test.name)
        self.result = result
        self.cites = cites


class PolicyTestItem(pytest.Item):
    """One policy test: its case decided, and the decision compared with what it expects."""

    def __init__(self, *, policy: Any, test: pt.PolicyTest, file: pt.TestFile, **kwargs: Any):
        super().__init__(**kwargs)
        self.policy = policy
        self.test = test
        self.file = file

    def runtest(self) -> None:
        result = pt.run_tests(self.policy, [self.test]).results[0]
        if not result.passed:
            raise PolicyTestFailed(result, pt.citation_index(self.policy))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if not isinstance(excinfo.value, PolicyTestFailed):
            return str(super().repr_failure(excinfo))
        result, cites = excinfo.value.result, excinfo.value.cites
        line, column = result.position
        lines = [f"policy test failed: {self.test.name}", f"  at {self.path}:{line}:{column} (policy {self.policy.id})"]
        if self.test.why:
            lines.append(f"  why: {self.test.why}")
        if result.error:
            lines.append(f"  {result.error}")
        for m in result.mismatches:
            lines.append(f"  {m.path or 'decision'}:")
            lines.append(f"    expected: {pt.show(m.expected, cites)}")
            lines.append(f"    actual:   {'(absent)' if m.kind == 'missing' else pt.show(m.actual, cites)}")
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.test.line - 1, f"policy test: {self.test.name}"
