"""Every stage is near-linear in each dimension of its input (issue: 40,000 enum values took 45 s
to check; 8,000 parentheses 17 s to format).

Work is counted, not timed: the Python function calls a stage makes (``sys.setprofile``), which
is the same on any machine. Quadrupling one dimension may at most sextuple the calls (a
quadratic stage would multiply them by about 16).
"""

from __future__ import annotations

import sys

import pytest

import supervisor_rules as sr
from supervisor_rules.tools import formatter

GROWTH = 4
LIMIT = 6.0


def _policy(dimension: str, n: int) -> str:
    fields = n if dimension == "facts" else 20
    values = n if dimension == "values" else 3
    declared = "\n".join(f'  f{i}: bool "事实{i}"' for i in range(fields))
    enum = ", ".join(f"v{i}" for i in range(values))
    head = f'policy demo\n  title "示例"\nfacts p "人" {{\n{declared}\n  kind: enum {{ {enum} }} "类"\n}}\n'
    if dimension == "articles":
        return head + "".join(f'article {i + 1} "第{i + 1}条。"\n  require p.f{i % fields}\n' for i in range(n))
    if dimension == "rules":
        return head + 'article 1 "一。"\n' + "".join(f"  require p.f{i % fields} or p.kind = v{i % values}\n"
                                                    for i in range(n))
    if dimension == "operands":
        return head + 'article 1 "一。"\n  require ' + " or ".join(f"p.f{i % fields}" for i in range(n)) + "\n"
    if dimension == "set":
        return head + 'article 1 "一。"\n  require p.kind in {' + ", ".join(f"v{i % values}" for i in range(n)) + "}\n"
    if dimension == "nesting":
        return head + 'article 1 "一。"\n  require ' + "(not " * n + "p.f0" + ")" * n + "\n"
    return head + 'article 1 "一。"\n  require p.f0 and p.kind = v0\n'


def _calls(action) -> int:
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call" or event == "c_call":
            count += 1
    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count


STAGES = {
    "load": lambda text: sr.parse_policy(text),
    "format": lambda text: formatter.format_text(text),
    "evaluate": lambda text: sr.parse_policy(text).evaluate({"as_of": "2024-01-01", "p": {"kind": "v0"}}),
    "schema": lambda text: sr.parse_policy(text).schema(),
}
SIZES = {"values": 500, "facts": 200, "rules": 200, "articles": 200, "operands": 200, "set": 500, "nesting": 12}


@pytest.mark.parametrize("stage", sorted(STAGES))
@pytest.mark.parametrize("dimension", sorted(SIZES))
def test_work_grows_linearly(dimension, stage):
    n = SIZES[dimension]
    small, large = _policy(dimension, n), _policy(dimension, n * GROWTH)
    run = STAGES[stage]
    # Warm on other texts (imports, lazily built tables): the fixed cost is not the dimension's. Each
    # measured text is new to the process, so no cache of a text serves one size and not the other.
    run(_policy(dimension, n // 2))
    base = _calls(lambda: run(_policy("none", 1)))
    grown = (_calls(lambda: run(large)) - base) / max(1, _calls(lambda: run(small)) - base)
    assert grown <= LIMIT, f"{stage} over {dimension}: x{GROWTH} input made x{grown:.1f} the work"
