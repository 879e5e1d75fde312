"""A seeded workload of Wuhan and Guangxi cases, in the case format (CASE.md).

The cases come from ``supervisor_rules.testing.sample_cases``, the package's one
case generator, which reads each policy's own declarations: facts given, missing
(open-world → unknown) or null, conduct records with and without a ground, and
many dates on the boundaries the regulations care about — an appointment's
start, the last day of each term and the day after it, 29 February, year ends,
holiday weeks, deadlines' due days. The same seed always gives the same cases.
"""

from __future__ import annotations

import supervisor_rules as sr
from supervisor_rules import testing


def workload(n: int, seed: int = 2020) -> dict[str, list[dict]]:
    """``n`` cases in all, half for each city: ``{"wuhan": [...], "guangxi": [...]}``."""
    return {"wuhan": testing.sample_cases(sr.builtin_policy("wuhan"), n - n // 2, seed=seed),
            "guangxi": testing.sample_cases(sr.builtin_policy("guangxi"), n // 2, seed=seed)}
