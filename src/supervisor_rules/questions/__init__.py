"""The decision questions, one module each, registered in evaluation order.

Each module of this package (but ``base``) defines the node classes of its rule kinds and one
``QUESTION`` (``base.Question``), which owns those kinds in every stage: the parser's builders,
the checker's checks, the compilation into ``CRule``\\ s of a ``CompiledPolicy`` field, its part of
the closure interpreter, of the generated code and of the reference backend. The parser, the
checker, ``compiler.compile``, ``runtime.interpret``, ``codegen.generate`` and
``reference.evaluate`` iterate this registry and hand-list no kind.

The modules are found here, not listed: adding a rule kind is its grammar production and one
module. ``Question.order`` places each in the evaluation's order; the checker lets a rule read
only what a question before it decided (``RuleKind.may_read``: ``expired``, ``last day`` and
``term number(…)`` after the term, ``dismissed`` and ``dismissal day`` after the status; ``as_of``
everywhere).

A rule node of a kind no question takes raises ``UnregisteredRule``, and so does a ``_stmt``
alternative of the grammar no kind builds (the parser checks when it is built). ``NO_DECISION``
lists the kinds that deliberately decide nothing (``text only``).
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from typing import Callable

from supervisor_rules.lang import nodes as n
from supervisor_rules.questions.base import Question, RuleKind, UnregisteredRule

__all__ = ["NO_DECISION", "QUESTIONS", "RULE_NODES", "STATEMENTS", "SYNTAX", "Question", "RuleKind",
           "UnregisteredRule", "ONLY", "kind_of", "needed", "only_fields", "provider_of", "referenced",
           "rule_kinds"]


def _discover() -> tuple[Question, ...]:
    """Every module of this package but ``base`` defines ``QUESTION``; in ``order``."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        question = getattr(module, "QUESTION", None)
        if not isinstance(question, Question):
            raise UnregisteredRule(f"questions/{info.name}.py defines no QUESTION")
        found.append(question)
    orders = [q.order for q in found]
    if len(set(orders)) != len(orders):
        raise UnregisteredRule(f"two questions share an order: {sorted((q.order, q.name) for q in found)}")
    return tuple(sorted(found, key=lambda q: q.order))


#: In evaluation order: eligibility, term, status, violations, recusal, obligations, report, notices.
QUESTIONS: tuple[Question, ...] = _discover()

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

#: Every rule node class a provision's ``rules`` may hold.
RULE_NODES: frozenset[type] = frozenset(KINDS) | NO_DECISION


def _syntax() -> tuple[dict[str, type], dict[str, Callable]]:
    statements: dict[str, type] = {"text_only": n.TextOnly}
    syntax: dict[str, Callable] = {"text_only": lambda b, c: n.TextOnly(span=b.span(c))}
    for kind in KINDS.values():
        if kind.statement not in kind.syntax:
            raise UnregisteredRule(f"{kind.node.__name__}: its statement `{kind.statement}` has no builder")
        for rule, build in kind.syntax.items():
            if rule in syntax:
                raise UnregisteredRule(f"grammar rule `{rule}` is built by two kinds")
            syntax[rule] = build
        statements[kind.statement] = kind.node
    return statements, syntax


#: ``_stmt`` alternative of the grammar → the node class it makes; grammar rule → its builder.
STATEMENTS, SYNTAX = _syntax()


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


def referenced(predicate: str) -> RuleKind:
    """The kind a predicate over provisions refers to (``satisfies`` → requirements)."""
    for kind in KINDS.values():
        if kind.referenced_by == predicate:
            return kind
    raise UnregisteredRule(f"no rule kind is referred to by `{predicate}`")


def provider_of(predicate: str) -> RuleKind:
    """The kind whose rules decide a derived predicate (``expired`` → the term)."""
    for kind in KINDS.values():
        if predicate in kind.provides:
            return kind
    raise UnregisteredRule(f"no rule kind decides `{predicate}`")


# ------------------------------------------------------------------ `only=`
def _only_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for question in QUESTIONS:
        for field in question.decides:
            names[field] = question.name
    return names


#: The names ``Policy.evaluate(case, only=…)`` takes — the Decision fields the questions decide
#: (INTERFACE.md's nine, and ``findings``, the policy's own conclusions) → the question deciding each.
ONLY: dict[str, str] = _only_names()


def only_fields(only) -> tuple[str, ...]:
    """``only`` checked: the Decision fields asked for, in Decision's order. Raises ``ValueError`` naming the
    valid names for anything else (a bare string is refused too: ``only="status"`` would read as letters)."""
    if isinstance(only, (str, bytes)) or not hasattr(only, "__iter__"):
        raise ValueError(f"only must be a collection of question names ({', '.join(ONLY)}), "
                         f"not {type(only).__name__}")
    asked = list(only)
    unknown = [name for name in asked if not isinstance(name, str) or name not in ONLY]
    if unknown:
        shown = ", ".join(repr(name)[:40] for name in unknown[:5])
        close = [match for name in unknown[:5] if isinstance(name, str)
                 for match in difflib.get_close_matches(name[:64], ONLY, n=1)]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(f"unknown question name(s) for only: {shown}{hint}; the questions are {', '.join(ONLY)}")
    if not asked:
        raise ValueError(f"only names no question; the questions are {', '.join(ONLY)}")
    return tuple(field for field in ONLY if field in asked)


def needed(provisions, fields: tuple[str, ...]) -> frozenset[str]:
    """The questions an evaluation answering just ``fields`` must run: those deciding them, and what they
    read — the questions ``uses`` names, and those deciding a derived value (``expired``, ``dismissed``…,
    ``Question.after``) that one of their rules reads (``provisions``: the checked policy's)."""
    after = {predicate: question.name for question in QUESTIONS for predicate in question.after}
    by_name = {question.name: question for question in QUESTIONS}
    reads: dict[str, set[str]] = {question.name: set(question.uses) for question in QUESTIONS}
    for provision in provisions:
        for rule in provision.rules:
            kind = KINDS.get(type(rule))
            if kind is None:
                continue
            owner = next(q.name for q in QUESTIONS if kind in q.kinds)
            for node in n.walk(rule):
                predicate = n.PREDICATES.get(type(node))
                if predicate in after and after[predicate] != owner:
                    reads[owner].add(after[predicate])
    run: set[str] = set()
    todo = [ONLY[field] for field in fields]
    while todo:
        name = todo.pop()
        if name not in run:
            run.add(name)
            todo.extend(reads[name])
    return frozenset(name for name in by_name if name in run)
