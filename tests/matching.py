"""Partial matching of an expected decision fragment against an actual decision.

Rules (the fixture contract in tests/fixtures/decisions/):

- expected dict: every key must exist in actual (a dict) and match recursively;
  extra keys in actual are ignored.
- expected list: actual must be a list of the same length; elements match
  pairwise, in order.
- expected string vs actual dict that has a "ref" key: the string must equal
  actual["ref"] (so a citation can be written "9(2)", "8(1).3", "11").
- anything else: plain equality.
"""

from __future__ import annotations

from typing import Any

__all__ = ["match"]


def _brief(value: Any) -> Any:
    """A compact form for messages: citations shown by their ref."""
    if isinstance(value, dict):
        if "ref" in value:
            return value["ref"]
        return {k: _brief(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_brief(v) for v in value]
    return value


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def match(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Return human-readable mismatches between expected and actual; [] when they match."""
    where = path or "<root>"

    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {_brief(actual)!r}"]
        problems: list[str] = []
        for key, exp_value in expected.items():
            sub = _join(path, key)
            if key not in actual:
                problems.append(f"{sub}: missing (expected {_brief(exp_value)!r})")
                continue
            problems.extend(match(exp_value, actual[key], sub))
        return problems

    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {_brief(actual)!r}"]
        if len(expected) != len(actual):
            return [
                f"{where}: expected {len(expected)} element(s) {_brief(expected)!r}, "
                f"got {len(actual)} {_brief(actual)!r}"
            ]
        problems = []
        for index, (exp_item, act_item) in enumerate(zip(expected, actual)):
            problems.extend(match(exp_item, act_item, f"{path}[{index}]"))
        return problems

    if isinstance(expected, str) and isinstance(actual, dict) and "ref" in actual:
        if actual["ref"] == expected:
            return []
        return [f"{where}: expected citation {expected!r}, got {actual['ref']!r}"]

    if expected == actual:
        return []
    return [f"{where}: expected {expected!r}, got {_brief(actual)!r}"]
