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
from typing import Any, Callable, Iterable

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.dates import periods
from supervisor_rules.lang.checker import BOOL, DATE, NUMBER, TEXT, EnumT, ListT, RecordT
from supervisor_rules.errors import RulesError
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
    return out


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
    out = []
    for name, section in old.sections.items():
        other = new.sections.get(name)
        if other is None:
            out.append(f"section `{name}` removed")
            continue
        for f, info in section.fields.items():
            if f not in other.fields:
                added = [g for g, o in other.fields.items() if g not in section.fields and _same_type(o.type, info.type)]
                out.append(f"fact `{name}.{f}` removed" + (f" (renamed `{name}.{added[0]}`?)" if len(added) == 1 else ""))
            elif not _accepts(other.fields[f].type, info.type):
                out.append(f"fact `{name}.{f}`: {_type_words(info.type)} → {_type_words(other.fields[f].type)}")
    return out


def _accepts(new_type, old_type) -> bool:
    """Whether every value of ``old_type`` is a valid value of ``new_type``."""
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
FIELDS = ("status", "eligibility.result", "eligibility.preferred", "term.last_day", "grounds", "recusal",
          "obligations", "violations", "report.result", "report.reward_referral", "findings")


def ground_roles(policy) -> dict:
    """Citation (Chinese, unique) → the circumstance its ground is about (the facts its condition reads)."""
    out: dict[str, str] = {}
    for area, key, ref, cite, words in _roles(policy):
        if key[0] == "ground":
            out.setdefault(cite, " / ".join(key[1:]))
    return out


def features(decision, roles: dict | None = None) -> dict:
    """What is compared: a decision reduced to values that mean the same under any numbering."""
    d = decision
    grounds: dict[str, str] = {}
    for g in d.grounds:
        role = (roles or {}).get(g.citation.cite, g.citation.ref)
        grounds.setdefault(role, str(g.effect))
    return {
        "status": str(d.status),
        "eligibility.result": str(d.eligibility.result),
        "eligibility.preferred": d.eligibility.preferred,
        "term.last_day": d.term.last_day if d.term is not None else None,
        "grounds": grounds,
        "recusal": (str(d.recusal.result), d.recusal.decided_by),
        "obligations": frozenset(o.duty for o in d.obligations),
        "violations": frozenset(v.code for v in d.violations),
        "report.result": str(d.report.result),
        "report.reward_referral": d.report.reward_referral,
        # Each declared code → what it concludes: (entry index, value) for each finding of that code.
        "findings": _findings(d),
    }


def _findings(d) -> dict:
    out: dict[str, tuple] = {}
    for f in d.findings:
        out[f.code] = out.get(f.code, ()) + ((f.item, f.value),)
    return out


def difference_keys(a: dict, b: dict) -> list[tuple]:
    """The groups a pair of decisions (as ``features``) falls into: one key per thing that differs."""
    keys = []
    for field in FIELDS:
        x, y = a[field], b[field]
        if x == y:
            continue
        if field == "term.last_day":
            relation = ("only in old" if y is None else "only in new" if x is None
                        else "old ends earlier" if x < y else "old ends later")
            keys.append((field, relation))
        elif field == "grounds":
            for role in sorted(set(x) | set(y)):
                if x.get(role) != y.get(role):
                    keys.append((field, role, x.get(role), y.get(role)))
        elif field == "findings":
            for code in sorted(set(x) | set(y)):
                if x.get(code) != y.get(code):
                    side = "old only" if code not in y else "new only" if code not in x else "changed"
                    keys.append((field, code, side))
        elif field in ("obligations", "violations"):
            for code in sorted(x - y):
                keys.append((field, code, "old only"))
            for code in sorted(y - x):
                keys.append((field, code, "new only"))
        else:
            keys.append((field, x, y))
    return keys


# ------------------------------------------------------------------ the search
@attrs.define
class Group:
    key: tuple
    count: int
    witness: dict
    old: Any = None  # decisions of the (shrunk) witness
    new: Any = None
    score: tuple = ()

    @property
    def field(self) -> str:
        return self.key[0]


@attrs.define
class Behaviour:
    examples: int
    compared: int
    shared: dict
    groups: list[Group]


def _strategy(old, new, shared: dict):
    """Cases over the shared facts, as few Hypothesis draws as possible (a draw costs more than an evaluation).

    Dates cluster around the appointment's start and the ends of both policies'
    terms; about half of the cases are *favourable* (open-world facts mostly
    given and true, events mostly absent), so clean outcomes are as common as
    failing ones. Booleans and presence are drawn as one bit mask per section.
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
        return draw(st.integers(0, (1 << bits) - 1)) if bits else 0

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
            chunk = draw(st.integers(0, (1 << width) - 1))
            extra = draw(st.integers(0, (1 << width) - 1)) if favourable else 0
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
    """Search ``examples`` cases (shared facts only) for decisions that differ; one shrunk witness per group."""
    from hypothesis import HealthCheck, Phase, given, settings

    shared = shared_facts(old, new)
    roles = ground_roles(old), ground_roles(new)
    groups: dict[tuple, Group] = {}
    compared = [0]

    def consider(case, searched: bool) -> None:
        pair = _decide(old, new, case)
        if pair is None:
            return
        if searched:
            compared[0] += 1
        keys = difference_keys(features(pair[0], roles[0]), features(pair[1], roles[1]))
        # the best witness of a group (before shrinking) has the fewest dismissal grounds (none from an
        # ended term muddling the picture), then the fewest facts, then the fewest other differences
        score = (len(pair[0].grounds) + len(pair[1].grounds), _size(case), len(keys))
        for key in keys:
            group = groups.get(key)
            if group is None:
                groups[key] = Group(key, int(searched), case, score=score)
            else:
                group.count += searched
                if score < group.score:
                    group.witness, group.score = case, score

    @settings(max_examples=examples, derandomize=True, database=None, phases=[Phase.generate],
              deadline=None, suppress_health_check=list(HealthCheck), print_blob=False)
    @given(_strategy(old, new, shared))
    def explore(case):
        consider(case, True)

    if examples > 0:
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
                consider(neighbour, False)
    out = []
    for group in groups.values():
        group.witness = shrink(group.witness, lambda c, k=group.key: _has_key(old, new, c, k, roles))
        pair = _decide(old, new, group.witness)
        if pair is not None:
            group.old, group.new = pair
        out.append(group)
    out.sort(key=lambda g: (FIELDS.index(g.field), -g.count, repr(g.key)))
    return Behaviour(examples, compared[0], shared, out)


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
    return pair is not None and key in difference_keys(features(pair[0], roles[0]), features(pair[1], roles[1]))


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


def group_title(key: tuple, old_id: str, new_id: str) -> str:
    field = key[0]
    if field == "term.last_day":
        relation = key[1]
        words = {"old ends earlier": f"{old_id}'s term ends earlier than {new_id}'s",
                 "old ends later": f"{old_id}'s term ends later than {new_id}'s",
                 "only in old": f"a last day under {old_id} only", "only in new": f"a last day under {new_id} only"}
        return f"term.last_day: {words.get(relation, relation)}"
    if field in ("obligations", "violations"):
        _, code, side = key
        return f"{field}: {code} under {old_id if side == 'old only' else new_id} only"
    if field == "findings":
        _, code, side = key
        if side == "changed":
            return f"findings: {code} concluded differently under {old_id} and {new_id}"
        return f"findings: {code} under {old_id if side == 'old only' else new_id} only"
    if field == "grounds":
        _, role, a, b = key
        return f"grounds on {role}: {old_id} {a or 'none'} vs {new_id} {b or 'none'}"
    return f"{field}: {old_id} {_show_value(field, key[1])} vs {new_id} {_show_value(field, key[2])}"


def decision_lines(field: str, decision) -> str:
    """What a decision says about one field, with citations."""
    d = decision
    if field == "status":
        return f"status {d.status}" + ("; grounds " + ", ".join(f"{g.citation.ref} {g.citation.cite} {g.effect}"
                                                               for g in d.grounds) if d.grounds else "")
    if field.startswith("eligibility"):
        e = d.eligibility
        parts = [f"eligibility {e.result}"]
        if e.unmet:
            parts.append("unmet " + ", ".join(f"{c.ref} {c.cite}" for c in e.unmet))
        if e.undetermined:
            parts.append("undetermined " + ", ".join(f"{c.ref} {c.cite}" for c in e.undetermined))
        parts.append(f"preferred {_show_value('', e.preferred)}")
        return "; ".join(parts)
    if field == "term.last_day":
        t = d.term
        if t is None:
            return "no term"
        return (f"term {amount_in_words(t.years, 'years')} from {t.start.isoformat()}, last day "
                f"{t.last_day.isoformat() if t.last_day else 'unknown'}; status {d.status}")
    if field == "grounds":
        return "grounds " + (", ".join(f"{g.citation.ref} {g.citation.cite} {g.effect}" for g in d.grounds)
                             or "none") + f"; status {d.status}"
    if field == "recusal":
        r = d.recusal
        return f"recusal {r.result}" + (f", decided by {r.decided_by}" if r.decided_by else "") + (
            " — " + ", ".join(f"{c.ref} {c.cite}" for c in r.grounds) if r.grounds else "")
    if field == "obligations":
        return "obligations " + (", ".join(f"{o.duty} ({o.citation.ref} {o.citation.cite}, {o.state}"
                                           + (", by department)" if o.bearer == "department" else ")")
                                           for o in d.obligations) or "none")
    if field == "violations":
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
    return str(field)


def behaviour_to_dict(result: Behaviour, old, new) -> dict:
    groups = []
    for g in result.groups:
        entry = {"field": g.field, "key": [_jsonable(k) for k in g.key],
                 "title": group_title(g.key, old.id, new.id), "count": g.count,
                 "found_by": "search" if g.count else "neighbourhood", "witness": g.witness}
        if g.old is not None:
            entry[old.id if old.id != new.id else "old"] = decision_lines(g.field, g.old)
            entry[new.id if old.id != new.id else "new"] = decision_lines(g.field, g.new)
        groups.append(entry)
    return {"examples": result.examples, "compared": result.compared,
            "shared_facts": [f"{s}.{f}" for s, fields in result.shared.items() for f in fields],
            "groups": groups}


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


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
                or facts["old_only"] or facts["new_only"] or facts["different_type"])
