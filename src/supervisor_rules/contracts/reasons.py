"""The explanation's types and its text: ``Reason`` (one conclusion's reason tree, DECISION.md v2) and
``explanation_lines``, the trees in one language (``eval --explain``, ``Decision.explain(lang=…)``).

Chinese names facts, enum values and provisions as the rule file and the regulation do (``是否诚信``,
``已解聘``, ``第五条``); English by code and ``art. 5``. Neither mixes in the other's words.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class Reason:
    """Why one conclusion of a decision has its value: ``conclusion`` names it (``status``, ``eligibility``,
    ``ground`` …), ``key`` tells apart conclusions of one name (a ground's ref, a duty's code, a
    renewal's date), ``ref`` is the provision that decided it, ``because`` what decided it (JSON-shaped
    leaves: ``{"fact": …, "value": …}``, ``{"compare": [left, value, op, right, value]}``, a derived date,
    a rule under it with its own ``because`` …; docs/decisions.md lists them), ``would_change_if`` the
    smallest changes of facts found to change the value (for an unknown value, the answers that decide
    it), and ``not_fired`` how many rules of the question did not fire."""

    conclusion: str
    value: Any
    ref: str | None
    because: tuple = ()
    would_change_if: tuple = ()
    key: Any = None
    not_fired: int = 0

    def to_dict(self) -> dict:
        out: dict = {"conclusion": self.conclusion}
        if self.key is not None:
            out["key"] = self.key
        out["value"] = self.value
        out["ref"] = self.ref
        out["because"] = list(self.because)
        out["would_change_if"] = list(self.would_change_if)
        if self.not_fired:
            out["not_fired"] = self.not_fired
        return out


#: The explanation's words in each language.
WORDS: dict[str, dict[str, Any]] = {
    "zh": {
        "head": "理由：", "change": "若要改变：", "open": "待补充的事实：", "not_fired": "（另有 {} 条规则未适用）",
        "conclusion": {"status": "状态", "eligibility": "资格", "preferred": "优先", "term": "聘期届满日",
                       "renewal": "续聘 {key}", "ground": "解聘事由", "violation": "违纪", "recusal": "回避",
                       "obligation": "义务 {key}", "report": "举报", "finding": "结论 {key}"},
        "holds": "成立", "fails": "不成立", "unknown": "未知", "yes": "是", "no": "否",
        "as_of": "基准日", "term.last_day": "聘期届满日", "term.start": "聘任起始日", "due": "期限",
        "renewal.on": "续聘日期", "dismissal_day": "解聘日",
        "term": "聘期届满日 {value}：自 {start} 起 {amount}{unit}{terms}{renewals}",
        "terms": "，共 {} 届", "renewals": "（有效续聘：{}）",
        "month_end": "；到期月无对应日，以该月末日为届满日（《民法典》第二百零二条）",
        "civil_code": "（《民法典》第二百零一条、第二百零二条：起始日不计入）",
        "deadline": "期限 {due}：自 {base} 起 {amount}{unit}", "days_off": "，其间 {n} 个非工作日（{days}）不计",
        "moved": "；{day} 为休息日，顺延至其后第一个工作日（《民法典》第二百零三条）",
        "none_hold": "以下规则均不成立：{}", "hold": "以下规则均成立：{}", "record": "第 {i} 条记录（{fact}）：", "renewed_by": "该聘期已由 {} 的续聘续聘",
        "renewal": "续聘 {on}：{reason}", "has": "{fact} 含 {value}", "count": "{fact}：共 {n} 条",
        "decided": "{what}：{value}", "defined": "{name} = {value}",
        "to": "{fact} 改为 {value} → {gives}", "add": "{fact} 增加一条 {record} → {gives}",
        "facts": "{facts} → {gives}", "answer": "{value} → {gives}",
        "units": {"years": " 年", "months": " 个月", "days": " 日", "working_days": " 个工作日", "immediately": " 立即"},
        "sep": "、", "colon": "：", "arrow": " → ", "semi": "；",
    },
    "en": {
        "head": "Why:", "change": "Would change if:", "open": "Open questions:",
        "not_fired": " ({} other rule(s) did not fire)",
        "conclusion": {"status": "Status", "eligibility": "Eligibility", "preferred": "Preferred",
                       "term": "Term's last day", "renewal": "Renewal {key}", "ground": "Dismissal ground",
                       "violation": "Violation", "recusal": "Recusal", "obligation": "Obligation {key}",
                       "report": "Report", "finding": "Conclusion {key}"},
        "holds": "holds", "fails": "does not hold", "unknown": "unknown", "yes": "true", "no": "false",
        "as_of": "as of", "term.last_day": "term's last day", "term.start": "term's start", "due": "due date",
        "renewal.on": "renewal date", "dismissal_day": "dismissal day",
        "term": "term's last day {value}: {amount}{unit} from {start}{terms}{renewals}",
        "terms": ", {} term(s)", "renewals": " (valid renewals: {})",
        "month_end": "; the final month has no corresponding day, so its last day (Civil Code art. 202)",
        "civil_code": " (Civil Code arts. 201-202: the start day is not counted)",
        "deadline": "due {due}: {amount}{unit} after {base}", "days_off": ", not counting {n} days off ({days})",
        "moved": "; {day} is a day off, so the next working day (Civil Code art. 203)",
        "none_hold": "none of these holds: {}", "hold": "each of these holds: {}", "record": "entry {i} of {fact}:",
        "renewed_by": "that term was renewed already on {}", "renewal": "renewal {on}: {reason}",
        "has": "{fact} has {value}", "count": "{fact}: {n} entries", "decided": "{what}: {value}",
        "defined": "{name} = {value}",
        "to": "{fact} = {value} → {gives}", "add": "{fact} gains {record} → {gives}",
        "facts": "{facts} → {gives}", "answer": "{value} → {gives}",
        "units": {"years": " years", "months": " months", "days": " days", "working_days": " working days",
                  "immediately": " immediately"},
        "sep": ", ", "colon": ": ", "arrow": " → ", "semi": "; ",
    },
}

_OPS = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class _Text:
    """Puts one decision's reasons in words, in one language."""

    def __init__(self, lang: str, labels, summary_words: dict, cites: dict):
        self.lang, self.zh, self.w, self.sw = lang, lang == "zh", WORDS[lang], summary_words
        self.labels, self.cites = labels, cites

    def cite(self, ref: str | None) -> str:
        if ref is None:
            return ""
        return self.cites.get(ref, ref) if self.zh else f"art. {ref}"

    def fact(self, key: str) -> str:
        if key in self.w:
            return self.w[key]
        if self.zh:
            label = self.labels.facts.get(key)
            return f"{label}（{key}）" if label else key
        return key

    def value(self, v) -> str:
        if v is None:
            return self.w["unknown"]
        if v is True or v is False:
            return self.w["yes" if v else "no"]
        if isinstance(v, list):
            return "[" + self.w["sep"].join(self.value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + self.w["sep"].join(f"{self.fact(k) if '.' in k else k}{self.w['colon']}{self.value(x)}"
                                            for k, x in v.items()) + "}"
        if isinstance(v, str) and self.zh:
            return self.labels.values.get(v) or v
        return str(v)

    def conclusion_value(self, conclusion: str, v) -> str:
        table = {"status": "status_values", "eligibility": "eligibility_values", "recusal": "recusal_values",
                 "obligation": "state", "report": "report_values", "ground": "effect", "renewal": "reason"}.get(conclusion)
        if table and isinstance(v, str):
            found = self.sw[table].get(v)
            if found:
                return found
            if conclusion == "renewal":
                return {"valid": "有效" if self.zh else "valid", "none": "无" if self.zh else "none",
                        "undetermined": self.sw["open_renewal"]}.get(v, v)
            if conclusion == "obligation" and v == "none":
                return "不产生" if self.zh else "does not arise"
        if conclusion in ("ground", "violation") and v == "none":
            return self.w["fails"]
        return self.value(v)

    # -------------------------------------------------------------- leaves
    def leaf(self, leaf: dict, depth: int, out: list) -> None:
        pad = "  " * depth + "· "
        w = self.w
        if "compare" in leaf:
            left, lv, op, right, rv = leaf["compare"]
            truth = ""
            if lv is not None and rv is not None:
                try:
                    truth = w["holds"] if _OPS[op](lv, rv) else w["fails"]
                except TypeError:
                    truth = ""
            else:
                truth = w["unknown"]
            out.append(f"{pad}{self.operand(left, lv)} {op} {self.operand(right, rv)}"
                       + (f"{w['colon']}{truth}" if truth else ""))
        elif leaf.get("see"):
            pass  # derived in the conclusion it names, shown there
        elif leaf.get("derived") == "term.last_day":
            amount, unit = leaf["period"]
            text = w["term"].format(value=self.value(leaf["value"]), start=leaf["start"], amount=amount,
                                    unit=w["units"].get(unit, unit), terms=w["terms"].format(leaf["terms"])
                                    if leaf.get("terms") else "",
                                    renewals=w["renewals"].format(w["sep"].join(leaf["renewals"]))
                                    if leaf.get("renewals") else "")
            text += w["month_end"] if leaf.get("month_end") else w["civil_code"]
            out.append(pad + text)
        elif "deadline" in leaf:
            text = w["deadline"].format(due=self.value(leaf["deadline"]), base=self.value(leaf["base"]),
                                        amount=leaf["amount"], unit=w["units"].get(leaf["unit"], leaf["unit"]))
            if leaf.get("days_off"):
                days = leaf["days_off"]
                text += w["days_off"].format(n=len(days), days=w["sep"].join(d[5:] for d in days[:12])
                                             + ("…" if len(days) > 12 else ""))
            if leaf.get("moved_from"):
                text += w["moved"].format(day=leaf["moved_from"])
            out.append(pad + text)
        elif "rule" in leaf:
            kind_word = self.sw["kinds"].get(leaf.get("kind"), leaf.get("kind", ""))
            value = leaf.get("value")
            verdict = self.w["holds"] if value is True else self.w["fails"] if value is False else self.value(value)
            out.append(f"{pad}{self.cite(leaf['rule'])} {kind_word}{w['colon']}{verdict}")
            for inner in leaf.get("because", ()):
                self.leaf(inner, depth + 1, out)
        elif "none_hold" in leaf or "hold" in leaf:
            which = "hold" if "hold" in leaf else "none_hold"
            out.append(pad + w[which].format(w["sep"].join(self.cite(r) for r in leaf[which])))
        elif "record" in leaf:
            fact, _, index = leaf["record"].rpartition("[")
            out.append(pad + w["record"].format(i=int(index.rstrip("]")) + 1, fact=self.fact(fact)))
            for inner in leaf.get("because", ()):
                self.leaf(inner, depth + 1, out)
        elif "renewal" in leaf:
            out.append(pad + w["renewal"].format(on=leaf["renewal"], reason=self.conclusion_value("renewal",
                                                                                                  leaf["reason"])))
        elif "renewed_by" in leaf:
            out.append(pad + w["renewed_by"].format(leaf["renewed_by"]))
        elif "defined" in leaf:
            out.append(pad + w["defined"].format(name=leaf["defined"], value=self.value(leaf.get("value"))))
            for inner in leaf.get("because", ()):
                self.leaf(inner, depth + 1, out)
        elif "decided" in leaf:
            out.append(pad + w["decided"].format(what=self.w["conclusion"].get(leaf["decided"], leaf["decided"]),
                                                 value=self.conclusion_value(leaf["decided"], leaf["value"])))
        elif "has" in leaf:
            out.append(pad + w["has"].format(fact=self.fact(leaf["fact"]), value=self.value(leaf["has"])))
        elif "count" in leaf:
            out.append(pad + w["count"].format(fact=self.fact(leaf["fact"]), n=leaf["count"]))
        elif "fact" in leaf:
            out.append(f"{pad}{self.fact(leaf['fact'])} = {self.value(leaf.get('value'))}")

    def operand(self, text: str, value) -> str:
        """One side of a comparison: what it is and its value, or only the value for a constant."""
        if text == str(value) or (value is True and text == "true") or (value is False and text == "false"):
            return self.value(value)
        return f"{self.side(text)} {self.value(value)}"

    def side(self, text: str) -> str:
        return self.fact(text) if (text in self.w or "." in text and " " not in text) else text

    def change(self, entry: dict, conclusion: str) -> str:
        gives = self.conclusion_value(conclusion, entry.get("gives"))
        if "add" in entry:
            return self.w["add"].format(fact=self.fact(entry["add"]), record=self.value(entry["record"]), gives=gives)
        if "facts" in entry:
            return self.w["facts"].format(facts=self.w["sep"].join(f"{self.fact(k)} = {self.value(v)}"
                                                                   for k, v in entry["facts"].items()), gives=gives)
        return self.w["to"].format(fact=self.fact(entry["fact"]), value=self.value(entry["to"]), gives=gives)

    def reason(self, r: Reason, out: list) -> None:
        w = self.w
        name = w["conclusion"].get(r.conclusion, r.conclusion)
        key = r.key
        if r.conclusion == "obligation" and self.zh:
            key = self.labels.values.get(key) or key
        elif r.conclusion == "finding" and isinstance(key, list):
            key = key[0] + (f"[{key[1] + 1}]" if key[1] is not None else "")
        name = name.format(key=key if key is not None else "")
        where = f" — {self.cite(r.ref)}" if r.ref and r.conclusion != "ground" else ""
        if r.conclusion == "ground":
            name = f"{name} {self.cite(r.ref)}"
        line = f"{name}{w['colon']}{self.conclusion_value(r.conclusion, r.value)}{where}"
        if r.not_fired:
            line += w["not_fired"].format(r.not_fired)
        out.append(line)
        for leaf in r.because:
            self.leaf(leaf, 1, out)
        if r.would_change_if:
            out.append("  " + w["change"])
            for entry in r.would_change_if:
                out.append("    · " + self.change(entry, r.conclusion))

    def question(self, q: dict, out: list) -> None:
        w = self.w
        name = w["conclusion"].get(q["question"], q["question"]).format(key=q.get("key", ""))
        out.append(f"  {name}{w['colon']}")
        for f in q["facts"]:
            answers = w["semi"].join(w["answer"].format(value=self.value(_answer(a)),
                                                        gives=self.conclusion_value(q["question"], g))
                                     for a, g in f["outcomes"].items())
            out.append(f"    · {self.fact(f['fact'])}{w['colon']}{answers}")


def _answer(text: str):
    return True if text == "true" else False if text == "false" else text


def explanation_lines(decision, lang: str, labels, summary_words: dict) -> list[str]:
    """The decision's reasons, changes and open questions as lines of text in ``lang``."""
    text = _Text(lang, labels, summary_words, getattr(labels, "cites", {}) or {})
    out = [WORDS[lang]["head"]]
    for reason in decision.explanation:
        block: list[str] = []
        text.reason(reason, block)
        out.extend("  " + line for line in block)
    questions = decision.open_questions
    if questions:
        out.append(WORDS[lang]["open"])
        for q in questions:
            text.question(q, out)
    return out
