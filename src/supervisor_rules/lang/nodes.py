"""The typed AST of a rule file: frozen ``attrs`` classes that carry their source span.

Each class declares its fields; ``children`` of a node are its attrs fields, so
walkers (checker, compiler, formatter) need no per-class plumbing.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from fractions import Fraction
from typing import Any, Union

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


def span_field():
    """The ``span`` field every node declares last. Spans never take part in equality: two ASTs are
    equal if they mean the same."""
    return attrs.field(default=NO_SPAN, eq=False, repr=False, kw_only=True)


_span_field = span_field


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
    """A constant: a bool, a number (an ``int``, or a ``Fraction`` for one written with decimals:
    ``89.5`` is exactly 179/2), a text or a date."""

    value: Union[bool, int, Fraction, str, dt.date]
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
class LastDay:
    """The last day of the current term, as the decision's ``term.last_day`` (``last day`` / ``聘期届满日``)."""

    span: Span = _span_field()


@attrs.frozen
class DismissalDay:
    """The day of dismissal (``dismissal day`` / ``解聘之日``): the recorded dismissal date if the case
    gives one on or before ``as_of``, else after a natural expiry the day after the term's last day."""

    span: Span = _span_field()


@attrs.frozen
class DateAfter:
    """``base after N unit``: a date counted like a deadline (working days on the PRC calendar)."""

    base: "Expr"
    amount: int
    unit: str
    span: Span = _span_field()


@attrs.frozen
class DateBefore:
    """``base before N unit`` (``base 前 N unit``): the date counted back, by Civil Code arts. 201-202
    (the corresponding day; the month's last day where it has none), or N working days back."""

    base: "Expr"
    amount: int
    unit: str
    span: Span = _span_field()


@attrs.frozen
class Deadline:
    """``due(base after N unit)`` / ``期限(base 后 N unit)``: the last day of the period, as a duty's
    deadline has it: Civil Code art. 203 moves a last day that is not a working day to the next one
    (N working days end on the N-th working day)."""

    base: "Expr"
    amount: int
    unit: str
    span: Span = _span_field()


@attrs.frozen
class TermNumber:
    """``term number(DATE)`` / ``所在聘期(DATE)``: which term of the appointment a date falls in (1 the
    first, 2 the first renewed one …; 0 in none), as the term question decides it."""

    on: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Arith:
    """``left op right`` on numbers: ``op`` is one of ``+ - * /`` (``×`` and ``÷`` are read as ``*`` and ``/``)."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Neg:
    """``-operand``: unary minus."""

    operand: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Extreme:
    """``min(a, b, …)`` / ``max(a, b, …)`` (``较小值`` / ``较大值``): ``op`` is ``"min"`` or ``"max"``."""

    op: str
    operands: tuple["Expr", ...]
    span: Span = _span_field()


@attrs.frozen
class Age:
    """``age(BIRTH, ON)`` / ``周岁(BIRTH, ON)``: the age in 周岁 on a day, as the policy's header counts it."""

    birth: "Expr"
    on: "Expr"
    span: Span = _span_field()


@attrs.frozen
class YearOf:
    """``year_of(DATE)`` / ``年份(DATE)``: the calendar year of a date, as a number."""

    operand: "Expr"
    span: Span = _span_field()


@attrs.frozen
class Count:
    """``count of LIST`` / ``计数 LIST``: how many entries a list fact holds."""

    source: Path
    span: Span = _span_field()


@attrs.frozen
class Quantifier:
    """``KIND VAR in LIST where CONDITION``: ``kind`` is ``any``, ``all``, ``no`` (true/false) or ``count``
    (a number); inside ``condition``, ``VAR.field`` reads one record of the list."""

    kind: str
    var: str
    source: Path
    condition: "Expr"
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
class AlsoCiting:
    """``also citing REF, …`` / ``并依据 REF, …``: provisions a rule's decision cites beside its own."""

    refs: tuple[ArticleRef, ...]
    span: Span = _span_field()


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
             Expired, Dismissed, AsOf, LastDay, DismissalDay, DateAfter, DateBefore, Arith, Neg, Extreme, Age, Count, Quantifier,
             Violates, Satisfies, Deadline, TermNumber, YearOf, "Defined"]


# ------------------------------------------------------------------ rules
# Each rule kind's node class lives in the question module that decides it (``supervisor_rules/questions``):
# a provision's ``rules`` hold those nodes, and ``TextOnly``, which decides nothing.
@attrs.frozen
class TextOnly:
    """``text only`` / ``仅文本``: the provision is informative and carries no rule."""

    span: Span = _span_field()


# ------------------------------------------------------------------ provisions
@attrs.frozen
class SubItem:
    number: int
    text: str | None
    rules: tuple[object, ...] = ()
    span: Span = _span_field()


@attrs.frozen
class Item:
    number: int
    text: str | None
    rules: tuple[object, ...] = ()
    subitems: tuple[SubItem, ...] = ()
    span: Span = _span_field()


@attrs.frozen
class Paragraph:
    number: int
    text: str | None
    rules: tuple[object, ...] = ()
    items: tuple[Item, ...] = ()
    span: Span = _span_field()


@attrs.frozen
class Article:
    number: int
    text: str | None
    rules: tuple[object, ...] = ()
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
class NumberType:
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
    element: Union[BoolType, DateType, TextType, NumberType, NamedType, InlineEnum]
    span: Span = _span_field()


TypeExpr = Union[BoolType, DateType, TextType, NumberType, NamedType, InlineEnum, ListType]

#: The default ``= unknown`` (``= 未知``): a record field that may be left out, and is then unknown.
UNKNOWN_DEFAULT = "unknown"


@attrs.frozen
class FieldDecl:
    name: str
    type: TypeExpr
    # None: open-world (absent means unknown); UNKNOWN_DEFAULT: a record field that may be left out
    default: Union[bool, tuple, str, None] = None
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
    age: str | None = None  # how `age(…)` counts 周岁: "birthday" | "day_after" (dates/ages.py)
    repealed: dt.date | None = None  # the first day the policy is no longer in force (废止之日)
    valid_until: dt.date | None = None  # the last day of its period of validity (有效期至), inclusive
    # Where each field was given (``(key, span)``), for the checker's messages; not part of the meaning.
    fields_at: tuple[tuple[str, Span], ...] = attrs.field(default=(), eq=False, repr=False, kw_only=True)
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
class Definition:
    """``define NAME "label" = EXPR`` / ``定义 NAME "标签" 为 EXPR``: an expression named once, used by its
    name (a bare ``Name``) in any rule, invariant or other definition."""

    name: str
    label: str
    expr: Expr
    # Where the name is written, for the checker's messages; not part of the meaning.
    name_span: Span = attrs.field(default=NO_SPAN, eq=False, repr=False, kw_only=True)
    span: Span = _span_field()


@attrs.frozen
class Defined:
    """A use of a definition, with its expression written in place (the checker puts it where the rules
    name it, so every backend evaluates the same expression; ``name`` and ``label`` are for the tools)."""

    name: str
    label: str
    expr: Expr
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
    definitions: tuple[Definition, ...] = ()


#: The expressions that read a derived value rather than a fact → the value's name (the checker's phases,
#: ``questions.needed``): ``satisfies``/``violates`` read provisions, the rest what a question decided.
PREDICATES: dict[type, str] = {Satisfies: "satisfies", Violates: "violates", Expired: "expired",
                               Dismissed: "dismissed", AsOf: "as_of", LastDay: "last_day",
                               DismissalDay: "dismissal_day", TermNumber: "term_number"}


def walk(node):
    """Every attrs node below ``node`` (itself included), depth first, iteratively."""
    stack = [node]
    pop, extend = stack.pop, stack.extend
    shapes = _SHAPES
    while stack:
        current = pop()
        shape = shapes.get(type(current))
        if shape is None:
            shape = _shape(type(current))
        if shape is _SEQUENCE:
            extend(reversed(current))
        elif shape is not _LEAF:
            yield current
            if shape is not _NO_CHILDREN:
                extend(shape(current))


def contains(node, types) -> bool:
    """Whether ``node`` or a node below it is an instance of ``types`` (stops at the first)."""
    return any(isinstance(x, types) for x in walk(node))


#: A class's shape for ``walk``: a getter of its child fields (last first, as a tuple), or one of these.
_SEQUENCE, _LEAF, _NO_CHILDREN = object(), object(), object()
_SHAPES: dict[type, Any] = {}


def _shape(cls: type) -> Any:
    names = _child_fields(cls)
    shape: Any
    if issubclass(cls, (tuple, list)):
        shape = _SEQUENCE
    elif names is None:
        shape = _LEAF
    elif not names:
        shape = _NO_CHILDREN
    elif len(names) == 1:
        name = names[0]
        shape = lambda node: (getattr(node, name),)  # noqa: E731 (attrgetter of one name gives no tuple)
    else:
        shape = operator.attrgetter(*names)
    _SHAPES[cls] = shape
    return shape


@functools.cache
def _child_fields(cls: type) -> tuple[str, ...] | None:
    """The fields of a node class that may hold nodes, last first (for ``walk``'s stack); None for non-nodes."""
    if not attrs.has(cls):
        return None
    return tuple(reversed([f.name for f in attrs.fields(cls) if f.name != "span"]))
