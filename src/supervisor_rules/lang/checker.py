"""Static checks over a parsed policy and the vocabulary files it imports.

Produces a ``Checked`` model (symbol tables, provisions with citations) for the
compiler, and every problem as a positioned ``Diagnostic``: names and types,
numbering of articles and items, references to provisions, which predicates a
rule may use (so evaluation has no cycles), and rules that can never fire.
"""

from __future__ import annotations

import datetime as dt
import difflib
from fractions import Fraction
from typing import Iterable, TypeGuard

import attrs

from supervisor_rules import questions
from supervisor_rules.lang import collector
from supervisor_rules.lang import nodes as n
from supervisor_rules.errors import Diagnostic
from supervisor_rules.lang import refs


# ------------------------------------------------------------------ semantic types
@attrs.frozen
class Scalar:
    name: str  # "bool" | "date" | "text" | "number"

    def __str__(self) -> str:
        return self.name


BOOL, DATE, TEXT, NUMBER = Scalar("bool"), Scalar("date"), Scalar("text"), Scalar("number")
#: Whole numbers are numbers: one numeric type (a count, an age, a score, an amount), exact at run time.
INT = NUMBER


@attrs.frozen
class EnumT:
    name: str
    values: tuple[str, ...]
    labels: tuple[str | None, ...] = ()

    def __str__(self) -> str:
        return f"enum {self.name}"


@attrs.frozen
class ListT:
    element: object

    def __str__(self) -> str:
        return f"list of {self.element}"


@attrs.frozen
class FieldInfo:
    name: str
    type: object
    default: object  # None: open-world (absent = unknown); else the closed-world default
    label: str | None
    span: n.Span = attrs.field(eq=False)
    optional: bool = False  # `= unknown`: a record field that may be left out (then unknown)

    @property
    def closed(self) -> bool:
        return self.default is not None


@attrs.frozen
class RecordT:
    name: str
    fields: dict[str, FieldInfo] = attrs.field(eq=False)

    def __str__(self) -> str:
        return f"record {self.name}"


@attrs.frozen
class Section:
    name: str
    label: str | None
    fields: dict[str, FieldInfo] = attrs.field(eq=False)
    span: n.Span = attrs.field(eq=False)


SECTION = Scalar("section")


@attrs.frozen
class Provision:
    """One article, paragraph, item or sub-item, with the rules written directly under it."""

    article: int
    paragraph: int | None
    item: int | None
    sub: int | None
    chapter: int | None
    text: str | None
    rules: tuple
    span: n.Span = attrs.field(eq=False)

    @property
    def ref(self) -> str:
        """Compact and unique (DECISION.md, "Citations"): ``9``, ``11p2``, ``12p2(1)``, ``8(1).3``; the
        first paragraph has no ``p``."""
        return refs.compact(self.article, self.paragraph, self.item, self.sub)

    @property
    def cite(self) -> str:
        return refs.cite(self.article, self.paragraph, self.item, self.sub)

    def within(self, ref: n.ArticleRef) -> bool:
        return ref.covers(self)


@attrs.frozen
class Checked:
    header: n.Header | None
    sections: dict[str, Section]
    enums: dict[str, EnumT]
    provisions: tuple[Provision, ...]
    articles: tuple[n.Article, ...]
    chapters: tuple[n.Chapter, ...]
    diagnostics: tuple[Diagnostic, ...]
    invariants: tuple[n.Invariant, ...] = ()
    decision_types: dict = attrs.field(factory=dict, eq=False)
    #: the definitions (``define``), by name; their uses in ``provisions`` and ``invariants`` are
    #: ``nodes.Defined`` with the expression written in place
    definitions: dict = attrs.field(factory=dict, eq=False)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")


# ------------------------------------------------------------------ decision vocabulary
#: The decision as invariants see it: ``decision.FIELD`` (Chinese ``结论.字段``).
#: Longest name a "did you mean" is looked for.
MAX_SUGGESTED = 64

DECISION_HEADS = ("decision", "结论")
_STATUS = EnumT("status", ("not_appointed", "active", "dismissed", "unknown"))
_ELIGIBILITY = EnumT("eligibility", ("eligible", "ineligible", "unknown", "not_applicable"))
_RECUSAL = EnumT("recusal", ("required", "request", "not_required", "not_applicable", "unknown"))
_ACTOR = EnumT("decided_by", ("supervisor", "department"))
_EFFECTS = EnumT("effect", ("automatic", "mandatory", "discretionary"))
_REPORT = EnumT("report", ("in_scope", "out_of_scope", "not_applicable", "unknown"))
#: field → (Chinese alias, type; None for a scalar, or the ``RuleKind.kind`` whose ``decision_values`` lists it:
#: the policy's duty codes, its prohibited values)
DECISION_FIELDS = {
    "status": ("状态", _STATUS), "eligibility": ("资格", _ELIGIBILITY), "preferred": ("优先考虑", None),
    "recusal": ("回避结果", _RECUSAL), "decided_by": ("决定者", _ACTOR), "grounds": ("事由", ListT(_EFFECTS)),
    "obligations": ("义务", "duty"), "owed": ("应履行", "duty"), "met": ("已履行", "duty"),
    "overdue": ("已逾期", "duty"), "breached": ("已违反", "duty"), "violations": ("违纪", "prohibit"),
    "report": ("举报结果", _REPORT), "reward_referral": ("奖励转介", None), "last_day": ("届满日", None),
    "terms": ("届数", None), "findings": ("结论", "conclusion"),
}
_SCALAR_FIELDS = {"preferred": BOOL, "reward_referral": BOOL, "last_day": DATE, "terms": NUMBER}
DECISION_ALIASES = {alias: name for name, (alias, _) in DECISION_FIELDS.items()}


# Which derived predicates a rule may read is its kind's (``RuleKind.may_read``): the evaluation order is
# eligibility → term → grounds → status → the rest, and a rule may only read what is decided before it, so
# no policy can be circular. An invariant reads the decision made: everything.
_INVARIANT_READS = frozenset({"satisfies", "violates", "expired", "dismissed", "as_of", "last_day",
                              "dismissal_day", "term_number"})
_PREDICATE_OF = n.PREDICATES
_PREDICATE_WORDS = {"satisfies": "`satisfies` / `符合`", "violates": "`violates` / `违反`",
                    "expired": "`expired` / `期满未续聘`", "dismissed": "`dismissed` / `已解聘`",
                    "as_of": "`as_of` / `基准日`", "last_day": "`last day` / `聘期届满日`",
                    "dismissal_day": "`dismissal day` / `解聘之日`", "term_number": "`term number` / `所在聘期`"}


def _order_words(predicate: str, kind: str) -> str:
    """Why a rule (``kind``, in words) cannot read a value a question decides: which question decides
    it, which decides the rule, in what order (``Question.order``), and what can read it."""
    decider = next((q for q in questions.QUESTIONS if predicate in q.after), None)
    reader = next((q for q in questions.QUESTIONS for k in q.kinds if k.words == kind), None)
    if decider is None or reader is None:
        return ""
    if reader is decider:
        why = f"{kind} is part of the {decider.name} question (order {decider.order}), which decides it"
    else:
        why = (f"it is decided by the {decider.name} question (order {decider.order}), {kind} by the "
               f"{reader.name} question (order {reader.order}), before it")
    readers = [k.words for q in questions.QUESTIONS for k in q.kinds if predicate in k.may_read]
    can = ", ".join(readers) + (" and " if readers else "") + "an invariant"
    return f": {why}; {can} can read it"


def suggest(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` for the closest of ``candidates``, or "". Only for names of a sane
    length: difflib's cost grows with the name's, and a long one is no misspelling."""
    if len(name) > MAX_SUGGESTED:
        return ""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


#: What each arithmetic operator does, in its error message.
_ARITH_WORDS = {"+": "adds", "-": "subtracts", "*": "multiplies", "/": "divides"}


class _Checker:
    """The checks of one policy. A rule kind's ``check`` receives it and uses its public face: ``report``,
    ``warn``, ``condition``, ``typed``, ``reachable``, ``expect_path``, ``type_of``, ``check_enum_value``,
    ``sections`` and the semantic types below."""

    def __init__(self, root: n.Module, imported: list[n.Module], lines: dict[str, list[str]],
                 grafts: tuple[Provision, ...] = ()):
        self.root = root
        self.imported = imported
        self.lines = lines
        # Provisions of another version of the regulation, spliced in by a family's selector (policy.py):
        # checked with this policy's declarations, but no reference (`satisfies`, an invariant's cite) can
        # name them: references read the numbering of this file.
        self.grafts = grafts
        self.grafted = {id(p) for p in grafts}
        self.diagnostics: list[Diagnostic] = []
        self.enums: dict[str, EnumT] = {}
        self.records: dict[str, RecordT] = {}
        self.sections: dict[str, Section] = {}
        self.used: set[tuple[str, str]] = set()
        self.provisions: list[Provision] = []
        self.provided: set[str] = set()  # the derived predicates the policy's rules decide
        # The semantic types, for the kinds' checks (which import no checker).
        self.BOOL, self.DATE, self.TEXT, self.INT = BOOL, DATE, TEXT, INT
        self.EnumT, self.ListT, self.RecordT = EnumT, ListT, RecordT
        self.suggest = suggest
        self.phase: tuple[frozenset[str], str | None] = (frozenset(), None)  # of the rule being checked
        self.in_invariant = False
        # Definitions (``define``): by name; each one's type, the derived predicates it reads (its own
        # and its definitions'), the ones being typed (a cycle), the ones used, and the one being checked.
        self.definitions: dict[str, n.Definition] = {}
        self.definition_types: dict[str, object] = {}
        self.definition_reads: dict[str, frozenset[str]] = {}
        self.defining: list[str] = []
        self.used_definitions: set[str] = set()

    # -------------------------------------------------------------- reporting
    def report(self, span: n.Span, message: str, severity: str = "error", length: int | None = None) -> None:
        source_lines = self.lines.get(span.source)
        line = source_lines[span.line - 1] if source_lines and 0 < span.line <= len(source_lines) else None
        if length is None:
            length = (span.end_column - span.column) if span.end_line == span.line else 1
        self.diagnostics.append(Diagnostic(span.source, span.line, span.column, message, severity, line,
                                           max(length, 1)))

    def warn(self, span: n.Span, message: str) -> None:
        self.report(span, message, "warning")

    def check_header_dates(self, header: n.Header) -> None:
        """A repeal or the end of validity comes after the day the policy takes effect."""
        where = dict(header.fields_at)
        effective = header.effective if isinstance(header.effective, dt.date) else None
        if effective is not None and header.repealed is not None and header.repealed <= effective:
            self.report(where.get("repealed", header.span),
                        f"the policy is repealed on {header.repealed.isoformat()}, not after it takes effect "
                        f"({effective.isoformat()}): `repealed` / `废止` names the first day it is no longer "
                        "in force")
        if effective is not None and header.valid_until is not None and header.valid_until < effective:
            self.report(where.get("valid_until", header.span),
                        f"the policy is valid until {header.valid_until.isoformat()}, before it takes effect "
                        f"({effective.isoformat()})")

    # -------------------------------------------------------------- run
    def run(self) -> Checked:
        modules = [*self.imported, self.root]
        for module in modules:
            if module is not self.root:
                if module.header is not None:
                    self.report(module.header.span, "an imported file holds declarations only, not a policy header")
                for article in module.articles:
                    self.report(article.span, "an imported file holds declarations only, not articles")
        # A file with neither header nor articles is a vocabulary for policies to import.
        vocabulary = self.root.header is None and not self.root.articles
        self.vocabulary = vocabulary
        if self.root.header is None and not vocabulary:
            self.report(n.Span(self.root.source, 1, 1, 1, 1),
                        "a policy starts with its header: `policy ID` / `办法 ID`")
        elif self.root.header is not None and self.root.header.title is None:
            self.warn(self.root.header.span, "the header gives no `title` / `标题`")
        if self.root.header is not None:
            self.check_header_dates(self.root.header)
        for module in modules:
            for decl in module.enums:
                self.declare_enum(decl)
        for module in modules:
            for record in module.records:
                self.declare_record(record)
        for module in modules:
            for facts in module.facts:
                self.declare_section(facts)
        self.declare_definitions(modules)
        self.check_structure()
        present = {type(r) for p in self.provisions for r in p.rules}
        self.provided = {p for kind in questions.rule_kinds() if kind.node in present for p in kind.provides}
        self.check_definitions()
        self.check_rules()
        self.check_invariants()
        self.check_unused()
        provisions, invariants = self.provisions, list(self.root.invariants)
        if self.definitions:
            provisions, invariants = self.write_definitions_in_place(provisions, invariants)
        self.diagnostics.sort(key=lambda d: (d.source != self.root.source, d.source, d.line, d.column))
        return Checked(self.root.header, self.sections, self.enums, tuple(provisions), self.root.articles,
                       self.root.chapters, tuple(self.diagnostics), tuple(invariants), self.decision_types,
                       dict(self.definitions))

    # -------------------------------------------------------------- declarations
    def declare_enum(self, decl: n.EnumDecl) -> None:
        if decl.name in self.enums:
            self.report(decl.span, f"enum `{decl.name}` is declared twice")
            return
        self.enums[decl.name] = self.enum_type(decl.name, decl.values)

    def enum_type(self, name: str, values: tuple[n.EnumValue, ...]) -> EnumT:
        seen = set()
        for value in values:
            if value.name in seen:
                self.report(value.span, f"enum value `{value.name}` is listed twice")
            seen.add(value.name)
        first: dict[str, str | None] = {}  # value → its first label, in one pass (40,000 values are fine)
        for value in values:
            first.setdefault(value.name, value.label)
        return EnumT(name, tuple(first), tuple(first.values()))

    def resolve_type(self, t, where: str) -> object:
        if isinstance(t, n.BoolType):
            return BOOL
        if isinstance(t, n.DateType):
            return DATE
        if isinstance(t, n.TextType):
            return TEXT
        if isinstance(t, n.NumberType):
            return NUMBER
        if isinstance(t, n.InlineEnum):
            return self.enum_type(where, t.values)
        if isinstance(t, n.ListType):
            return ListT(self.resolve_type(t.element, where))
        if isinstance(t, n.NamedType):
            if t.name in self.enums:
                return self.enums[t.name]
            if t.name in self.records:
                return self.records[t.name]
            declared = ", ".join(f"`{name}`" for name in [*self.enums, *self.records][:20])
            self.report(t.span, f"unknown type `{t.name}`{suggest(t.name, [*self.enums, *self.records])}; a type is "
                                f"`bool` / `布尔`, `number` / `数值`, `date` / `日期`, `text` / `文本`, an enum "
                                f"(`enum {{…}}` / `枚举 {{…}}`), `list of T` / `列表 T`, or a declared enum or "
                                f"record" + (f": {declared}" if declared else " (this policy declares none)"))
            return None
        raise AssertionError(t)

    def field_info(self, decl: n.FieldDecl, where: str) -> FieldInfo:
        ftype = self.resolve_type(decl.type, where)
        if isinstance(ftype, RecordT):
            self.report(decl.type.span, "a record type can only be used as `list of` records")
        default = decl.default
        if default == n.UNKNOWN_DEFAULT:
            # A record field that may be left out (then unknown); on a fact it says what no default says.
            return FieldInfo(decl.name, ftype, None, decl.label, decl.span, optional=True)
        if default is not None and ftype is not None:
            if isinstance(default, bool) and ftype != BOOL:
                self.report(decl.span, f"`{decl.name}` is {ftype}; a `true`/`false` default needs a bool")
            if isinstance(default, tuple) and not isinstance(ftype, ListT):
                self.report(decl.span, f"`{decl.name}` is {ftype}; an `[]` default needs a list")
        return FieldInfo(decl.name, ftype, default, decl.label, decl.span)

    def declare_record(self, decl: n.RecordDecl) -> None:
        if decl.name in self.records or decl.name in self.enums:
            self.report(decl.span, f"type `{decl.name}` is declared twice")
            return
        fields: dict[str, FieldInfo] = {}
        for f in decl.fields:
            if f.name in fields:
                self.report(f.span, f"field `{f.name}` is declared twice in record `{decl.name}`")
                continue
            info = self.field_info(f, f"{decl.name}.{f.name}")
            if isinstance(info.type, (ListT, RecordT)):
                self.report(f.span, "record fields are bool, number, date, text or enum")
            fields[f.name] = info
        self.records[decl.name] = RecordT(decl.name, fields)

    def declare_section(self, decl: n.FactsDecl) -> None:
        if decl.section in self.sections:
            self.report(decl.span, f"facts `{decl.section}` are declared twice; put them in one block")
            return
        if decl.section in DECISION_HEADS:
            self.report(decl.span, f"`{decl.section}` names the decision in invariants; choose another section name")
        if decl.section == "as_of":
            self.report(decl.span, "`as_of` is the decision date, not a section of facts")
        fields: dict[str, FieldInfo] = {}
        for f in decl.fields:
            if f.name in fields:
                self.report(f.span, f"fact `{decl.section}.{f.name}` is declared twice")
                continue
            fields[f.name] = self.field_info(f, f"{decl.section}.{f.name}")
        self.sections[decl.section] = Section(decl.section, decl.label, fields, decl.span)

    # -------------------------------------------------------------- definitions
    def declare_definitions(self, modules) -> None:
        """Each definition's name is its own: not another definition's, an enum value's or a section's."""
        values = self.enum_value_names()
        for module in modules:
            for d in module.definitions:
                if d.name in self.definitions:
                    self.report(d.name_span, f"`{d.name}` is defined twice (first at {self.definitions[d.name].span!r})")
                    continue
                # A clashing name is not taken as a definition: the bare name keeps its other meaning.
                if d.name in values:
                    self.report(d.name_span, f"`{d.name}` is a value of {values[d.name]}; a definition needs a name of its "
                                        "own (a bare name in a rule would mean either)")
                elif d.name in self.sections:
                    self.report(d.name_span, f"`{d.name}` names a section of facts; a definition needs a name of its own")
                elif d.name in DECISION_HEADS:
                    self.report(d.name_span, f"`{d.name}` names the decision in invariants; a definition needs a name of "
                                        "its own")
                else:
                    self.definitions[d.name] = d
                if not d.label.strip():
                    self.report(d.name_span, "a definition needs a label: `define NAME \"label\" = …` / "
                                        "`定义 NAME \"标签\" 为 …`")

    def enum_value_names(self) -> dict[str, EnumT]:
        """Every enum value the policy declares (named enums, inline ones of facts and records) → its enum."""
        out: dict[str, EnumT] = {}

        def add(t) -> None:
            t = t.element if isinstance(t, ListT) else t
            if isinstance(t, EnumT):
                for value in t.values:
                    out.setdefault(value, t)
            elif isinstance(t, RecordT):
                for info in t.fields.values():
                    add(info.type)

        for enum in self.enums.values():
            add(enum)
        for record in self.records.values():
            add(record)
        for section in self.sections.values():
            for info in section.fields.values():
                add(info.type)
        return out

    def check_definitions(self) -> None:
        """Type each definition, those it uses first (an iterative walk: a long chain of definitions
        never recurses deeply), and measure what it becomes written out."""
        self.definition_order: list[str] = []
        state: dict[str, bool] = {}  # False while its uses are being visited, True once ordered
        for root in self.definitions:
            if root in state:
                continue
            state[root] = False
            path = [root]
            stack = [iter(self.definitions_used_by(self.definitions[root].expr))]
            while stack:
                use = next(stack[-1], None)
                if use is None:
                    stack.pop()
                    done = path.pop()
                    state[done] = True
                    self.definition_order.append(done)
                elif use.name not in state:
                    state[use.name] = False
                    path.append(use.name)
                    stack.append(iter(self.definitions_used_by(self.definitions[use.name].expr)))
                elif state[use.name] is False and self.definition_types.get(use.name, 0) is not None:
                    cycle = [*path[path.index(use.name):], use.name]
                    self.report(use.span, "definitions cannot refer to each other in a cycle: "
                                          + " → ".join(f"`{c}`" for c in cycle))
                    for member in cycle:
                        self.definition_types[member] = None
                        self.definition_reads[member] = frozenset()
        self.expanded_size: dict[str, tuple[int, int]] = {}
        for name in self.definition_order:
            if name in self.definition_types:  # in a cycle: its expression is checked all the same
                self.defining.append(name)
                self.type_of(self.definitions[name].expr, _INVARIANT_READS, None, {})
                self.defining.pop()
                continue
            self.definition_type(name, None)
            if self.definition_types.get(name) is not None:
                self.expanded_size[name] = self.measure(self.definitions[name].expr)
                size, depth = self.expanded_size[name]
                if size > MAX_EXPANDED_NODES or depth > MAX_EXPANDED_NESTING:
                    d = self.definitions[name]
                    self.report(d.name_span, f"`{name}` written out, its definitions in place, is {size:,} nodes "
                                             f"{depth} levels deep; at most {MAX_EXPANDED_NODES:,} nodes and "
                                             f"{MAX_EXPANDED_NESTING} levels")
                    self.definition_types[name] = None

    def definitions_used_by(self, expr) -> list[n.Name]:
        """Where an expression names definitions: the first use of each, in order."""
        first: dict[str, n.Name] = {}
        for node in n.walk(expr):
            if isinstance(node, n.Name) and node.name in self.definitions:
                first.setdefault(node.name, node)
        return list(first.values())

    def measure(self, node) -> tuple[int, int]:
        """(nodes, depth) of ``node`` with every definition it names written in place, from the
        definitions' own measures: never walks an expansion (which may share a subtree many times)."""
        size, deepest = 0, 0
        stack = [(node, 0)]
        while stack:
            current, depth = stack.pop()
            if isinstance(current, tuple):
                stack.extend((x, depth) for x in current)
                continue
            if not attrs.has(type(current)) or isinstance(current, n.Span):
                continue
            if isinstance(current, n.Name) and current.name in self.expanded_size:
                inner_size, inner_depth = self.expanded_size[current.name]
                size += inner_size
                deepest = max(deepest, depth + inner_depth)
                continue
            size += 1
            deepest = max(deepest, depth)
            stack.extend((getattr(current, f.name), depth + 1) for f in attrs.fields(type(current)) if f.name != "span")
        return size, deepest

    def is_definition(self, name: str) -> bool:
        """Whether a bare name in an expression names a definition (``define``)."""
        return name in self.definitions

    def definition_type(self, name: str, use: n.Name | None):
        """The type of definition ``name`` (its expression's), typing it first if need be; None where it
        cannot be known. A definition that reaches itself through others is an error at ``use``."""
        if name in self.definition_types:
            return self.definition_types[name]
        if name in self.defining:
            cycle = [*self.defining[self.defining.index(name):], name]
            self.report(use.span if use is not None else self.definitions[name].span,
                        "definitions cannot refer to each other in a cycle: " + " → ".join(f"`{c}`" for c in cycle))
            for member in cycle:
                self.definition_types[member] = None
                self.definition_reads.setdefault(member, frozenset())
            return None
        definition = self.definitions[name]
        self.defining.append(name)
        try:
            t = self.type_of(definition.expr, _INVARIANT_READS, None, {})
        finally:
            self.defining.pop()
        if name in self.definition_types:  # in a cycle: reported there
            return None
        if t == SECTION:
            self.report(definition.expr.span, f"`{definition.name}` would name a section of facts; a definition "
                                              "names a value or a condition")
            t = None
        reads: set[str] = set()
        for node in n.walk(definition.expr):
            predicate = _PREDICATE_OF.get(type(node))
            if predicate is not None:
                reads.add(predicate)
            elif isinstance(node, n.Name) and node.name in self.definitions:
                reads |= self.definition_reads.get(node.name, frozenset())
        self.definition_types[name] = t
        self.definition_reads[name] = frozenset(reads)
        return t

    def use_definition(self, expr: n.Name, allowed, kind):
        """The type of a definition where a rule (``kind``, reading ``allowed``) names it: what the definition
        reads must be decided before that rule, as if its expression were written there."""
        name = expr.name
        self.used_definitions.add(name)
        t = self.definition_type(name, expr)
        if kind is not None:
            for predicate in sorted(self.definition_reads.get(name, frozenset()) - allowed):
                self.report(expr.span, f"`{name}` reads {_PREDICATE_WORDS[predicate]}, which cannot be used in "
                                       f"{kind}" + _order_words(predicate, kind))
        return t

    def write_definitions_in_place(self, provisions, invariants):
        """The provisions and invariants with each use of a definition (a bare ``Name``) replaced by a
        ``Defined`` node holding its expression, itself written out: the compiler, the generated code and
        the reference then evaluate the same expression, as if the rule had spelt it."""
        expanded: dict[str, object] = {}

        def rewrite(node):
            if isinstance(node, n.Name):
                body = expanded.get(node.name)
                if body is not None:
                    d = self.definitions[node.name]
                    return n.Defined(d.name, d.label, body, span=node.span)
                return node
            if isinstance(node, tuple):
                items = tuple(rewrite(x) for x in node)
                return node if all(a is b for a, b in zip(items, node)) else items
            if not attrs.has(type(node)) or isinstance(node, n.Span):
                return node
            changes = {}
            for f in attrs.fields(type(node)):
                if f.name == "span":
                    continue
                value = getattr(node, f.name)
                new = rewrite(value)
                if new is not value:
                    changes[f.name] = new
            return attrs.evolve(node, **changes) if changes else node

        for name in self.definition_order:  # those a definition uses first: each written out once, shared
            if self.definition_types.get(name) is not None:
                expanded[name] = rewrite(self.definitions[name].expr)
        out = []
        for provision in provisions:
            rules = rewrite(provision.rules)
            if rules is not provision.rules:
                for before, after in zip(provision.rules, rules):
                    if after is not before:
                        self.check_expanded(before)
                provision = attrs.evolve(provision, rules=rules)
            out.append(provision)
        for invariant in invariants:
            self.check_expanded(invariant)
        return out, [rewrite(invariant) for invariant in invariants]

    def check_expanded(self, rule) -> None:
        """A rule (or invariant) that its definitions, written in place, make larger or deeper than the
        backends take."""
        size, depth = self.measure(rule)
        if size > MAX_EXPANDED_NODES or depth > MAX_EXPANDED_NESTING:
            self.report(rule.span, f"this rule is {size:,} nodes {depth} levels deep once its definitions are written "
                                   f"in place; at most {MAX_EXPANDED_NODES:,} nodes and {MAX_EXPANDED_NESTING} levels "
                                   "(use fewer definitions in one rule)")

    # -------------------------------------------------------------- structure
    def check_structure(self) -> None:
        self.check_numbering([c.number for c in self.root.chapters], [c.span for c in self.root.chapters],
                             "chapter", 1)
        self.check_numbering([a.number for a in self.root.articles], [a.span for a in self.root.articles],
                             "article", 1)
        for article in self.root.articles:
            self.collect(article)
        self.provisions.extend(self.grafts)

    def check_numbering(self, numbers: list[int], spans: list[n.Span], what: str, first: int,
                        context: str = "") -> None:
        expected = first
        seen = set()
        for number, span in zip(numbers, spans):
            if number < first:
                self.report(span, f"{what} numbers start at {first}; {what} {number}{context} cannot exist")
                continue
            if number in seen:
                self.report(span, f"{what} {number}{context} appears twice")
            elif number != expected:
                if number > expected:
                    gap = f"{what} {expected}" if number == expected + 1 else f"{what}s {expected}-{number - 1}"
                    self.report(span, f"{gap}{context} missing: {what}s must be numbered in order", "warning")
                else:
                    self.report(span, f"{what} {number}{context} is out of order (after {what} {expected - 1})")
            seen.add(number)
            expected = max(expected, number + 1)

    def collect(self, article: n.Article) -> None:
        ctx = f" of article {article.number}"
        self.check_numbering([i.number for i in article.items], [i.span for i in article.items], "item", 1, ctx)
        self.check_numbering([p.number for p in article.paragraphs], [p.span for p in article.paragraphs],
                             "paragraph", 2, ctx)
        a = article.number
        self.provisions.append(Provision(a, None, None, None, article.chapter, article.text, article.rules,
                                         article.span))
        text_only = any(isinstance(r, n.TextOnly) for r in article.rules)

        def add_items(items, paragraph):
            for item in items:
                self.provisions.append(Provision(a, paragraph, item.number, None, article.chapter, item.text,
                                                 item.rules, item.span))
                self.check_numbering([s.number for s in item.subitems], [s.span for s in item.subitems],
                                     "sub-item", 1, f" of {a}({item.number})")
                for sub in item.subitems:
                    self.provisions.append(Provision(a, paragraph, item.number, sub.number, article.chapter,
                                                     sub.text, sub.rules, sub.span))

        add_items(article.items, None)
        for paragraph in article.paragraphs:
            self.check_numbering([i.number for i in paragraph.items], [i.span for i in paragraph.items], "item",
                                 1, f" of {a}, paragraph {paragraph.number}")
            self.provisions.append(Provision(a, paragraph.number, None, None, article.chapter, paragraph.text,
                                             paragraph.rules, paragraph.span))
            add_items(paragraph.items, paragraph.number)

        # Every provision either carries rules or is marked text-only, so an
        # article nobody encoded cannot slip through unnoticed.
        def has_rules(rules):
            return any(not isinstance(r, n.TextOnly) for r in rules)

        def deep(node) -> bool:
            return any(has_rules(x.rules) for x in n.walk(node) if isinstance(x, _PROVISIONS))

        provisions: list[n.Article | n.Paragraph | n.Item | n.SubItem] = [
            article, *article.items, *[s for i in article.items for s in i.subitems], *article.paragraphs,
            *[i for p in article.paragraphs for i in p.items]]
        for node in provisions:
            if any(isinstance(r, n.TextOnly) for r in node.rules) and has_rules(node.rules):
                self.report(node.span, "a provision marked `text only` cannot also carry rules")
        if not text_only and not deep(article):
            self.warn(article.span, f"article {a} has no rules; mark it `text only` / `仅文本` if it is informative")
        elif not text_only:
            units: list[n.Item | n.Paragraph] = [*article.items, *article.paragraphs]
            for unit in units:
                marked = any(isinstance(r, n.TextOnly) for r in unit.rules)
                if not marked and not deep(unit):
                    label = f"item ({unit.number})" if isinstance(unit, n.Item) else f"paragraph {unit.number}"
                    self.warn(unit.span, f"{label} of article {a} has no rules; mark it `text only` / `仅文本`")

    # -------------------------------------------------------------- rules
    def check_rules(self) -> None:
        """Each rule by its kind's ``check``; a policy has at most one rule of a ``single`` kind, and a
        kind's ``needs``."""
        first: dict[type, n.Span] = {}
        states: dict[type, dict] = {}
        present = {type(r) for p in self.provisions for r in p.rules}
        self.provided = {p for kind in questions.rule_kinds() if kind.node in present for p in kind.provides}
        for provision in self.provisions:
            for rule in provision.rules:
                kind = questions.kind_of(rule)  # raises for a kind no question takes
                if kind is None:
                    continue  # text only
                if kind.single and type(rule) in first:
                    self.report(rule.span, f"a policy has one `{kind.word}` rule; "
                                           f"another is at {first[type(rule)]!r}")
                first.setdefault(type(rule), rule.span)
                self.phase = (kind.may_read, kind.words)
                kind.check(self, rule, provision, states.setdefault(kind.node, {}))
        self.phase = (frozenset(), None)
        for kind in questions.rule_kinds():
            if kind.needs is not None and kind.node in first and kind.needs not in first:
                needed = questions.KINDS[kind.needs]
                self.report(first[kind.node], f"a {kind.word} rule needs a `{needed.word}` rule")

    def condition(self, expr, scope: dict | None = None) -> None:
        """Check a condition of the rule being checked, under what its kind may read."""
        allowed, what = self.phase
        self.expect_bool(expr, allowed, what, scope or {})

    def typed(self, expr, scope: dict | None = None):
        """The type of an expression of the rule being checked, under what its kind may read."""
        allowed, what = self.phase
        return self.type_of(expr, allowed, what, scope or {})

    # -------------------------------------------------------------- invariants
    def check_invariants(self) -> None:
        listed: dict[str, object] = {}  # RuleKind.kind → the values decision fields list
        for kind in questions.rule_kinds():
            if kind.decision_values is not None:
                rules = [r for p in self.provisions for r in p.rules if type(r) is kind.node]
                listed[kind.kind] = kind.decision_values(self, rules)
        types: dict[str, object] = {}
        for name, (_, declared) in DECISION_FIELDS.items():
            if isinstance(declared, str):
                types[name] = ListT(listed[declared])
            elif declared is None:
                types[name] = _SCALAR_FIELDS[name]
            else:
                types[name] = declared
        self.decision_types = types
        seen: dict[str, n.Span] = {}
        for inv in self.root.invariants:
            if inv.name in seen:
                self.report(inv.span, f"invariant `{inv.name}` is declared twice (first at {seen[inv.name]!r})")
            seen.setdefault(inv.name, inv.span)
            if not inv.cites:
                self.report(inv.span, "an invariant cites the provisions it protects")
            for ref in inv.cites:
                self.resolve_ref(ref)
            self.in_invariant = True
            for expr in (inv.when, inv.then):
                if expr is not None:
                    self.expect_bool(expr, _INVARIANT_READS, "an invariant", {})
            self.in_invariant = False
            if inv.when is not None and static_value(inv.when) is False:
                self.warn(inv.span, "this invariant can never be tested: its `when` is always false")

    def reachable(self, expr, rule) -> None:
        if static_value(expr) is False:
            self.warn(rule.span, "this rule can never apply: its condition is always false")

    # -------------------------------------------------------------- expressions
    def expect_path(self, path: n.Path, expected, what: str):
        ftype = self.type_of(path, frozenset(), None, {})
        if ftype is not None and expected is not None and ftype != expected:
            self.report(path.span, f"{what} must be a {expected} fact; `{path.dotted}` is {ftype}")
        return ftype

    def expect_bool(self, expr, allowed, kind, scope) -> None:
        t = self.type_of(expr, allowed, kind, scope)
        if t is not None and t != BOOL:
            self.report(expr.span, f"expected a condition (true/false), but this is {t}")

    def check_enum_value(self, value: n.Name, enum: EnumT) -> None:
        if value.name not in enum.values:
            self.report(value.span, f"`{value.name}` is not a value of {enum}{suggest(value.name, enum.values)}")

    def resolve_path(self, path: n.Path, scope: dict):
        head, *rest = path.parts
        if head in DECISION_HEADS:
            if not getattr(self, "in_invariant", False):
                self.report(path.span, f"`{head}.…` reads the decision: only invariants can use it")
                return None
            field = DECISION_ALIASES.get(rest[0], rest[0]) if len(rest) == 1 else None
            if field not in self.decision_types:
                names = [*DECISION_FIELDS, *DECISION_ALIASES]
                self.report(path.span, f"the decision has no `{'.'.join(rest)}`{suggest('.'.join(rest), names)}")
                return None
            return self.decision_types[field]
        if head in scope:
            record = scope[head]
            if len(rest) != 1 or rest[0] not in record.fields:
                name = ".".join(rest)
                self.report(path.span, f"record `{record.name}` has no field `{name}`{suggest(name, record.fields)}")
                return None
            return record.fields[rest[0]].type
        if head not in self.sections:
            candidates = [*self.sections, *scope]
            closed = (f" (a definition is closed: `{self.defining[-1]}` reads facts, not the record of a quantifier "
                      "or a renewal around its use)" if self.defining and not scope else "")
            self.report(path.span, f"unknown section `{head}`{suggest(head, candidates)}{closed}")
            return None
        section = self.sections[head]
        if len(rest) != 1:
            self.report(path.span, f"facts are named `{head}.FACT`; `{path.dotted}` has too many parts")
            return None
        if rest[0] not in section.fields:
            dotted = [f"{head}.{f}" for f in section.fields]
            self.report(path.span, f"unknown fact `{path.dotted}`{suggest(path.dotted, dotted)}")
            return None
        self.used.add((head, rest[0]))
        return section.fields[rest[0]].type

    def type_of(self, expr, allowed, kind, scope):
        """The type of ``expr``, reporting every problem; None where it cannot be known. ``kind``: what
        reads it in words ("a requirement"), which may read the derived predicates ``allowed``."""
        predicate = _PREDICATE_OF.get(type(expr))
        if predicate is not None and kind is not None and predicate not in allowed:
            self.report(expr.span, f"{_PREDICATE_WORDS[predicate]} cannot be used in {kind}"
                        + _order_words(predicate, kind))
        if isinstance(expr, n.Path):
            return self.resolve_path(expr, scope)
        if isinstance(expr, n.Literal):
            v = expr.value
            return BOOL if isinstance(v, bool) else NUMBER if isinstance(v, (int, Fraction)) else \
                DATE if isinstance(v, dt.date) else TEXT
        if isinstance(expr, n.Name):
            if expr.name in self.definitions:
                return self.use_definition(expr, allowed, kind)
            if expr.name in self.sections:
                return SECTION
            close = suggest(expr.name, self.definitions) if self.definitions else ""
            self.report(expr.span, f"`{expr.name}` alone is not a condition; compare a fact with it, "
                                   f"e.g. `section.fact = {expr.name}`"
                        + (f", or name a definition{close}" if close else ""))
            return None
        if isinstance(expr, (n.And, n.Or)):
            for operand in expr.operands:
                self.expect_bool(operand, allowed, kind, scope)
            return BOOL
        if isinstance(expr, n.Not):
            self.expect_bool(expr.operand, allowed, kind, scope)
            return BOOL
        if isinstance(expr, n.Compare):
            return self.type_compare(expr, allowed, kind, scope)
        if isinstance(expr, n.Member):
            t = self.type_of(expr.operand, allowed, kind, scope)
            if isinstance(t, EnumT):
                for value in expr.values:
                    self.check_enum_value(value, t)
            elif t is not None:
                self.report(expr.operand.span, f"`in` / `属于` tests an enum fact, not {t}")
            return BOOL
        if isinstance(expr, (n.Has, n.HasAny)):
            t = self.type_of(expr.operand, allowed, kind, scope)
            values = (expr.value,) if isinstance(expr, n.Has) else expr.values
            if isinstance(t, ListT) and isinstance(t.element, EnumT):
                for value in values:
                    self.check_enum_value(value, t.element)
            elif t is not None:
                self.report(expr.operand.span, f"`has` / `包含` tests a list of enum values, not {t}")
            return BOOL
        if isinstance(expr, n.IsKnown):
            if isinstance(expr.operand, n.Name) and expr.operand.name not in self.definitions:
                if expr.operand.name not in self.sections:
                    self.report(expr.operand.span, f"unknown section `{expr.operand.name}`"
                                                   f"{suggest(expr.operand.name, self.sections)}")
                return BOOL
            if not isinstance(expr.operand, (n.Path, n.Name)):
                self.report(expr.operand.span, "`is known` / `已知` applies to a fact, a section or a definition")
                return BOOL
            self.type_of(expr.operand, allowed, kind, scope)
            return BOOL
        if isinstance(expr, n.IsEmpty):
            t = self.type_of(expr.operand, allowed, kind, scope)
            if t is not None and not isinstance(t, ListT):
                self.report(expr.operand.span, f"`is empty` / `为空` tests a list, not {t}")
            return BOOL
        if isinstance(expr, (n.Expired, n.Dismissed)):
            if isinstance(expr, n.Expired) and "expired" not in self.provided:
                provider = questions.provider_of("expired")
                self.report(expr.span, f"`expired` / `期满未续聘` needs a `{provider.word}` rule in the policy")
            return BOOL
        if isinstance(expr, (n.LastDay, n.DismissalDay)):
            predicate = "last_day" if isinstance(expr, n.LastDay) else "dismissal_day"
            if predicate not in self.provided:
                providers = " or ".join(f"`{k.word}`" for k in questions.rule_kinds() if predicate in k.provides)
                self.report(expr.span, f"{_PREDICATE_WORDS[predicate]} needs a {providers} rule in the policy")
            return DATE
        if isinstance(expr, n.AsOf):
            return DATE
        if isinstance(expr, n.Deadline):
            base = self.type_of(expr.base, allowed, kind, scope)
            if base is not None and base != DATE:
                self.report(expr.base.span, f"`due(…)` / `期限(…)` counts from a date, not {base}")
            if not 1 <= expr.amount <= 1000:
                self.report(expr.span, "a deadline is at least one and at most 1,000 days, working days, months "
                                       "or years")
            return DATE
        if isinstance(expr, n.TermNumber):
            if "term_number" not in self.provided:
                provider = questions.provider_of("term_number")
                self.report(expr.span, f"`term number` / `所在聘期` needs a `{provider.word}` rule in the policy")
            on = self.type_of(expr.on, allowed, kind, scope)
            if on is not None and on != DATE:
                self.report(expr.on.span, f"`term number(…)` / `所在聘期(…)` takes a date, not {on}")
            return NUMBER
        if isinstance(expr, (n.DateAfter, n.DateBefore)):
            word = "`after` / `后`" if isinstance(expr, n.DateAfter) else "`before` / `前`"
            base = self.type_of(expr.base, allowed, kind, scope)
            if base is not None and base != DATE:
                self.report(expr.base.span, f"{word} counts from a date, not {base}")
            if expr.unit not in ("working_days", "days", "months", "years") or expr.amount > 1000:
                self.report(expr.span, "count at most 1,000 days, working days, months or years")
            return DATE
        if isinstance(expr, n.Arith):
            result: object = NUMBER
            for side in (expr.left, expr.right):
                t = self.type_of(side, allowed, kind, scope)
                if t is not None and t != NUMBER:
                    d = side.dotted if isinstance(side, n.Path) else "as_of"
                    hint = (f" (a date is counted on or back: `{d} after 2 years` / `{d} 后 2 年`, "
                            f"`{d} before 30 calendar days` / `{d} 前 30 日`)" if t == DATE else "")
                    self.report(side.span, f"`{expr.op}` {_ARITH_WORDS[expr.op]} numbers, not {t}{hint}")
                    result = None  # reported once: what uses it says nothing more
            return result
        if isinstance(expr, n.Neg):
            t = self.type_of(expr.operand, allowed, kind, scope)
            if t is not None and t != NUMBER:
                self.report(expr.operand.span, f"`-` negates a number, not {t}")
                return None
            return NUMBER
        if isinstance(expr, n.Extreme):
            return self.type_extreme(expr, allowed, kind, scope)
        if isinstance(expr, n.Age):
            if self.root.header is not None and self.root.header.age is None:
                self.report(expr.span, "`age(…)` / `周岁(…)` needs the header to say how 周岁 are counted: "
                                       "`age reached on birthday` / `周岁起算 生日当日` (reached on the birthday) or "
                                       "`age reached on day after birthday` / `周岁起算 生日次日` (reached the day "
                                       "after it, as 法释〔2006〕1号 art. 2 has it); docs/dates.md explains them")
            for part, what in ((expr.birth, "the birth date"), (expr.on, "the day of the age")):
                t = self.type_of(part, allowed, kind, scope)
                if t is not None and t != DATE:
                    self.report(part.span, f"`age(BIRTH, ON)` / `周岁(出生日期, 计算日)`: {what} is a date, not {t}")
            return NUMBER
        if isinstance(expr, n.YearOf):
            t = self.type_of(expr.operand, allowed, kind, scope)
            if t is not None and t != DATE:
                hint = " (a year held as a number is compared as it is)" if t == NUMBER else ""
                self.report(expr.operand.span, f"`year_of(…)` / `年份(…)` takes a date, not {t}{hint}")
            return NUMBER
        if isinstance(expr, n.Count):
            t = self.type_of(expr.source, allowed, kind, scope)
            if t is not None and not isinstance(t, ListT):
                self.report(expr.source.span, f"`count of` / `计数` counts the entries of a list, not {t}")
            return NUMBER
        if isinstance(expr, n.Quantifier):
            return self.type_quantifier(expr, allowed, kind, scope)
        if isinstance(expr, (n.Violates, n.Satisfies)):
            self.check_ref(expr)
            return BOOL
        if isinstance(expr, n.Defined):  # written in place already (a checked rule checked again)
            return self.type_of(expr.expr, allowed, kind, scope)
        raise AssertionError(expr)

    def type_compare(self, expr: n.Compare, allowed, kind, scope):
        left, right = expr.left, expr.right
        if isinstance(right, n.Dismissed) and isinstance(left, n.Path) and left.parts[0] in DECISION_HEADS:
            right = n.Name("dismissed", span=right.span)  # `decision.status = dismissed` names the value
            expr = attrs.evolve(expr, right=right)
        # A bare name takes its meaning from the other side: an enum value (unless it names a definition).
        if self.is_value(right) and not self.is_value(left):
            lt = self.type_of(left, allowed, kind, scope)
            if isinstance(lt, EnumT):
                self.check_enum_value(right, lt)
                if expr.op not in ("=", "!="):
                    self.report(expr.span, "enum values are compared with `=` or `!=` only")
            elif lt is not None:
                self.report(right.span, f"`{right.name}` is not a value of {lt}")
            return BOOL
        if self.is_value(left):
            self.report(left.span, "write the fact on the left: `section.fact = value`")
            return BOOL
        lt = self.type_of(left, allowed, kind, scope)
        rt = self.type_of(right, allowed, kind, scope)
        if lt is not None and rt is not None:
            if lt != rt:
                hint = ("; a date is compared with a date (`as_of before 3 years` / `基准日 前 3 年`), a number "
                        "with a number (`age(…)`, `count of …`)" if {lt, rt} == {DATE, NUMBER} else "")
                self.report(expr.span, f"cannot compare {lt} with {rt}{hint}")
            elif expr.op not in ("=", "!=") and lt not in (DATE, NUMBER):
                self.report(expr.span, f"`{expr.op}` orders dates or numbers, not {lt}")
            elif isinstance(lt, ListT):
                self.report(expr.span, "lists are tested with `has`, `has any of` or `is empty`")
        return BOOL

    def is_value(self, expr) -> TypeGuard[n.Name]:
        """A bare name that stands for a value (an enum's), not for a definition."""
        return isinstance(expr, n.Name) and expr.name not in self.definitions

    def type_extreme(self, expr: n.Extreme, allowed, kind, scope):
        """``min(…)`` / ``max(…)``: of numbers, or of dates (the earlier / later); all alike."""
        types = [self.type_of(o, allowed, kind, scope) for o in expr.operands]
        word = "`min` / `较小值`" if expr.op == "min" else "`max` / `较大值`"
        first = next((t for t in types if t is not None), None)
        for operand, t in zip(expr.operands, types):
            if t is None:
                continue
            if t not in (NUMBER, DATE):
                self.report(operand.span, f"{word} takes numbers or dates, not {t}")
                return None
            if t != first:
                self.report(operand.span, f"{word} takes values of one type: {first} and {t} do not mix")
                return None
        return first

    def type_quantifier(self, expr: n.Quantifier, allowed, kind, scope):
        words = {"count": "`count of` / `计数`", "any": "`any` / `存在`", "all": "`all` / `全部`",
                 "no": "`no` / `没有`"}[expr.kind]
        result = NUMBER if expr.kind == "count" else BOOL
        source = self.type_of(expr.source, allowed, kind, scope)
        if source is None:
            return result
        if not (isinstance(source, ListT) and isinstance(source.element, RecordT)):
            hint = (" (for a list of enum values use `has` / `包含` or `has any of` / `包含任一`"
                    + (", and `count of LIST` / `计数 LIST` for its length)" if expr.kind == "count" else ")")
                    if isinstance(source, ListT) else "")
            self.report(expr.source.span, f"{words} … `where` / `满足` ranges over a list of records, "
                                          f"not {source}{hint}")
            return result
        if expr.var in self.sections:
            self.report(expr.span, f"`{expr.var}` names a section of facts; choose another name for the record")
            return result
        if expr.var in scope:
            self.report(expr.span, f"`{expr.var}` already names a record here; choose another name")
            return result
        inner = {**scope, expr.var: source.element}
        self.expect_bool(expr.condition, allowed, kind, inner)
        return result

    def check_ref(self, expr) -> None:
        ref = expr.ref
        under = self.resolve_ref(ref)
        if not under:
            return
        wanted = questions.referenced("violates" if isinstance(expr, n.Violates) else "satisfies")
        if not any(isinstance(r, wanted.node) for p in under for r in p.rules):
            self.report(ref.span, f"{ref.cite} ({ref.ref}) {wanted.none_referenced}")

    def resolve_ref(self, ref: n.ArticleRef) -> list[Provision]:
        """The provisions under ``ref``; every part it names must exist (else an error at it, with what
        does exist or a did-you-mean), and its chapter, if it gives one, must be the article's."""
        own = [p for p in self.provisions if id(p) not in self.grafted] if self.grafted else self.provisions
        article = [p for p in own if p.article == ref.article]
        if not article:
            numbers = sorted({p.article for p in own})
            known = f" (the policy has {_numbered(numbers, '{}', 'article')})" if numbers else ""
            self.report(ref.span, f"article {ref.article} does not exist{known}")
            return []
        name = f"article {ref.article}"
        paragraphs = sorted({p.paragraph or 1 for p in article})
        paragraph = ref.paragraph if ref.paragraph is not None else 1 if ref.item is not None else None
        missing = None
        if paragraph is not None and paragraph not in paragraphs:
            missing = (f"{_english(ref.article, paragraph)} does not exist: {name} has "
                       + ("one paragraph" if paragraphs == [1] else _numbered(paragraphs, "{}", "paragraph")))
        elif ref.item is not None:
            in_paragraph = [p for p in article if (p.paragraph or 1) == paragraph]
            items = sorted({p.item for p in in_paragraph if p.item is not None})
            last = ref.item if ref.last is None else ref.last
            absent = [i for i in range(ref.item, last + 1) if i not in items]
            whose = name if paragraph == 1 and ref.paragraph is None else _english(ref.article, paragraph)
            if absent:
                shown = _english(ref.article, ref.paragraph, absent[0])
                missing = (f"{shown} does not exist: {whose} has "
                           + (_numbered(items, "({})", "item") if items else "no items"))
                elsewhere = next((p for p in article if p.item == absent[0] and p.sub is None), None)
                if elsewhere is not None:
                    missing += f" (did you mean `{elsewhere.cite}`, {elsewhere.ref}?)"
            elif ref.sub is not None:
                subs = sorted({p.sub for p in in_paragraph if p.item == ref.item and p.sub is not None})
                if ref.sub not in subs:
                    owner = _english(ref.article, ref.paragraph, ref.item)
                    missing = (f"{_english(ref.article, ref.paragraph, ref.item, ref.sub)} does not exist: {owner} "
                               + ("has " + _numbered(subs, "{}", "sub-item") if subs else "has no sub-items"))
        if missing is not None:
            self.report(ref.span, missing)
            return []
        if ref.chapter is not None and article[0].chapter != ref.chapter:
            actual = article[0].chapter
            self.report(ref.span, f"article {ref.article} is in chapter {actual}, not chapter {ref.chapter}"
                        if actual is not None else f"article {ref.article} is not in any chapter")
        return [p for p in article if p.within(ref)]

    def check_unused(self) -> None:
        if self.vocabulary:
            return  # its facts are for the policies that import it
        for name, d in self.definitions.items():
            if name not in self.used_definitions and d.span.source == self.root.source:
                self.warn(d.name_span, f"definition `{name}` is defined but no rule uses it")
        for section in self.sections.values():
            for name, info in section.fields.items():
                if (section.name, name) not in self.used and info.span.source == self.root.source:
                    self.warn(info.span, f"fact `{section.name}.{name}` is declared but no rule uses it")


_PROVISIONS = (n.Article, n.Paragraph, n.Item, n.SubItem)
#: How deep a rule's expressions may nest, and how many nodes they may hold, once its definitions are
#: written in place (the parser allows 100 levels in what is written; the backends evaluate the expansion,
#: in which a definition used twice is written twice).
MAX_EXPANDED_NESTING = 200
MAX_EXPANDED_NODES = 10_000


def _english(article: int, paragraph: int | None = None, item: int | None = None, sub: int | None = None) -> str:
    """A provision in the English keywords, as the author would write it: ``article 12 paragraph 2 (1)``."""
    return refs.render(refs.Marker(article, paragraph, item, None, sub), "en")


def _numbered(numbers: list[int], form: str, word: str) -> str:
    """``items (1)-(6)`` for numbers in a run, else each listed: ``articles 1, 2, 4``, ``item (1)``."""
    word += "s" if len(numbers) > 1 else ""
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{word} {form.format(numbers[0])}-{form.format(numbers[-1])}"
    return f"{word} " + (", " if len(numbers) > 2 else " and ").join(form.format(x) for x in numbers)


# ------------------------------------------------------------------ reachability
def static_value(expr):
    """True/False when ``expr`` has that value for every case, else None.

    Constant folding plus contradictions between tests of one fact inside a
    conjunction (``x = a and x = b``, ``x and not x``, ``x in {a} and x in {b}``).
    """
    if isinstance(expr, n.Literal) and isinstance(expr.value, bool):
        return expr.value
    if isinstance(expr, n.Not):
        inner = static_value(expr.operand)
        return None if inner is None else not inner
    if isinstance(expr, n.Or):
        values = [static_value(o) for o in expr.operands]
        if any(v is True for v in values):
            return True
        return False if all(v is False for v in values) else None
    if isinstance(expr, n.And):
        values = [static_value(o) for o in expr.operands]
        if any(v is False for v in values):
            return False
        if all(v is True for v in values):
            return True
        domains: dict[str, set | None] = {}
        for operand in expr.operands:
            constraint = _constraint(operand)
            if constraint is None:
                continue
            key, allowed, excluded = constraint
            current = domains.get(key, ("any",))
            if current == ("any",):
                current = (None, set())
            inc, exc = current
            if allowed is not None:
                inc = set(allowed) if inc is None else inc & set(allowed)
            exc = exc | set(excluded)
            domains[key] = (inc, exc)
        for inc, exc in domains.values():
            if inc is not None and not (inc - exc):
                return False
        return None
    return None


def _constraint(expr):
    """(fact, allowed values or None, excluded values) for a simple test of one fact."""
    if isinstance(expr, n.Path):
        return expr.dotted, {True}, set()
    if isinstance(expr, n.Not) and isinstance(expr.operand, n.Path):
        return expr.operand.dotted, {False}, set()
    if isinstance(expr, n.Compare) and isinstance(expr.left, n.Path):
        right = expr.right
        value = right.name if isinstance(right, n.Name) else right.value if isinstance(right, n.Literal) else None
        if value is None:
            return None
        if expr.op == "=":
            return expr.left.dotted, {value}, set()
        if expr.op == "!=":
            return expr.left.dotted, None, {value}
    if isinstance(expr, n.Member) and isinstance(expr.operand, n.Path):
        values = {v.name for v in expr.values}
        return (expr.operand.dotted, None, values) if expr.negated else (expr.operand.dotted, values, set())
    return None


def check(root: n.Module, imported: list[n.Module], lines: dict[str, list[str]],
          grafts: tuple[Provision, ...] = ()) -> Checked:
    """Check ``root`` with the declarations of ``imported``; problems are in ``.diagnostics``. ``grafts``
    are provisions of another file (a family's composite, docs/language.md "Families of versions"),
    added after ``root``'s own and checked alike, but out of reach of references."""
    with collector.paused():  # (a tenth of a second for a 10,000-article policy, run)
        return _Checker(root, imported, lines, tuple(grafts)).run()
