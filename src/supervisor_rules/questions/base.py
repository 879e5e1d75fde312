"""What a decision question is: the rule kinds it takes and its part of each engine stage.

A question module (``eligibility``, ``term`` …) defines one ``Question``. The stages
call it without knowing its kinds: ``compiler.compile`` compiles each rule with its
``RuleKind.compile``, ``runtime.interpret`` calls ``Question.interpret``, and
``codegen.generate`` calls ``Question.generate``. A question module imports
neither the compiler, nor the runtime, nor the code generator (they import the
registry): each stage hands it the machinery it shares — the compiler, the
evaluation under way (``runtime.Evaluation``), the generator (``codegen``'s
emitter) — as the first argument.
"""

from __future__ import annotations

from typing import Callable, Mapping

import attrs


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
    """One decision question, in the registry in evaluation order (``engine.questions.QUESTIONS``).

    ``interpret(policy, evaluation)`` answers it in the closure interpreter, setting
    ``evaluation.decided[field]`` for each field it ``decides``; ``generate(generator)`` writes its
    part of the generated function, leaving each of those fields in a local variable of that name;
    ``sites(policy, site)`` makes the trace sites that are not one rule's own, by name; ``namespace``
    holds the names its generated code calls."""

    name: str
    decides: tuple[str, ...]  # Decision fields it answers, in Decision's order
    kinds: tuple[RuleKind, ...]
    interpret: Callable = attrs.field(eq=False, repr=False)
    generate: Callable = attrs.field(eq=False, repr=False)
    sites: Callable = attrs.field(default=_no_sites, eq=False, repr=False)
    namespace: Mapping = attrs.field(factory=dict, eq=False, repr=False)


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
