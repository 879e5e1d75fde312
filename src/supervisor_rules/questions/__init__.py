"""The decision questions, one module each, registered in evaluation order.

Each question (``base.Question``) owns its rule kinds — which ``nodes`` classes it
takes and how they compile into ``CRule``\\ s of a ``CompiledPolicy`` field — its part
of the closure interpreter and its part of the generated code. ``compiler.compile``,
``runtime.interpret`` and ``codegen.generate`` iterate ``QUESTIONS`` and hand-list no
kind. The order is the evaluation's: the checker lets a rule read only what a
question before it decided (``expired`` after the term, ``dismissed`` after the status).

A rule node of a kind no question takes raises ``UnregisteredRule``; ``NO_DECISION``
lists the kinds that deliberately decide nothing (``text only``).
"""

from __future__ import annotations

from supervisor_rules.lang import nodes as n
from supervisor_rules.questions import (eligibility, notices, obligations, recusal, report, status, term,
                                        violations)
from supervisor_rules.questions.base import Question, RuleKind, UnregisteredRule

__all__ = ["NO_DECISION", "QUESTIONS", "Question", "RuleKind", "UnregisteredRule", "kind_of", "rule_kinds"]

#: In evaluation order.
QUESTIONS: tuple[Question, ...] = (
    eligibility.QUESTION,  # require, prefer
    term.QUESTION,  # term, renewal → expired
    status.QUESTION,  # ground, dismissal recorded → dismissed
    violations.QUESTION,  # prohibit
    recusal.QUESTION,  # recusal
    obligations.QUESTION,  # duty (may add notices)
    report.QUESTION,  # report scope, report category, reward
    notices.QUESTION,  # notice
)

#: Rule nodes that decide nothing: a provision marked as text only.
NO_DECISION: frozenset[type] = frozenset({n.TextOnly})


def _kinds(questions: tuple[Question, ...]) -> dict[type, RuleKind]:
    out: dict[type, RuleKind] = {}
    for question in questions:
        for kind in question.kinds:
            if kind.node in out or kind.node in NO_DECISION:
                raise UnregisteredRule(f"{kind.node.__name__} is registered twice")
            out[kind.node] = kind
    return out


KINDS: dict[type, RuleKind] = _kinds(QUESTIONS)


def rule_kinds() -> tuple[RuleKind, ...]:
    """Every registered rule kind, in registry order."""
    return tuple(KINDS.values())


def kind_of(rule) -> RuleKind | None:
    """The registered kind of a rule node; None for a node that decides nothing (``NO_DECISION``).
    Raises ``UnregisteredRule`` for any other node: every dispatch over rule kinds is exhaustive."""
    kind = KINDS.get(type(rule))
    if kind is None and type(rule) not in NO_DECISION:
        raise UnregisteredRule(
            f"internal error: no decision question takes {type(rule).__name__} rules; register its kind "
            f"with one question in supervisor_rules/questions/")
    return kind
