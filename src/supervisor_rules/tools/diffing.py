"""Comparing two policies: what their texts and rules say differently, and where their decisions differ.

``structural(old, new)``
    - **provisions**, matched by citation (article, paragraph, item): added, removed, and
      changed (wording, rules — each rule described in words);
    - **rules matched by role**, across numberings (a ground on the same fact is
      the same circumstance, whatever its item number): the term, renewal, dismissal grounds on the same facts,
      the dismissal record, recusal on the same facts, each prohibited code, each
      duty, each qualification fact (required or preferred), reports, rewards
      and notices.

``behavioural(old, new, examples=N)``
    A search over cases valid for both policies — only facts both declare with
    the same type — with Hypothesis (derandomised, so the same witnesses every
    run). Cases whose decisions differ are grouped by *what* differs (status,
    eligibility, last day of the term, the effect of the ground on each
    circumstance, recusal, each obligation, violations, report). Each group's
    simplest case is then shrunk to a minimal one: no section, fact or list
    entry can be dropped without losing that difference. Witnesses are JSON
    cases ready for ``supervisor-rules eval``. After the search, each witness's
    neighbours (``as_of`` on a term's last day or the day after; one boolean or
    enum fact set to another value) are tried too, which finds rare
    combinations next to common ones.

Only this module's behavioural search imports ``hypothesis`` (the ``test`` extra).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable, Iterable

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.dates import periods
from supervisor_rules.lang.checker import BOOL, DATE, NUMBER, TEXT, EnumT, ListT, RecordT
from supervisor_rules.errors import CaseError, RulesError
from supervisor_rules import questions
from supervisor_rules.tools.policytests import WORDS, amount_in_words, describe_rule

DEFAULT_EXAMPLES = 2000


# ------------------------------------------------------------------ provisions
@attrs.frozen
class ProvisionInfo:
    ref: str
    cite: str
    text: str | None
    rules: tuple  # AST rules (TextOnly left out)
    words: tuple[str, ...]  # the rules in words



#: Numbers a drawn case holds: next to the thresholds regulations write (ages, scores, amounts).
_NUMBERS = (0, 1, 2, 3, 5, 10, 17, 18, 21, 22, 59, 60, 64, 65, 69, 70, 90, 100, 200, 2000)

def provisions(policy) -> list[ProvisionInfo]:
    out = []
    for p in policy.compiled.checked.provisions:
        rules = tuple(r for r in p.rules if not isinstance(r, n.TextOnly))
        out.append(ProvisionInfo(p.ref, p.cite, p.text, rules, tuple(describe_rule(r) for r in rules)))
    return out


def _provision_changes(old, new) -> dict:
    before = {p.cite: p for p in provisions(old)}
    after = {p.cite: p for p in provisions(new)}
    added = [_prov_dict(p) for cite, p in after.items() if cite not in before]
    removed = [_prov_dict(p) for cite, p in before.items() if cite not in after]
    changed = []
    for cite, a in before.items():
        b = after.get(cite)
        if b is None:
            continue
        wording = a.text != b.text
        rules_changed = a.rules != b.rules
        if not wording and not rules_changed:
            continue
        entry = {"ref": b.ref, "cite": cite, "wording_changed": wording, "rules_changed": rules_changed}
        if rules_changed:
            entry["removed_rules"] = [w for w in a.words if w not in b.words]
            entry["added_rules"] = [w for w in b.words if w not in a.words]
            if not entry["removed_rules"] and not entry["added_rules"]:
                entry["removed_rules"], entry["added_rules"] = list(a.words), list(b.words)
        if wording:
            entry["old_text"], entry["new_text"] = a.text, b.text
        changed.append(entry)
    return {"added": added, "removed": removed, "changed": changed}


def _prov_dict(p: ProvisionInfo) -> dict:
    return {"ref": p.ref, "cite": p.cite, "text": p.text, "rules": list(p.words)}


# ------------------------------------------------------------------ roles
AREAS = ("term", "qualifications", "grounds", "recusal", "discipline", "duties", "reports", "findings", "notices")
#: Each area's heading in the text report (``supervisor-rules diff``).
AREA_TITLES = {"term": "Term, renewal and expiry", "qualifications": "Qualifications (by fact)",
               "grounds": "Dismissal grounds (by circumstance)", "recusal": "Recusal",
               "discipline": "Discipline (by prohibited code)", "duties": "Duties (by code)",
               "reports": "Reports and rewards", "findings": "Conclusions the policy defines (by code)",
               "notices": "Notices (advisory)"}


def _roles(policy) -> list[tuple[str, tuple, str, str, str]]:
    """(area, role key, ref, cite, words) for every rule of the policy: each kind's ``roles`` (its
    question module says what it is in a diff)."""
    out = []
    for p in policy.compiled.checked.provisions:
        for rule in p.rules:
            kind = questions.kind_of(rule)  # raises for a node no question takes
            if kind is not None:
                out.extend((area, key, p.ref, p.cite, words) for area, key, words in kind.roles(rule, WORDS))
    return out


def _role_changes(old, new) -> list[dict]:
    a, b = _roles(old), _roles(new)
    keys: dict[tuple, None] = {}
    for area, key, *_ in a + b:
        keys[(area, key)] = None
    out = []
    for area, key in keys:
        left = [{"ref": r, "cite": c, "rule": w} for ar, k, r, c, w in a if (ar, k) == (area, key)]
        right = [{"ref": r, "cite": c, "rule": w} for ar, k, r, c, w in b if (ar, k) == (area, key)]
        lw, rw = {x["rule"] for x in left}, {x["rule"] for x in right}
        lr, rr = [x["cite"] for x in left], [x["cite"] for x in right]
        if not left:
            change = "added"
        elif not right:
            change = "removed"
        elif lw != rw:
            change = "changed"
        elif lr != rr:
            change = "renumbered"
        else:
            change = "same"
        out.append({"area": area, "role": _role_name(area, key), "change": change, "old": left, "new": right})
    out.sort(key=lambda e: AREAS.index(e["area"]))
    return out


def _role_name(area: str, key: tuple) -> str:
    if area == "discipline":
        return key[1]
    if key[0] == "ground":
        return " / ".join(key[1:])
    if key[0] in ("recusal", "notice"):
        return f"{key[0]} on " + ", ".join(key[1:]) if len(key) > 1 else key[0]
    return " ".join(key)


def structural(old, new) -> dict:
    """The structural comparison as a JSON-ready dict."""
    return {"old": old.id, "new": new.id, "provisions": _provision_changes(old, new),
            "roles": _role_changes(old, new), "facts": _fact_changes(old, new)}


def _fact_changes(old, new) -> dict:
    """Facts one policy declares and the other does not (or with another type): not compared by behaviour."""
    shared = shared_facts(old, new)
    out: dict = {"shared": sum(len(f) for f in shared.values()), "old_only": [], "new_only": [],
                 "different_type": []}
    for a, b, key in ((old, new, "old_only"), (new, old, "new_only")):
        for name, section in a.sections.items():
            other = b.sections.get(name)
            for f, info in section.fields.items():
                if f in shared.get(name, {}):
                    continue
                if other is not None and f in other.fields:
                    if key == "old_only":
                        out["different_type"].append(f"{name}.{f}: {info.type} vs {other.fields[f].type}")
                else:
                    out[key].append(f"{name}.{f}")
    # a closed-world default decides every case that leaves the fact out: a change of it is a rule change
    out["different_default"] = [f"{name}.{f}: default {_default_words(info.default)} → "
                                f"{_default_words(new.sections[name].fields[f].default)}"
                                for name, fields in shared.items() for f, info in fields.items()
                                if info.default != new.sections[name].fields[f].default]
    return out


def _default_words(value) -> str:
    if value is None:
        return "none (unknown when left out)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(_jsonable(value), ensure_ascii=False)


# ------------------------------------------------------------------ shared facts
def _same_type(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, EnumT):
        return a.values == b.values
    if isinstance(a, ListT):
        return _same_type(a.element, b.element)
    if isinstance(a, RecordT):
        return a.fields.keys() == b.fields.keys() and all(
            _same_type(a.fields[k].type, b.fields[k].type) for k in a.fields)
    return a == b


def contract_breaks(old, new) -> list[str]:
    """What makes a case valid under ``old`` invalid under ``new``, in words: a section or fact removed
    (or renamed), a type that refuses some old value (an enum value dropped, a list made a scalar), a
    record field added that a case must give. Adding facts, sections or enum values breaks nothing."""
    return [c["words"] for c in contract_changes(old, new, witnesses=False)]


def contract_changes(old, new, *, witnesses: bool = True) -> list[dict]:
    """``contract_breaks`` as groups: each ``{"field": "case_contract", "fact", "change", "words",
    "witness"}``, where ``change`` is ``section removed``, ``removed`` (``renamed_to`` when one new fact of
    the same type looks like its new name) or ``retyped``, and ``witness`` a case ``old`` accepts and
    ``new`` refuses (None where none could be built), with ``refused``: ``new``'s problems with it."""
    out = []
    for name, section in old.sections.items():
        other = new.sections.get(name)
        if other is None:
            entry = {"field": "case_contract", "fact": name, "change": "section removed",
                     "words": f"section `{name}` removed"}
            out.append(entry)
            if witnesses:
                _witness(entry, old, new, [(name, f, info.type) for f, info in section.fields.items()][:1])
            continue
        for f, info in section.fields.items():
            if f not in other.fields:
                added = [g for g, o in other.fields.items() if g not in section.fields and _same_type(o.type, info.type)]
                entry = {"field": "case_contract", "fact": f"{name}.{f}", "change": "removed",
                         "words": f"fact `{name}.{f}` removed" + (f" (renamed `{name}.{added[0]}`?)" if len(added) == 1
                                                                   else "")}
                if len(added) == 1:
                    entry["renamed_to"] = f"{name}.{added[0]}"
            elif not _accepts(other.fields[f].type, info.type):
                entry = {"field": "case_contract", "fact": f"{name}.{f}", "change": "retyped",
                         "words": f"fact `{name}.{f}`: {_type_words(info.type)} → {_type_words(other.fields[f].type)}"}
            else:
                continue
            out.append(entry)
            if witnesses:
                _witness(entry, old, new, [(name, f, info.type)])
    return out


def _values_of(t, depth: int = 0) -> list:
    """A few values of a declared type, every enum value among them (a witness to a dropped one)."""
    day = "2024-03-01"
    if t == BOOL:
        return [True, False]
    if t == DATE:
        return [day]
    if t == NUMBER:
        return [1, 0, 1.5]
    if t == TEXT:
        return ["x"]
    if isinstance(t, EnumT):
        return list(t.values)
    if isinstance(t, ListT) and depth < 2:
        return [[v] for v in _values_of(t.element, depth + 1)]
    if isinstance(t, RecordT) and depth < 3:
        full = {k: _values_of(f.type, depth + 1)[0] for k, f in t.fields.items() if _values_of(f.type, depth + 1)}
        needed = {k: v for k, v in full.items() if not t.fields[k].closed and not getattr(t.fields[k], "optional", False)}
        variants = [full, needed]
        for k, f in t.fields.items():  # each value of each field, the others as in `full`
            for v in _values_of(f.type, depth + 1)[1:]:
                variants.append({**full, k: v})
        return variants
    return []


def _witness(entry: dict, old, new, facts: list) -> None:
    """Sets ``entry["witness"]``: the first case (one fact given) that ``old`` accepts and ``new`` refuses."""
    entry["witness"] = None
    for section, fact, t in facts:
        for value in _values_of(t):
            case = {"as_of": "2024-03-01", section: {fact: value}}
            try:
                old.evaluate(case)
            except (RulesError, ValueError, OverflowError):
                continue
            try:
                new.evaluate(case)
            except CaseError as exc:
                entry["witness"] = case
                entry["refused"] = [f"{p.path}: {p.message}" if p.path else p.message for p in exc.problems]
                return
            except (RulesError, ValueError, OverflowError):
                continue


def _accepts(new_type, old_type) -> bool:
    """Whether every value of ``old_type`` is a valid value of ``new_type`` (an enum's values are texts)."""
    if isinstance(old_type, EnumT) and new_type == TEXT:
        return True
    if isinstance(old_type, EnumT) and isinstance(new_type, EnumT):
        return set(old_type.values) <= set(new_type.values)
    if isinstance(old_type, ListT) and isinstance(new_type, ListT):
        return _accepts(new_type.element, old_type.element)
    if isinstance(old_type, RecordT) and isinstance(new_type, RecordT):
        return (all(k in new_type.fields and _accepts(new_type.fields[k].type, v.type)
                    for k, v in old_type.fields.items())
                and all(v.closed for k, v in new_type.fields.items() if k not in old_type.fields))
    return _same_type(old_type, new_type)


def _type_words(t) -> str:
    if isinstance(t, EnumT):
        return f"{t} ({', '.join(t.values)})" if len(t.values) <= 8 else f"{t} ({len(t.values)} values)"
    return str(t)


def shared_facts(old, new) -> dict[str, dict[str, Any]]:
    """section → fact → FieldInfo (old's) for the facts both policies declare with the same type."""
    out: dict[str, dict[str, Any]] = {}
    for name, section in old.sections.items():
        other = new.sections.get(name)
        if other is None:
            continue
        fields = {f: info for f, info in section.fields.items()
                  if f in other.fields and _same_type(info.type, other.fields[f].type)}
        if fields:
            out[name] = fields
    return out


def _term_months(policy) -> int | None:
    term = policy.compiled.term
    if term is None or term.due is None:
        return None
    amount, unit, _ = term.due
    return amount * (12 if unit == "years" else 1)


def _start_key(policy) -> tuple[str, str] | None:
    term = policy.compiled.term
    if term is None or term.due is None:
        return None
    section, _, name = term.due[2].partition(".")
    return section, name


# ------------------------------------------------------------------ what a decision says, for comparison
#: Every field of a decision (DECISION.md v2) that a client reads, as the groups name them; ``explanation``
#: and ``meta`` are left out (how a conclusion is explained, and what produced it, are not what it is).
FIELDS = ("status", "eligibility.result", "eligibility.preferred", "eligibility.unmet", "eligibility.undetermined",
          "eligibility.preferences", "term.last_day", "term.terms", "term.valid_renewals", "term.invalid_renewals",
          "term.undetermined_renewals", "grounds", "grounds.citations", "recusal", "recusal.grounds",
          "obligations", "obligations.state", "obligations.due", "obligations.citation", "obligations.bearer",
          "violations", "violations.citation", "report.result", "report.category", "report.reward_referral",
          "report.reward_rules", "notices", "findings", "missing_facts", "open_questions")

#: Fields compared as sets of entries, each entry under one policy only being a group: (field, side).
_SETS = ("eligibility.unmet", "eligibility.undetermined", "eligibility.preferences", "term.valid_renewals",
         "obligations", "violations", "missing_facts")
#: Fields compared per code (a duty, a violation code, a ground's circumstance): the code's value under each.
_PER_CODE = ("grounds.citations", "obligations.state", "obligations.citation", "obligations.bearer",
             "violations.citation", "term.invalid_renewals", "term.undetermined_renewals")


def ground_roles(policy) -> dict:
    """Citation (Chinese, unique) → the circumstance its ground is about (the facts its condition reads)."""
    out: dict[str, str] = {}
    for area, key, ref, cite, words in _roles(policy):
        if key[0] == "ground":
            out.setdefault(cite, " / ".join(key[1:]))
    return out


def _refs(citations) -> tuple[str, ...]:
    return tuple(sorted(c.ref for c in citations))


def _by_code(entries, code, value) -> dict:
    out: dict = {}
    for e in entries:
        out.setdefault(code(e), []).append(value(e))
    return {k: tuple(v) for k, v in out.items()}


def _canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def features(decision, roles: dict | None = None, *, questions: bool = True) -> dict:
    """What is compared: every field of the decision a client reads, reduced to values (citations by
    their ``ref``; a provision's wording is not a decision). Grounds are keyed by the circumstance they
    are about (``ground_roles``), so two numberings of one ground compare its effect; ``questions``
    computes ``open_questions`` (which evaluates further cases) — without it they are left out."""
    d = decision
    e, t, r = d.eligibility, d.term, d.report
    by_role: dict[str, list] = {}
    for g in d.grounds:
        by_role.setdefault((roles or {}).get(g.citation.cite, g.citation.ref), []).append(g)
    # a circumstance's effect; where its grounds differ in effect, each ref's
    grounds: dict[str, str] = {}
    ground_refs: dict[str, tuple] = {}
    for role, listed in by_role.items():
        listed.sort(key=lambda g: g.citation.ref)
        effects = {str(g.effect) for g in listed}
        grounds[role] = effects.pop() if len(effects) == 1 else \
            " + ".join(f"{g.citation.ref} {g.effect}" for g in listed)
        ground_refs[role] = tuple(g.citation.ref for g in listed)
    obligations = d.obligations
    return {
        "status": str(d.status),
        "eligibility.result": str(e.result),
        "eligibility.preferred": e.preferred,
        "eligibility.unmet": frozenset(_refs(e.unmet)),
        "eligibility.undetermined": frozenset(_refs(e.undetermined)),
        "eligibility.preferences": frozenset(_refs(e.preferences)),
        "term.last_day": t.last_day if t is not None else None,
        "term.terms": t.terms if t is not None else None,
        "term.valid_renewals": frozenset(t.valid_renewals) if t is not None else frozenset(),
        "term.invalid_renewals": {x.on: _invalid_words(x) for x in t.invalid_renewals} if t is not None else {},
        "term.undetermined_renewals": ({x.on: " ".join(_refs(x.undetermined)) for x in t.undetermined_renewals}
                                       if t is not None else {}),
        "grounds": grounds,
        "grounds.citations": ground_refs,
        "recusal": (str(d.recusal.result), d.recusal.decided_by),
        "recusal.grounds": _refs(d.recusal.grounds),
        "obligations": frozenset(o.duty for o in obligations),
        "obligations.state": _by_code(obligations, lambda o: o.duty, lambda o: str(o.state)),
        "obligations.due": _by_code(obligations, lambda o: o.duty, lambda o: o.due),
        "obligations.citation": _by_code(obligations, lambda o: o.duty, lambda o: o.citation.ref),
        "obligations.bearer": _by_code(obligations, lambda o: o.duty, lambda o: o.bearer),
        "violations": frozenset(v.code for v in d.violations),
        "violations.citation": _by_code(d.violations, lambda v: v.code, lambda v: v.citation.ref),
        "report.result": str(r.result),
        "report.category": r.category.ref if r.category is not None else None,
        "report.reward_referral": r.reward_referral,
        "report.reward_rules": r.reward_rules,
        "notices": frozenset((x.citation.ref if x.citation else None, x.message) for x in d.notices),
        # Each declared code → what it concludes: (entry index, value, ref) for each finding of that code.
        "findings": _findings(d),
        "missing_facts": frozenset(d.missing_facts),
        "open_questions": _questions(d) if questions else {},
    }


def _reason_only(words: str | None) -> str | None:
    return None if words is None else words.split(" ", 1)[0]


def _invalid_words(renewal) -> str:
    words = str(renewal.reason)
    if renewal.unmet:
        words += " " + ",".join(_refs(renewal.unmet))
    if renewal.facts:
        words += " [" + ",".join(sorted(renewal.facts)) + "]"
    return words


def _questions(d) -> dict:
    out: dict[str, str] = {}
    for q in getattr(d, "open_questions", ()) or ():
        name = q.get("question", "?") if isinstance(q, dict) else str(q)
        out[name] = out.get(name, "") + _canonical(q)
    return out


def _findings(d) -> dict:
    out: dict[str, tuple] = {}
    for f in d.findings:
        out[f.code] = out.get(f.code, ()) + ((f.item, f.value, f.citation.ref),)
    return out


def needs_questions(a, b) -> bool:
    """Whether comparing two decisions' ``open_questions`` can add anything: both have facts missing, the
    same ones (an open question names a missing fact; where the missing facts differ, that is the
    difference reported)."""
    return bool(a.missing_facts) and a.missing_facts == b.missing_facts


def _relation(x, y, earlier: str, later: str) -> str:
    if x is None:
        return "only in new"
    if y is None:
        return "only in old"
    return earlier if x < y else later


def difference_keys(a: dict, b: dict) -> list[tuple]:
    """The groups a pair of decisions (as ``features``) falls into: one key per thing that differs. A key
    never holds a value particular to the case (a date, a fact's value), so cases that differ alike
    share a group."""
    keys = []
    for field in FIELDS:
        x, y = a[field], b[field]
        if x == y:
            continue
        if field == "term.last_day":
            keys.append((field, _relation(x, y, "old ends earlier", "old ends later")))
        elif field == "grounds":
            for role in sorted(set(x) | set(y)):
                if x.get(role) != y.get(role):
                    keys.append((field, role, x.get(role), y.get(role)))
        elif field == "grounds.citations":
            # the refs of a circumstance both list with the same effect (another effect is the group above)
            for role in sorted(set(x) & set(y)):
                if x[role] != y[role] and a["grounds"][role] == b["grounds"][role]:
                    keys.append((field, role, " ".join(x[role]), " ".join(y[role])))
        elif field == "findings":
            for code in sorted(set(x) | set(y)):
                if x.get(code) != y.get(code):
                    side = "old only" if code not in y else "new only" if code not in x else "changed"
                    keys.append((field, code, side))
        elif field in _SETS:
            for side, only in (("old only", x - y), ("new only", y - x)):
                if field == "term.valid_renewals":  # dates: the group is which side has more valid renewals
                    if only:
                        keys.append((field, side))
                    continue
                for code in sorted(only, key=str):
                    keys.append((field, code, side))
        elif field in _PER_CODE:
            for code in sorted(set(x) | set(y), key=str):
                vx, vy = x.get(code), y.get(code)
                if vx == vy or (field not in ("term.invalid_renewals", "term.undetermined_renewals")
                                and (vx is None or vy is None)):
                    continue  # present under one policy only: the set's own group
                if field == "term.invalid_renewals":  # keyed by the reasons, not the renewal's date, refs or facts
                    rx, ry = _reason_only(vx), _reason_only(vy)
                    keys.append((field, rx, ry) if rx != ry else (field, f"{rx}, other unmet or facts",
                                                                   f"{ry}, other unmet or facts"))
                elif field.startswith("term."):
                    keys.append((field, vx, vy))
                else:
                    keys.append((field, code, _joined(vx), _joined(vy)))
        elif field == "obligations.due":
            for code in sorted(set(x) & set(y)):
                if x[code] != y[code]:
                    keys.append((field, code, _due_relation(x[code], y[code])))
        elif field == "notices":
            for side, only in (("old only", x - y), ("new only", y - x)):
                for ref, message in sorted(only, key=str):
                    keys.append((field, ref, message, side))
        elif field == "open_questions":
            for question in sorted(set(x) | set(y)):
                if x.get(question) != y.get(question):
                    side = "old only" if question not in y else "new only" if question not in x else "changed"
                    keys.append((field, question, side))
        elif field == "recusal.grounds":
            keys.append((field, " ".join(x) or "none", " ".join(y) or "none"))
        else:
            keys.append((field, x, y))
    return keys


def _joined(value) -> str:
    return " ".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


def _due_relation(x: tuple, y: tuple) -> str:
    known_x, known_y = [d for d in x if d is not None], [d for d in y if d is not None]
    if not known_x or not known_y:
        return "due only under old" if known_x else "due only under new" if known_y else "due differs"
    if len(known_x) != len(known_y):
        return "due differs"
    return "old due earlier" if min(known_x) < min(known_y) else "old due later" if min(known_x) > min(known_y) \
        else "due differs"


def compare(old, new, case, roles) -> tuple[list[tuple], tuple] | None:
    """Both decisions of ``case`` and the groups they fall into (None if either policy refuses the case)."""
    pair = _decide(old, new, case)
    if pair is None:
        return None
    a, b = pair
    questions = needs_questions(a, b)
    return difference_keys(features(a, roles[0], questions=questions),
                           features(b, roles[1], questions=questions)), pair


# ------------------------------------------------------------------ the search
@attrs.define
class Group:
    key: tuple
    count: int
    witness: dict
    old: Any = None  # decisions of the (shrunk) witness
    new: Any = None
    score: tuple = ()
    found_by: str = "search"  # "boundary" (a boundary case), "search" (a drawn case) or "neighbourhood"

    @property
    def field(self) -> str:
        return self.key[0]


@attrs.define
class Behaviour:
    examples: int  # the budget: drawn cases (and at most as many boundary cases)
    compared: int  # cases compared (boundary and drawn), valid for both
    shared: dict
    groups: list[Group]
    seeds: Any = None  # boundaries.Seeds: the boundary cases tried
    drawn: int = 0  # drawn cases compared


def _strategy(old, new, shared: dict):
    """Cases over the shared facts, as few Hypothesis draws as possible (a draw costs more than an evaluation).

    Dates cluster around the appointment's start and the ends of both policies'
    terms; about half of the cases are *favourable* (open-world facts mostly
    given and true, events mostly absent), so clean outcomes are as common as
    failing ones. Booleans and presence are drawn as one bit mask per section (eight bits per draw).
    """
    from hypothesis import strategies as st

    months = sorted({m for m in (_term_months(old), _term_months(new)) if m})
    start_key = _start_key(old) if _start_key(old) == _start_key(new) else None
    bases = [dt.date(2020, 2, 29), dt.date(2021, 7, 1), dt.date(2022, 12, 31), dt.date(2023, 3, 1),
             dt.date(2024, 2, 29), dt.date(2019, 10, 8), dt.date(2025, 1, 1)]
    plan = []
    for section, fields in shared.items():
        names = list(fields)
        bools = [f for f in names if fields[f].type == BOOL]
        plan.append((section, fields, names, bools))
    spread = 365 * 7

    def mask(draw, bits: int) -> int:
        """``bits`` random bits, drawn 8 at a time: Hypothesis draws a wide integer's high bits seldom (a
        fact far down a section would then almost never be given, or true)."""
        out = 0
        for at in range(0, bits, 8):
            out |= draw(st.integers(0, (1 << min(8, bits - at)) - 1)) << at
        return out

    @st.composite
    def case(draw):
        start = bases[draw(st.integers(0, len(bases) - 1))]
        near = []
        for m in months:
            for k in (1, 2):
                try:
                    end = periods.add_months(start, m * k)
                except (periods.PeriodOutOfRange, OverflowError):
                    continue
                near.extend(end + dt.timedelta(days=d) for d in (-1, 0, 1))

        def day() -> str:
            k = draw(st.integers(-len(near), spread))
            when = near[-k - 1] if k < 0 else start + dt.timedelta(days=k - 60)
            return when.isoformat()

        favourable = draw(st.booleans())

        def value(info_type):
            if info_type == DATE:
                return day()
            if info_type == TEXT:
                return ("", "other")[draw(st.integers(0, 1))]
            if info_type == BOOL:
                return draw(st.booleans())
            if info_type == NUMBER:  # the whole numbers where thresholds sit (ages, scores, counts), then any
                return draw(st.one_of(st.sampled_from(_NUMBERS), st.integers(0, 120)))
            if isinstance(info_type, EnumT):
                return info_type.values[draw(st.integers(0, len(info_type.values) - 1))]
            if isinstance(info_type, ListT):
                element = info_type.element
                if isinstance(element, EnumT):
                    chosen = mask(draw, len(element.values)) & mask(draw, len(element.values))
                    if favourable:
                        chosen &= mask(draw, len(element.values))
                    return [v for i, v in enumerate(element.values) if chosen >> i & 1][:3]
                if isinstance(element, RecordT):
                    records = [_record(element) for _ in range(draw(st.integers(0, 2)))]
                    dated = next((k for k, f in element.fields.items() if f.type == DATE), None)
                    if dated:
                        records.sort(key=lambda r: r.get(dated) or "")
                    return records
                return [value(element) for _ in range(draw(st.integers(0, 2)))]
            raise TypeError(f"no strategy for {info_type}")

        def _record(record: RecordT) -> dict:
            fields = list(record.fields.items())
            given, truth = mask(draw, len(fields)), mask(draw, len(fields))
            if favourable:
                truth |= mask(draw, len(fields))
            out = {}
            for i, (k, f) in enumerate(fields):
                if f.closed and not given >> i & 1:
                    continue
                out[k] = bool(truth >> i & 1) if f.type == BOOL else value(f.type)
            return out

        # One draw per section holds its presence, which facts are given and the booleans' values
        # (a draw costs far more than evaluating a case); favourable cases draw a second to tilt them.
        out: dict = {"as_of": day()}
        for section, fields, names, bools in plan:
            width = 2 + len(names) + len(bools)
            chunk = mask(draw, width)
            extra = mask(draw, width) if favourable else 0
            if chunk & 3 == 0:  # absent one time in four
                continue
            given = chunk >> 2 & ((1 << len(names)) - 1)
            truth = chunk >> (2 + len(names))
            if favourable:
                given |= extra >> 2 & ((1 << len(names)) - 1)
                more = extra >> (2 + len(names))
                flip = sum(1 << i for i, f in enumerate(bools) if fields[f].closed)
                truth = (truth | more) & ~flip | (truth & more & flip)  # open mostly true, events mostly not
            facts = {}
            for i, name in enumerate(names):
                if start_key == (section, name):
                    if given >> i & 1 or favourable:
                        facts[name] = start.isoformat()
                    continue
                if not given >> i & 1:
                    continue
                info = fields[name]
                if info.type == BOOL:
                    facts[name] = bool(truth >> bools.index(name) & 1)
                else:
                    facts[name] = value(info.type)
            out[section] = facts
        return out

    return case()


def _decide(old, new, case):
    try:
        return old.evaluate(case), new.evaluate(case)
    except (RulesError, ValueError, OverflowError):
        return None


def behavioural(old, new, *, examples: int = DEFAULT_EXAMPLES) -> Behaviour:
    """Search for decisions that differ (shared facts only); one shrunk witness per group.

    First the cases on the boundaries both policies' constants create (``boundaries.seeds``: dates on,
    just before and just after each edge; at most ``examples`` of them), then ``examples`` cases drawn
    by Hypothesis (derandomised), then each witness's neighbours."""
    from hypothesis import HealthCheck, Phase, given, settings

    from supervisor_rules.tools import boundaries

    shared = shared_facts(old, new)
    roles = ground_roles(old), ground_roles(new)
    groups: dict[tuple, Group] = {}
    compared = [0, 0]

    def consider(case, how: str) -> None:
        found = compare(old, new, case, roles)
        if found is None:
            return
        keys, pair = found
        counted = how != "neighbourhood"
        if counted:
            compared[0] += 1
            compared[1] += how == "search"
        # the best witness of a group (before shrinking) has the fewest dismissal grounds (none from an
        # ended term muddling the picture), then the fewest facts, then the fewest other differences
        score = (len(pair[0].grounds) + len(pair[1].grounds), _size(case), len(keys))
        for key in keys:
            group = groups.get(key)
            if group is None:
                groups[key] = Group(key, int(counted), case, score=score, found_by=how)
            else:
                group.count += counted
                if score < group.score:
                    group.witness, group.score = case, score

    @settings(max_examples=examples, derandomize=True, database=None, phases=[Phase.generate],
              deadline=None, suppress_health_check=list(HealthCheck), print_blob=False)
    @given(_strategy(old, new, shared))
    def explore(case):
        consider(case, "search")

    seeds = None
    if examples > 0:
        # the boundaries of the provisions whose rules changed come first
        changed = {c["ref"] for c in rule_changes(structural(old, new)) if c["ref"]} if _comparable(old, new) else set()
        seeds = boundaries.seeds((old, new), limit=examples, first=lambda b: b.where in changed)
        for case in seeds.cases:
            consider(case, "boundary")
        explore()
        # Rare combinations sit next to common ones (an employer reported for the one conduct that
        # makes it in scope): try each witness with one fact set to each other declared value.
        budget = examples
        months = sorted({m for m in (_term_months(old), _term_months(new)) if m})
        start_key = _start_key(old) if _start_key(old) == _start_key(new) else None

        def anchors(case: dict) -> list[str]:
            """as_of on the last day of each policy's first terms and the day after."""
            start = (case.get(start_key[0]) or {}).get(start_key[1]) if start_key else None
            if not isinstance(start, str):
                return []
            out = []
            for m in months:
                for k in (1, 2, 3):
                    try:
                        end = periods.add_months(dt.date.fromisoformat(start), m * k)
                    except (ValueError, periods.PeriodOutOfRange, OverflowError):
                        continue
                    out += [end.isoformat(), (end + dt.timedelta(days=1)).isoformat()]
            return out
        for group in list(groups.values()):
            for neighbour in _neighbours(group.witness, shared, anchors):
                if budget <= 0:
                    break
                budget -= 1
                consider(neighbour, "neighbourhood")
    out = []
    for group in groups.values():
        group.witness = shrink(group.witness, lambda c, k=group.key: _has_key(old, new, c, k, roles))
        pair = _decide(old, new, group.witness)
        if pair is not None:
            group.old, group.new = pair
        out.append(group)
    out.sort(key=lambda g: (FIELDS.index(g.field), -g.count, repr(g.key)))
    return Behaviour(examples, compared[0], shared, out, seeds, compared[1])


def _comparable(old, new) -> bool:
    """Whether the two can be compared provision by provision (policies; a family's view cannot)."""
    return all(hasattr(p, "compiled") and hasattr(p.compiled, "checked") and hasattr(p, "sections")
               and not isinstance(p, FamilyView) for p in (old, new))


def _neighbours(case: dict, shared: dict, anchors: Callable[[dict], list[str]]) -> Iterable[dict]:
    """The case with ``as_of`` moved to a term's end, or one boolean or enum fact set to another value."""
    for day in anchors(case):
        if day != case.get("as_of"):
            yield {**case, "as_of": day}
    for section, fields in shared.items():
        facts = case.get(section)
        if not isinstance(facts, dict):
            continue
        for name, info in fields.items():
            if info.type == BOOL:
                choices = [True, False]
            elif isinstance(info.type, EnumT):
                choices = list(info.type.values)
            else:
                continue
            for value in choices:
                if facts.get(name, object()) != value:
                    yield {**case, section: {**facts, name: value}}


def _size(value) -> int:
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_size(v) for v in value)
    return 1


def _has_key(old, new, case, key, roles) -> bool:
    pair = _decide(old, new, case)
    if pair is None:
        return False
    questions = key[0] == "open_questions"
    return key in difference_keys(features(pair[0], roles[0], questions=questions),
                                  features(pair[1], roles[1], questions=questions))


# ------------------------------------------------------------------ shrinking
def _candidates(case: dict) -> Iterable[dict]:
    """Smaller cases: without a section, without a fact, without a list entry or a record's field."""
    for section in [k for k in case if k != "as_of"]:
        yield {k: v for k, v in case.items() if k != section}
    for section, facts in case.items():
        if section == "as_of" or not isinstance(facts, dict):
            continue
        for name in facts:
            yield {**case, section: {k: v for k, v in facts.items() if k != name}}
        for name, value in facts.items():
            if isinstance(value, list):
                for i in range(len(value)):
                    yield {**case, section: {**facts, name: value[:i] + value[i + 1:]}}
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        for field in item:
                            smaller = {k: v for k, v in item.items() if k != field}
                            yield {**case, section: {**facts, name: value[:i] + [smaller] + value[i + 1:]}}


def shrink(case: dict, keeps: Callable[[dict], bool], *, max_steps: int = 2000) -> dict:
    """A 1-minimal case: greedily drop what can be dropped while ``keeps`` still holds."""
    steps = 0
    changed = True
    while changed and steps < max_steps:
        changed = False
        for candidate in _candidates(case):
            steps += 1
            if steps > max_steps:
                break
            if keeps(candidate):
                case = candidate
                changed = True
                break
    return case


# ------------------------------------------------------------------ describing a difference
def _show_value(field: str, value) -> str:
    if isinstance(value, tuple) and field == "recusal":
        result, by = value
        return result + (f" (decided by {by})" if by else "")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _side(side: str, old_id: str, new_id: str) -> str:
    return old_id if side == "old only" else new_id


def group_title(key: tuple, old_id: str, new_id: str) -> str:
    """The group in words, both policies named."""
    field = key[0]
    if field == "term.last_day":
        relation = key[1]
        words = {"old ends earlier": f"{old_id}'s term ends earlier than {new_id}'s",
                 "old ends later": f"{old_id}'s term ends later than {new_id}'s",
                 "only in old": f"a last day under {old_id} only", "only in new": f"a last day under {new_id} only"}
        return f"term.last_day: {words.get(relation, relation)}"
    if field == "term.valid_renewals":
        return f"term.valid_renewals: a renewal valid under {_side(key[1], old_id, new_id)} only"
    if field in ("term.invalid_renewals", "term.undetermined_renewals"):
        _, a, b = key
        return f"{field}: {old_id} {a or 'none'} vs {new_id} {b or 'none'}"
    if field in _SETS:
        _, code, side = key
        return f"{field}: {code} under {_side(side, old_id, new_id)} only"
    if field in ("findings", "open_questions"):
        _, code, side = key
        if side == "changed":
            return f"{field}: {code} " + ("concluded" if field == "findings" else "asked") + \
                f" differently under {old_id} and {new_id}"
        return f"{field}: {code} under {_side(side, old_id, new_id)} only"
    if field == "grounds":
        _, role, a, b = key
        return f"grounds on {role}: {old_id} {a or 'none'} vs {new_id} {b or 'none'}"
    if field in _PER_CODE:
        _, code, a, b = key
        what = {"grounds.citations": "grounds on", "violations.citation": "violation"}.get(field, "duty")
        return f"{field}: {what} {code}: {old_id} {a} vs {new_id} {b}"
    if field == "obligations.due":
        _, code, relation = key
        words = {"old due earlier": f"due earlier under {old_id}", "old due later": f"due later under {old_id}",
                 "due only under old": f"a due date under {old_id} only",
                 "due only under new": f"a due date under {new_id} only"}
        return f"obligations.due: {code} {words.get(relation, relation)}"
    if field == "notices":
        _, ref, message, side = key
        return f"notices: {ref or '-'} “{message}” under {_side(side, old_id, new_id)} only"
    return f"{field}: {old_id} {_show_value(field, key[1])} vs {new_id} {_show_value(field, key[2])}"


def _cites(citations) -> str:
    return ", ".join(f"{c.ref} {c.cite}" for c in citations)


def _obligation_words(o) -> str:
    return (f"{o.duty} ({o.citation.ref} {o.citation.cite}, {o.state}"
            + (f", due {o.due.isoformat()}" if o.due is not None else "")
            + (", by department)" if o.bearer == "department" else ")"))


def decision_lines(field: str, decision, key: tuple | None = None) -> str:
    """What a decision says about one field (the part ``key`` names, where it names one), with citations."""
    d = decision
    if field == "status":
        return f"status {d.status}" + ("; grounds " + ", ".join(f"{g.citation.ref} {g.citation.cite} {g.effect}"
                                                               for g in d.grounds) if d.grounds else "")
    if field.startswith("eligibility"):
        e = d.eligibility
        parts = [f"eligibility {e.result}"]
        if e.unmet:
            parts.append("unmet " + _cites(e.unmet))
        if e.undetermined:
            parts.append("undetermined " + _cites(e.undetermined))
        parts.append(f"preferred {_show_value('', e.preferred)}")
        if e.preferences:
            parts.append("preferences " + _cites(e.preferences))
        return "; ".join(parts)
    if field.startswith("term"):
        t = d.term
        if t is None:
            return "no term"
        words = (f"term {amount_in_words(t.years, 'years')} from {t.start.isoformat()}, last day "
                 f"{t.last_day.isoformat() if t.last_day else 'unknown'}, "
                 + (f"{t.terms} term(s)" if t.terms is not None else "terms unknown"))
        if t.valid_renewals:
            words += "; renewed " + ", ".join(x.isoformat() for x in t.valid_renewals)
        if t.invalid_renewals:
            words += "; invalid renewals " + ", ".join(f"{x.on.isoformat()} {_invalid_words(x)}"
                                                       for x in t.invalid_renewals)
        if t.undetermined_renewals:
            words += "; undetermined renewals " + ", ".join(
                f"{x.on.isoformat()} {' '.join(_refs(x.undetermined))}" for x in t.undetermined_renewals)
        return words + f"; status {d.status}"
    if field.startswith("grounds"):
        return "grounds " + (", ".join(f"{g.citation.ref} {g.citation.cite} {g.effect}" for g in d.grounds)
                             or "none") + f"; status {d.status}"
    if field.startswith("recusal"):
        r = d.recusal
        return f"recusal {r.result}" + (f", decided by {r.decided_by}" if r.decided_by else "") + (
            " — " + _cites(r.grounds) if r.grounds else "")
    if field.startswith("obligations"):
        shown = [o for o in d.obligations if key is None or field == "obligations" or o.duty == key[1]]
        return "obligations " + (", ".join(_obligation_words(o) for o in shown) or "none")
    if field.startswith("violations"):
        return "violations " + (", ".join(f"{v.code} ({v.citation.ref} {v.citation.cite})"
                                          for v in d.violations) or "none")
    if field == "findings":
        return "findings " + (", ".join(
            f"{f.code}" + (f"[{f.item}]" if f.item is not None else "")
            + f" = {_show_value('', f.value)} ({f.citation.ref} {f.citation.cite})" for f in d.findings) or "none")
    if field.startswith("report"):
        r = d.report
        return f"report {r.result}" + (f", category {r.category.ref} {r.category.cite}" if r.category else "") + (
            f", reward under {r.reward_rules}" if r.reward_referral else ", no reward referral")
    if field == "notices":
        return "notices " + ("; ".join(f"{x.citation.ref if x.citation else '-'} “{x.message}”" for x in d.notices)
                             or "none")
    if field == "missing_facts":
        return "missing facts " + (", ".join(d.missing_facts) or "none")
    if field == "open_questions":
        questions = getattr(d, "open_questions", ()) or ()
        return "open questions " + ("; ".join(
            f"{q.get('question')}: " + ", ".join(f.get("fact", "?") for f in q.get("facts", ()))
            for q in questions if isinstance(q, dict)) or "none")
    return str(field)


def group_values(key: tuple, decision) -> Any:
    """The compared value a group is about, as JSON (both due dates of a duty, the unmet refs …)."""
    field = key[0]
    values = features(decision, None, questions=field == "open_questions")
    if field == "grounds" or field == "grounds.citations":
        # by ref: the roles of one policy are not known here
        return [{"ref": g.citation.ref, "effect": str(g.effect)} for g in decision.grounds]
    value = values[field]
    if field in ("obligations.state", "obligations.due", "obligations.citation", "obligations.bearer",
                 "violations.citation", "findings", "open_questions") and len(key) > 1:
        value = value.get(key[1])
    return _jsonable(value)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(_jsonable(k)) if not isinstance(k, str) else k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (frozenset, set)):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def behaviour_to_dict(result: Behaviour, old, new) -> dict:
    """The behavioural half as JSON: what was searched (``examples`` drawn, the ``boundaries`` and their
    cases, ``compared`` in all) and each group with its witness (a case, as an object) and what each
    policy decides for it (``values``: the compared value; ``old``/``new`` or the ids: in words)."""
    groups = []
    for g in result.groups:
        entry = {"field": g.field, "key": [_jsonable(k) for k in g.key],
                 "title": group_title(g.key, old.id, new.id), "count": g.count,
                 "found_by": g.found_by, "witness": g.witness}
        if g.old is not None:
            entry[old.id if old.id != new.id else "old"] = decision_lines(g.field, g.old, g.key)
            entry[new.id if old.id != new.id else "new"] = decision_lines(g.field, g.new, g.key)
            entry["values"] = {"old": group_values(g.key, g.old), "new": group_values(g.key, g.new)}
        groups.append(entry)
    return {"examples": result.examples, "compared": result.compared, "drawn": result.drawn,
            "boundaries": result.seeds.to_dict() if result.seeds is not None else None,
            "shared_facts": [f"{s}.{f}" for s, fields in result.shared.items() for f in fields],
            "groups": groups}


# ------------------------------------------------------------------ structural changes without a witness
def rule_changes(structure: dict) -> list[dict]:
    """The structural changes that can change a decision: each provision whose rules changed, each
    provision added or removed with rules, each closed-world default changed. Wording, text-only
    provisions, renumbered roles alone and invariants change no decision and are not listed."""
    out = []
    provisions = structure["provisions"]
    for e in provisions["changed"]:
        if e["rules_changed"]:
            out.append({"change": "changed", "ref": e["ref"], "cite": e["cite"],
                        "rules": [f"- {w}" for w in e.get("removed_rules", [])]
                        + [f"+ {w}" for w in e.get("added_rules", [])]})
    for key, sign in (("removed", "-"), ("added", "+")):
        for e in provisions[key]:
            if e["rules"]:
                out.append({"change": key, "ref": e["ref"], "cite": e["cite"],
                            "rules": [f"{sign} {w}" for w in e["rules"]]})
    for line in structure["facts"].get("different_default", []):
        out.append({"change": "default", "ref": None, "cite": None, "rules": [line],
                    "fact": line.split(":", 1)[0]})
    return out


def attribute(changes: list[dict], behaviour: Behaviour | None, contract: list[dict], old, new) -> list[dict]:
    """Each rule change with ``shown_by``: the behavioural groups (1-based, as the text numbers them) whose
    witness shows it, and ``case_contract`` where a contract change does. A witness shows a provision's
    change when a field that differs cites the provision, or when the provision's rules, evaluated on the
    witness, give another outcome under each policy (under the one policy that has it: an outcome that
    holds). This is an attribution, not a proof: with several changes, one witness may show more than
    the change that caused it. A change no witness shows is *unproven*."""
    groups = behaviour.groups if behaviour is not None else []
    traces = []
    for g in groups:
        if g.old is None:
            traces.append(None)
            continue
        traces.append((_steps_by_cite(g.old), _steps_by_cite(g.new), _cited(g.field, g.old) | _cited(g.field, g.new),
                       _facts_named(g)))
    contract_facts = [c["fact"] for c in contract] + [c.get("renamed_to", "") for c in contract]
    shared = shared_facts(old, new) if _comparable(old, new) else None
    unshared = sorted({f"{name}.{f}" for p in (old, new) for name, section in p.sections.items()
                       for f in section.fields if f not in (shared or {}).get(name, {})}) if shared is not None else []
    out = []
    for change in changes:
        shown: list = []
        for i, (g, seen) in enumerate(zip(groups, traces), 1):
            if seen is None:
                continue
            before, after, cited, facts = seen
            if change["change"] == "default":
                fact = change["fact"]
                if any(fact in step for steps in (before, after) for v in steps.values() for step in v):
                    shown.append(i)
                continue
            cite = change["cite"]
            if change["ref"] in cited or any(_mentions(rule, fact) for rule in change["rules"] for fact in facts):
                shown.append(i)
            elif change["change"] == "changed" and before.get(cite) != after.get(cite):
                shown.append(i)
            elif change["change"] != "changed" and any(
                    _fired(step) for step in (before.get(cite, ()) if change["change"] == "removed"
                                              else after.get(cite, ()))):
                shown.append(i)
        if any(_mentions(rule, fact) for rule in change["rules"] for fact in contract_facts):
            shown.append("case_contract")
        entry = {**change, "shown_by": shown}
        alone = [f for f in unshared if any(_mentions(rule, f) for rule in change["rules"])]
        if alone and not shown:  # why the search could not show it
            entry["note"] = "reads facts only one policy declares (alike), which no compared case holds: " + \
                ", ".join(alone)
        out.append(entry)
    return out


def _facts_named(g: Group) -> set[str]:
    """The facts a missing-facts or open-questions group is about (a rule change reading one shows there)."""
    if g.field == "missing_facts":
        return {g.key[1]}
    if g.field == "open_questions":
        named: set[str] = set()
        for d in (g.old, g.new):
            for q in getattr(d, "open_questions", ()) or ():
                if isinstance(q, dict) and q.get("question") == g.key[1]:
                    named |= {f.get("fact") for f in q.get("facts", ()) if isinstance(f, dict)}
        return named
    return set()


def _mentions(words: str, fact: str | None) -> bool:
    """Whether a rule in words reads ``fact`` (``section.name``, not a longer name it begins)."""
    if not fact:
        return False
    at = words.find(fact)
    while at >= 0:
        end = at + len(fact)
        if end == len(words) or not (words[end].isalnum() or words[end] == "_"):
            return True
        at = words.find(fact, end)
    return False


def _steps_by_cite(decision) -> dict[str, tuple]:
    out: dict[str, list] = {}
    for step in decision.trace:
        if step.citation is not None:
            out.setdefault(step.citation.cite, []).append(
                f"{step.rule} {_canonical(_jsonable(step.outcome))} {_canonical(_jsonable(step.facts))}")
    return {k: tuple(v) for k, v in out.items()}


def _fired(step: str) -> bool:
    """Whether a trace step (as ``_steps_by_cite`` writes it) has an outcome that holds."""
    outcome = step.split(" ", 2)[1]
    return outcome not in ("false", "null", "[]", '""')


def _cited(field: str, d) -> set[str]:
    """The refs a decision cites in one field (its part of the whole decision)."""
    e, t, r = d.eligibility, d.term, d.report
    parts: dict[str, Iterable] = {
        "eligibility": list(e.unmet) + list(e.undetermined) + list(e.preferences),
        "term": [c for x in (t.invalid_renewals if t else ()) for c in x.unmet]
        + [c for x in (t.undetermined_renewals if t else ()) for c in x.undetermined],
        "grounds": [g.citation for g in d.grounds], "status": [g.citation for g in d.grounds],
        "recusal": list(d.recusal.grounds), "obligations": [o.citation for o in d.obligations],
        "violations": [v.citation for v in d.violations],
        "report": [c for c in (r.category,) if c is not None],
        "notices": [x.citation for x in d.notices if x.citation is not None],
        "findings": [f.citation for f in d.findings],
    }
    return {c.ref for c in parts.get(field.split(".")[0], ())}


# ------------------------------------------------------------------ families of versions
class FamilyView:
    """A family (``policy.Family``) as ``behavioural`` reads a policy: its decisions (each case under
    its version or composite), the facts every version declares alike, and its latest version's rules
    for the search's hints (the term's length and start, the grounds' roles)."""

    def __init__(self, family):
        self.family = family
        self.id, self.title, self.source = family.id, family.title, family.source
        latest = family.versions[-1]
        self.compiled = latest.compiled
        sections = {}
        for name, section in latest.sections.items():
            fields = {f: info for f, info in section.fields.items()
                      if all(name in v.sections and f in v.sections[name].fields
                             and _same_type(v.sections[name].fields[f].type, info.type) for v in family.versions)}
            if fields:
                sections[name] = attrs.evolve(section, fields=fields)
        self.sections = sections

    def evaluate(self, case, *, as_of=None):
        return self.family.evaluate(case, as_of=as_of)


def family_structure(old, new) -> dict:
    """Two families compared: versions matched by id (added, removed, changed, the same), each common
    changed pair's ``structural`` comparison and ``contract_breaks``, and the selectors."""
    before = {v.id: v for v in old.versions}
    after = {v.id: v for v in new.versions}
    changed, same, by_version, breaks = [], [], {}, {}
    for vid in before:
        if vid not in after:
            continue
        structure = structural(before[vid], after[vid])
        broken = contract_breaks(before[vid], after[vid])
        if broken:
            breaks[vid] = broken
        if _structure_changed(structure) or broken:
            changed.append(vid)
            by_version[vid] = structure
        else:
            same.append(vid)
    selectors_before = {s.kind: s for s in old.selectors}
    selectors_after = {s.kind: s for s in new.selectors}

    def words(s) -> str:
        return f"{s.en} by {s.fact}"
    return {
        "old": old.id, "new": new.id,
        "versions": {"removed": [v for v in before if v not in after], "added": [v for v in after if v not in before],
                     "changed": changed, "same": same},
        "selectors": {"removed": [words(s) for k, s in selectors_before.items() if k not in selectors_after],
                      "added": [words(s) for k, s in selectors_after.items() if k not in selectors_before],
                      "changed": [f"{words(s)} → {words(selectors_after[k])}" for k, s in selectors_before.items()
                                  if k in selectors_after and s.fact != selectors_after[k].fact]},
        "by_version": by_version, "contract_breaks": breaks}


def _structure_changed(structure: dict) -> bool:
    provisions, facts = structure["provisions"], structure["facts"]
    return bool(provisions["added"] or provisions["removed"] or provisions["changed"]
                or any(e["change"] != "same" for e in structure["roles"])
                or facts["old_only"] or facts["new_only"] or facts["different_type"]
                or facts.get("different_default"))
