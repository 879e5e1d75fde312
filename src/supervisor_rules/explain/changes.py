"""Why not, and what to ask next: ``would_change_if`` and ``open_questions`` (DECISION.md v2).

Both are found by asking the policy again: a candidate change of the case (a fact flipped, a date moved
to the other side of the comparison that decided, a renewal added on the term's last day, an unknown
fact answered) is evaluated with the same compiled policy, and kept only if the conclusion's value in
that decision differs. So every change listed is true of the policy, not a guess about it. Candidates
come from the leaves of the conclusion's reason tree (what decided it); an open question's from
``missing_facts``. Evaluations are shared by all conclusions of a decision and bounded
(``MAX_REEVALUATIONS`` for the explanation, as many again for the open questions).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from supervisor_rules.lang.checker import BOOL, DATE, NUMBER, EnumT, ListT, RecordT
from supervisor_rules.contracts.case import MAX_DATE, MIN_DATE
from supervisor_rules.contracts.decision import Decision
from supervisor_rules.explain.conclusions import FIELD_OF, UNKNOWN, is_open, value_in
from supervisor_rules.contracts.reasons import Reason
from supervisor_rules.explain.reasons import plain

#: At most this many evaluations of changed cases for one decision's explanation and open questions.
MAX_REEVALUATIONS = 64
#: At most this many values of one enum tried as an answer or a change.
MAX_ANSWERS = 8
#: At most this many facts whose changes all left one conclusion as it was, before the rest are left untried.
MAX_MISSES = 4
#: At most this many other values of one enum fact tried as a change (one of each class the rules tell apart).
MAX_CLASSES = 3
#: At most this many changes listed under one conclusion.
MAX_CHANGES_SHOWN = 3

Change = tuple  # ((key, value), ...); key "as_of" moves the day of the decision; ("+", list key) adds a record


class Changes:
    """Evaluates changed versions of one case (memoised, bounded)."""

    def __init__(self, facts: dict, sections: frozenset, decision: Decision, fact_types: dict,
                 reevaluate: Callable[[dict, frozenset, dt.date, tuple | None], Decision], renewal=None, labels=None,
                 representatives: Callable[[str, Any], list] | None = None):
        self.facts, self.sections, self.decision = facts, sections, decision
        # (fact, values) -> one value of each class the policy's conditions tell apart
        self.representatives = representatives or (lambda key, values: list(values))
        self.fact_types, self.reevaluate, self.renewal = fact_types, reevaluate, renewal
        self.labels = labels or {}
        self.seen: dict = {}
        self.asked: dict[str, set] = {"explanation": set(), "questions": set()}  # purpose → changed cases

    def decide(self, change: Change, conclusion: str, purpose: str = "explanation") -> Decision | None:
        """The decision of the changed case, for ``conclusion`` (``only=`` the field that shows it: the
        questions it needs and no more), or None where it cannot be made (``purpose``'s budget is spent, a
        date no case may hold, a case the engine refuses).

        The explanation and the open questions each have their own budget of changed cases, counted by
        the cases each asks for (whether or not the other asked first), so that neither depends on
        which was computed first; the decisions themselves are shared."""
        key = (_hashable(change), FIELD_OF[conclusion])
        asked = self.asked[purpose]
        if key not in asked:
            if len(asked) >= MAX_REEVALUATIONS:
                return None
            asked.add(key)
        if key in self.seen:
            return self.seen[key]
        if not all(_valid(v) for _, v in change):
            self.seen[key] = None  # a case can hold no such date: nothing to say of it
            return None
        facts, as_of = dict(self.facts), self.decision.as_of
        for k, v in change:
            if k == "as_of":
                as_of = v
            elif isinstance(k, tuple):  # ("+", list key): add a record
                facts[k[1]] = [*(facts.get(k[1]) or ()), v]
            elif "[" in k:  # LIST[i].field: one field of one entry
                listed, index, field = _entry_key(k)
                entries = list(facts.get(listed) or ())
                if index >= len(entries):
                    return None
                entries[index] = {**entries[index], field: v}
                facts[listed] = entries
            elif v is None:
                facts.pop(k, None)
            else:
                facts[k] = v
        try:
            decided = self.reevaluate(facts, self.sections, as_of, (key[1],))
        except Exception:  # a change the engine cannot decide (a date past the calendar's range) changes nothing
            decided = None
        self.seen[key] = decided
        return decided

    # -------------------------------------------------------------- candidates
    def type_of(self, key: str):
        """A fact's declared type; for ``LIST[i].field``, the entry field's."""
        if "[" not in key:
            return self.fact_types.get(key)
        listed, _, field = _entry_key(key)
        kind = self.fact_types.get(listed)
        record = kind.element if isinstance(kind, ListT) else None
        info = record.fields.get(field) if isinstance(record, RecordT) else None
        return info.type if info is not None else None

    def answers(self, key: str) -> list:
        """The values a fact can take, where they can be listed: yes/no, an enum's values."""
        kind = self.type_of(key)
        if kind == BOOL:
            return [True, False]
        if isinstance(kind, EnumT):
            return list(kind.values[:MAX_ANSWERS])
        return []

    def candidates(self, reason: Reason) -> list[Change]:
        """Single changes that might change ``reason``'s value, from the leaves of its tree."""
        leaves = list(_walk(reason.because))
        compares = [leaf["compare"] for leaf in leaves if "compare" in leaf]
        out: list[Change] = []
        for leaf in leaves:
            key = leaf.get("fact")
            kind = self.type_of(key) if key is not None else None
            if kind is None or key.split(".")[0] not in self.sections or "value" not in leaf:
                continue
            value = leaf["value"] if "[" in key else self.facts.get(key)
            if kind == BOOL:
                out.extend(((key, answer),) for answer in self.answers(key) if answer != value)
            elif isinstance(kind, EnumT):  # one value of each class the rules tell apart, not the value's own
                classes = self.representatives(key, [value, *(v for v in kind.values if v != value)])
                out.extend(((key, answer),) for answer in classes[1:1 + MAX_CLASSES] if answer is not None)
            elif kind in (DATE, NUMBER):
                out.extend(((key, v),) for v in _boundaries(key, compares, kind))
            elif isinstance(kind, ListT) and isinstance(kind.element, EnumT) and value:
                # tuples, as the validated case holds lists: hashable as they are (a long list is not copied again)
                out.append(((key, ()),))
                if len(value) > 1:
                    out.extend(((key, tuple(v for v in value if v != code)),) for code in dict.fromkeys(value))
        for side in ("as_of",):
            out.extend(((side, v),) for v in _boundaries(side, compares, DATE))
        if self.renewal is not None and reason.conclusion in ("status", "ground", "term"):
            out.extend(self.renewal_candidates(leaves))
        return list(dict.fromkeys(_hashable(c) for c in out))

    def renewal_candidates(self, leaves) -> list[Change]:
        """A renewal dated the last day of the term (and meeting its recorded conditions), where the term ended."""
        renewal = self.renewal
        last = next((leaf.get("value") for leaf in leaves if leaf.get("derived") == "term.last_day"), None)
        if last is None or renewal.key.split(".")[0] not in self.sections:
            return []
        listed = self.fact_types.get(renewal.key)
        record_type = listed.element if isinstance(listed, ListT) else None
        if not isinstance(record_type, RecordT):
            return []
        day = dt.date.fromisoformat(last)
        record: dict = {}
        for name, info in record_type.fields.items():
            if name == renewal.field:
                record[name] = day
            elif info.type == BOOL:
                record[name] = True
        return [((("+", renewal.key), record),)]

    # -------------------------------------------------------------- the two answers
    def would_change_if(self, reason: Reason) -> tuple:
        """The verified single changes that change ``reason``'s value (for an open one: the answers)."""
        if is_open(reason):  # the answers that decide it (all of them are in open_questions)
            return tuple(self.answered(reason)[:MAX_CHANGES_SHOWN])
        out, shown = [], set()
        tried: dict = {}  # fact → whether one of its changes changed the value
        for change in self.candidates(reason):
            facts = tuple(k for k, _ in change)
            if facts not in tried and sum(1 for hit in tried.values() if not hit) >= MAX_MISSES:
                break
            decided = self.decide(change, reason.conclusion)
            if decided is None:
                continue
            now = value_in(decided, reason.conclusion, reason.key)
            tried.setdefault(facts, False)
            what = (facts, _freeze(plain(now)))
            if now != reason.value and what not in shown:  # the nearest change of a fact to each new value
                tried[facts] = True
                shown.add(what)
                out.append(_entry(change, now))
                if len(out) >= MAX_CHANGES_SHOWN:
                    break
        if not out:
            joint = self.joint(reason)  # no one change does it: all of the deciding yes/no facts at once
            if joint is not None:
                decided = self.decide(joint, reason.conclusion)
                if decided is not None:
                    now = value_in(decided, reason.conclusion, reason.key)
                    if now != reason.value:
                        out.append(_entry(joint, now))
        return tuple(out)

    def joint(self, reason: Reason) -> Change | None:
        """Every yes/no fact the tree names as deciding, flipped together (where two or more decide)."""
        flips = {}
        for leaf in _walk(reason.because):
            key = leaf.get("fact")
            if key in self.fact_types and self.fact_types[key] == BOOL and leaf.get("value") in (True, False) \
                    and key.split(".")[0] in self.sections:
                flips[key] = not leaf["value"]
        return tuple(flips.items()) if len(flips) >= 2 else None

    def unknown_facts(self, reason: Reason) -> list[str]:
        """The missing facts that stand unknown in ``reason``'s tree (what keeps it open), in order."""
        missing = set(self.decision.missing_facts)
        found = [leaf["fact"] for leaf in _walk(reason.because) if leaf.get("fact") in missing
                 and leaf.get("value", 0) is None]
        return list(dict.fromkeys(found))

    def answered(self, reason: Reason) -> list:
        out = []
        for key in self.unknown_facts(reason):
            for answer in self.answers(key):
                decided = self.decide(((key, answer),), reason.conclusion)
                if decided is None:
                    continue
                now = value_in(decided, reason.conclusion, reason.key)
                if now != reason.value:
                    out.append(_entry(((key, answer),), now))
        return out

    def open_questions(self, reasons) -> tuple:
        """For each open conclusion, the missing facts that could decide it alone, with what each answer
        gives; facts that decide more open conclusions first."""
        open_reasons = [r for r in reasons if is_open(r)]
        if not open_reasons:
            return ()
        table: list[tuple[Reason, list[dict[str, Any]]]] = []
        decides: dict[str, int] = {}
        for reason in open_reasons:
            facts: list[dict[str, Any]] = []
            for key in self.unknown_facts(reason):
                outcomes = {}
                for answer in self.answers(key):
                    decided = self.decide(((key, answer),), reason.conclusion, "questions")
                    if decided is not None:
                        outcomes[_answer_text(answer)] = plain(value_in(decided, reason.conclusion, reason.key))
                if outcomes and any(v != UNKNOWN[reason.conclusion] for v in outcomes.values()):
                    facts.append({"fact": key, "label": self.labels.get(key), "outcomes": outcomes})
                    decides[key] = decides.get(key, 0) + 1
            table.append((reason, facts))
        out = []
        for reason, facts in table:
            if not facts:
                continue  # no one fact decides it alone: its missing facts stay in missing_facts
            facts.sort(key=lambda f: -decides[str(f["fact"])])
            question: dict[str, Any] = {"question": reason.conclusion}
            if reason.key is not None:
                question["key"] = reason.key
            question["facts"] = facts
            out.append(question)
        return tuple(out)


def _entry_key(key: str) -> tuple[str, int, str]:
    """``appointment.renewals[0].consent`` → ``("appointment.renewals", 0, "consent")``."""
    listed, _, rest = key.partition("[")
    index, _, field = rest.partition("].")
    return listed, int(index), field


def _valid(value) -> bool:
    """Whether a case may hold ``value`` (its dates, a record's included, within CASE.md's range)."""
    if isinstance(value, dt.date):
        return MIN_DATE <= value <= MAX_DATE
    if isinstance(value, dict):
        return all(_valid(v) for v in value.values())
    return True


def _entry(change: Change, gives) -> dict:
    if len(change) == 1:
        (key, value), = change
        if isinstance(key, tuple):
            return {"add": key[1], "record": plain(value), "gives": plain(gives)}
        return {"fact": key, "to": plain(value), "gives": plain(gives)}
    return {"facts": {k: plain(v) for k, v in change}, "gives": plain(gives)}


def _answer_text(answer) -> str:
    return "true" if answer is True else "false" if answer is False else str(answer)


def _hashable(change):
    for _, v in change:
        if type(v) is list or type(v) is dict:
            return tuple((k, _freeze(v)) for k, v in change)
    return change  # yes/no, text, dates and numbers: hashable as they are (the usual change)


def _freeze(v):
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        return _Record(v)
    return v


class _Record(dict):
    """A record as a hashable change value (it is only ever read)."""

    _hash: int | None = None

    def __hash__(self):  # type: ignore[override]
        if self._hash is None:  # each memo lookup hashes it again: once is enough (it is never changed)
            self._hash = hash(tuple(sorted((k, str(v)) for k, v in self.items())))
        return self._hash


def _walk(leaves):
    for leaf in leaves:
        yield leaf
        inner = leaf.get("because")
        if inner:
            yield from _walk(inner)


def _boundaries(key: str, compares, kind) -> list:
    """For each comparison ``key`` is a side of, the nearest value of ``key`` that turns it: the other
    side's value, or one day (or one) beyond it, whichever flips the comparison."""
    out: list = []
    for left, lv, op, right, rv in compares:
        if left == key:
            other, mine, flipped = rv, lv, op
        elif right == key:
            other, mine, flipped = lv, rv, _MIRROR[op]  # `other op key` is `key mirrored-op other`
        else:
            continue
        if other is None:
            continue
        base: Any
        one: Any
        if kind == DATE:
            try:
                base, one = dt.date.fromisoformat(other), dt.timedelta(days=1)
            except (ValueError, TypeError):
                continue
        elif isinstance(other, (int, float)) and not isinstance(other, bool):
            base, one = other, 1
        else:
            continue
        try:
            now = _holds(flipped, mine, base, kind)
            for value in (base, base - one, base + one):
                if now is None or _holds(flipped, value, base, kind) != now:
                    out.append(value)
                    break
        except (OverflowError, TypeError):
            continue
    return list(dict.fromkeys(out))


_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}
_TESTS = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
          ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _holds(op: str, value, other, kind):
    if value is None:
        return None
    if kind == DATE and isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return _TESTS[op](value, other)
