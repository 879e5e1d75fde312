"""Invariants: properties a policy's decisions must always have, checked by search.

An invariant (``invariant NAME "…" cites REFS when A then B``) is violated by a
case when ``A`` is true and ``B`` is false for that case and its decision;
unknown outcomes violate nothing. ``check_invariants`` searches schema-valid
cases drawn from the policy's own declarations (``supervisor_rules.testing``),
derandomised so CI is repeatable, and shrinks a violation to a minimal
counterexample ready for ``supervisor-rules eval``.
"""

from __future__ import annotations

import json
from typing import Callable

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.lang.checker import DECISION_ALIASES, DECISION_HEADS
from supervisor_rules.engine.compiler import ExpressionCompiler
from supervisor_rules.engine.runtime import derived_after
from supervisor_rules.contracts.decision import Decision, Status

#: Examples tried per invariant when the caller gives no budget.
DEFAULT_EXAMPLES = 300


@attrs.frozen
class CompiledInvariant:
    name: str
    text: str | None
    cites: tuple[str, ...]  # refs, e.g. ("8", "9(5)", "11p2", "3(1)-(6)")
    cite_text: str  # the citations in Chinese, joined with 、
    when: Callable | None
    then: Callable
    span: n.Span


@attrs.frozen
class InvariantResult:
    """One invariant's outcome: ``counterexample`` is None when none was found.

    ``examples`` is the number of drawn cases tried (for a violated invariant: how many were tried when
    the first counterexample came); ``boundary_cases`` the cases on the policy's boundaries tried before
    them (``boundaries``: how many boundaries there are, ``covered`` how many got a case); ``found_by``
    says which search found the counterexample (``boundary`` or ``search``)."""

    invariant: CompiledInvariant
    examples: int
    counterexample: dict | None = None
    exercised: int = 0  # examples whose `when` held: an invariant never exercised proves nothing
    decision: dict | None = None
    boundary_cases: int = 0
    boundaries: int = 0
    covered: int = 0
    found_by: str | None = None
    found_at: int | None = None  # the boundary case (1-based) or drawn example that first violated it

    @property
    def holds(self) -> bool:
        return self.counterexample is None

    @property
    def result(self) -> str:
        """``holds_in_examples`` or ``violated`` (``proved`` is for a proof, which this search is not)."""
        return "holds_in_examples" if self.holds else "violated"

    def to_dict(self, budget: int | None = None) -> dict:
        """The outcome as JSON: the result, the bounds of the search, the counterexample as an object."""
        inv = self.invariant
        return {"name": inv.name, "text": inv.text, "cites": list(inv.cites), "result": self.result,
                "bounds": {"examples": budget if budget is not None else self.examples,
                           "boundaries": self.boundaries, "boundaries_covered": self.covered,
                           "boundary_cases": self.boundary_cases},
                "examples_tried": self.examples, "boundary_cases_tried": self.boundary_cases,
                "exercised": self.exercised, "found_by": self.found_by, "found_at": self.found_at,
                "counterexample": self.counterexample, "decision": self.decision}


class _Env:
    """What invariant closures read: the facts merged with the decision's values."""

    __slots__ = ("facts", "sections", "as_of", "var", "bound", "expired", "dismissed", "last_day", "dismissal_day",
                 "term_number", "cache", "calendar")

    def __init__(self, facts, sections, as_of, expired, dismissed, calendar, last_day=None, dismissal_day=None,
                 term_number=None):
        self.facts, self.sections, self.as_of = facts, sections, as_of
        self.var, self.bound, self.cache = {}, {}, {}
        self.expired, self.dismissed, self.calendar = expired, dismissed, calendar
        self.last_day, self.dismissal_day, self.term_number = last_day, dismissal_day, term_number


class _InvariantCompiler(ExpressionCompiler):
    """The rule compiler, plus the decision's fields."""

    def x_Path(self, e: n.Path):
        if e.parts[0] in DECISION_HEADS:
            key = "decision." + DECISION_ALIASES.get(e.parts[1], e.parts[1])
            return lambda env: env.facts.get(key)
        return super().x_Path(e)

    def x_Compare(self, e: n.Compare):
        if isinstance(e.right, n.Dismissed) and isinstance(e.left, n.Path) and e.left.parts[0] in DECISION_HEADS:
            e = attrs.evolve(e, right=n.Name("dismissed"))
        return super().x_Compare(e)


def compile_invariants(checked) -> tuple[CompiledInvariant, ...]:
    if not checked.invariants:
        return ()
    compiler = _InvariantCompiler(checked)
    out = []
    for inv in checked.invariants:
        refs = tuple(r.ref for r in inv.cites)
        cites = "、".join(r.cite for r in inv.cites)
        out.append(CompiledInvariant(inv.name, inv.text, refs, cites,
                                     compiler.expression(inv.when) if inv.when is not None else None,
                                     compiler.expression(inv.then), inv.span))
    return tuple(out)


def decision_values(decision: Decision) -> dict:
    """The decision's fields under the keys invariants read (``decision.status`` …)."""
    obligations = decision.obligations
    by_state = {state: tuple(o.duty for o in obligations if o.state == state)
                for state in ("owed", "met", "overdue", "breached")}
    term = decision.term
    return {
        "decision.status": str(decision.status),
        "decision.eligibility": str(decision.eligibility.result),
        "decision.preferred": decision.eligibility.preferred,
        "decision.recusal": str(decision.recusal.result),
        "decision.decided_by": decision.recusal.decided_by,
        "decision.grounds": tuple(str(g.effect) for g in decision.grounds),
        "decision.obligations": tuple(o.duty for o in obligations),
        **{f"decision.{state}": codes for state, codes in by_state.items()},
        "decision.violations": tuple(v.code for v in decision.violations),
        "decision.report": str(decision.report.result),
        "decision.reward_referral": decision.report.reward_referral,
        "decision.last_day": term.last_day if term else None,
        "decision.terms": term.terms if term else None,
        "decision.findings": tuple(dict.fromkeys(f.code for f in decision.findings)),
    }


def _violated(policy, invariants, case: dict, exercised: dict | None = None):
    """The invariants ``case`` violates (one evaluation for all of them), and its decision."""
    facts, sections, as_of = policy.read_case(case)
    decision = policy.evaluate(case)
    term = decision.term
    if term is None or as_of < term.start:
        expired = False
    elif term.last_day is not None:
        expired = as_of > term.last_day
    else:
        expired = None  # the renewal chain is undetermined
    dismissed = None if decision.status == Status.UNKNOWN else decision.status == Status.DISMISSED
    after = derived_after(policy.compiled, decision, facts)
    env = _Env({**facts, **decision_values(decision)}, sections, as_of, expired, dismissed, lambda: policy.calendar,
               after["last_day"], after["dismissal_day"], after["term_number"])
    broken = []
    for inv in invariants:
        if inv.when is None or inv.when(env) is True:
            if exercised is not None:
                exercised[inv.name] = exercised.get(inv.name, 0) + 1
            if inv.then(env) is False:
                broken.append(inv)
    return broken, decision


def violated(policy, invariants, case: dict):
    """The invariants ``case`` violates, and its decision (the engine's evaluation: what ``--prove``
    re-checks a counterexample with)."""
    return _violated(policy, invariants, case)


def check_invariants(policy, examples: int = DEFAULT_EXAMPLES, decides=None) -> list[InvariantResult]:
    """Search for a counterexample to each of ``policy``'s invariants (needs Hypothesis).

    First the cases on the boundaries the policy's rules and invariants create
    (``boundaries.seeds``: at most ``examples`` of them — a term's last day, a deadline's due day, a
    date an invariant names, each with the day before and after), then one derandomised pass that
    draws ``examples`` cases; each case tests every invariant. An invariant the drawn cases violate is
    searched again on its own, so that Hypothesis shrinks its counterexample; one only a boundary case
    violates keeps that case, shrunk (no section, fact or list entry can be dropped and keep it
    violated). ``decides(case)``, if given, says which cases ``policy`` would decide (a family's
    composite decides only some): the others are passed over.
    """
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    from supervisor_rules import testing
    from supervisor_rules.tools import boundaries
    from supervisor_rules.tools.diffing import shrink

    invariants = policy.invariants
    if not invariants:
        return []
    exercised: dict[str, int] = {}
    seeds = boundaries.seeds([policy], limit=examples, invariants=True, keep=decides)
    at_boundary: dict[str, tuple[int, dict]] = {}
    for i, case in enumerate(seeds.cases, 1):
        for inv in _violated(policy, invariants, case, exercised)[0]:
            at_boundary.setdefault(inv.name, (i, case))
    bounds = {"boundary_cases": len(seeds.cases), "boundaries": len(seeds.boundaries), "covered": seeds.covered}

    strategy = testing.cases(policy)
    config = settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    tried = 0
    first_failure: dict[str, int] = {}

    def survey(case):
        nonlocal tried
        if decides is not None and not decides(case):
            return False
        tried += 1
        for inv in _violated(policy, invariants, case, exercised)[0]:
            first_failure.setdefault(inv.name, tried)
        return False  # never "found": the pass runs its whole budget

    try:
        find(strategy, survey, settings=settings(config, phases=[Phase.generate]))
    except NoSuchExample:
        pass
    results = []
    for inv in invariants:
        def breaks(case, inv=inv) -> bool:
            return (decides is None or decides(case)) and inv in _violated(policy, (inv,), case)[0]

        done = exercised.get(inv.name, 0)
        if inv.name in first_failure:
            try:
                found = find(strategy, breaks, settings=config)
            except NoSuchExample:  # pragma: no cover - the survey saw one; shrinking keeps it
                results.append(InvariantResult(inv, tried, **bounds))
                continue
            decision = _violated(policy, (inv,), found)[1]
            results.append(InvariantResult(inv, first_failure[inv.name], found, exercised=done,
                                           decision=decision.to_dict(), found_by="search",
                                           found_at=first_failure[inv.name], **bounds))
        elif inv.name in at_boundary:
            found = shrink(at_boundary[inv.name][1], breaks)
            decision = _violated(policy, (inv,), found)[1]
            results.append(InvariantResult(inv, tried, found, exercised=done, decision=decision.to_dict(),
                                           found_by="boundary", found_at=at_boundary[inv.name][0], **bounds))
        else:
            results.append(InvariantResult(inv, tried, exercised=done, **bounds))
    return results


def describe_failure(result: InvariantResult) -> str:
    """The counterexample as a message: the case as JSON, ready for ``eval``."""
    inv = result.invariant
    case = json.dumps(result.counterexample, ensure_ascii=False, sort_keys=True)
    decision = result.decision or {}
    grounds = ", ".join(f"{g['citation']['ref']} {g['effect']}" for g in decision.get("grounds", [])) or "none"
    summary = (f"status {decision.get('status')}, eligibility {decision.get('eligibility', {}).get('result')}, "
               f"recusal {decision.get('recusal', {}).get('result')}, grounds: {grounds}")
    findings = decision.get("findings") or []
    if findings:  # only a policy with conclusions has any: the others' messages stay as they were
        summary += ", findings: " + ", ".join(
            f["code"] + (f"[{f['item']}]" if f["item"] is not None else "")
            + f" = {json.dumps(f['value'], ensure_ascii=False)}" for f in findings)
    when = (f"at boundary case {result.found_at} of {result.boundary_cases} ({result.boundaries} boundaries; "
            f"none of {result.examples} drawn examples violates it)"
            if result.found_by == "boundary" else f"after {result.examples} examples")
    return (f"invariant `{inv.name}` ({inv.cite_text}) is violated {when}"
            + (f": {inv.text}" if inv.text else "") + f"\n  counterexample: {case}\n  decision: {summary}")


def invariant_report(policy, examples: int = DEFAULT_EXAMPLES, decides=None):
    """For ``check``: (one summary line per invariant, diagnostics for failures and unexercised ones).
    ``decides``: as ``check_invariants``'s; with it, the search is a further one over part of the
    cases (a family's composite), and an invariant it never exercised is said, not warned of."""
    lines, diagnostics, _ = invariant_check(policy, examples, decides)
    return lines, diagnostics


#: The codes of the diagnostics ``invariant_check`` makes.
DIAGNOSTIC_CODES = ("invariant", "invariant-unexercised", "invariant-unproved")


def invariant_check(policy, examples: int = DEFAULT_EXAMPLES, decides=None):
    """``invariant_report``'s lines and diagnostics, and each invariant's ``(InvariantResult, its
    diagnostic or None)`` — what ``check --format json`` lists, one entry per invariant."""
    from supervisor_rules.errors import Diagnostic

    lines, diagnostics, pairs = [], [], []
    for result in check_invariants(policy, examples, decides):
        inv = result.invariant
        span = inv.span
        searched = f"{result.examples} examples and {result.boundary_cases} boundary cases"
        covered = f"{result.covered} of {result.boundaries} boundaries covered"
        diagnostic = None
        if not result.holds:
            diagnostic = Diagnostic(span.source, span.line, span.column, describe_failure(result), "error",
                                    None, len(inv.name), "invariant")
            lines.append(f"invariant {inv.name} ({inv.cite_text}): VIOLATED (see above)")
        elif result.exercised == 0 and decides is not None:
            lines.append(f"invariant {inv.name} ({inv.cite_text}): not exercised by the {result.examples} of "
                         f"{examples} examples this policy decides")
        elif result.exercised == 0:
            diagnostic = Diagnostic(
                span.source, span.line, span.column,
                f"invariant `{inv.name}` was never exercised in {searched}: no case reached its "
                f"`when`, so it proves nothing (raise --examples or widen the premise)", "warning", None,
                len(inv.name), "invariant-unexercised")
            lines.append(f"invariant {inv.name} ({inv.cite_text}): never exercised in {searched} ({covered})")
        else:
            lines.append(f"invariant {inv.name} ({inv.cite_text}): holds in {searched} "
                         f"({covered}; {result.exercised} exercised)")
        if diagnostic is not None:
            diagnostics.append(diagnostic)
        pairs.append((result, diagnostic))
    return lines, diagnostics, pairs


def result_entry(result: InvariantResult, budget: int, diagnostic=None, label: str | None = None) -> dict:
    """One invariant as ``check --format json`` lists it: a diagnostic's keys (``severity`` ``info`` where
    it holds) and ``invariant``: ``InvariantResult.to_dict``, with ``policy`` the version or composite."""
    inv = result.invariant
    if diagnostic is not None:
        entry = diagnostic.to_dict()
    else:
        entry = {"source": inv.span.source, "line": inv.span.line, "column": inv.span.column, "severity": "info",
                 "message": f"invariant `{inv.name}` holds in {result.examples} examples and "
                            f"{result.boundary_cases} boundary cases"}
    entry["code"] = diagnostic.code if diagnostic is not None else "invariant"
    entry["invariant"] = {**result.to_dict(budget), **({"policy": label} if label else {})}
    return entry
