"""What a decision question is: the rule kinds it takes and its part of every stage.

A question module (``eligibility``, ``term`` …) defines its rule kinds' node classes and one
``Question``; every stage calls it without knowing its kinds:

- the parser builds its nodes with ``RuleKind.syntax`` (grammar rule → builder),
- the checker runs ``RuleKind.check`` on each of its rules,
- ``compiler.compile`` compiles each rule with ``RuleKind.compile``,
- ``runtime.interpret`` calls ``Question.interpret``, ``codegen.generate`` ``Question.generate``,
- ``reference.evaluate`` calls ``Question.reference`` (with ``RuleKind.ref_reads`` / ``ref_holds``).

A question module imports only ``lang/nodes``, ``contracts/``, ``dates/`` and this module:
each stage hands it the machinery it shares — the parser's build context, the checker, the
compiler, the evaluation under way (``runtime.Evaluation``), the generator (``codegen``'s
emitter), the reference's run — as the first argument. Its reference part is written apart
from its compiled and generated parts and shares nothing with them but ``dates/`` and the
decision types: the reference backend stays an independent reading of the rules.
"""

from __future__ import annotations

from typing import Callable, Mapping

import attrs

from supervisor_rules.lang import nodes as n


class UnregisteredRule(RuntimeError):
    """An internal error: a rule node of a kind no decision question takes (``questions/``)."""


@attrs.frozen
class RuleKind:
    """One kind of rule (one node class of ``nodes``) and how the compiler keeps it."""

    node: type  # the nodes class, e.g. nodes.Require
    kind: str  # CRule.kind, and the trace's name for the rule ("require")
    field: str  # the CompiledPolicy field that holds its compiled rules ("requirements")
    # (compiler, kind, rule node, citation, order) -> CRule
    compile: Callable = attrs.field(eq=False, repr=False)
    referenced: bool = False  # compiled before the others: `satisfies` / `violates` refer to these
    single: bool = False  # at most one in a policy: the field holds it, or None
    own_site: bool = True  # one trace site per rule, showing the facts it reads (else the question's `sites`)
    # What the tools read, so that a new kind is complete in its own module (keyword-only, no default:
    # a kind that leaves one out fails on import). ``words`` is the tools' ``Words`` (policytests.WORDS):
    # ``expr(e)``, ``rule(r)``, ``unit(u)``, ``reads(e)``, ``atoms(e)``, ``fact_words(condition, fact)``.
    #: how coverage names its two sides ("met", "unmet")
    sides: tuple[str, str] = attrs.field(kw_only=True)
    #: rule -> the boolean expressions whose atoms are its conditions (coverage)
    conditions: Callable = attrs.field(kw_only=True, eq=False, repr=False)
    #: (rule, words) -> the rule in words, e.g. ``term 2 years from appointment.start``
    describe: Callable = attrs.field(kw_only=True, eq=False, repr=False)
    #: (rule, words) -> [(area, role key, words)]: what the rule is in a diff, matched across policies by key
    roles: Callable = attrs.field(kw_only=True, eq=False, repr=False)
    #: rule -> whether it can be seen on its second side at all (a duty with no condition always arises)
    two_sided: Callable = attrs.field(kw_only=True, default=lambda rule: True, eq=False, repr=False)
    #: rule -> ((code, label), …): the rule file's own names of the codes the rule puts in a decision,
    #: which the Chinese text output shows for them (``Policy.text_labels``; a duty's label)
    labels: Callable | None = attrs.field(kw_only=True, default=None, eq=False, repr=False)
    # The front end (keyword-only, no default unless optional).
    #: the alternative of the grammar's ``_stmt`` that writes this kind (a key of ``syntax``)
    statement: str = attrs.field(kw_only=True)
    #: grammar rule -> ``build(b, children)`` for the statement and its own sub-rules; ``b`` is the
    #: parser's ``BuildContext`` (``span``, ``int``, ``name``, ``value``, ``error``, ``is_token``)
    syntax: Mapping[str, Callable] = attrs.field(kw_only=True, eq=False, repr=False)
    #: ``(checker, rule, provision, state)``: the checker's checks of one rule; ``state`` is a dict the
    #: kind keeps across the policy's rules (duplicates). ``checker.condition(e)`` checks a condition
    #: under ``may_read``.
    check: Callable = attrs.field(kw_only=True, eq=False, repr=False)
    #: the derived predicates its conditions may read — what is decided before it (no cycles)
    may_read: frozenset[str] = attrs.field(kw_only=True)
    #: the kind in the checker's words ("a requirement")
    words: str = attrs.field(kw_only=True)
    #: its statement's English words, named in messages ("term", "dismissal recorded")
    word: str = attrs.field(kw_only=True)
    #: the derived predicates it decides, which a policy without such a rule cannot read ("expired")
    provides: frozenset[str] = attrs.field(kw_only=True, default=frozenset())
    #: a kind a policy must also have when it has this one (a renewal needs a term)
    needs: type | None = attrs.field(kw_only=True, default=None)
    #: the predicate that refers to rules of this kind under a provision ("satisfies", "violates"),
    #: and what the checker says of a provision with none
    referenced_by: str | None = attrs.field(kw_only=True, default=None)
    none_referenced: str = attrs.field(kw_only=True, default="")
    #: ``(checker, rules)`` -> the element type of the decision fields that list this kind's values
    #: (``checker.DECISION_FIELDS`` marks them with ``kind``), for invariants
    decision_values: Callable | None = attrs.field(kw_only=True, default=None, eq=False, repr=False)
    #: ``(rule, provisions)`` -> ``(name, list path)``: the record a rule's conditions read by a name it
    #: does not give itself (a further renewal condition reads the renewal's); see ``record_scope``
    scope: Callable | None = attrs.field(kw_only=True, default=None, eq=False, repr=False)
    # The reference backend.
    #: ``(policy, rule)``: set the reference rule's ``reads`` (facts, reading order) and ``sections``
    ref_reads: Callable = attrs.field(kw_only=True, eq=False, repr=False)
    #: ``(run, rule)`` -> the rule's value where a predicate (``referenced_by``) refers to it
    ref_holds: Callable | None = attrs.field(kw_only=True, default=None, eq=False, repr=False)


def record_scope(kind: RuleKind, rule, provisions) -> tuple | None:
    """``(name, list path)`` of the record a rule's conditions read by name: its kind's ``scope``, or the
    rule's own ``var`` and ``source`` (a renewal, a per-entry conclusion); None if it reads none."""
    if kind.scope is not None:
        return kind.scope(rule, provisions)
    var, source = getattr(rule, "var", None), getattr(rule, "source", None)
    return (var, source) if var is not None and source is not None else None


def condition_only(rule) -> tuple:
    """``conditions`` for a rule that has one ``condition``."""
    return (rule.condition,)


def guard_words(rule, words) -> str:
    """`` when …`` for a rule's optional ``guard``."""
    return f" when {words.expr(rule.guard)}" if rule.guard is not None else ""


def reads_key(rule, words) -> tuple:
    """A role key from the facts a rule's condition reads, in order."""
    return tuple(sorted(words.reads(rule.condition)))


def _no_sites(policy, site) -> dict:
    return {}


@attrs.frozen
class Question:
    """One decision question, in the registry in evaluation order (``questions.QUESTIONS``).

    ``interpret(policy, evaluation)`` answers it in the closure interpreter, setting
    ``evaluation.decided[field]`` for each field it ``decides``; ``generate(generator)`` writes its
    part of the generated function, leaving each of those fields in a local variable of that name;
    ``sites(policy, site)`` makes the trace sites that are not one rule's own, by name; ``namespace``
    holds the names its generated code calls. ``reference(run)`` answers it in the reference backend,
    setting ``run.decided[field]`` likewise. ``order`` places it in the registry: the evaluation's order."""

    name: str
    decides: tuple[str, ...]  # Decision fields it answers, in Decision's order
    kinds: tuple[RuleKind, ...]
    interpret: Callable = attrs.field(eq=False, repr=False)
    generate: Callable = attrs.field(eq=False, repr=False)
    sites: Callable = attrs.field(default=_no_sites, eq=False, repr=False)
    namespace: Mapping = attrs.field(factory=dict, eq=False, repr=False)
    reference: Callable = attrs.field(kw_only=True, eq=False, repr=False)
    order: int = attrs.field(kw_only=True)
    #: derived predicate -> ``(compiled policy, decision, facts) -> value``: what later expressions read of it once a decision
    #: is made (invariants, coverage: ``expired`` and ``last_day`` from the term, ``dismissed`` and
    #: ``dismissal_day`` from the status)
    after: Mapping[str, Callable] = attrs.field(kw_only=True, factory=dict, eq=False, repr=False)
    #: questions whose answer this one reads whatever the rules say (the status reads the term's end;
    #: the notices gather those the duties' deadlines add); what rules read is found in the rules
    #: (``questions.needed``)
    uses: tuple[str, ...] = attrs.field(kw_only=True, default=())


def kleene_and(values) -> bool | None:
    """Kleene's conjunction of three-valued ``values`` (an iterable, read lazily): False if any is
    False (the rest unread), else None if any is None, else True. The one ``and`` of the engine:
    the compiler's closures, ``satisfies`` and the interpreter's questions all use it."""
    result: bool | None = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def kleene_or(values) -> bool | None:
    """Kleene's disjunction: True if any is True (the rest unread), else None if any is None, else False."""
    result: bool | None = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def inapplicable(rule, sections: frozenset) -> bool:
    """A rule whose condition reads only sections the case does not have asks nothing of it."""
    return bool(rule.sections) and not (rule.sections & sections)


# ------------------------------------------------------------------ shared by the kinds' front-end and reference parts
def check_condition(chk, rule, provision, state) -> None:
    """``check`` for a rule whose one ``condition`` decides it: a condition, and one that can hold."""
    chk.condition(rule.condition)
    chk.reachable(rule.condition, rule)


def check_also(chk, rule) -> None:
    """``also citing REF, …``: every provision named exists (an error at the reference otherwise)."""
    for ref in rule.also:
        chk.resolve_ref(ref)


def also_refs(children) -> tuple:
    """The references of an ``also citing`` clause among a statement's children, or ()."""
    return next((x.refs for x in children if isinstance(x, n.AlsoCiting)), ())


def also_words(rule) -> str:
    """`` also citing article 10 paragraph 2`` for a rule's ``also``."""
    return (" also citing " + ", ".join(ref.english for ref in rule.also)) if rule.also else ""


def with_also(citations: list, also) -> None:
    """Append the citations ``also`` that ``citations`` does not hold yet (a rule's further citations)."""
    for citation in also:
        if citation not in citations:
            citations.append(citation)


def ref_reads_condition(policy, rule) -> None:
    """``ref_reads`` for a rule that reads its ``condition`` and asks of those facts' sections."""
    rule.reads = policy.reads(rule.node.condition)
    rule.sections = policy.sections_of(rule.reads)


def build_condition_last(cls):
    """A builder for a statement whose last child is its condition (``report scope when X``)."""
    return lambda b, c: cls(c[-1], span=b.span(c))
