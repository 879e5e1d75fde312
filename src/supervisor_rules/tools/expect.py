"""Partial matching of an expected decision fragment against an actual decision.

The contract of policy test files (``policies/<id>.tests.yaml``) and of the
hand-derived fixtures in ``tests/fixtures/decisions/``:

- expected dict: every key must exist in actual (a dict) and match recursively;
  extra keys in actual are ignored.
- expected list: actual must be a list of the same length; elements match
  pairwise, in order.
- expected string vs actual dict that has a ``"ref"`` key: the string must equal
  ``actual["ref"]`` (so a citation can be written ``"9(2)"``, ``"8(1).3"``, ``"11"``).
- anything else: plain equality.

``match`` returns readable messages; ``mismatches`` the same findings as
``Mismatch`` objects (path, expected, actual), for reports that show citations.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["Mismatch", "brief", "match", "mismatches"]


@attrs.frozen
class Mismatch:
    """One difference: where (``eligibility.unmet[0]``), what was expected, what the decision holds."""

    path: str
    kind: str  # "value" | "citation" | "missing" | "type" | "length"
    expected: Any
    actual: Any = None
    message: str = ""

    @property
    def keys(self) -> tuple:
        """The path as keys and indexes: ``eligibility.unmet[0]`` → ("eligibility", "unmet", 0)."""
        return path_keys(self.path)


def path_keys(path: str) -> tuple:
    out: list = []
    for part in path.split(".") if path else ():
        while "[" in part:
            head, _, rest = part.partition("[")
            if head:
                out.append(head)
            index, _, part = rest.partition("]")
            # A key of the expected decision may itself hold brackets (`[[x]]`): only digits index a list.
            out.append(int(index) if index.isascii() and index.isdigit() else f"[{index}]")
        if part:
            out.append(part)
    return tuple(out)


def brief(value: Any) -> Any:
    """A compact form for messages: citations shown by their ref."""
    if isinstance(value, dict):
        if "ref" in value:
            return value["ref"]
        return {k: brief(v) for k, v in value.items()}
    if isinstance(value, list):
        return [brief(v) for v in value]
    return value



def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def mismatches(expected: Any, actual: Any, path: str = "") -> list[Mismatch]:
    """Every difference between ``expected`` and ``actual``; [] when they match."""
    where = path or "<root>"

    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Mismatch(path, "type", expected, actual, f"{where}: expected an object, got {brief(actual)!r}")]
        found: list[Mismatch] = []
        for key, exp_value in expected.items():
            sub = _join(path, key)
            if key not in actual:
                found.append(Mismatch(sub, "missing", exp_value, None,
                                      f"{sub}: missing (expected {brief(exp_value)!r})"))
                continue
            found.extend(mismatches(exp_value, actual[key], sub))
        return found

    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [Mismatch(path, "type", expected, actual, f"{where}: expected a list, got {brief(actual)!r}")]
        if len(expected) != len(actual):
            return [Mismatch(path, "length", expected, actual,
                             f"{where}: expected {len(expected)} element(s) {brief(expected)!r}, "
                             f"got {len(actual)} {brief(actual)!r}")]
        found = []
        for index, (exp_item, act_item) in enumerate(zip(expected, actual)):
            found.extend(mismatches(exp_item, act_item, f"{path}[{index}]"))
        return found

    if isinstance(expected, str) and isinstance(actual, dict) and "ref" in actual:
        if actual["ref"] == expected:
            return []
        return [Mismatch(path, "citation", expected, actual,
                         f"{where}: expected citation {expected!r}, got {actual['ref']!r}")]

    if expected == actual and type(expected) is type(actual) or (
            expected == actual and not isinstance(expected, bool) and not isinstance(actual, bool)):
        return []
    return [Mismatch(path, "value", expected, actual, f"{where}: expected {expected!r}, got {brief(actual)!r}")]


def match(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Return human-readable mismatches between expected and actual; [] when they match."""
    return [m.message for m in mismatches(expected, actual, path)]
