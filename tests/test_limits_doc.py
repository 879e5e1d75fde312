"""docs/limits.md and the code agree: every ``MAX_*`` constant of the package is in its table,
with the value the code has."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import re
from pathlib import Path

import supervisor_rules

PACKAGE = Path(supervisor_rules.__file__).parent
DOC = PACKAGE.parent.parent / "docs" / "limits.md"


def _rows() -> list[list[str]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]  # after the header


def _module_limits() -> set[str]:
    """``module.MAX_…`` for every public module-level MAX_/MIN_ constant in the package's source."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and re.fullmatch(r"MAX_[A-Z_]+", name.id):
                        found.add(f"{module}.{name.id}")
    return found


def _value_text(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else f"{value:,}"


def test_every_limit_constant_is_documented_with_its_value():
    documented: dict[str, str] = {}
    for row in _rows():
        for name in re.findall(r"`([a-z_.]+\.[A-Z_]+)`", row[1]):
            documented[name] = row[2]
    missing = _module_limits() - set(documented)
    assert not missing, f"limits not in docs/limits.md: {sorted(missing)}"
    for name, cell in documented.items():
        module, constant = name.rsplit(".", 1)
        value = getattr(importlib.import_module(f"supervisor_rules.{module}"), constant)
        assert _value_text(value) in cell.replace(" levels", "").replace(" digits", ""), (name, value, cell)
