"""The decision: typed ``attrs`` objects, their JSON form (DECISION.md) and readable text."""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import Any, Callable

import attrs


class Status(enum.StrEnum):
    NOT_APPOINTED = "not_appointed"
    ACTIVE = "active"
    DISMISSED = "dismissed"
    UNKNOWN = "unknown"


class EligibilityResult(enum.StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"


class Effect(enum.StrEnum):
    AUTOMATIC = "automatic"
    MANDATORY = "mandatory"
    DISCRETIONARY = "discretionary"


class RecusalResult(enum.StrEnum):
    REQUIRED = "required"
    REQUEST = "request"
    NOT_REQUIRED = "not_required"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"  # only where a policy makes recusal depend on an open-world fact


class DutyState(enum.StrEnum):
    OWED = "owed"
    MET = "met"
    OVERDUE = "overdue"
    BREACHED = "breached"
    UNKNOWN = "unknown"


class ReportResult(enum.StrEnum):
    IN_SCOPE = "in_scope"
    OUT_OF_SCOPE = "out_of_scope"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"  # only where the report's facts leave scope undetermined


@attrs.frozen
class Citation:
    """A provision: ``ref`` is compact (``N``, ``N(k)``, ``N(k).m``), ``cite`` is Chinese (第N条第（k）项第m目)."""

    article: int
    item: int | None
    sub: int | None
    ref: str
    cite: str
    text: str | None

    def to_dict(self) -> dict:
        return {"article": self.article, "item": self.item, "sub": self.sub, "ref": self.ref, "cite": self.cite,
                "text": self.text}


@attrs.frozen
class Eligibility:
    result: EligibilityResult
    unmet: tuple[Citation, ...] = ()
    undetermined: tuple[Citation, ...] = ()
    preferred: bool | None = None
    preferences: tuple[Citation, ...] = ()


@attrs.frozen
class InvalidRenewal:
    on: dt.date
    unmet: tuple[Citation, ...]


@attrs.frozen
class UndeterminedRenewal:
    on: dt.date
    undetermined: tuple[Citation, ...]


@attrs.frozen
class Term:
    years: int
    start: dt.date
    last_day: dt.date | None
    terms: int | None
    valid_renewals: tuple[dt.date, ...] = ()
    invalid_renewals: tuple[InvalidRenewal, ...] = ()
    undetermined_renewals: tuple[UndeterminedRenewal, ...] = ()


@attrs.frozen
class Ground:
    citation: Citation
    effect: Effect


@attrs.frozen
class Recusal:
    result: RecusalResult
    decided_by: str | None = None
    grounds: tuple[Citation, ...] = ()


@attrs.frozen
class Obligation:
    duty: str
    citation: Citation
    due: dt.date | None
    state: DutyState


@attrs.frozen
class Violation:
    code: str
    citation: Citation


@attrs.frozen
class Report:
    result: ReportResult
    category: Citation | None = None
    reward_referral: bool = False
    reward_rules: str | None = None


@attrs.frozen
class Notice:
    citation: Citation | None
    message: str


@attrs.frozen
class Step:
    """One line of the trace: which provision, what kind of rule, its outcome, the facts it read."""

    citation: Citation | None
    rule: str
    outcome: Any
    facts: dict = attrs.field(factory=dict)


@attrs.define(slots=True)
class Decision:
    """What a policy decides for one case. ``to_dict()`` is the JSON of DECISION.md."""

    policy: str
    as_of: dt.date
    eligibility: Eligibility
    term: Term | None
    status: Status
    grounds: tuple[Ground, ...]
    recusal: Recusal
    obligations: tuple[Obligation, ...]
    violations: tuple[Violation, ...]
    report: Report
    notices: tuple[Notice, ...]
    missing_facts: tuple[str, ...]
    _trace: Callable[[], tuple[Step, ...]] | None = attrs.field(default=None, repr=False, eq=False)
    _explanation: tuple[Step, ...] | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def explanation(self) -> tuple[Step, ...]:
        """The trace, computed on first use: undecorated evaluation pays nothing for it."""
        if self._explanation is None:
            self._explanation = self._trace() if self._trace is not None else ()
        return self._explanation

    def to_dict(self) -> dict:
        return {
            "policy": self.policy,
            "as_of": self.as_of.isoformat(),
            "eligibility": _plain(self.eligibility),
            "term": _plain(self.term),
            "status": str(self.status),
            "grounds": _plain(self.grounds),
            "recusal": _plain(self.recusal),
            "obligations": _plain(self.obligations),
            "violations": _plain(self.violations),
            "report": _plain(self.report),
            "notices": _plain(self.notices),
            "missing_facts": list(self.missing_facts),
            "explanation": _plain(self.explanation),
        }

    def explain(self) -> str:
        """The trace as readable lines, each citing its provision in Chinese."""
        lines = []
        for step in self.explanation:
            facts = ", ".join(f"{k}={_show(v)}" for k, v in step.facts.items())
            where = f"{step.citation.cite}（{step.citation.ref}）" if step.citation else ""
            lines.append(f"{where}{_RULE_NAMES.get(step.rule, step.rule)}: "
                         f"{_show(step.outcome)}" + (f"  [{facts}]" if facts else ""))
        return "\n".join(lines)

    def to_text(self, explain: bool = False) -> str:
        """A readable summary that cites articles in Chinese; with ``explain``, the trace after it."""
        out = [f"政策 {self.policy} · 基准日 {self.as_of.isoformat()}"]
        out.append(f"状态 status: {self.status}")
        for g in self.grounds:
            out.append(f"  解聘事由 {g.citation.cite}（{g.effect}）{_quote(g.citation)}")
        e = self.eligibility
        out.append(f"资格 eligibility: {e.result}")
        for c in e.unmet:
            out.append(f"  不符合 {c.cite}{_quote(c)}")
        for c in e.undetermined:
            out.append(f"  待定 {c.cite}{_quote(c)}")
        if e.preferred is not None:
            out.append(f"  优先 preferred: {'是' if e.preferred else '否'}"
                       + "".join(f" {c.cite}" for c in e.preferences))
        if self.term is not None:
            t = self.term
            last = t.last_day.isoformat() if t.last_day else "待定"
            out.append(f"聘期 term: {t.years} 年, {t.start.isoformat()} 起, 届满日 {last}, 第 {t.terms or '?'} 届")
            for r in t.invalid_renewals:
                out.append(f"  无效续聘 {r.on.isoformat()}: " + "、".join(c.cite for c in r.unmet))
            for r in t.undetermined_renewals:
                out.append(f"  续聘效力待定 {r.on.isoformat()}: " + "、".join(c.cite for c in r.undetermined))
        if self.recusal.result != RecusalResult.NOT_APPLICABLE:
            who = {"supervisor": "监督员", "department": "医疗保障部门"}.get(self.recusal.decided_by or "", "")
            out.append(f"回避 recusal: {self.recusal.result}" + (f"（由{who}决定）" if who else "")
                       + "".join(f" {c.cite}" for c in self.recusal.grounds))
        for v in self.violations:
            out.append(f"违纪 violation: {v.code} — {v.citation.cite}")
        for o in self.obligations:
            due = f", 期限 {o.due.isoformat()}" if o.due else ""
            out.append(f"义务 obligation: {o.duty} — {o.citation.cite}: {o.state}{due}")
        if self.report.result != ReportResult.NOT_APPLICABLE:
            r = self.report
            category = f" {r.category.cite}" if r.category else ""
            out.append(f"举报 report: {r.result}{category}" + (f"; 奖励依据 {r.reward_rules}" if r.reward_referral else ""))
        for notice in self.notices:
            where = f"{notice.citation.cite}: " if notice.citation else ""
            out.append(f"提示 notice: {where}{notice.message}")
        if self.missing_facts:
            out.append("缺少的事实 missing facts: " + ", ".join(self.missing_facts))
        if explain:
            out.append("推理过程 explanation:")
            out.extend("  " + line for line in self.explain().splitlines())
        return "\n".join(out)


_RULE_NAMES = {"require": "资格条件", "prefer": "优先条件", "term": "聘期", "renewal": "续聘", "ground": "解聘事由",
               "record": "解聘记录", "recusal": "回避", "prohibit": "纪律", "duty": "义务", "scope": "举报范围",
               "category": "举报类别", "reward": "奖励", "notice": "提示", "status": "状态"}


def _quote(c: Citation) -> str:
    if not c.text:
        return ""
    text = c.text if len(c.text) <= 40 else c.text[:39] + "…"
    return f"「{text}」"


def _show(value) -> str:
    if value is None:
        return "unknown"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _plain(value):
    """attrs objects → JSON-ready dicts (dates as ISO strings, enums as strings)."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    convert = _PLAIN.get(kind)
    return convert(value) if convert is not None else _plain_any(value)


def _plain_any(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Citation):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    return value


# What _plain_any does, by exact type, for the types decisions hold: the common ones at once.
_AS_IS = frozenset({type(None), bool, int, float, str})


def _plain_list(value) -> list:
    return [v if type(v) in _AS_IS else _plain(v) for v in value]


def _plain_dict(value) -> dict:
    return {k: v if type(v) in _AS_IS else _plain(v) for k, v in value.items()}


def _plain_object(cls):
    names = tuple(f.name for f in attrs.fields(cls))
    return lambda value: {name: _plain(getattr(value, name)) for name in names}


def _plain_step(step) -> dict:
    citation, facts = step.citation, step.facts
    return {"citation": citation.to_dict() if type(citation) is Citation else _plain(citation),
            "rule": _plain(step.rule), "outcome": _plain(step.outcome),
            "facts": _plain_dict(facts) if type(facts) is dict else _plain(facts)}


_PLAIN: dict = {dt.date: dt.date.isoformat, Citation: Citation.to_dict, list: _plain_list, tuple: _plain_list,
                dict: _plain_dict,
                **{cls: (lambda value: value.value) for cls in (Status, EligibilityResult, Effect, RecusalResult,
                                                                 DutyState, ReportResult)},
                **{cls: _plain_object(cls) for cls in (Eligibility, InvalidRenewal, UndeterminedRenewal, Term,
                                                        Ground, Recusal, Obligation, Violation, Report, Notice)}}
# ------------------------------------------------------------------ JSON text
class JsonWriter:
    """``json.dumps(decision.to_dict(), ensure_ascii=…, separators=(",", ":"))``: the same text, written
    directly, for streams of decisions (the CLI batch). Nothing in between: no ``to_dict()``; each
    citation, field name and step opening is encoded once; and a step that reads the same values as an
    earlier one (rosters repeat) reuses its text. The tests hold it to that equality."""

    MEMO = 100_000  # remembered steps, at most

    def __init__(self, ensure_ascii: bool):
        self.ensure_ascii = ensure_ascii
        text = self.text = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
        self.citations: dict[int, tuple[Citation, str]] = {}  # id → (citation, its JSON)
        self.openings: dict[tuple, tuple[Citation | None, str]] = {}  # (id(citation), rule) → step opening
        self.steps: dict[tuple, str] = {}  # (id(citation), rule, outcome, *fact values) → step JSON
        self.keys: dict[str, str] = {}
        by_type: dict = {int: int.__repr__, str: text, tuple: self.sequence, list: self.sequence,
                         dict: self.mapping, Citation: self.citation, float: self.number, Step: self.step,
                         dt.date: lambda v: '"' + v.isoformat() + '"'}
        for cls in (Status, EligibilityResult, Effect, RecusalResult, DutyState, ReportResult):
            by_type[cls] = lambda v: text(v.value)
        for cls in (Eligibility, InvalidRenewal, UndeterminedRenewal, Term, Ground, Recusal, Obligation,
                    Violation, Report, Notice):
            by_type[cls] = self.object_writer(cls)
        fallback = self.fallback

        def value(v) -> str:
            if v is None:
                return "null"
            if v is True:
                return "true"
            if v is False:
                return "false"
            write = by_type.get(type(v))
            return write(v) if write is not None else fallback(v)
        self.value = value

    def decision(self, decision: "Decision") -> str:
        value, text = self.value, self.text
        return "".join((
            '{"policy":', text(decision.policy), ',"as_of":"', decision.as_of.isoformat(),
            '","eligibility":', value(decision.eligibility), ',"term":', value(decision.term),
            ',"status":', text(str(decision.status)), ',"grounds":', value(decision.grounds),
            ',"recusal":', value(decision.recusal), ',"obligations":', value(decision.obligations),
            ',"violations":', value(decision.violations), ',"report":', value(decision.report),
            ',"notices":', value(decision.notices), ',"missing_facts":', self.sequence(decision.missing_facts),
            ',"explanation":', self.sequence(decision.explanation), "}"))

    def fallback(self, v) -> str:
        return json.dumps(_plain(v), ensure_ascii=self.ensure_ascii, separators=(",", ":"))

    def number(self, v: float) -> str:
        return float.__repr__(v) if v == v and v not in (float("inf"), float("-inf")) else self.fallback(v)

    def sequence(self, v) -> str:
        value = self.value
        return "[" + ",".join([value(item) for item in v]) + "]"

    def key(self, k: str) -> str:
        found = self.keys.get(k)
        if found is None:
            found = self.keys[k] = self.text(k) + ":"
        return found

    def mapping(self, v: dict) -> str:
        value, keys = self.value, self.keys
        parts = []
        for k, item in v.items():
            found = keys.get(k)
            if found is None:
                if type(k) is not str:
                    return self.fallback(v)
                found = self.key(k)
            parts.append(found + value(item))
        return "{" + ",".join(parts) + "}"

    def citation(self, c: Citation) -> str:
        found = self.citations.get(id(c))
        if found is None or found[0] is not c:
            found = self.citations[id(c)] = (c, self.mapping(c.to_dict()))
        return found[1]

    def step(self, step: "Step") -> str:
        citation, rule, outcome, facts = step.citation, step.rule, step.outcome, step.facts
        memo = None
        if type(facts) is dict and type(outcome) in _SCALARS and all(type(v) in _SCALARS for v in facts.values()):
            # Same provision, same outcome, same facts read (names and values): same text. The
            # types are checked, so True and 1, say, never share an entry.
            memo = (id(citation), rule, outcome, *facts.items())
            found = self.steps.get(memo)
            if found is not None and found[0] is citation:
                return found[1]
        key = (id(citation), rule)
        opening = self.openings.get(key)
        if opening is None or opening[0] is not citation or type(rule) is not str:
            where = "null" if citation is None else self.value(citation)
            opening = self.openings[key] = (citation, f'{{"citation":{where},"rule":{self.value(rule)},"outcome":')
        out = (opening[1] + self.value(outcome) + ',"facts":'
               + (self.mapping(facts) if type(facts) is dict else self.value(facts)) + "}")
        if memo is not None:
            if len(self.steps) >= self.MEMO:
                self.steps.clear()
            self.steps[memo] = (citation, out)
        return out

    def object_writer(self, cls):
        keys = tuple(('{' if i == 0 else ',') + self.key(f.name) for i, f in enumerate(attrs.fields(cls)))
        names = tuple(f.name for f in attrs.fields(cls))
        pairs = tuple(zip(keys, names))

        def write(v) -> str:
            value = self.value
            return "".join([key + value(getattr(v, name)) for key, name in pairs]) + "}"
        return write


_SCALARS = frozenset({type(None), bool, str, dt.date})

_PLAIN[Step] = _plain_step


def _setters(cls, names: tuple[str, ...]) -> tuple:
    """The slot setters of frozen ``cls``, whose fields must be ``names`` in order."""
    if tuple(f.name for f in attrs.fields(cls)) != names or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a slotted class of the fields {names}")
    return tuple(cls.__dict__[name].__set__ for name in names)


# Positional constructors taking every field, that set the slots directly: what attrs' __init__ does,
# less its per-field object.__setattr__ lookups. The runtime makes a few dozen steps per trace and a
# term per decision; ``make_step(c, r, o, f) == Step(c, r, o, f)``, ``make_term(...) == Term(...)``.
def _step_maker():
    new = object.__new__
    set_citation, set_rule, set_outcome, set_facts = _setters(Step, ("citation", "rule", "outcome", "facts"))

    def make_step(citation, rule, outcome, facts) -> Step:
        self = new(Step)
        set_citation(self, citation)
        set_rule(self, rule)
        set_outcome(self, outcome)
        set_facts(self, facts)
        return self
    return make_step


def _term_maker():
    new = object.__new__
    set_years, set_start, set_last, set_terms, set_valid, set_invalid, set_undetermined = _setters(
        Term, ("years", "start", "last_day", "terms", "valid_renewals", "invalid_renewals",
               "undetermined_renewals"))

    def make_term(years, start, last_day, terms, valid, invalid, undetermined) -> Term:
        self = new(Term)
        set_years(self, years)
        set_start(self, start)
        set_last(self, last_day)
        set_terms(self, terms)
        set_valid(self, valid)
        set_invalid(self, invalid)
        set_undetermined(self, undetermined)
        return self
    return make_term


make_step = _step_maker()
make_term = _term_maker()
