"""``--prove``: invariants proved, and two policies proved equivalent, for every case within bounds.

The checked policy is translated into z3 terms (``symbolic``): a symbolic case (every fact a pair
known/value, every list at most ``k`` entries, every date in the years the working-day calendar
covers) and the decision the reference backend would make of it. An invariant ``when A then B`` is
violated iff A is true and B false; z3 answers "unsat" (no case within the bounds violates it:
``proved``) or "sat" with a model, which becomes a concrete case that the engine then evaluates
(``Policy.evaluate``): only a case the engine agrees violates the invariant is reported. A construct
the translator lacks, a model the engine disagrees with, or a timeout is "not proved", never "proved".
docs/invariants.md and docs/diff.md state the bounds and what is assumed.
"""

from __future__ import annotations

import datetime as dt
import time

import attrs

try:
    import z3
except ImportError:  # pragma: no cover - the `prove` extra
    z3 = None

#: Records per list in the symbolic case, by default.
DEFAULT_RECORDS = 2
#: Most records per list `--prove` accepts (the formula grows with them).
MAX_RECORDS = 4
#: Seconds the solver may spend on one question (an invariant, a field of the decision), by default.
DEFAULT_TIMEOUT = 60
#: Most seconds `--timeout` accepts per question.
MAX_TIMEOUT = 3600


class ProverMissing(RuntimeError):
    """z3 is not installed (``pip install 'supervisor-rules[prove]'``)."""


def available() -> bool:
    return z3 is not None


def _need() -> None:
    if z3 is None:
        raise ProverMissing("--prove needs z3 (pip install 'supervisor-rules[prove]') / --prove 需要 z3")


@attrs.frozen
class Bounds:
    """What a proof covers: dates from ``first`` to ``last`` (the calendar's years), ``records`` entries
    per list at most."""

    first: dt.date
    last: dt.date
    records: int

    def to_dict(self) -> dict:
        return {"dates": [self.first.isoformat(), self.last.isoformat()], "records_per_list": self.records,
                "assumes": ["every deadline a case needs falls in a year the working-day calendar covers",
                            "numbers are exact rationals; texts any strings"]}

    def words(self) -> str:
        return (f"dates {self.first.isoformat()}..{self.last.isoformat()}, at most {self.records} records per list "
                f"/ 日期 {self.first.isoformat()} 至 {self.last.isoformat()}，每个列表至多 {self.records} 条记录")


def bounds_for(policies, records: int = DEFAULT_RECORDS) -> Bounds:
    """The years every policy's working-day calendar covers (all of them: the years both know)."""
    years = None
    for policy in policies:
        covered = set(policy.calendar.years)
        years = covered if years is None else years & covered
    if not years:
        raise ValueError("the working-day calendars cover no common year / 工作日历没有共同覆盖的年份")
    return Bounds(dt.date(min(years), 1, 1), dt.date(max(years), 12, 31), records)


def _solver(timeout: float):
    solver = z3.Solver()
    solver.set("timeout", int(timeout * 1000))
    return solver


def _span(policy):
    return policy


# ------------------------------------------------------------------ invariants
@attrs.frozen
class InvariantProof:
    """One invariant under ``--prove``: ``result`` proved | violated | not_proved; ``why`` says why it
    is not proved (an unsupported construct, a timeout, a translator the engine contradicts)."""

    name: str
    result: str
    bounds: Bounds
    seconds: float
    counterexample: dict | None = None
    decision: dict | None = None
    why: str | None = None


def prove_invariants(policy, *, records: int = DEFAULT_RECORDS, timeout: float = DEFAULT_TIMEOUT,
                     names=None) -> list[InvariantProof]:
    """Each invariant of ``policy`` proved, or refuted by a counterexample the engine confirms."""
    _need()
    from supervisor_rules.tools import invariants as inv_module
    from supervisor_rules.tools.prove import symbolic as sym

    bounds = bounds_for([policy], records)
    checked = policy.compiled.checked
    compiled = {inv.name: inv for inv in policy.invariants}
    out: list[InvariantProof] = []
    started = time.perf_counter()
    try:
        strings = sym.Interner()
        case = sym.SymCase(checked.sections, bounds.first, bounds.last, records, strings)
        tables = sym.Tables(bounds.first, bounds.last + dt.timedelta(days=366 * 4 * (records + 2)),
                            lambda: policy.calendar)
        decider = sym.Decider(policy, case, tables)
        decider.for_invariants()
        failure = None
    except sym.Unsupported as exc:
        failure, decider, case = str(exc), None, None
    setup = time.perf_counter() - started
    for inv in checked.invariants:
        if names is not None and inv.name not in names:
            continue
        t0 = time.perf_counter()
        if failure is not None:
            out.append(InvariantProof(inv.name, "not_proved", bounds, setup, why=failure))
            continue
        try:
            when = sym.as_tb(decider.value(inv.when)) if inv.when is not None else sym.TRUE
            then = sym.as_tb(decider.value(inv.then))
        except sym.Unsupported as exc:
            out.append(InvariantProof(inv.name, "not_proved", bounds, time.perf_counter() - t0, why=str(exc)))
            continue
        solver = _solver(timeout)
        solver.add(*case.constraints, *decider.assumptions, when.t, then.f)
        answer = solver.check()
        seconds = time.perf_counter() - t0 + (setup if not out else 0)
        if answer == z3.unsat:
            out.append(InvariantProof(inv.name, "proved", bounds, seconds))
        elif answer == z3.sat:
            concrete = case.concrete(solver.model())
            broken, decision = inv_module.violated(policy, (compiled[inv.name],), concrete)
            if broken:  # the smallest case that still violates it (no section, fact or entry can go)
                from supervisor_rules.tools.diffing import shrink
                concrete = shrink(concrete, lambda c: bool(inv_module.violated(policy, (compiled[inv.name],), c)[0]))
                decision = inv_module.violated(policy, (compiled[inv.name],), concrete)[1]
                out.append(InvariantProof(inv.name, "violated", bounds, seconds, concrete, decision.to_dict()))
            else:
                out.append(InvariantProof(inv.name, "not_proved", bounds, seconds, concrete,
                                          why="the translator's counterexample does not violate the invariant "
                                              "when the engine evaluates it (a translator bug) / 反例经引擎复核不成立"))
        else:
            out.append(InvariantProof(inv.name, "not_proved", bounds, seconds,
                                      why=f"unknown ({solver.reason_unknown()}) / 求解器未能判定（超时）"))
    return out
