"""The typed AST of a rule file: frozen ``attrs`` classes that carry their source span.

Each class declares its fields; ``children`` of a node are its attrs fields, so
walkers (checker, compiler, formatter) need no per-class plumbing.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Union

import attrs

from supervisor_rules.lang import refs


@attrs.frozen
class Span:
    """Where a node stands: 1-based line and column of its first and last character."""

    source: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __repr__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


NO_SPAN = Span("<builtin>", 0, 0, 0, 0)


def _span_field():
    # Spans never take part in equality: two ASTs are equal if they mean the same.
    return attrs.field(default=NO_SPAN, eq=False, repr=False, kw_only=True)


# ------------------------------------------------------------------ expressions
@attrs.frozen
class Path:
    parts: tuple[str, ...]
    span: Span = _span_field()

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@attrs.frozen
class Name:
    """A bare name: an enum value, or a section (``SECTION is known``), resolved by the checker."""

    name: str
    span: Span = _span_field()


@attrs.frozen
class Literal:
    value: Union[bool, int, str, dt.date]
    span: Span = _span_field()


@attrs.frozen
class And:
    operands: tuple["Expr", ...]
    span: Span = _span_field()


@attrs.frozen
class Or:
    operands: tuple["Expr", ...]
    span: Span = _span_field()


@attrs.frozen
class Not:
    operand: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Compare:
    op: str  # one of = != < <= > >=
    left: "Expr"
    right: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Member:
    operand: "Expr"
    values: tuple[Name, ...]
    negated: bool = False
    span: Span = _span_field()


@attrs.frozen
class Has:
    operand: "Expr"
    value: Name
    span: Span = _span_field()


@attrs.frozen
class HasAny:
    operand: "Expr"
    values: tuple[Name, ...]
    span: Span = _span_field()


@attrs.frozen
class IsKnown:
    operand: "Expr"
    negated: bool = False
    span: Span = _span_field()


@attrs.frozen
class IsEmpty:
    operand: "Expr"
    negated: bool = False
    span: Span = _span_field()


@attrs.frozen
class Expired:
    """The term has ended without a valid renewal reaching the decision date."""

    span: Span = _span_field()


@attrs.frozen
class Dismissed:
    """The decision's status is ``dismissed``."""

    span: Span = _span_field()


@attrs.frozen
class AsOf:
    """The decision date (``as_of`` / ``基准日``)."""

    span: Span = _span_field()


@attrs.frozen
class DateAfter:
    """``base after N unit``: a date counted like a deadline (working days on the PRC calendar)."""

    base: Path
    amount: int
    unit: str
    span: Span = _span_field()


@attrs.frozen
class ArticleRef:
    """A reference to a provision: an article, a paragraph (款), an item of a paragraph, a sub-item, or
    a range of items of one paragraph (``item`` to ``last``). ``paragraph`` is as written: None when
    the reference names none, so an item is then the first paragraph's (see ``lang/refs.py``)."""

    article: int
    item: int | None = None
    chapter: int | None = None
    paragraph: int | None = None
    sub: int | None = None
    last: int | None = None
    span: Span = _span_field()

    def covers(self, where, item: int | None = None, paragraph: int | None = None, sub: int | None = None) -> bool:
        """Whether a provision falls under this reference. ``where`` is the provision (or its citation:
        anything with ``article``, ``paragraph``, ``item`` and ``sub``; a paragraph of None is the first),
        or its article number with the other parts given one by one. Its chapter only places the article."""
        if not isinstance(where, int):
            where, item, paragraph, sub = where.article, where.item, where.paragraph, where.sub
        if where != self.article:
            return False
        wanted = self.paragraph if self.paragraph is not None else 1 if self.item is not None else None
        if wanted is not None and (1 if paragraph is None else paragraph) != wanted:
            return False
        if self.item is not None:
            last = self.item if self.last is None else self.last
            if item is None or not self.item <= item <= last:
                return False
            if self.sub is not None and sub != self.sub:
                return False
        return True

    @property
    def key(self) -> tuple:
        """What the reference names, as a value (chapter included, span left out)."""
        return (self.chapter, self.article, self.paragraph, self.item, self.last, self.sub)

    @property
    def ref(self) -> str:
        """The compact form (``12p2(1)``, ``10(1)-(3)``; ``9p1`` for a first paragraph named as such)."""
        return refs.compact(self.article, self.paragraph, self.item, self.sub, self.last)

    @property
    def cite(self) -> str:
        """The Chinese citation, as written in a decision (``第十二条第二款第（一）项``; no chapter)."""
        return refs.cite(self.article, self.paragraph, self.item, self.sub, self.last)

    @property
    def english(self) -> str:
        """The reference in the English keywords (``chapter 2 article 12 paragraph 2 (1)``)."""
        marker = refs.Marker(self.article, self.paragraph, self.item, self.last, self.sub)
        return (f"chapter {self.chapter} " if self.chapter is not None else "") + refs.render(marker, "en")


@attrs.frozen
class Violates:
    """Some violation prohibited under the referenced provision was recorded."""

    ref: ArticleRef
    span: Span = _span_field()


@attrs.frozen
class Satisfies:
    """Every requirement under the referenced provision holds."""

    ref: ArticleRef
    span: Span = _span_field()


Expr = Union[Path, Name, Literal, And, Or, Not, Compare, Member, Has, HasAny, IsKnown, IsEmpty,
             Expired, Dismissed, AsOf, DateAfter, Violates, Satisfies]


# ------------------------------------------------------------------ rules
@attrs.frozen
class Require:
    condition: Expr
    guard: Expr | None = None
    span: Span = _span_field()


@attrs.frozen
class Prefer:
    condition: Expr
    guard: Expr | None = None
    span: Span = _span_field()


@attrs.frozen
class Term:
    amount: int
    unit: str  # "years" | "months" (the checker rejects others)
    start: Path
    span: Span = _span_field()


@attrs.frozen
class Renewal:
    var: str
    source: Path
    dated: Path
    condition: Expr
    span: Span = _span_field()


@attrs.frozen
class Ground:
    effect: str  # "automatic" | "mandatory" | "discretionary"
    condition: Expr
    span: Span = _span_field()


@attrs.frozen
class DismissalRecord:
    path: Path
    span: Span = _span_field()


@attrs.frozen
class Recusal:
    kind: str  # "required" | "request"
    decided_by: str  # "supervisor" | "department"
    condition: Expr
    span: Span = _span_field()


@attrs.frozen
class Prohibit:
    path: Path
    values: tuple[Name, ...]
    span: Span = _span_field()


@attrs.frozen
class Due:
    amount: int
    unit: str  # "working_days" | "days" | "months" | "years"
    base: Path
    span: Span = _span_field()


@attrs.frozen
class Duty:
    code: str
    when: Expr | None = None
    due: Due | None = None
    done_on: Path | None = None
    met: Expr | None = None
    breached: Expr | None = None
    span: Span = _span_field()


@attrs.frozen
class ReportScope:
    condition: Expr
    span: Span = _span_field()


@attrs.frozen
class ReportCategory:
    condition: Expr
    span: Span = _span_field()


@attrs.frozen
class Reward:
    condition: Expr
    rules: str
    span: Span = _span_field()


@attrs.frozen
class Notice:
    message: str
    condition: Expr
    span: Span = _span_field()


@attrs.frozen
class TextOnly:
    span: Span = _span_field()


Rule = Union[Require, Prefer, Term, Renewal, Ground, DismissalRecord, Recusal, Prohibit, Duty,
             ReportScope, ReportCategory, Reward, Notice, TextOnly]


# ------------------------------------------------------------------ provisions
@attrs.frozen
class SubItem:
    number: int
    text: str | None
    rules: tuple[Rule, ...] = ()
    span: Span = _span_field()


@attrs.frozen
class Item:
    number: int
    text: str | None
    rules: tuple[Rule, ...] = ()
    subitems: tuple[SubItem, ...] = ()
    span: Span = _span_field()


@attrs.frozen
class Paragraph:
    number: int
    text: str | None
    rules: tuple[Rule, ...] = ()
    items: tuple[Item, ...] = ()
    span: Span = _span_field()


@attrs.frozen
class Article:
    number: int
    text: str | None
    rules: tuple[Rule, ...] = ()
    items: tuple[Item, ...] = ()
    paragraphs: tuple[Paragraph, ...] = ()
    chapter: int | None = None
    span: Span = _span_field()


@attrs.frozen
class Chapter:
    number: int
    text: str | None
    span: Span = _span_field()


# ------------------------------------------------------------------ declarations
@attrs.frozen
class BoolType:
    span: Span = _span_field()


@attrs.frozen
class DateType:
    span: Span = _span_field()


@attrs.frozen
class TextType:
    span: Span = _span_field()


@attrs.frozen
class NamedType:
    name: str
    span: Span = _span_field()


@attrs.frozen
class EnumValue:
    name: str
    label: str | None = None
    span: Span = _span_field()


@attrs.frozen
class InlineEnum:
    values: tuple[EnumValue, ...]
    span: Span = _span_field()


@attrs.frozen
class ListType:
    element: Union[BoolType, DateType, TextType, NamedType, InlineEnum]
    span: Span = _span_field()


TypeExpr = Union[BoolType, DateType, TextType, NamedType, InlineEnum, ListType]


@attrs.frozen
class FieldDecl:
    name: str
    type: TypeExpr
    default: Union[bool, tuple, None] = None  # None: open-world (absent means unknown)
    label: str | None = None
    span: Span = _span_field()


@attrs.frozen
class EnumDecl:
    name: str
    label: str | None
    values: tuple[EnumValue, ...]
    span: Span = _span_field()


@attrs.frozen
class RecordDecl:
    name: str
    label: str | None
    fields: tuple[FieldDecl, ...]
    span: Span = _span_field()


@attrs.frozen
class FactsDecl:
    section: str
    label: str | None
    fields: tuple[FieldDecl, ...]
    span: Span = _span_field()


@attrs.frozen
class Import:
    path: str
    span: Span = _span_field()


@attrs.frozen
class Header:
    id: str
    title: str | None = None
    authority: str | None = None
    document: str | None = None
    effective: Union[dt.date, str, None] = None  # a date, or "on_issuance"
    status: str | None = None  # "trial" | "final"
    span: Span = _span_field()


@attrs.frozen
class Invariant:
    """A property every decision must have: ``when`` (default: always) implies ``then``."""

    name: str
    text: str | None
    cites: tuple[ArticleRef, ...]
    when: Expr | None
    then: Expr
    span: Span = _span_field()


@attrs.frozen
class Module:
    """One parsed rule file (a policy, or a vocabulary file it imports)."""

    source: str
    header: Header | None
    imports: tuple[Import, ...] = ()
    enums: tuple[EnumDecl, ...] = ()
    records: tuple[RecordDecl, ...] = ()
    facts: tuple[FactsDecl, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    articles: tuple[Article, ...] = ()
    invariants: tuple[Invariant, ...] = ()


def walk(node):
    """Every attrs node below ``node`` (itself included), depth first, iteratively."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (tuple, list)):
            stack.extend(reversed(current))
            continue
        names = _child_fields(type(current))
        if names is None:
            continue
        yield current
        stack.extend([getattr(current, name) for name in names])


@functools.cache
def _child_fields(cls: type) -> tuple[str, ...] | None:
    """The fields of a node class that may hold nodes, last first (for ``walk``'s stack); None for non-nodes."""
    if not attrs.has(cls):
        return None
    return tuple(reversed([f.name for f in attrs.fields(cls) if f.name != "span"]))
