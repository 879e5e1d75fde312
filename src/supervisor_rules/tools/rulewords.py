"""Rules, definitions and invariants in words, for people: Chinese by the rule file's labels, or English.

``RuleWords(policy, lang)`` puts one policy's rules in words. Chinese (``zh``) names facts and enum values
by the labels the rule file gives them (``「诚信」``, ``「定点医疗机构」``), provisions as the regulation
does (``第N条第（M）项``) and the decision's own values by the words of the text output
(``contracts.decision.TEXT_WORDS``); it never shows a fact's code. English (``en``) is what ``check``,
``test`` and ``diff`` print: each kind's ``describe`` (its question module), facts and values by code.

A kind this module has no Chinese phrasing for is still shown: its ``describe`` with the expressions in
Chinese, and ``phrased`` is then False (the document adds the rule's source beside it).

The words are a list of *parts* (``parts(text)``): plain strings, and ``Link``s for the
cross-references — ``违反 第N条``, ``符合 第N条``, ``并依据 …``, a definition used by name — so that a
document can make each a link to its provision. Inside the module the links travel in the text between
private-use marker characters; rule-file text has those characters removed first (``clean``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import attrs

from supervisor_rules import questions
from supervisor_rules.questions.base import record_scope
from supervisor_rules.contracts.decision import TEXT_WORDS
from supervisor_rules.contracts.reasons import WORDS as REASON_WORDS
from supervisor_rules.lang import nodes as n
from supervisor_rules.lang.numerals import to_chinese
from supervisor_rules.lang.checker import DATE, DECISION_ALIASES, DECISION_FIELDS, DECISION_HEADS, ListT, RecordT
from supervisor_rules.tools.policytests import WORDS, describe_expr, number_text

LANGS = ("zh", "en")
_OPEN, _MID, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARKERS = re.compile(f"[{_OPEN}{_MID}{_CLOSE}]")
_LINK = re.compile(f"{_OPEN}([^{_MID}]*){_MID}([^{_CLOSE}]*){_CLOSE}")


@attrs.frozen
class Link:
    """A cross-reference in the words: ``target`` is ``p:REF`` (a provision reference, compact, ranges as
    ``10(1)-(3)``) or ``d:NAME`` (a definition); ``text`` is what the reader sees."""

    text: str
    target: str

    @property
    def kind(self) -> str:
        return "definition" if self.target.startswith("d:") else "provision"

    @property
    def key(self) -> str:
        return self.target[2:]


def clean(text: str) -> str:
    """Rule-file text with the marker characters removed (so that no label can forge a link)."""
    return _MARKERS.sub("", text)


def link(text: str, target: str) -> str:
    """``text`` marked as a cross-reference to ``target`` (``p:REF`` or ``d:NAME``)."""
    return f"{_OPEN}{clean(target)}{_MID}{clean(text)}{_CLOSE}"


_SPACE_AFTER = re.compile(r"(?<=[：，；（“、]) +| +(?=[）”])")


def parts(text: str) -> list[str | Link]:
    """The words split into plain strings and ``Link``s."""
    text = _SPACE_AFTER.sub("", text).strip()
    out: list[str | Link] = []
    at = 0
    for m in _LINK.finditer(text):
        if m.start() > at:
            out.append(text[at:m.start()])
        out.append(Link(m.group(2), m.group(1)))
        at = m.end()
    if at < len(text):
        out.append(text[at:])
    return out


def plain(text: str) -> str:
    """The words as plain text (links as their text)."""
    return "".join(p if isinstance(p, str) else p.text for p in parts(text))


# ------------------------------------------------------------------ Chinese words
_ZH_UNITS = REASON_WORDS["zh"]["units"]
_ZH_DECISION = TEXT_WORDS["zh"]
#: the decision's values (invariants compare them) in the text output's words
_DECISION_VALUES: dict[str, str] = {}
for _table in ("status_values", "eligibility_values", "recusal_values", "report_values", "effect", "who"):
    for _code, _label in _ZH_DECISION[_table].items():
        _DECISION_VALUES.setdefault(_code, _label)
_ZH_KIND = _ZH_DECISION["kinds"]
_ZH_NUMERIC_OPS = {"=": "等于", "!=": "不等于", "<": "小于", "<=": "小于或等于", ">": "大于", ">=": "大于或等于"}
_ZH_DATE_OPS = {"=": "为", "!=": "不为", "<": "早于", "<=": "不晚于", ">": "晚于", ">=": "不早于"}
_ZH_VALUE_OPS = {"=": "为", "!=": "不为"}
_ZH_QUANTIFIER = {"any": "中存在一条记录（记为 {var}）满足：", "all": "中的每一条记录（记为 {var}）都满足：",
                  "no": "中没有一条记录（记为 {var}）满足："}
_DATEISH = (n.DateAfter, n.DateBefore, n.Deadline, n.AsOf, n.LastDay, n.DismissalDay)
_PREC = {n.Or: 1, n.And: 2, n.Not: 3}


def _unit_zh(amount, unit: str) -> str:
    if unit == "immediately":
        return "立即"
    shown = int(amount) if float(amount).is_integer() else amount
    return f"{shown}{_ZH_UNITS.get(unit, unit).strip()}"


class RuleWords:
    """One policy's rules, definitions and invariants in ``lang`` (``zh`` or ``en``), as marked text (see
    ``parts``)."""

    def __init__(self, policy, lang: str = "zh"):
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
        self.lang = lang
        self.zh = lang == "zh"
        checked = policy.compiled.checked
        self.sections = checked.sections
        labels = policy.text_labels
        self.fact_labels = labels.facts
        self.values = dict(labels.values)
        # a conclusion's code by its label too (invariants read `decision.findings has CODE`)
        for provision in checked.provisions:
            for rule in provision.rules:
                code, label = getattr(rule, "code", None), getattr(rule, "label", None)
                if isinstance(code, str) and isinstance(label, str) and label:
                    self.values.setdefault(code, label)
        self.cites = labels.cites
        self.provisions = checked.provisions
        self.definitions = checked.definitions
        self._scope: dict[str, Any] = {}
        self.phrased = True  # False after ``rule`` fell back to a kind's ``describe``

    # -------------------------------------------------------------- references
    def target(self, ref: n.ArticleRef) -> str:
        """``p:REF`` for the first provision the reference covers (an article: itself; a range: its first
        item), or the reference's own compact form if none (the checker refuses those)."""
        for p in self.provisions:
            if ref.covers(p):
                return "p:" + p.ref
        return "p:" + ref.ref

    def reference(self, ref: n.ArticleRef) -> str:
        if self.zh:
            text = (f"第{to_chinese(ref.chapter)}章" if ref.chapter is not None else "") + ref.cite
        else:
            text = ref.english
        return link(text, self.target(ref))

    # -------------------------------------------------------------- facts and values
    def _field(self, path: n.Path):
        """The checker's FieldInfo a path names (a section's fact, a record's field through a bound name,
        a list-of-records fact's field), or None."""
        head, rest = path.parts[0], path.parts[1:]
        record = self._scope.get(head)
        if record is not None:
            info = None
            for part in rest:
                if not isinstance(record, RecordT):
                    return None
                info = record.fields.get(part)
                if info is None:
                    return None
                record = info.type.element if isinstance(info.type, ListT) else info.type
            return info
        section = self.sections.get(head)
        if section is None or not rest:
            return None
        info = section.fields.get(rest[0])
        for part in rest[1:]:
            kind = info.type.element if info is not None and isinstance(info.type, ListT) else \
                info.type if info is not None else None
            if not isinstance(kind, RecordT):
                return None
            info = kind.fields.get(part)
        return info

    def _decision_field(self, path: n.Path) -> str | None:
        if len(path.parts) == 2 and path.parts[0] in DECISION_HEADS:
            return DECISION_ALIASES.get(path.parts[1], path.parts[1])
        return None

    def fact(self, path: n.Path) -> str:
        """A fact by its label: ``「诚信」``; a record's field through its name: ``r 的「续聘日期」``."""
        field = self._decision_field(path)
        if field is not None:
            alias = DECISION_FIELDS.get(field, (field,))[0]
            return f"结论的「{alias}」" if self.zh else path.dotted
        if not self.zh:
            return path.dotted
        info = self._field(path)
        label = clean(info.label) if info is not None and info.label else None
        head = path.parts[0]
        if head in self._scope:
            return f" {head} 的「{label or '.'.join(path.parts[1:])}」"
        if len(path.parts) > 2 and label is not None:
            outer = self._field(n.Path(path.parts[:2]))
            if outer is not None and outer.label:
                return f"「{clean(outer.label)}」中的「{label}」"
        if label is None:
            section = self.sections.get(head)
            if section is not None and len(path.parts) == 1:
                return f"「{clean(section.label or head)}」"
            return f"「{path.dotted}」"
        return f"「{label}」"

    def value(self, name: str, decision: bool = False) -> str:
        if not self.zh:
            return name
        if decision and name in _DECISION_VALUES:
            return f"「{_DECISION_VALUES[name]}」"
        label = self.values.get(name) or _DECISION_VALUES.get(name)
        return f"「{clean(label)}」" if label else f"「{name}」"

    def _is_date(self, e) -> bool:
        if isinstance(e, _DATEISH):
            return True
        if isinstance(e, n.Literal):
            return isinstance(e.value, dt.date)
        if isinstance(e, n.Path):
            info = self._field(e)
            return info is not None and info.type == DATE or self._decision_field(e) == "last_day"
        if isinstance(e, n.Defined):
            return self._is_date(e.expr)
        return False

    # -------------------------------------------------------------- expressions
    def expr(self, e, outer: int = 0) -> str:
        """An expression in words."""
        if not self.zh:
            return self._en_expr(e)
        prec = _PREC.get(type(e))
        if prec is None:
            return self._atom(e)
        if isinstance(e, n.Not):
            inner = e.operand
            if isinstance(inner, (n.Violates, n.Satisfies, n.Expired, n.Dismissed)):
                text = "并非" + self._atom(inner)
            else:
                text = "并非" + self.expr(inner, 4)
        else:
            joiner = "，且" if isinstance(e, n.And) else "，或"
            text = joiner.join(self.expr(o, prec + 1 if isinstance(o, (n.And, n.Or)) else prec) for o in e.operands)
        return f"（{text}）" if prec < outer else text

    def _en_expr(self, e) -> str:
        text = clean(describe_expr(e))
        refs = [node for node in n.walk(e) if isinstance(node, (n.Violates, n.Satisfies))]
        return self._link_english(text, [r.ref for r in refs])

    def _link_english(self, text: str, refs: list) -> str:
        if not refs:
            return text
        by_text = {}
        for ref in refs:
            by_text.setdefault(ref.english, self.target(ref))
        pattern = re.compile("|".join(re.escape(t) for t in sorted(by_text, key=len, reverse=True)) + r"(?![0-9(.])")
        return pattern.sub(lambda m: link(m.group(0), by_text[m.group(0)]), text)

    def _operand(self, e) -> str:
        if isinstance(e, (n.And, n.Or, n.Not)):
            return "（" + self.expr(e) + "）"
        return self._atom(e)

    def _values(self, values, decision: bool = False) -> str:
        shown = [self.value(v.name, decision) for v in values]
        return "、".join(shown)

    def _atom(self, e) -> str:  # noqa: C901 - one branch per expression form
        if isinstance(e, n.Path):
            info = self._field(e)
            return self.fact(e)
        if isinstance(e, n.Name):
            d = self.definitions.get(e.name)
            if d is not None:  # a definition named in another definition's expression
                return link(f"「{clean(d.label or d.name)}」", "d:" + d.name)
            if e.name in self.sections:
                return f"「{clean(self.sections[e.name].label or e.name)}」"
            return self.value(e.name)
        if isinstance(e, n.Literal):
            v = e.value
            if isinstance(v, bool):
                return "是" if v else "否"
            if isinstance(v, dt.date):
                return f"{v.year}年{v.month}月{v.day}日"
            if isinstance(v, str):
                return "“" + clean(v) + "”"
            return number_text(v)
        if isinstance(e, n.Compare):
            decision = any(isinstance(s, n.Path) and self._decision_field(s) for s in (e.left, e.right))
            if self._is_date(e.left) or self._is_date(e.right):
                op = _ZH_DATE_OPS[e.op]
            elif decision or isinstance(e.right, (n.Name, n.Literal)) and not isinstance(
                    getattr(e.right, "value", None), (int, float)) or isinstance(e.right, n.Dismissed):
                op = _ZH_VALUE_OPS.get(e.op, _ZH_NUMERIC_OPS[e.op])
            else:
                op = _ZH_NUMERIC_OPS[e.op]
            right = self.value(e.right.name, decision) if isinstance(e.right, n.Name) and e.right.name not in \
                self.sections else ("「已解聘」" if decision and isinstance(e.right, n.Dismissed) else self._operand(e.right))
            return f"{self._operand(e.left)}{op}{right}"
        if isinstance(e, n.Member):
            decision = isinstance(e.operand, n.Path) and self._decision_field(e.operand) is not None
            word = "不是" if e.negated else "是"
            return f"{self._operand(e.operand)}{word}{self._values(e.values, decision)}之一"
        if isinstance(e, n.Has):
            decision = isinstance(e.operand, n.Path) and self._decision_field(e.operand) is not None
            return f"{self._operand(e.operand)}包含{self.value(e.value.name, decision)}"
        if isinstance(e, n.HasAny):
            decision = isinstance(e.operand, n.Path) and self._decision_field(e.operand) is not None
            return f"{self._operand(e.operand)}包含{self._values(e.values, decision)}中的任一项"
        if isinstance(e, n.IsKnown):
            return f"{self._operand(e.operand)}{'未知（未记录）' if e.negated else '已知'}"
        if isinstance(e, n.IsEmpty):
            return f"{self._operand(e.operand)}{'不为空' if e.negated else '为空'}"
        if isinstance(e, n.Expired):
            return "聘期届满未续聘"
        if isinstance(e, n.Dismissed):
            return "已解聘"
        if isinstance(e, n.AsOf):
            return "基准日"
        if isinstance(e, n.LastDay):
            return "聘期届满日"
        if isinstance(e, n.DismissalDay):
            return "解聘之日"
        if isinstance(e, n.DateAfter):
            return f"{self._operand(e.base)}后{_unit_zh(e.amount, e.unit)}"
        if isinstance(e, n.DateBefore):
            return f"{self._operand(e.base)}前{_unit_zh(e.amount, e.unit)}"
        if isinstance(e, n.Deadline):
            return f"{self._operand(e.base)}后{_unit_zh(e.amount, e.unit)}的期限（末日为休息日的顺延）"
        if isinstance(e, n.TermNumber):
            return f"{self._operand(e.on)}所在的聘期序号"
        if isinstance(e, n.Arith):
            op = {"*": "×", "/": "÷"}.get(e.op, e.op)
            return f"{self._arith(e.left)} {op} {self._arith(e.right)}"
        if isinstance(e, n.Neg):
            return "-" + self._arith(e.operand)
        if isinstance(e, n.Extreme):
            word = "较小值" if e.op == "min" else "较大值"
            return f"{word}（{'；'.join(self._operand(o) for o in e.operands)}）"
        if isinstance(e, n.Age):
            return f"{self._operand(e.on)}时的周岁（出生日期：{self._operand(e.birth)}）"
        if isinstance(e, n.YearOf):
            return f"{self._operand(e.operand)}的年份"
        if isinstance(e, n.Count):
            return f"{self.fact(e.source)}的条数"
        if isinstance(e, n.Quantifier):
            return self._quantifier(e)
        if isinstance(e, n.Violates):
            return "违反" + self.reference(e.ref) + "禁止的行为"
        if isinstance(e, n.Satisfies):
            return "符合" + self.reference(e.ref) + "的全部要求"
        if isinstance(e, n.Defined):
            return link(f"「{clean(e.label or e.name)}」", "d:" + e.name)
        if isinstance(e, (n.And, n.Or, n.Not)):
            return "（" + self.expr(e) + "）"
        return clean(describe_expr(e))

    def _arith(self, e) -> str:
        if isinstance(e, n.Arith):
            return "（" + self._atom(e) + "）"
        return self._operand(e)

    def _quantifier(self, e: n.Quantifier) -> str:
        info = self._field(e.source)
        record = info.type.element if info is not None and isinstance(info.type, ListT) else None
        saved = self._scope.get(e.var)
        self._scope[e.var] = record if record is not None else RecordT(e.var, {})
        try:
            condition = self.expr(e.condition)
        finally:
            if saved is None:
                self._scope.pop(e.var, None)
            else:
                self._scope[e.var] = saved
        source = self.fact(e.source)
        if e.kind == "count":
            return f"{source}中满足“{condition}”的记录（记为 {e.var}）的条数"
        return source + _ZH_QUANTIFIER.get(e.kind, "中的记录（记为 {var}）" + e.kind + "：").format(var=e.var) + condition

    def _bound(self, var: str | None, source: n.Path | None):
        """Bind a rule's own record name (a renewal's, a per-entry conclusion's) while its words are made."""
        if var is None or source is None:
            return None
        info = self._field(source)
        record = info.type.element if info is not None and isinstance(info.type, ListT) else None
        self._scope[var] = record if record is not None else RecordT(var, {})
        return var

    # -------------------------------------------------------------- rules
    def rule(self, rule) -> str:
        """One rule in words (marked text). Sets ``phrased`` False when only its kind's ``describe`` could
        be used (Chinese words for a kind this module does not know)."""
        self.phrased = True
        kind = questions.kind_of(rule)
        if kind is None:
            return "仅文本（无可判定的规则）" if self.zh else "text only"
        if not self.zh:
            refs = [node.ref for node in _walk_rule(rule) if isinstance(node, (n.Violates, n.Satisfies))]
            refs += list(getattr(rule, "also", ()) or ())
            return self._link_english(clean(kind.describe(rule, WORDS)), refs)
        phrase = getattr(self, "_zh_" + kind.kind, None)
        if phrase is None:
            self.phrased = False
            return f"{_ZH_KIND.get(kind.kind, kind.kind)}：" + kind.describe(rule, _ZhWords(self))
        var = self._bound(getattr(rule, "var", None), getattr(rule, "source", None))
        if kind.kind == "renewal_condition":
            scope = record_scope(kind, rule, self.provisions)
            var = self._bound(*scope) if scope is not None else None
        try:
            return phrase(rule)
        finally:
            if var is not None:
                self._scope.pop(var, None)

    def _also(self, rule) -> str:
        also = getattr(rule, "also", ()) or ()
        return ("；并依据" + "、".join(self.reference(r) for r in also)) if also else ""

    def _guard(self, rule) -> str:
        return f"（适用于：{self.expr(rule.guard)}）" if getattr(rule, "guard", None) is not None else ""

    def _zh_require(self, r) -> str:
        return f"聘任条件{self._guard(r)}：须{self.expr(r.condition)}{self._also(r)}"

    def _zh_prefer(self, r) -> str:
        return f"同等条件下优先{self._guard(r)}：{self.expr(r.condition)}"

    def _zh_term(self, r) -> str:
        return f"聘期：{_unit_zh(r.amount, r.unit)}，自{self.fact(r.start)}起算"

    def _zh_renewal(self, r) -> str:
        return (f"续聘：{self.fact(r.source)}中的每一条（记为 {r.var}），以{self.fact(r.dated)}为续聘日期，"
                f"续聘须{self.expr(r.condition)}")

    def _zh_renewal_condition(self, r) -> str:
        return f"续聘另须：{self.expr(r.condition)}"

    def _zh_ground(self, r) -> str:
        effect = _ZH_DECISION["effect"].get(r.effect, r.effect)
        return f"{effect}，当：{self.expr(r.condition)}"

    def _zh_record(self, r) -> str:
        return f"解聘记录：以{self.fact(r.path)}为解聘的日期"

    def _zh_prohibit(self, r) -> str:
        return f"禁止（记录于{self.fact(r.path)}）：{self._values(r.values)}"

    def _zh_recusal(self, r) -> str:
        result = _ZH_DECISION["recusal_values"].get(r.kind, r.kind)
        who = _ZH_DECISION["who"].get(r.decided_by, r.decided_by)
        return f"{result}（由{who}决定），当：{self.expr(r.condition)}{self._also(r)}"

    def _zh_duty(self, r) -> str:
        name = f"「{clean(r.label)}」" if r.label else f"「{r.code}」"
        who = "（由医疗保障部门履行）" if r.bearer == "department" else ""
        out = [f"义务{name}{who}"]
        out.append(f"当{self.expr(r.when)}时产生" if r.when is not None else "始终适用")
        if r.due is not None:
            out.append(f"期限：{self._operand(r.due.base)}后{_unit_zh(r.due.amount, r.due.unit)}")
        if r.done_on is not None:
            out.append(f"完成日期记录于{self.fact(r.done_on)}")
        if r.met is not None:
            out.append(f"履行条件：{self.expr(r.met)}")
        if r.breached is not None:
            out.append(f"违反条件：{self.expr(r.breached)}")
        return "；".join(out)

    def _zh_scope(self, r) -> str:
        return f"举报范围：须{self.expr(r.condition)}"

    def _zh_category(self, r) -> str:
        return f"举报类别：{self.expr(r.condition)}"

    def _zh_reward(self, r) -> str:
        return f"奖励：当{self.expr(r.condition)}时，依照“{clean(r.rules)}”给予奖励"

    def _zh_notice(self, r) -> str:
        return f"提示“{clean(r.message)}”，当：{self.expr(r.condition)}"

    def _zh_conclusion(self, r) -> str:
        out = f"结论「{clean(r.label)}」"
        if r.source is not None:
            out += f"：对{self.fact(r.source)}中的每一条（记为 {r.var}）"
            out += f"，满足{self.expr(r.condition)}时得出" if r.condition is not None else "得出"
            if r.value is not None:
                out += f"，其值为{self.expr(r.value)}"
            return out
        if r.value is not None:
            out += f"：其值为{self.expr(r.value)}"
        if r.condition is not None:
            out += f"，当{self.expr(r.condition)}" if r.value is not None else f"：当{self.expr(r.condition)}"
        return out

    # -------------------------------------------------------------- definitions and invariants
    def definition(self, d) -> str:
        if not self.zh:
            return f"{d.name} = {self._en_expr(d.expr)}"
        return f"「{clean(d.label or d.name)}」：{self.expr(d.expr)}"

    def invariant(self, inv) -> str:
        if not self.zh:
            when = f"when {self._en_expr(inv.when)}, " if inv.when is not None else "always: "
            return when + "then " + self._en_expr(inv.then)
        when = f"当{self.expr(inv.when)}时，" if inv.when is not None else "对任何案件，"
        return when + f"必有：{self.expr(inv.then)}"


class _ZhWords:
    """The ``words`` a kind's ``describe`` takes, with its expressions in Chinese (for a kind ``RuleWords``
    has no phrasing of its own for)."""

    def __init__(self, words: RuleWords):
        self._w = words

    def expr(self, e) -> str:
        return self._w.expr(e)

    def rule(self, r) -> str:
        return self._w.rule(r)

    def unit(self, unit: str) -> str:
        return _ZH_UNITS.get(unit, unit).strip()

    def amount(self, amount, unit: str) -> str:
        return _unit_zh(amount, unit)

    reads = staticmethod(WORDS.reads)
    atoms = staticmethod(WORDS.atoms)

    def fact_words(self, condition, fact: str) -> str:
        return WORDS.fact_words(condition, fact)


def _walk_rule(rule):
    """Every node under a rule (its expressions, its ``also`` references)."""
    return n.walk(rule)


def rule_references(rule) -> list[n.ArticleRef]:
    """The provisions a rule refers to: ``violates`` / ``satisfies`` in its expressions and its
    ``also citing`` references, in order."""
    out = [node.ref for node in _walk_rule(rule) if isinstance(node, (n.Violates, n.Satisfies))]
    return out + list(getattr(rule, "also", ()) or ())


def json_text(value) -> str:
    """A JSON value as a reader sees it (witness cases)."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)
