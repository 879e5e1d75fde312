"""The decision: typed ``attrs`` objects, their JSON form (DECISION.md) and readable text."""

from __future__ import annotations

import datetime as dt
import enum
import json
import typing
from typing import Any, Callable

import attrs

from supervisor_rules.contracts.reasons import Reason, explanation_lines


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
    # Set by the Policy that evaluated (the backends leave it out); a stamp, not a conclusion: two
    # decisions that conclude the same are equal whatever produced them.
    meta: Meta | None = attrs.field(default=None, eq=False)
    # The rule-by-rule trace: a closure over the evaluation (the backend's own record), or its steps.
    _trace: Callable[[], tuple[Step, ...]] | None = attrs.field(default=None, repr=False, eq=False)
    _steps: tuple[Step, ...] | None = attrs.field(default=None, repr=False, eq=False)
    # The explanation: ``explain.Explained`` (set by the Policy, computed on first use), or its results.
    _explained: Any = attrs.field(default=None, repr=False, eq=False)
    _reasons: tuple[Reason, ...] | None = attrs.field(default=None, repr=False, eq=False)
    _questions: tuple[dict, ...] | None = attrs.field(default=None, repr=False, eq=False)
    _labels: "TextLabels | None" = attrs.field(default=None, repr=False, eq=False)
    #: The fields asked for with ``Policy.evaluate(case, only=…)``, in Decision's order; None: all of them.
    #: The others are None and ``to_dict()`` leaves them out.
    only: tuple[str, ...] | None = attrs.field(default=None, kw_only=True, eq=False)

    def __reduce__(self):
        # The trace and the explanation are closures over the evaluation; their results cross processes.
        return _unpickle, (self.policy, self.as_of, self.eligibility, self.term, self.status, self.grounds,
                           self.recusal, self.obligations, self.violations, self.report, self.notices,
                           self.findings, self.missing_facts, self.meta, self.trace, self.explanation,
                           self.open_questions, self._labels, self.only)

    @property
    def trace(self) -> tuple[Step, ...]:
        """Every rule the evaluation met, in order, with its outcome and the facts it read (``--all``);
        computed on first use."""
        if self._steps is None:
            self._steps = (self._trace() if self._trace is not None
                           else self._explained.trace(self) if self._explained is not None else ())
        return self._steps

    @property
    def explanation(self) -> tuple[Reason, ...]:
        """One reason tree per conclusion (DECISION.md ``explanation``), computed on first use."""
        if self._reasons is None:
            self._reasons = self._explained.reasons(self) if self._explained is not None else ()
        return self._reasons

    @property
    def open_questions(self) -> tuple[dict, ...]:
        """For each conclusion that is unknown, the facts that could decide it and what each answer
        gives (DECISION.md ``open_questions``), computed on first use."""
        if self._questions is None:
            self._questions = self._explained.open_questions(self) if self._explained is not None else ()
        return self._questions

    def to_dict(self, explanation: bool = True, *, open_questions: bool = True) -> dict:
        """The JSON structure of DECISION.md; without ``explanation``, less its ``explanation`` key;
        without ``open_questions`` (each answer in it costs an evaluation), less that key too."""
        out = {  # each class's converter called straight (_converter): no lookup by type on the way
            "policy": self.policy,
            "as_of": self.as_of.isoformat(),
            "eligibility": _ELIGIBILITY_DICT(self.eligibility),
            "term": None if self.term is None else _TERM_DICT(self.term),
            "status": str(self.status),
            "grounds": [_GROUND_DICT(g) for g in self.grounds],
            "recusal": _RECUSAL_DICT(self.recusal),
            "obligations": [_OBLIGATION_DICT(o) for o in self.obligations],
            "violations": [_VIOLATION_DICT(v) for v in self.violations],
            "report": _REPORT_DICT(self.report),
            "notices": [_NOTICE_DICT(n) for n in self.notices],
            "findings": [_FINDING_DICT(f) for f in self.findings],
            "missing_facts": list(self.missing_facts),
        } if self.only is None else {
            "policy": self.policy,
            "as_of": self.as_of.isoformat(),
            **{field: str(self.status) if field == "status" else _plain(getattr(self, field)) for field in self.only},
            "missing_facts": list(self.missing_facts),
        }
        # The trees first: the open questions then read the open conclusions' trees from them, not anew.
        reasons = self.explanation if explanation else ()
        if open_questions:
            out["open_questions"] = list(self.open_questions)
        if explanation:
            out["explanation"] = [r.to_dict() for r in reasons]
        out["meta"] = None if self.meta is None else _META_DICT(self.meta)
        return out

    def trace_text(self) -> str:
        """The trace as readable lines, each citing its provision in Chinese (``eval --explain --all``)."""
        lines = []
        for step in self.trace:
            facts = ", ".join(f"{k}={_show(v)}" for k, v in step.facts.items())
            where = f"{step.citation.cite}（{step.citation.ref}）" if step.citation else ""
            lines.append(f"{where}{_RULE_NAMES.get(step.rule, step.rule)}: "
                         f"{_show(step.outcome)}" + (f"  [{facts}]" if facts else ""))
        return "\n".join(lines)

    def explain(self, lang: str = "zh", *, all: bool = False, labels: "TextLabels | None" = None) -> str:
        """Why each conclusion is what it is, in one language (``zh`` or ``en``): the reason trees, what
        would change each, the open questions; with ``all``, every rule the evaluation met after them."""
        if lang not in TEXT_WORDS:
            raise ValueError(f"lang must be one of {', '.join(TEXT_WORDS)}, not {lang!r}")
        from_labels = labels or self._labels or TextLabels()
        out = explanation_lines(self, lang, from_labels, TEXT_WORDS[lang])
        if all:
            out.append(TEXT_WORDS[lang]["all_rules"])
            out.extend("  " + line for line in self.trace_text().splitlines())
        return "\n".join(out)

    def to_text(self, explain: bool = False, lang: str = "zh", labels: "TextLabels | None" = None,
                all: bool = False) -> str:
        """A readable summary in one language (``lang``: ``zh`` or ``en``), naming facts and enum values
        by the rule file's labels (``labels``, from ``Policy.text_labels``) in Chinese; with ``explain``,
        the reasons after it (``all``: and every rule the evaluation met)."""
        if lang not in TEXT_WORDS:
            raise ValueError(f"lang must be one of {', '.join(TEXT_WORDS)}, not {lang!r}")
        labels = labels or self._labels or TextLabels()
        out = summary_lines(self, lang, labels)
        if explain:
            out.append(self.explain(lang, all=all, labels=labels))
        return "\n".join(out)


def _unpickle(policy, as_of, eligibility, term, status, grounds, recusal, obligations, violations, report, notices,
              findings, missing_facts, meta, steps, reasons, questions, labels, only=None) -> "Decision":
    decision = Decision(policy, as_of, eligibility, term, status, grounds, recusal, obligations, violations, report,
                        notices, findings, missing_facts, meta, only=only)
    decision._steps, decision._reasons, decision._questions, decision._labels = steps, reasons, questions, labels
    return decision


@attrs.frozen
class TextLabels:
    """The rule file's own words for the text output: ``facts`` (``section.fact`` → its label) and
    ``values`` (an enum value → its label, the first declared where two enums share a value; a duty's
    code → its label)."""

    facts: dict = attrs.field(factory=dict)
    values: dict = attrs.field(factory=dict)
    cites: dict = attrs.field(factory=dict)  # a provision's ref → how the regulation names it (第五条)


#: The summary's words in each language: headings, then each enum's values.
TEXT_WORDS: dict[str, dict[str, Any]] = {
    "zh": {
        "head": "政策 {policy} · 基准日 {as_of}", "status": "状态：{}", "ground": "解聘事由",
        "eligibility": "资格：{}", "unmet": "不符合", "undetermined": "待定", "preferred": "优先：{}",
        "yes": "是", "no": "否", "open": "待定", "term": "聘期：{years} 年，自 {start} 起，届满日 {last}，{terms}",
        "terms": "第 {} 届", "terms_open": "届数待定",
        "invalid": "无效续聘", "open_renewal": "续聘效力待定", "recusal": "回避：{}", "decided_by": "（由{}决定）",
        "violation": "违纪：{}", "obligation": "义务：{duty}（由{bearer}履行） {cite}：{state}", "due": "，期限 {}",
        "report": "举报：{}", "reward": "；奖励依据 {}", "notice": "提示：", "finding": "结论：{label} {cite}：{value}",
        "item": "第 {} 项 ", "missing": "缺少的事实：", "sep": "、", "colon": "：", "paren": "（{}）",
        "status_values": {"not_appointed": "未聘任", "active": "在聘", "dismissed": "已解聘", "unknown": "待定"},
        "effect": {"automatic": "自然解聘", "mandatory": "应当解聘", "discretionary": "可以解聘"},
        "eligibility_values": {"eligible": "符合条件", "ineligible": "不符合条件", "unknown": "待定",
                               "not_applicable": "不适用"},
        "recusal_values": {"required": "应当回避", "request": "应当申请回避", "not_required": "无需回避",
                           "not_applicable": "不适用", "unknown": "待定"},
        "state": {"owed": "待履行", "met": "已履行", "overdue": "逾期", "breached": "已违反", "unknown": "待定"},
        "report_values": {"in_scope": "属于举报范围", "out_of_scope": "不属于举报范围", "unknown": "待定",
                          "not_applicable": "不适用"},
        "who": {"supervisor": "监督员", "department": "医疗保障部门"},
        "reason": {"late": "聘期届满后才续聘", "before_start": "早于聘任起始日", "second_in_term": "同一聘期内再次续聘",
                   "conditions": "不符合续聘条件"},
        "true": "是", "false": "否", "none": "待定", "all_rules": "全部规则（含未适用的）：",
        "kinds": {"require": "资格条件", "prefer": "优先条件", "term": "聘期", "renewal": "续聘",
                  "renewal_condition": "续聘条件", "ground": "解聘事由", "record": "解聘记录", "recusal": "回避",
                  "prohibit": "纪律", "duty": "义务", "scope": "举报范围", "category": "举报类别", "reward": "奖励",
                  "notice": "提示", "conclusion": "结论"},
    },
    "en": {
        "head": "Policy {policy} · as of {as_of}", "status": "Status: {}", "ground": "Dismissal ground",
        "eligibility": "Eligibility: {}", "unmet": "unmet", "undetermined": "undetermined", "preferred": "Preferred: {}",
        "yes": "yes", "no": "no", "open": "undetermined",
        "term": "Term: {years} years from {start}, last day {last}, {terms}",
        "terms": "term {}", "terms_open": "term undetermined",
        "invalid": "invalid renewal", "open_renewal": "renewal of undetermined validity", "recusal": "Recusal: {}",
        "decided_by": " (decided by the {})", "violation": "Violation: {}",
        "obligation": "Obligation: {duty} (owed by the {bearer}) {cite}: {state}", "due": ", due {}",
        "report": "Report: {}", "reward": "; reward rules: {}", "notice": "Notice: ",
        "finding": "Conclusion: {label} {cite}: {value}", "item": "entry {} ", "missing": "Missing facts: ",
        "sep": ", ", "colon": ": ", "paren": " ({})",
        "status_values": {"not_appointed": "not appointed", "active": "active", "dismissed": "dismissed",
                          "unknown": "unknown"},
        "effect": {"automatic": "automatic", "mandatory": "mandatory", "discretionary": "discretionary"},
        "eligibility_values": {"eligible": "eligible", "ineligible": "ineligible", "unknown": "unknown",
                               "not_applicable": "not applicable"},
        "recusal_values": {"required": "required", "request": "must request recusal", "not_required": "not required",
                           "not_applicable": "not applicable", "unknown": "unknown"},
        "state": {"owed": "owed", "met": "met", "overdue": "overdue", "breached": "breached", "unknown": "unknown"},
        "report_values": {"in_scope": "in scope", "out_of_scope": "out of scope", "unknown": "unknown",
                          "not_applicable": "not applicable"},
        "who": {"supervisor": "supervisor", "department": "medical security department"},
        "reason": {"late": "after the term's last day", "before_start": "before the appointment's start",
                   "second_in_term": "a second renewal in the same term", "conditions": "its conditions are unmet"},
        "true": "true", "false": "false", "none": "unknown", "all_rules": "Every rule met, fired or not:",
        "kinds": {"require": "requirement", "prefer": "preference", "term": "term", "renewal": "renewal",
                  "renewal_condition": "renewal condition", "ground": "dismissal ground", "record": "dismissal record",
                  "recusal": "recusal", "prohibit": "prohibition", "duty": "duty", "scope": "report scope",
                  "category": "report category", "reward": "reward", "notice": "notice", "conclusion": "conclusion"},
    },
}


def summary_lines(decision: "Decision", lang: str, labels: TextLabels) -> list[str]:
    """``Decision.to_text``'s summary, in ``lang``: Chinese names provisions as the regulation does
    (第五条) and facts and values by the rule file's labels; English by ref (art. 5) and code."""
    w = TEXT_WORDS[lang]
    zh = lang == "zh"

    def cite(c: Citation) -> str:
        return c.cite if zh else f"art. {c.ref}"

    def quoted(c: Citation) -> str:
        return _quote(c) if zh else ""  # the regulation's wording is Chinese: quoted in the Chinese text only

    def value_name(code: str) -> str:
        return labels.values.get(code) or code if zh else code

    def shown(value) -> str:
        if value is None or value is True or value is False:
            return w["none" if value is None else "true" if value else "false"]
        if isinstance(value, str):
            return value_name(value)
        if isinstance(value, (list, tuple)):
            return "[" + w["sep"].join(shown(v) for v in value) + "]"
        return _show(value)

    out = [w["head"].format(policy=decision.policy, as_of=decision.as_of.isoformat())]
    if decision.status is not None:
        out.append(w["status"].format(w["status_values"].get(str(decision.status), str(decision.status))))
    for g in decision.grounds or ():
        out.append(f"  {w['ground']} {cite(g.citation)}{w['paren'].format(w['effect'][str(g.effect)])}"
                   f"{quoted(g.citation)}")
    e = decision.eligibility
    if e is not None:
        out.append(w["eligibility"].format(w["eligibility_values"].get(str(e.result), str(e.result))))
        for c in e.unmet:
            out.append(f"  {w['unmet']} {cite(c)}{quoted(c)}")
        for c in e.undetermined:
            out.append(f"  {w['undetermined']} {cite(c)}{quoted(c)}")
        if e.preferred is not None:
            out.append("  " + w["preferred"].format(w["yes"] if e.preferred else w["no"])
                       + "".join(f" {cite(c)}" for c in e.preferences))
    if decision.term is not None:
        t = decision.term
        out.append(w["term"].format(years=_show(t.years), start=t.start.isoformat(),
                                    last=t.last_day.isoformat() if t.last_day else w["open"],
                                    terms=w["terms"].format(t.terms) if t.terms else w["terms_open"]))
        for r in t.invalid_renewals:
            out.append(f"  {w['invalid']} {r.on.isoformat()}{w['colon']}{w['reason'].get(r.reason, r.reason)}"
                       + (w["paren"].format(w["sep"].join(cite(c) for c in r.unmet)) if r.unmet else ""))
        for u in t.undetermined_renewals:
            out.append(f"  {w['open_renewal']} {u.on.isoformat()}{w['colon']}"
                       + w["sep"].join(cite(c) for c in u.undetermined))
    recusal = decision.recusal
    if recusal is not None and recusal.result != RecusalResult.NOT_APPLICABLE:
        who = w["who"].get(recusal.decided_by or "", "")
        out.append(w["recusal"].format(w["recusal_values"].get(str(recusal.result), str(recusal.result)))
                   + (w["decided_by"].format(who) if who else "") + "".join(f" {cite(c)}" for c in recusal.grounds))
    for v in decision.violations or ():
        out.append(w["violation"].format(f"{value_name(v.code)} — {cite(v.citation)}"))
    for o in decision.obligations or ():
        line = w["obligation"].format(duty=value_name(o.duty), bearer=w["who"].get(o.bearer, o.bearer),
                                      cite=cite(o.citation), state=w["state"].get(str(o.state), str(o.state)))
        out.append(line + (w["due"].format(o.due.isoformat()) if o.due else ""))
    report = decision.report
    if report is not None and report.result != ReportResult.NOT_APPLICABLE:
        category = f" {cite(report.category)}" if report.category else ""
        out.append(w["report"].format(w["report_values"].get(str(report.result), str(report.result)) + category)
                   + (w["reward"].format(report.reward_rules) if report.reward_referral else ""))
    for notice in decision.notices or ():
        where = f"{cite(notice.citation)}{w['colon']}" if notice.citation else ""
        out.append(f"{w['notice']}{where}{notice.message}")
    for f in decision.findings or ():
        item = w["item"].format(f.item + 1) if f.item is not None else ""
        value = (w["yes"] if f.value is True else w["open"] if f.value is None else shown(f.value))
        out.append(w["finding"].format(label=(f.label or f.code) if zh else f.code, cite=item + cite(f.citation),
                                       value=value))
    if decision.missing_facts:
        named = [f"{labels.facts[k]}（{k}）" if zh and labels.facts.get(k) else k for k in decision.missing_facts]
        out.append(w["missing"] + w["sep"].join(named))
    return out


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


def _plain_step(step) -> dict:
    citation, facts = step.citation, step.facts
    return {"citation": citation.to_dict() if type(citation) is Citation else _plain(citation),
            "rule": _plain(step.rule), "outcome": _plain(step.outcome),
            "facts": _plain_dict(facts) if type(facts) is dict else _plain(facts)}


_PLAIN: dict = {dt.date: dt.date.isoformat, Citation: Citation.to_dict, list: _plain_list, tuple: _plain_list,
                dict: _plain_dict,
                **{cls: (lambda value: value.value) for cls in (Status, EligibilityResult, Effect, RecusalResult,
                                                                 DutyState, ReportResult)}}


def _converter(cls) -> Callable[[Any], dict]:
    """``cls``'s JSON dict, written once as straight-line code from its fields' declared types (what a
    decision is made of, converted for every decision: a generic walk costs three times as much)."""
    hints = typing.get_type_hints(cls)
    namespace: dict[str, Any] = {"__builtins__": {}, "plain": _plain, "list": list}
    parts = []
    for number, field in enumerate(attrs.fields(cls)):
        kind, read = hints[field.name], f"v.{field.name}"
        args = typing.get_args(kind)
        optional = type(None) in args and len(args) == 2
        inner = next((a for a in args if a is not type(None)), kind) if optional else kind
        listed = typing.get_origin(inner) is tuple and len(typing.get_args(inner)) == 2 \
            and typing.get_args(inner)[1] is Ellipsis
        element = typing.get_args(inner)[0] if listed else inner
        if element in (str, int, bool):
            code = "{x}"
        elif element is dt.date:
            code = "{x}.isoformat()"
        elif isinstance(element, type) and issubclass(element, enum.Enum):
            code = "{x}._value_"  # the member's own attribute: `.value` is a descriptor, ten times slower
        elif element is Citation or element in _PLAIN_OBJECTS:
            namespace[f"c{number}"] = Citation.to_dict if element is Citation else _converter(element)
            code = f"c{number}({{x}})"
        else:
            code = "plain({x})"
        if listed:
            code = f"list({read})" if code == "{x}" else f"[{code.format(x='x')} for x in {read}]"
        elif code == "{x}":
            code = read
        else:
            code = code.format(x=read)
            if optional:
                code = f"(None if {read} is None else {code})"
        parts.append(f"{field.name!r}: {code}")
    source = f"def convert(v):\n    return {{{', '.join(parts)}}}\n"
    exec(compile(source, f"<to_dict of {cls.__name__}>", "exec"), namespace)  # names from declared fields only
    return namespace["convert"]


#: The attrs classes a decision holds, each converted by code written from its fields (``_converter``).
_PLAIN_OBJECTS = (Eligibility, InvalidRenewal, UndeterminedRenewal, Term, Ground, Recusal, Obligation, Violation,
                  Report, Notice, Finding, Meta, CalendarStamp)
for _cls in _PLAIN_OBJECTS:
    _PLAIN[_cls] = _converter(_cls)
(_ELIGIBILITY_DICT, _TERM_DICT, _GROUND_DICT, _RECUSAL_DICT, _OBLIGATION_DICT, _VIOLATION_DICT, _REPORT_DICT,
 _NOTICE_DICT, _FINDING_DICT, _META_DICT) = (_PLAIN[c] for c in (Eligibility, Term, Ground, Recusal, Obligation,
                                                                 Violation, Report, Notice, Finding, Meta))


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
        questions = decision.open_questions
        parts += (b',"open_questions":', self.fallback(list(questions)) if questions else b"[]")
        if explanation:
            parts += (b',"explanation":', self.fallback([r.to_dict() for r in decision.explanation]))
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
