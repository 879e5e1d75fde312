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
    """A provision: ``ref`` is compact and unique (``N``, ``N(k)``, ``N(k).m``, ``NpP`` and ``NpP(k)`` for a
    paragraph other than the first), ``cite`` is Chinese (第N条第P款第（k）项第m目). ``paragraph`` is None
    for the first paragraph (DECISION.md, "Citations")."""

    article: int
    paragraph: int | None
    item: int | None
    sub: int | None
    ref: str
    cite: str
    text: str | None

    def to_dict(self) -> dict:
        return {"article": self.article, "paragraph": self.paragraph, "item": self.item, "sub": self.sub, "ref": self.ref, "cite": self.cite,
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
    """A renewal that does not count, and why (DECISION.md, ``term``): ``reason`` is ``late`` (dated after
    the last day of the term it would renew), ``before_start``, ``second_in_term`` (its term was renewed
    already) or ``conditions`` (its conditions fail: ``unmet`` cites them, ``facts`` names the facts they
    read). For the first three ``unmet`` cites the term's provision and ``facts`` is empty."""

    on: dt.date
    reason: str  # "late" | "before_start" | "second_in_term" | "conditions"
    unmet: tuple[Citation, ...]
    facts: tuple[str, ...] = ()


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
    bearer: str = "supervisor"  # who owes it: "supervisor" | "department" (docs/decisions.md)


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
class Finding:
    """A conclusion the policy defines (``conclusion CODE "label" …``): its declared ``code`` and
    ``label``, its ``value`` (True for a yes/no conclusion that holds; a date, enum value, number or
    text for a valued one; None where it is unknown), the provision that draws it and, for a
    conclusion drawn per entry of a list (``for each r in LIST``), the entry's index (from 0)."""

    code: str
    label: str
    value: Any
    citation: Citation
    item: int | None = None


@attrs.frozen
class CalendarStamp:
    """The working-day calendar a decision counted on: its ``source``, the data's ``version`` (the
    release, or ``sha256:…`` of the data where it has none) and the ``years`` it covers."""

    source: str
    version: str
    years: tuple[int, ...]


@attrs.frozen
class Meta:
    """What produced a decision, for audit (DECISION.md, ``meta``): the SHA-256 of the policy's source
    and its imports, the engine's version and the calendar. No clock: the same inputs, the same stamp."""

    policy_sha256: str
    engine_version: str
    calendar: CalendarStamp


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
    findings: tuple[Finding, ...]
    missing_facts: tuple[str, ...]
    meta: Meta | None = None  # set by the Policy that evaluated (the backends leave it out)
    _trace: Callable[[], tuple[Step, ...]] | None = attrs.field(default=None, repr=False, eq=False)
    _explanation: tuple[Step, ...] | None = attrs.field(default=None, repr=False, eq=False)

    def __reduce__(self):
        # The trace is a closure over the evaluation; what crosses to another process is its result.
        return Decision, (self.policy, self.as_of, self.eligibility, self.term, self.status, self.grounds,
                          self.recusal, self.obligations, self.violations, self.report, self.notices,
                          self.findings, self.missing_facts, self.meta, None, self.explanation)

    @property
    def explanation(self) -> tuple[Step, ...]:
        """The trace, computed on first use: undecorated evaluation pays nothing for it."""
        if self._explanation is None:
            self._explanation = self._trace() if self._trace is not None else ()
        return self._explanation

    def to_dict(self, explanation: bool = True) -> dict:
        """The JSON structure of DECISION.md; without ``explanation``, less its ``explanation`` key."""
        out = {
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
            "findings": _plain(self.findings),
            "missing_facts": list(self.missing_facts),
        }
        if explanation:
            out["explanation"] = _plain(self.explanation)
        out["meta"] = _plain(self.meta)
        return out

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
            for u in t.undetermined_renewals:
                out.append(f"  续聘效力待定 {u.on.isoformat()}: " + "、".join(c.cite for c in u.undetermined))
        if self.recusal.result != RecusalResult.NOT_APPLICABLE:
            who = {"supervisor": "监督员", "department": "医疗保障部门"}.get(self.recusal.decided_by or "", "")
            out.append(f"回避 recusal: {self.recusal.result}" + (f"（由{who}决定）" if who else "")
                       + "".join(f" {c.cite}" for c in self.recusal.grounds))
        for v in self.violations:
            out.append(f"违纪 violation: {v.code} — {v.citation.cite}")
        for o in self.obligations:
            due = f", 期限 {o.due.isoformat()}" if o.due else ""
            bearer = "（由医疗保障部门履行）" if o.bearer == "department" else "（由监督员履行）"
            out.append(f"义务 obligation: {o.duty}{bearer} — {o.citation.cite}: {o.state}{due}")
        if self.report.result != ReportResult.NOT_APPLICABLE:
            report = self.report
            category = f" {report.category.cite}" if report.category else ""
            out.append(f"举报 report: {report.result}{category}"
                       + (f"; 奖励依据 {report.reward_rules}" if report.reward_referral else ""))
        for notice in self.notices:
            where = f"{notice.citation.cite}: " if notice.citation else ""
            out.append(f"提示 notice: {where}{notice.message}")
        for f in self.findings:
            item = f"第 {f.item + 1} 项" if f.item is not None else ""
            value = "是" if f.value is True else "待定" if f.value is None else _show(f.value)
            out.append(f"结论 finding: {f.label}（{f.code}）{item} — {f.citation.cite}: {value}")
        if self.missing_facts:
            out.append("缺少的事实 missing facts: " + ", ".join(self.missing_facts))
        if explain:
            out.append("推理过程 explanation:")
            out.extend("  " + line for line in self.explain().splitlines())
        return "\n".join(out)


_RULE_NAMES = {"require": "资格条件", "prefer": "优先条件", "term": "聘期", "renewal": "续聘", "ground": "解聘事由",
               "record": "解聘记录", "recusal": "回避", "prohibit": "纪律", "duty": "义务", "scope": "举报范围",
               "category": "举报类别", "reward": "奖励", "notice": "提示", "conclusion": "结论",
               "status": "状态"}


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
                                                        Ground, Recusal, Obligation, Violation, Report, Notice,
                                                        Finding, Meta, CalendarStamp)}}


# ------------------------------------------------------------------ the trace, as recorded
class TraceSite:
    """Where steps of a trace come from: one rule's citation and kind, and the facts its steps show.

    Evaluation records a step as a tuple ``(site, outcome, *values)``, the values being those of the
    facts ``site.keys`` at the time, in order: cheaper than a ``Step`` with its dict, and what the
    batch writes as JSON without ever building the ``Step`` (``JsonWriter``). ``step`` makes the
    ``Step`` of the explanation from a record. ``listed``: the outcome is a list, recorded as a tuple
    (so that records hash). ``memo``: every value a record of this site can hold is of a type whose
    equal values have equal JSON (booleans, dates, texts, lists of these), so equal records may share
    their text. ``lead``: how many of the keys, from the first, hold dates (a renewal's own date, say),
    which seldom repeat. Sites compare by identity."""

    __slots__ = ("citation", "rule", "keys", "listed", "memo", "lead")

    def __init__(self, citation: Citation | None, rule: str, keys: tuple[str, ...], listed: bool = False,
                 memo: bool = False, lead: int = 0):
        self.citation = citation
        self.rule = rule
        self.keys = keys
        self.listed = listed
        self.memo = memo
        self.lead = lead

    def __repr__(self) -> str:
        where = self.citation.ref if self.citation is not None else "-"
        return f"<TraceSite {where} {self.rule} {list(self.keys)}>"

    def step(self, record: tuple) -> Step:
        """The explanation's ``Step`` for a record of this site."""
        outcome = record[1]
        return make_step(self.citation, self.rule, list(outcome) if self.listed else outcome,
                         dict(zip(self.keys, record[2:])))


def steps_of(records) -> tuple[Step, ...]:
    """The explanation from trace records ``(site, outcome, *values)``."""
    return tuple([record[0].step(record) for record in records])


# ------------------------------------------------------------------ JSON text
class JsonWriter:
    """Decisions as JSON bytes, for streams of them (the CLI batch): exactly
    ``json.dumps(decision.to_dict(), ensure_ascii=…, separators=(",", ":"))`` encoded as UTF-8 (ASCII
    with ``ensure_ascii``), the tests hold it to that. Nothing in between: no ``to_dict()``, no ``str``
    to encode afterwards; each citation, key and step opening is encoded once; the immutable parts
    decisions share (eligibility outcomes, grounds, notices, …) are encoded once each; and a trace step
    recorded with the same values as an earlier one (rosters repeat) reuses that one's text.

    One difference from ``json.dumps`` + encoding: a lone surrogate (JSON text may carry ``"\\ud800"``),
    which UTF-8 cannot encode, is written as its JSON escape, so the output is still valid JSON."""

    MEMO = 20_000  # remembered step texts, at most
    SHARED = 4_096  # remembered texts of shared decision parts, citations, dates and strings, at most

    def __init__(self, ensure_ascii: bool):
        self.ensure_ascii = ensure_ascii
        encode = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
        self.quote = lambda s: encode(s).encode("utf-8", "backslashreplace")
        self.memo: dict[tuple, bytes] = {}  # trace record → its step's text
        self.ids: dict[int, tuple[Any, bytes]] = {}  # id → (immutable object, its text)
        self.strings: dict[str, bytes] = {}
        self.dates: dict[dt.date, bytes] = {}
        self.keys: dict[str, bytes] = {}
        # site → (its opening, its fact keys, its closing, the texts of its facts after the dates)
        self.sites: dict[TraceSite, tuple[bytes, tuple[bytes, ...], bytes, dict]] = {}
        self.heads: dict[str, bytes] = {}
        self.lists: dict[tuple, bytes] = {}  # missing_facts → text
        self.integers = {i: str(i).encode() for i in range(100)}
        writers: dict = {Citation: self.mapping_of(Citation.to_dict), Step: self.step}
        for cls in (Eligibility, InvalidRenewal, UndeterminedRenewal, Term, Ground, Recusal, Obligation,
                    Violation, Report, Notice, Finding, Meta, CalendarStamp):
            writers[cls] = self.object_writer(cls)
        self.writers = writers
        string, shared = self.string, self.shared
        by_type: dict = {str: string, int: self.integer, float: self.number, tuple: self.sequence,
                         list: self.sequence, dict: self.mapping, dt.date: self.date, Step: self.step,
                         Term: self.term, InvalidRenewal: self.renewal, UndeterminedRenewal: self.renewal,
                         Finding: writers[Finding]}
        for enum_cls in (Status, EligibilityResult, Effect, RecusalResult, DutyState, ReportResult):
            by_type[enum_cls] = lambda v: string(v.value)
        # Citations and the parts decisions share are immutable: their text is remembered by identity.
        # (Terms and renewals are new with every decision: written afresh.)
        for shared_cls in (Citation, Eligibility, Ground, Recusal, Obligation, Violation, Report, Notice, Meta,
                           CalendarStamp):
            by_type[shared_cls] = shared
        fallback = self.fallback

        def value(v) -> bytes:
            if v is None:
                return b"null"
            if v is True:
                return b"true"
            if v is False:
                return b"false"
            write = by_type.get(type(v))
            return write(v) if write is not None else fallback(v)
        self.value = value

    # -------------------------------------------------------------- decisions
    def decision(self, decision: "Decision") -> str:
        """The decision's JSON text (``decision_bytes`` decoded)."""
        return self.decision_bytes(decision).decode("utf-8")

    def decision_bytes(self, decision: "Decision", records=None, *, explanation: bool = True) -> bytes:
        """The decision's JSON; its explanation written from ``records`` (``(site, outcome, *values)``,
        as evaluation recorded them) if given, else from ``decision.explanation``. Without
        ``explanation``, the JSON has no ``explanation`` key (which leaves DECISION.md's format)."""
        return b"".join(self.decision_parts(decision, records, explanation=explanation))

    def decision_parts(self, decision: "Decision", records=None, *, explanation: bool = True) -> list[bytes]:
        """``decision_bytes`` in pieces, for a caller that joins many decisions' pieces at once (each
        join copies: a line's text is copied once here, not once per layer)."""
        value, sequence = self.value, self.sequence
        head = self.heads.get(decision.policy)
        if head is None:
            head = self.heads[decision.policy] = b'{"policy":' + self.string(decision.policy) + b',"as_of":'
        term, missing = decision.term, decision.missing_facts
        missing_text = self.lists.get(missing) if type(missing) is tuple else None
        if missing_text is None:
            missing_text = sequence(missing)
            if type(missing) is tuple and all(type(m) is str for m in missing):
                if len(self.lists) >= self.SHARED:
                    self.lists.clear()
                self.lists[missing] = missing_text
        parts = [
            head, self.date(decision.as_of), b',"eligibility":', value(decision.eligibility),
            b',"term":', b"null" if term is None else value(term),
            b',"status":', self.string(str(decision.status)), b',"grounds":', sequence(decision.grounds),
            b',"recusal":', value(decision.recusal), b',"obligations":', sequence(decision.obligations),
            b',"violations":', sequence(decision.violations), b',"report":', value(decision.report),
            b',"notices":', sequence(decision.notices), b',"findings":', sequence(decision.findings),
            b',"missing_facts":', missing_text]
        if not explanation:
            pass
        elif records is None:
            parts += (b',"explanation":', sequence(decision.explanation))
        else:
            parts += (b',"explanation":[', self.steps(records), b"]")
        meta = decision.meta
        parts += (b',"meta":', b"null" if meta is None else value(meta), b"}")
        return parts

    # Terms and their renewals, new with every decision, spelled out: most decisions have a term.
    def term(self, term: Term) -> bytes:
        value, date, sequence = self.value, self.date, self.sequence
        last_day, valid, invalid, undetermined = (term.last_day, term.valid_renewals, term.invalid_renewals,
                                                  term.undetermined_renewals)
        return b"".join((
            b'{"years":', value(term.years), b',"start":', date(term.start),
            b',"last_day":', b"null" if last_day is None else date(last_day), b',"terms":', value(term.terms),
            b',"valid_renewals":', sequence(valid) if valid else b"[]",
            b',"invalid_renewals":', sequence(invalid) if invalid else b"[]",
            b',"undetermined_renewals":', sequence(undetermined) if undetermined else b"[]", b"}"))

    def renewal(self, r: InvalidRenewal | UndeterminedRenewal) -> bytes:
        if isinstance(r, InvalidRenewal):
            return b"".join((b'{"on":', self.value(r.on), b',"reason":', self.string(r.reason), b',"unmet":',
                             self.sequence(r.unmet), b',"facts":', self.sequence(r.facts), b"}"))
        return b"".join((b'{"on":', self.value(r.on), b',"undetermined":', self.sequence(r.undetermined), b"}"))

    def integer(self, v: int) -> bytes:
        found = self.integers.get(v)
        return found if found is not None else int.__repr__(v).encode()

    def steps(self, records) -> bytes:
        """The JSON of the steps recorded as ``records``, separated by commas."""
        memo = self.memo
        # Looked up all at once (a loop in C). Only records of memo sites are remembered, and a record
        # equals only records of its own site, so a lookup never finds another site's text.
        try:
            texts = list(map(memo.get, records))
        except TypeError:  # an unhashable value (a list of records, say): those are looked up one by one
            texts = [self.lookup(r) for r in records]
        if not all(texts):
            record = self.record
            for i, text in enumerate(texts):
                if text is None:
                    r = records[i]
                    text = texts[i] = record(r)
                    site = r[0]
                    # A step showing a date is seldom seen again: not remembered (record() remembers
                    # the rest of it), lest it crowd out those that are.
                    if site.memo and not (site.lead and any(r[2:2 + site.lead])):
                        if len(memo) >= self.MEMO:
                            memo.clear()
                        memo[r] = text
        return b",".join(texts)  # type: ignore[arg-type]  # every None was filled in above

    def lookup(self, r: tuple) -> bytes | None:
        try:
            return self.memo.get(r)
        except TypeError:
            return None

    def record(self, r: tuple) -> bytes:
        """One recorded step's JSON: the site's opening, the outcome, the facts read."""
        site = r[0]
        parts = self.sites.get(site)
        if parts is None:
            parts = self.site_parts(site)
        opening, keys, closing, rests = parts
        value = self.value
        out = [opening, value(r[1])]
        lead = site.lead
        if lead and site.memo and lead < len(keys):
            # The dates first, then the rest of the facts, whose text is remembered.
            for key, item in zip(keys, r[2:2 + lead]):
                out.append(key)
                out.append(value(item))
            rest = r[2 + lead:]
            text = rests.get(rest)
            if text is None:
                text = b"".join([key + value(item) for key, item in zip(keys[lead:], rest)]) + closing
                if len(rests) >= self.SHARED:
                    rests.clear()
                rests[rest] = text
            out.append(text)
            return b"".join(out)
        for key, item in zip(keys, r[2:]):
            out.append(key)
            out.append(value(item))
        out.append(closing)
        return b"".join(out)

    def site_parts(self, site: TraceSite) -> tuple[bytes, tuple[bytes, ...], bytes, dict]:
        citation = b"null" if site.citation is None else self.value(site.citation)
        opening = b'{"citation":' + citation + b',"rule":' + self.value(site.rule) + b',"outcome":'
        keys = tuple((b',"facts":{' if i == 0 else b",") + self.quote(k) + b":" for i, k in enumerate(site.keys))
        parts: tuple = (opening, keys, b"}}" if keys else b',"facts":{}}', {})
        if len(self.sites) >= self.SHARED:
            self.sites.clear()
        self.sites[site] = parts
        return parts

    # -------------------------------------------------------------- values
    def shared(self, v) -> bytes:
        """The text of an immutable object, remembered by identity (the object is kept with it, so its
        id cannot be reused while remembered)."""
        found = self.ids.get(id(v))
        if found is not None and found[0] is v:
            return found[1]
        text = self.writers[type(v)](v)
        if len(self.ids) >= self.SHARED:
            self.ids.clear()
        self.ids[id(v)] = (v, text)
        return text

    def string(self, s: str) -> bytes:
        found = self.strings.get(s)
        if found is None:
            found = self.quote(s)
            if len(self.strings) >= self.SHARED:
                self.strings.clear()
            self.strings[s] = found
        return found

    def date(self, d: dt.date) -> bytes:
        if type(d) is not dt.date:  # a datetime, say: whatever json.dumps of to_dict() makes of it
            return self.fallback(d)
        found = self.dates.get(d)
        if found is None:
            found = b'"' + d.isoformat().encode() + b'"'
            if len(self.dates) >= self.SHARED:
                self.dates.clear()
            self.dates[d] = found
        return found

    def key(self, k: str) -> bytes:
        found = self.keys.get(k)
        if found is None:
            found = self.quote(k) + b":"
            if len(self.keys) >= self.SHARED:
                self.keys.clear()
            self.keys[k] = found
        return found

    def fallback(self, v) -> bytes:
        return json.dumps(_plain(v), ensure_ascii=self.ensure_ascii,
                          separators=(",", ":")).encode("utf-8", "backslashreplace")

    def number(self, v: float) -> bytes:
        return float.__repr__(v).encode() if v == v and v not in (float("inf"), float("-inf")) else self.fallback(v)

    def sequence(self, v) -> bytes:
        if not v:
            return b"[]"
        value = self.value
        return b"[" + b",".join([value(item) for item in v]) + b"]"

    def mapping(self, v: dict) -> bytes:
        if not v:
            return b"{}"
        value, key = self.value, self.key
        parts = []
        for k, item in v.items():
            if type(k) is not str:
                return self.fallback(v)
            parts.append(key(k) + value(item))
        return b"{" + b",".join(parts) + b"}"

    def mapping_of(self, to_dict):
        return lambda v: self.mapping(to_dict(v))

    def step(self, step: "Step") -> bytes:
        value, citation = self.value, step.citation
        return b"".join((b'{"citation":', b"null" if citation is None else value(citation), b',"rule":',
                         value(step.rule), b',"outcome":', value(step.outcome), b',"facts":', value(step.facts),
                         b"}"))

    def object_writer(self, cls):
        pairs = tuple((('{' if i == 0 else ',').encode() + self.key(f.name), f.name)
                      for i, f in enumerate(attrs.fields(cls)))

        def write(v) -> bytes:
            value = self.value
            return b"".join([key + value(getattr(v, name)) for key, name in pairs]) + b"}"
        return write

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
