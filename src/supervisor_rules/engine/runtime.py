"""Evaluation of a compiled policy for one validated case.

The order is fixed, and the checker guarantees each rule reads only what is
decided before it: the decision questions in registry order (``questions/``):
eligibility → term (renewals) → status (grounds) → violations → recusal →
obligations → report → notices. Three-valued throughout: ``None`` is unknown.
A pure function of (policy, facts, as_of, calendar). This module holds what the
questions share: the environment closures read (``Env``), the evaluation under
way (``Evaluation``) and the trace sites.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from supervisor_rules.contracts import case as case_module
from supervisor_rules.lang.checker import BOOL, DATE, TEXT, EnumT, ListT
from supervisor_rules import questions
from supervisor_rules.engine.compiler import CompiledPolicy, CRule, partly_missing
from supervisor_rules.contracts.decision import Decision, TraceSite, steps_of


class Env:
    """What closures read: the facts, the present sections, and derived values."""

    __slots__ = ("facts", "sections", "as_of", "var", "bound", "expired", "dismissed", "last_day", "dismissal_day",
                 "term_number", "cache", "calendar")

    def __init__(self, facts: dict, sections: frozenset, as_of: dt.date):
        self.facts = facts
        self.sections = sections
        self.as_of = as_of
        self.var: dict = {}
        self.bound: dict = {}  # quantifier variable → the record it stands for now
        self.expired = None
        self.dismissed = None
        self.last_day = None  # the term's last day, once the term is decided
        self.dismissal_day = None  # the day of dismissal, once the status is decided
        self.term_number = None  # day -> the number of the term it falls in, once the term is decided
        self.cache: dict = {}
        self.calendar = None  # a calendar source, for expressions that count working days


def env_after(policy: CompiledPolicy, decision: Decision, facts: dict, sections: frozenset) -> Env:
    """The environment for expressions read once ``decision`` is made (invariants, test coverage):
    ``expired``, ``dismissed``, ``last_day`` and ``dismissal_day`` as the decision (and the facts it was
    made from) show them (the questions that decide them say how: ``Question.after``)."""
    env = Env(facts, sections, decision.as_of)
    for name, value in derived_after(policy, decision, facts).items():
        setattr(env, name, value)
    return env


def derived_after(policy: CompiledPolicy, decision: Decision, facts: dict) -> dict:
    """Each derived value later expressions read (``expired``, ``last_day`` …) as ``decision`` shows it."""
    return {name: value_after(policy, decision, facts) for question in questions.QUESTIONS
            for name, value_after in question.after.items()}


def evaluate(policy: CompiledPolicy, facts: dict, sections: frozenset, as_of: dt.date, calendar_source,
             trace: list | None = None, only: tuple[str, ...] | None = None) -> Decision:
    """Decide one validated case: the policy's generated code (codegen.py), or for a policy the generator
    declines, the interpreter below. Both give the same decision. Given a ``trace`` list, the steps of
    the explanation (``Step`` objects) are appended to it. ``only``: just these Decision fields
    (``questions.only_fields``), the others None."""
    if only is not None:
        if trace is not None:
            records: list = []
            decision = interpret(policy, facts, sections, as_of, calendar_source, records, only)
            trace.extend(steps_of(records))
            return decision
        fast = only_path(policy, only)
        if fast is not None:
            decision = fast(facts, sections, as_of, calendar_source)
            decision.only = only
            return decision
        return interpret(policy, facts, sections, as_of, calendar_source, None, only)
    if trace is None:
        fast = policy.derived.get("fast", _UNBUILT)
        if fast is _UNBUILT:
            fast = fast_path(policy)
        if fast is not None:
            return fast(facts, sections, as_of, calendar_source)
        return interpret(policy, facts, sections, as_of, calendar_source)
    decision, records = evaluate_traced(policy, facts, sections, as_of, calendar_source)
    trace.extend(steps_of(records))
    return decision


def evaluate_traced(policy: CompiledPolicy, facts: dict, sections: frozenset, as_of: dt.date,
                    calendar_source) -> tuple[Decision, list]:
    """The decision and its trace, as records ``(site, outcome, *values)`` (``decision.TraceSite``):
    from the generated traced code where there is one, else from the interpreter. The same either way."""
    traced = policy.derived.get("traced", _UNBUILT)
    if traced is _UNBUILT:
        traced = traced_path(policy)
    records: list = []
    if traced is not None:
        return traced(facts, sections, as_of, calendar_source, records), records
    return interpret(policy, facts, sections, as_of, calendar_source, records), records


_UNBUILT = object()
_generate: Callable[..., Callable | None] | None = None


def use_generator(generate: Callable[..., Callable | None]) -> None:
    """Install ``generate(policy, traced=False, only=None, fused=False)`` → the policy's generated
    evaluator, or None where the
    interpreter must do (``codegen.generate``, which imports this module: so the policy layer installs
    it); until then every policy is interpreted."""
    global _generate
    _generate = generate


def fast_path(policy: CompiledPolicy):
    """The policy's generated evaluator, built on first use; None where the interpreter must do."""
    derived = policy.derived
    try:
        return derived["fast"]
    except KeyError:
        fast = derived["fast"] = _generate(policy) if _generate is not None else None
        return fast


def only_path(policy: CompiledPolicy, only: tuple[str, ...]):
    """The generated evaluator of just the questions ``only`` needs (one per set of fields asked, built on
    first use); None where the interpreter must do."""
    derived = policy.derived
    try:
        return derived["only", only]
    except KeyError:
        fast = derived["only", only] = _generate(policy, only=only) if _generate is not None else None
        return fast


def fused_path(policy: CompiledPolicy, only: tuple[str, ...] | None = None):
    """The generated evaluator that validates a raw case as it reads it and decides from what it read
    (``codegen.generate(fused=True)``), of every question or just those ``only`` needs; built on first use,
    one per set of fields asked (as ``only_path``). ``decide(case, as_of, calendar_source)`` returns
    ``(decision, sections present, as_of, values)`` for a plain valid case — ``fused_facts`` makes the
    facts of ``values`` — and None for anything else, which ``case.validate`` then reads. None where
    there is no such evaluator (the interpreter's policies)."""
    derived = policy.derived
    try:
        return derived["fused", only]
    except KeyError:
        fused = derived["fused", only] = _generate(policy, only=only, fused=True) if _generate is not None else None
        return fused


def fused_facts(policy: CompiledPolicy, values: tuple) -> dict:
    """The facts (as ``case.validate`` gives them) of the ``values`` a fused evaluator returned."""
    derived = policy.derived
    try:
        keys, defaults = derived["fact keys"]
    except KeyError:
        sections = policy.checked.sections
        keys, defaults = derived["fact keys"] = (case_module.fact_keys(sections),
                                                 case_module.closed_world_defaults(sections))
    return case_module.facts_of(keys, values, defaults)


def traced_path(policy: CompiledPolicy):
    """The generated evaluator that also records the trace (built on first use, apart from the plain
    one: evaluation without a trace pays nothing for it); None where the interpreter must do."""
    derived = policy.derived
    try:
        return derived["traced"]
    except KeyError:
        traced = derived["traced"] = _generate(policy, traced=True) if _generate is not None else None
        return traced


class Sites:
    """The trace sites of a policy (``decision.TraceSite``): one per rule, showing the facts it reads
    (``by_rule``), and those a question makes itself (``named``: the term's, the renewal's, the
    status's)."""

    def __init__(self, policy: CompiledPolicy):
        types = {f"{name}.{field}": info.type for name, section in policy.checked.sections.items()
                 for field, info in section.fields.items()}

        def site(rule: CRule, keys: tuple[str, ...], dated: str | None = None) -> TraceSite:
            """``dated``: a key no fact declares, that holds dates (a renewal record's own date)."""
            keys = tuple(dict.fromkeys(keys))  # as the step's dict would have them: each once
            kinds = [DATE if k == dated else types.get(k) for k in keys]
            memo = all(_plain(kind) for kind in kinds)
            lead = next((i for i, kind in enumerate(kinds) if kind != DATE), len(kinds))
            return TraceSite(rule.citation, rule.kind, keys, listed=rule.kind == "prohibit", memo=memo,
                             lead=lead)

        self.by_rule: dict[int, TraceSite] = {}
        self.named: dict[str, TraceSite] = {}
        for question in questions.QUESTIONS:
            for kind in question.kinds:
                if kind.own_site:
                    for rule in policy.rules_of(kind.field):
                        self.by_rule[id(rule)] = site(rule, rule.reads)
        for question in questions.QUESTIONS:
            self.named.update(question.sites(policy, site))

    def __getitem__(self, rule: CRule) -> TraceSite:
        return self.by_rule[id(rule)]

    def all(self) -> list[TraceSite]:
        """Every site."""
        return [*self.by_rule.values(), *self.named.values()]


def _plain(ftype) -> bool:
    """Whether equal values of a fact of this type always have equal JSON (and hash): booleans, dates,
    texts, enum values and lists of these; so the JSON writer may remember steps showing them."""
    if ftype in (BOOL, DATE, TEXT) or isinstance(ftype, EnumT):
        return True
    return isinstance(ftype, ListT) and _plain(ftype.element)


def trace_sites(policy: CompiledPolicy) -> Sites:
    """The policy's trace sites, made once (the generated code and the interpreter record the same)."""
    derived = policy.derived
    try:
        return derived["sites"]
    except KeyError:
        sites = derived["sites"] = Sites(policy)
        return sites


class Evaluation:
    """One evaluation under way, as the questions' ``interpret`` see it: the environment, what they
    have ``decided`` so far (Decision fields), the notices added so far, the missing facts and the
    trace (None when not traced)."""

    __slots__ = ("env", "facts", "sections", "as_of", "calendar_source", "decided", "notices", "missing",
                 "open_facts", "trace", "sites")

    def __init__(self, policy: CompiledPolicy, facts: dict, sections: frozenset, as_of: dt.date, calendar_source,
                 trace: list | None):
        self.env = Env(facts, sections, as_of)
        self.env.calendar = calendar_source
        self.facts, self.sections, self.as_of, self.calendar_source = facts, sections, as_of, calendar_source
        self.decided: dict = {}
        self.notices: list = []
        self.missing: set[str] = set()
        self.open_facts = policy.open_facts
        self.trace = trace
        self.sites = trace_sites(policy) if trace is not None else None

    def note(self, rule: CRule, outcome, site: TraceSite | None = None, values: tuple | None = None,
             advisory=False):
        """A rule's outcome: an unknown one (unless ``advisory``) adds the open facts it read that the case
        lacks to the missing facts (``unknown``); traced, a record of the step (``site``: by default the
        rule's own, showing ``values``: by default its facts). A question that knows only once all its
        rules are read whether an unknown one can still change its answer notes them ``advisory`` and
        calls ``unknown`` for those that can."""
        if outcome is None and not advisory:
            self.unknown(rule)
        trace = self.trace
        if trace is not None:
            site = site or self.sites[rule]
            if values is None:
                values = tuple([self.facts.get(k) for k in site.keys])
            trace.append((site, tuple(outcome) if site.listed else outcome, *values))
        return outcome

    def unknown(self, rule: CRule) -> None:
        """The rule's answer is unknown and can still change its question's: the open facts it read that
        the case lacks are missing (and the lists whose entries leave out a field it reads)."""
        facts = self.facts
        self.missing.update(k for k in rule.reads if k not in facts and k in self.open_facts)
        if rule.partial:
            self.missing.update(partly_missing(facts, rule.partial))


def interpret(policy: CompiledPolicy, facts: dict, sections: frozenset, as_of: dt.date, calendar_source,
              trace: list | None = None, only: tuple[str, ...] | None = None) -> Decision:
    """The reference evaluation, question by question over the compiled closures. Given a ``trace`` list,
    it appends a record ``(site, outcome, *values)`` per step (``decision.steps_of`` makes the Steps).
    ``only``: just the questions deciding these fields and what they read (``questions.needed``)."""
    ev = Evaluation(policy, facts, sections, as_of, calendar_source, trace)
    if only is None:
        for question in questions.QUESTIONS:
            question.interpret(policy, ev)
        return Decision(policy=policy.id, as_of=as_of, **ev.decided, missing_facts=tuple(sorted(ev.missing)))
    run = needed_questions(policy, only)
    for question in questions.QUESTIONS:
        if question.name in run:
            question.interpret(policy, ev)
    shown = {field: ev.decided[field] if field in only else None for field in questions.ONLY}
    return Decision(policy=policy.id, as_of=as_of, **shown, missing_facts=tuple(sorted(ev.missing)), only=only)


def needed_questions(policy: CompiledPolicy, only: tuple[str, ...]) -> frozenset[str]:
    """``questions.needed`` for the policy, once per set of fields asked."""
    try:
        return policy.derived["needed", only]
    except KeyError:
        run = policy.derived["needed", only] = questions.needed(policy.checked.provisions, only)
        return run
