"""Static checks over a parsed policy and the vocabulary files it imports.

Produces a ``Checked`` model (symbol tables, provisions with citations) for the
compiler, and every problem as a positioned ``Diagnostic``: names and types,
numbering of articles and items, references to provisions, which predicates a
rule may use (so evaluation has no cycles), and rules that can never fire.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Iterable

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.errors import Diagnostic
from supervisor_rules.lang import refs


# ------------------------------------------------------------------ semantic types
@attrs.frozen
class Scalar:
    name: str  # "bool" | "date" | "text" | "int"

    def __str__(self) -> str:
        return self.name


BOOL, DATE, TEXT, INT = Scalar("bool"), Scalar("date"), Scalar("text"), Scalar("int")


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
#: field → (Chinese alias, type; None for the policy's duty codes, "violation" for its prohibited values)
DECISION_FIELDS = {
    "status": ("状态", _STATUS), "eligibility": ("资格", _ELIGIBILITY), "preferred": ("优先考虑", None),
    "recusal": ("回避结果", _RECUSAL), "decided_by": ("决定者", _ACTOR), "grounds": ("事由", ListT(_EFFECTS)),
    "obligations": ("义务", "duties"), "owed": ("应履行", "duties"), "met": ("已履行", "duties"),
    "overdue": ("已逾期", "duties"), "breached": ("已违反", "duties"), "violations": ("违纪", "violations"),
    "report": ("举报结果", _REPORT), "reward_referral": ("奖励转介", None), "last_day": ("届满日", None),
    "terms": ("届数", None),
}
_SCALAR_FIELDS = {"preferred": BOOL, "reward_referral": BOOL, "last_day": DATE, "terms": INT}
DECISION_ALIASES = {alias: name for name, (alias, _) in DECISION_FIELDS.items()}


# Which derived predicates each rule kind may read. The evaluation order is
# eligibility → term → grounds → status → the rest; a rule may only read what
# is decided before it, so no policy can be circular.
_PHASE = {
    n.Require: frozenset(),
    n.Prefer: frozenset(),
    n.Renewal: frozenset({"satisfies", "violates"}),
    n.Ground: frozenset({"satisfies", "violates", "expired", "as_of"}),
    n.Recusal: frozenset({"violates", "as_of"}),
    n.ReportScope: frozenset({"violates", "as_of"}),
    n.ReportCategory: frozenset({"violates", "as_of"}),
    n.Reward: frozenset({"violates", "as_of"}),
    n.Duty: frozenset({"satisfies", "violates", "expired", "dismissed", "as_of"}),
    n.Notice: frozenset({"satisfies", "violates", "expired", "dismissed", "as_of"}),
    n.Invariant: frozenset({"satisfies", "violates", "expired", "dismissed", "as_of"}),
}
_PREDICATE_OF = {n.Satisfies: "satisfies", n.Violates: "violates", n.Expired: "expired",
                 n.Dismissed: "dismissed", n.AsOf: "as_of"}
_PREDICATE_WORDS = {"satisfies": "`satisfies` / `符合`", "violates": "`violates` / `违反`",
                    "expired": "`expired` / `期满未续聘`", "dismissed": "`dismissed` / `已解聘`",
                    "as_of": "`as_of` / `基准日`"}
_KIND_WORDS = {n.Require: "a requirement", n.Prefer: "a preference", n.Renewal: "a renewal condition",
               n.Ground: "a dismissal ground", n.Recusal: "a recusal rule", n.ReportScope: "a report scope rule",
               n.ReportCategory: "a report category", n.Reward: "a reward rule", n.Duty: "a duty",
               n.Notice: "a notice", n.Invariant: "an invariant"}


def suggest(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` for the closest of ``candidates``, or "". Only for names of a sane
    length: difflib's cost grows with the name's, and a long one is no misspelling."""
    if len(name) > MAX_SUGGESTED:
        return ""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


class _Checker:
    def __init__(self, root: n.Module, imported: list[n.Module], lines: dict[str, list[str]]):
        self.root = root
        self.imported = imported
        self.lines = lines
        self.diagnostics: list[Diagnostic] = []
        self.enums: dict[str, EnumT] = {}
        self.records: dict[str, RecordT] = {}
        self.sections: dict[str, Section] = {}
        self.used: set[tuple[str, str]] = set()
        self.provisions: list[Provision] = []

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
        for module in modules:
            for decl in module.enums:
                self.declare_enum(decl)
        for module in modules:
            for record in module.records:
                self.declare_record(record)
        for module in modules:
            for facts in module.facts:
                self.declare_section(facts)
        self.check_structure()
        self.check_rules()
        self.check_invariants()
        self.check_unused()
        self.diagnostics.sort(key=lambda d: (d.source != self.root.source, d.source, d.line, d.column))
        return Checked(self.root.header, self.sections, self.enums, tuple(self.provisions), self.root.articles,
                       self.root.chapters, tuple(self.diagnostics), self.root.invariants, self.decision_types)

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
        if isinstance(t, n.InlineEnum):
            return self.enum_type(where, t.values)
        if isinstance(t, n.ListType):
            return ListT(self.resolve_type(t.element, where))
        if isinstance(t, n.NamedType):
            if t.name in self.enums:
                return self.enums[t.name]
            if t.name in self.records:
                return self.records[t.name]
            self.report(t.span, f"unknown type `{t.name}`{suggest(t.name, [*self.enums, *self.records])}")
            return None
        raise AssertionError(t)

    def field_info(self, decl: n.FieldDecl, where: str) -> FieldInfo:
        ftype = self.resolve_type(decl.type, where)
        if isinstance(ftype, RecordT):
            self.report(decl.type.span, "a record type can only be used as `list of` records")
        default = decl.default
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
                self.report(f.span, "record fields are bool, date, text or enum")
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

    # -------------------------------------------------------------- structure
    def check_structure(self) -> None:
        self.check_numbering([c.number for c in self.root.chapters], [c.span for c in self.root.chapters],
                             "chapter", 1)
        self.check_numbering([a.number for a in self.root.articles], [a.span for a in self.root.articles],
                             "article", 1)
        for article in self.root.articles:
            self.collect(article)

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
            return any(has_rules(x.rules) for x in n.walk(node) if hasattr(x, "rules") and not isinstance(x, n.Duty))

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
        singletons: dict[type, n.Span] = {}
        duties: dict[str, Provision] = {}
        prohibited: dict[str, Provision] = {}
        self.has_term = any(isinstance(r, n.Term) for p in self.provisions for r in p.rules)
        for provision in self.provisions:
            for rule in provision.rules:
                if isinstance(rule, (n.Term, n.Renewal, n.DismissalRecord)):
                    if type(rule) in singletons:
                        self.report(rule.span, f"a policy has one `{_RULE_WORD[type(rule)]}` rule; "
                                               f"another is at {singletons[type(rule)]!r}")
                    singletons.setdefault(type(rule), rule.span)
                if isinstance(rule, n.Duty):
                    if rule.code in duties:
                        self.report(rule.span, f"duty `{rule.code}` is already declared at {duties[rule.code].ref}")
                    duties.setdefault(rule.code, provision)
                if isinstance(rule, n.Prohibit):
                    for value in rule.values:
                        if value.name in prohibited:
                            self.report(value.span, f"`{value.name}` is already prohibited by "
                                                    f"{prohibited[value.name].ref}")
                        prohibited.setdefault(value.name, provision)
                self.check_rule(rule, provision)
        if n.Renewal in singletons and n.Term not in singletons:
            self.report(singletons[n.Renewal], "a renewal rule needs a `term` rule")

    def check_rule(self, rule, provision: Provision) -> None:
        kind = type(rule)
        allowed = _PHASE.get(kind, frozenset())
        scope: dict = {}
        if isinstance(rule, n.Require) or isinstance(rule, n.Prefer):
            self.expect_bool(rule.condition, allowed, kind, scope)
            if rule.guard is not None:
                self.expect_bool(rule.guard, allowed, kind, scope)
            self.reachable(rule.condition if rule.guard is None else n.And((rule.guard, rule.condition)), rule)
        elif isinstance(rule, n.Term):
            self.expect_path(rule.start, DATE, "the term's start")
            if rule.unit not in ("years", "months"):
                self.report(rule.span, "a term is counted in years or months")
            if rule.amount <= 0:
                self.report(rule.span, "a term must last at least one year or month")
            elif rule.amount > (100 if rule.unit == "years" else 1200):
                self.report(rule.span, "a term longer than 100 years is surely a mistake")
        elif isinstance(rule, n.Renewal):
            source = self.expect_path(rule.source, None, "the renewal records")
            record = source.element if isinstance(source, ListT) and isinstance(source.element, RecordT) else None
            if source is not None and record is None:
                self.report(rule.source.span, f"renewal records must be a `list of` a record type, not {source}")
            if record is not None:
                scope = {rule.var: record}
                if rule.var in self.sections:
                    self.report(rule.span, f"`{rule.var}` names a section of facts; choose another name")
                dated = self.type_of(rule.dated, allowed, kind, scope)
                if dated is not None and dated != DATE:
                    self.report(rule.dated.span, f"a renewal is dated by a date field, not {dated}")
                if rule.dated.parts[0] != rule.var:
                    self.report(rule.dated.span, f"the renewal date is a field of `{rule.var}`")
                self.expect_bool(rule.condition, allowed, kind, scope)
        elif isinstance(rule, n.Ground):
            self.expect_bool(rule.condition, allowed, kind, scope)
            self.reachable(rule.condition, rule)
        elif isinstance(rule, n.DismissalRecord):
            self.expect_path(rule.path, DATE, "a recorded dismissal")
        elif isinstance(rule, n.Recusal):
            self.expect_bool(rule.condition, allowed, kind, scope)
            self.reachable(rule.condition, rule)
        elif isinstance(rule, n.Prohibit):
            ftype = self.expect_path(rule.path, None, "prohibited conduct")
            if ftype is not None:
                if not (isinstance(ftype, ListT) and isinstance(ftype.element, EnumT)):
                    self.report(rule.path.span, f"prohibitions name values of a `list of` enum fact, not {ftype}")
                else:
                    for value in rule.values:
                        self.check_enum_value(value, ftype.element)
        elif isinstance(rule, n.Duty):
            for expr in (rule.when, rule.met, rule.breached):
                if expr is not None:
                    self.expect_bool(expr, allowed, kind, scope)
            if rule.when is not None:
                self.reachable(rule.when, rule)
            if rule.due is not None:
                self.expect_path(rule.due.base, DATE, "a due date's base")
                if rule.due.amount <= 0:
                    self.report(rule.due.span, "a deadline must be at least one day")
                elif rule.due.amount > 1000:
                    self.report(rule.due.span, "a deadline of more than 1,000 units is surely a mistake")
            if rule.done_on is not None:
                self.expect_path(rule.done_on, DATE, "the day a duty was done")
            if rule.due is not None and rule.done_on is None:
                self.report(rule.span, "this duty has a deadline (`due …`) but not the day it was done: "
                                       "add `done on <date fact>` (`完成日期 …`)")
            elif rule.due is None and rule.done_on is not None:
                self.report(rule.span, "`done on …` is the day a deadline duty was done, but this duty has no "
                                       "deadline: add `due N working days after <date fact>` (`期限 <date fact> 后 N 个工作日`)")
            if rule.due is not None and (rule.met is not None or rule.breached is not None):
                self.report(rule.span, "a deadline duty is met by its `done on` date; drop `met when`/`breached when`")
        elif isinstance(rule, (n.ReportScope, n.ReportCategory, n.Reward)):
            self.expect_bool(rule.condition, allowed, kind, scope)
            self.reachable(rule.condition, rule)
        elif isinstance(rule, n.Notice):
            self.expect_bool(rule.condition, allowed, kind, scope)
            self.reachable(rule.condition, rule)
            if not rule.message.strip():
                self.report(rule.span, "a notice needs a message")
        elif not isinstance(rule, n.TextOnly):  # exhaustive: a new rule kind gets its checks here
            raise RuntimeError(f"internal error: the checker has no checks for {type(rule).__name__} rules")

    # -------------------------------------------------------------- invariants
    def check_invariants(self) -> None:
        duties = tuple(dict.fromkeys(r.code for p in self.provisions for r in p.rules if isinstance(r, n.Duty)))
        prohibited = next((self.type_of(r.path, frozenset(), None, {}) for p in self.provisions for r in p.rules
                           if isinstance(r, n.Prohibit)), None)
        violation = prohibited.element if isinstance(prohibited, ListT) else EnumT("violation", ())
        types: dict[str, object] = {}
        for name, (_, declared) in DECISION_FIELDS.items():
            if declared == "duties":
                types[name] = ListT(EnumT("duty", duties))
            elif declared == "violations":
                types[name] = ListT(violation)
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
            allowed = _PHASE[n.Invariant]
            self.in_invariant = True
            for expr in (inv.when, inv.then):
                if expr is not None:
                    self.expect_bool(expr, allowed, n.Invariant, {})
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
            self.report(path.span, f"unknown section `{head}`{suggest(head, candidates)}")
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
        """The type of ``expr``, reporting every problem; None where it cannot be known."""
        predicate = _PREDICATE_OF.get(type(expr))
        if predicate is not None and kind is not None and predicate not in allowed:
            self.report(expr.span, f"{_PREDICATE_WORDS[predicate]} cannot be used in {_KIND_WORDS[kind]}")
        if isinstance(expr, n.Path):
            return self.resolve_path(expr, scope)
        if isinstance(expr, n.Literal):
            v = expr.value
            return BOOL if isinstance(v, bool) else INT if isinstance(v, int) else \
                DATE if isinstance(v, dt.date) else TEXT
        if isinstance(expr, n.Name):
            if expr.name in self.sections:
                return SECTION
            self.report(expr.span, f"`{expr.name}` alone is not a condition; compare a fact with it, "
                                   f"e.g. `section.fact = {expr.name}`")
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
            if isinstance(expr.operand, n.Name):
                if expr.operand.name not in self.sections:
                    self.report(expr.operand.span, f"unknown section `{expr.operand.name}`"
                                                   f"{suggest(expr.operand.name, self.sections)}")
                return BOOL
            if not isinstance(expr.operand, n.Path):
                self.report(expr.operand.span, "`is known` / `已知` applies to a fact or a section")
                return BOOL
            self.type_of(expr.operand, allowed, kind, scope)
            return BOOL
        if isinstance(expr, n.IsEmpty):
            t = self.type_of(expr.operand, allowed, kind, scope)
            if t is not None and not isinstance(t, ListT):
                self.report(expr.operand.span, f"`is empty` / `为空` tests a list, not {t}")
            return BOOL
        if isinstance(expr, (n.Expired, n.Dismissed)):
            if isinstance(expr, n.Expired) and not self.has_term:
                self.report(expr.span, "`expired` / `期满未续聘` needs a `term` rule in the policy")
            return BOOL
        if isinstance(expr, n.AsOf):
            return DATE
        if isinstance(expr, n.DateAfter):
            if not getattr(self, "in_invariant", False):
                self.report(expr.span, "a date counted `after N units` can only be used in invariants for now")
            base = self.type_of(expr.base, allowed, kind, scope)
            if base is not None and base != DATE:
                self.report(expr.base.span, f"`after` counts from a date, not {base}")
            if expr.unit not in ("working_days", "days", "months", "years") or expr.amount > 1000:
                self.report(expr.span, "count at most 1,000 days, working days, months or years")
            return DATE
        if isinstance(expr, (n.Violates, n.Satisfies)):
            self.check_ref(expr)
            return BOOL
        raise AssertionError(expr)

    def type_compare(self, expr: n.Compare, allowed, kind, scope):
        left, right = expr.left, expr.right
        if isinstance(right, n.Dismissed) and isinstance(left, n.Path) and left.parts[0] in DECISION_HEADS:
            right = n.Name("dismissed", span=right.span)  # `decision.status = dismissed` names the value
            expr = attrs.evolve(expr, right=right)
        # A bare name takes its meaning from the other side: an enum value.
        if isinstance(right, n.Name) and not isinstance(left, n.Name):
            lt = self.type_of(left, allowed, kind, scope)
            if isinstance(lt, EnumT):
                self.check_enum_value(right, lt)
                if expr.op not in ("=", "!="):
                    self.report(expr.span, "enum values are compared with `=` or `!=` only")
            elif lt is not None:
                self.report(right.span, f"`{right.name}` is not a value of {lt}")
            return BOOL
        if isinstance(left, n.Name):
            self.report(left.span, "write the fact on the left: `section.fact = value`")
            return BOOL
        lt = self.type_of(left, allowed, kind, scope)
        rt = self.type_of(right, allowed, kind, scope)
        if lt is not None and rt is not None:
            if lt != rt:
                self.report(expr.span, f"cannot compare {lt} with {rt}")
            elif expr.op not in ("=", "!=") and lt not in (DATE, INT):
                self.report(expr.span, f"`{expr.op}` orders dates or numbers, not {lt}")
            elif isinstance(lt, ListT):
                self.report(expr.span, "lists are tested with `has`, `has any of` or `is empty`")
        return BOOL

    def check_ref(self, expr) -> None:
        ref = expr.ref
        under = self.resolve_ref(ref)
        if not under:
            return
        wanted = n.Prohibit if isinstance(expr, n.Violates) else n.Require
        if not any(isinstance(r, wanted) for p in under for r in p.rules):
            what = "prohibits nothing" if wanted is n.Prohibit else "has no requirements"
            self.report(ref.span, f"{ref.cite} ({ref.ref}) {what}")

    def resolve_ref(self, ref: n.ArticleRef) -> list[Provision]:
        """The provisions under ``ref``; every part it names must exist (else an error at it, with what
        does exist or a did-you-mean), and its chapter, if it gives one, must be the article's."""
        article = [p for p in self.provisions if p.article == ref.article]
        if not article:
            numbers = sorted({p.article for p in self.provisions})
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
        for section in self.sections.values():
            for name, info in section.fields.items():
                if (section.name, name) not in self.used and info.span.source == self.root.source:
                    self.warn(info.span, f"fact `{section.name}.{name}` is declared but no rule uses it")


def _english(article: int, paragraph: int | None = None, item: int | None = None, sub: int | None = None) -> str:
    """A provision in the English keywords, as the author would write it: ``article 12 paragraph 2 (1)``."""
    return refs.render(refs.Marker(article, paragraph, item, None, sub), "en")


def _numbered(numbers: list[int], form: str, word: str) -> str:
    """``items (1)-(6)`` for numbers in a run, else each listed: ``articles 1, 2, 4``, ``item (1)``."""
    word += "s" if len(numbers) > 1 else ""
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{word} {form.format(numbers[0])}-{form.format(numbers[-1])}"
    return f"{word} " + (", " if len(numbers) > 2 else " and ").join(form.format(x) for x in numbers)


_RULE_WORD = {n.Term: "term", n.Renewal: "renewal", n.DismissalRecord: "dismissal recorded"}


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


def check(root: n.Module, imported: list[n.Module], lines: dict[str, list[str]]) -> Checked:
    """Check ``root`` with the declarations of ``imported``; problems are in ``.diagnostics``."""
    return _Checker(root, imported, lines).run()
