"""The decision: typed ``attrs`` objects, their JSON form (DECISION.md) and readable text."""

from __future__ import annotations

import datetime as dt
import enum
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
