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
from typing import Any, Callable, NamedTuple

from supervisor_rules.lang.checker import BOOL, DATE, NUMBER, EnumT, ListT, RecordT
from supervisor_rules.contracts.case import MAX_DATE, MIN_DATE
from supervisor_rules.contracts.decision import Decision
from supervisor_rules.explain.conclusions import FIELD_OF, UNKNOWN, VALUE_IN, is_open
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

#: At most this many keys in a policy's table of what each fact's leaves yield (``LIST[i].field`` keys are
#: one per entry named).
MAX_KINDS = 4_096
_MISS = object()
# what a fact's leaf yields as candidates: nothing, yes/no, other enum values, a boundary, fewer codes
_NONE, _BOOL, _ENUM, _ORDERED, _CODES = range(5)


class Changes:
    """Evaluates changed versions of one case (memoised, bounded)."""

    def __init__(self, facts: dict, sections: frozenset, decision: Decision, fact_types: dict,
                 reevaluate: Callable[[dict, frozenset, dt.date, tuple | None], Decision], renewal=None, labels=None,
                 representatives: Callable[[str, Any], list] | None = None, kinds: dict | None = None):
        self.facts, self.sections, self.decision = facts, sections, decision
        # (fact, values) -> one value of each class the policy's conditions tell apart
        self.representatives = representatives or (lambda key, values: list(values))
        self.fact_types, self.reevaluate, self.renewal = fact_types, reevaluate, renewal
        self.labels = labels or {}
        self.seen: dict = {}
        self.asked: dict[str, set] = {"explanation": set(), "questions": set()}  # purpose → changed cases
        # fact key → what its leaves yield (``_Kind``): a table the policy's decisions share where given
        self._kinds = {} if kinds is None else kinds
        # id(reason tree) → (the tree, its leaves in order, its unknown facts or None): each tree is walked
        # once, though its candidates, joint change, unknown facts and open question all read its leaves
        self._trees: dict[int, list] = {}
        self._missing: set | None = None
        self._renewals: dict = {}  # the term's last day → the renewal added on it (hashable), or None

    def decide(self, change: Change, conclusion: str, purpose: str = "explanation") -> Decision | None:
        """The decision of the changed case, for ``conclusion`` (``only=`` the field that shows it: the
        questions it needs and no more), or None where it cannot be made (``purpose``'s budget is spent, a
        date no case may hold, a case the engine refuses).

        The explanation and the open questions each have their own budget of changed cases, counted by
        the cases each asks for (whether or not the other asked first), so that neither depends on
        which was computed first; the decisions themselves are shared."""
        return self._decide(_hashable(change), FIELD_OF[conclusion], self.asked[purpose])

    def _decide(self, change: Change, field: str, asked: set) -> Decision | None:
        """``decide`` of a change hashable as it is, for the field ``field``, counted in ``asked``."""
        key = (change, field)
        if key not in asked:
            if len(asked) >= MAX_REEVALUATIONS:
                return None
            asked.add(key)
        decided = self.seen.get(key, _MISS)
        if decided is not _MISS:
            return decided
        for _, v in change:
            if type(v) is dt.date:  # the usual value needing a look: a date (no recursion for it)
                if not MIN_DATE <= v <= MAX_DATE:
                    break
            elif type(v) is not bool and type(v) is not str and not _valid(v):
                break
        else:
            return self._decided(key)
        self.seen[key] = None  # a case can hold no such date: nothing to say of it
        return None

    def _decided(self, key: tuple) -> Decision | None:
        """Evaluates the changed case ``key`` names (not yet seen) and remembers its decision."""
        change, field = key
        facts, as_of = dict(self.facts), self.decision.as_of
        for k, v in change:
            if k == "as_of":
                as_of = v
            elif isinstance(k, tuple):  # ("+", list key): add a record
                facts[k[1]] = [*(facts.get(k[1]) or ()), v]
            elif "[" in k:  # LIST[i].field: one field of one entry
                listed, index, name = _entry_key(k)
                entries = list(facts.get(listed) or ())
                if index >= len(entries):
                    return None
                entries[index] = {**entries[index], name: v}
                facts[listed] = entries
            elif v is None:
                facts.pop(k, None)
            else:
                facts[k] = v
        try:
            decided = self.reevaluate(facts, self.sections, as_of, (field,))
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

    def _kind(self, key: str) -> _Kind:
        """What ``key``'s leaves yield, worked out once per policy (it depends on the declared types alone)."""
        found = self._kinds.get(key)
        if found is None:
            kind = self.type_of(key)
            answers: tuple = ()
            if kind == BOOL:
                how, answers = _BOOL, (True, False)
            elif isinstance(kind, EnumT):
                how, answers = _ENUM, tuple(kind.values[:MAX_ANSWERS])
            elif kind in (DATE, NUMBER):
                how = _ORDERED
            elif isinstance(kind, ListT) and isinstance(kind.element, EnumT):
                how = _CODES
            else:  # no type, or one no candidate is made for (text): nothing
                how = _NONE
            flips = key in self.fact_types and self.fact_types[key] == BOOL
            found = _Kind(how, key.split(".")[0], kind, answers, "[" in key, flips)
            if len(self._kinds) < MAX_KINDS:
                self._kinds[key] = found
        return found

    def _tree(self, because) -> list:
        """``[because, its leaves in order, its unknown facts]`` (remembered for this decision)."""
        found = self._trees.get(id(because))
        if found is None:
            # holding the tree, so that its id names no other tree meanwhile
            found = self._trees[id(because)] = [because, _flat(because, []), None]
        return found

    def candidates(self, reason: Reason) -> list[Change]:
        """Single changes that might change ``reason``'s value, from the leaves of its tree."""
        leaves = self._tree(reason.because)[1]
        compares = [leaf["compare"] for leaf in leaves if "compare" in leaf]
        out: list[Change] = []
        sections, facts = self.sections, self.facts
        for leaf in leaves:
            key = leaf.get("fact")
            if key is None:
                continue
            info = self._kind(key)
            how = info.how
            if how is _NONE or info.section not in sections or "value" not in leaf:
                continue
            value = leaf["value"] if info.entry else facts.get(key)
            if how is _BOOL:
                for answer in (True, False):
                    if answer != value:
                        out.append(((key, answer),))
            elif how is _ENUM:  # one value of each class the rules tell apart, not the value's own
                classes = self.representatives(key, [value, *[v for v in info.kind.values if v != value]])
                for answer in classes[1:1 + MAX_CLASSES]:
                    if answer is not None:
                        out.append(((key, answer),))
            elif how is _ORDERED:
                if compares:
                    for v in _boundaries(key, compares, info.kind):
                        out.append(((key, v),))
            elif value:  # _CODES
                # tuples, as the validated case holds lists: hashable as they are (a long list is not copied again)
                out.append(((key, ()),))
                if len(value) > 1:
                    for code in dict.fromkeys(value):
                        out.append(((key, tuple([v for v in value if v != code])),))
        if compares:
            for v in _boundaries("as_of", compares, DATE):
                out.append((("as_of", v),))
        if self.renewal is not None and reason.conclusion in ("status", "ground", "term"):
            last = next((leaf.get("value") for leaf in leaves if leaf.get("derived") == "term.last_day"), None)
            if last is not None:  # one record per last day, though several trees name it
                change = self._renewals.get(last, _MISS)
                if change is _MISS:
                    change = self._renewals[last] = self.renewal_added(last)
                if change is not None:
                    out.append(change)
        return out if len(out) < 2 else list(dict.fromkeys(out))

    def renewal_added(self, last: str) -> Change | None:
        """A renewal dated the term's last day ``last`` (and meeting its recorded conditions), as a change
        hashable as it is; None where the case can hold no renewal."""
        renewal = self.renewal
        if renewal.key.split(".")[0] not in self.sections:
            return None
        listed = self.fact_types.get(renewal.key)
        record_type = listed.element if isinstance(listed, ListT) else None
        if not isinstance(record_type, RecordT):
            return None
        day = dt.date.fromisoformat(last)
        record: dict = {}
        for name, info in record_type.fields.items():
            if name == renewal.field:
                record[name] = day
            elif info.type == BOOL:
                record[name] = True
        return _hashable(((("+", renewal.key), record),))  # a record: the one change not hashable as it is

    # -------------------------------------------------------------- the two answers
    def would_change_if(self, reason: Reason) -> tuple:
        """The verified single changes that change ``reason``'s value (for an open one: the answers)."""
        if is_open(reason):  # the answers that decide it (all of them are in open_questions)
            return tuple(self.answered(reason)[:MAX_CHANGES_SHOWN])
        field, value_of, key, value = FIELD_OF[reason.conclusion], VALUE_IN[reason.conclusion], reason.key, reason.value
        asked = self.asked["explanation"]
        out, shown = [], set()
        tried: dict = {}  # fact → whether one of its changes changed the value
        misses = 0  # how many of tried are False
        for change in self.candidates(reason):
            facts = (change[0][0],) if len(change) == 1 else tuple([k for k, _ in change])
            if misses >= MAX_MISSES and facts not in tried:
                break
            decided = self._decide(change, field, asked)
            if decided is None:
                continue
            now = value_of(decided, key)
            hit = tried.get(facts)
            if hit is None:
                tried[facts] = hit = False
                misses += 1
            if now != value:
                what = (facts, _freeze(plain(now)))
                if what not in shown:  # the nearest change of a fact to each new value
                    if not hit:
                        tried[facts] = True
                        misses -= 1
                    shown.add(what)
                    out.append(_entry(change, now))
                    if len(out) >= MAX_CHANGES_SHOWN:
                        break
        if not out:
            joint = self.joint(reason)  # no one change does it: all of the deciding yes/no facts at once
            if joint is not None:
                decided = self._decide(joint, field, asked)
                if decided is not None:
                    now = value_of(decided, key)
                    if now != value:
                        out.append(_entry(joint, now))
        return tuple(out)

    def joint(self, reason: Reason) -> Change | None:
        """Every yes/no fact the tree names as deciding, flipped together (where two or more decide)."""
        flips = {}
        sections = self.sections
        for leaf in self._tree(reason.because)[1]:
            key = leaf.get("fact")
            if key is None:
                continue
            info = self._kind(key)
            if info.flips and leaf.get("value") in (True, False) and info.section in sections:
                flips[key] = not leaf["value"]
        return tuple(flips.items()) if len(flips) >= 2 else None

    def unknown_facts(self, reason: Reason) -> list[str]:
        """The missing facts that stand unknown in ``reason``'s tree (what keeps it open), in order."""
        tree = self._tree(reason.because)
        if tree[2] is None:
            missing = self._missing
            if missing is None:
                missing = self._missing = set(self.decision.missing_facts)
            found = []
            for leaf in tree[1]:
                fact = leaf.get("fact")
                if fact in missing and leaf.get("value", 0) is None:
                    found.append(fact)
            tree[2] = tuple(dict.fromkeys(found))
        return list(tree[2])

    def answered(self, reason: Reason) -> list:
        out = []
        field, value_of, asked = FIELD_OF[reason.conclusion], VALUE_IN[reason.conclusion], self.asked["explanation"]
        for key in self.unknown_facts(reason):
            for answer in self._kind(key).answers:
                change = ((key, answer),)
                decided = self._decide(change, field, asked)
                if decided is None:
                    continue
                now = value_of(decided, reason.key)
                if now != reason.value:
                    out.append(_entry(change, now))
        return out

    def open_questions(self, reasons) -> tuple:
        """For each open conclusion, the missing facts that could decide it alone, with what each answer
        gives; facts that decide more open conclusions first."""
        open_reasons = [r for r in reasons if is_open(r)]
        if not open_reasons:
            return ()
        table: list[tuple[Reason, list[dict[str, Any]]]] = []
        decides: dict[str, int] = {}
        asked = self.asked["questions"]
        for reason in open_reasons:
            facts: list[dict[str, Any]] = []
            conclusion = reason.conclusion
            field, value_of, unknown = FIELD_OF[conclusion], VALUE_IN[conclusion], UNKNOWN[conclusion]
            for key in self.unknown_facts(reason):
                outcomes = {}
                for answer in self._kind(key).answers:
                    decided = self._decide(((key, answer),), field, asked)
                    if decided is not None:
                        outcomes[_answer_text(answer)] = plain(value_of(decided, reason.key))
                if outcomes and any(v != unknown for v in outcomes.values()):
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


class _Kind(NamedTuple):
    """What the leaves of one fact yield: ``how`` (``_BOOL`` …), its ``section``, its declared type,
    the ``answers`` it can be given, whether it names a list entry's field, whether ``joint`` flips it."""

    how: int
    section: str
    kind: Any
    answers: tuple
    entry: bool
    flips: bool


def _flat(leaves, out: list) -> list:
    """The leaves of a tree and of each subtree, in order (each leaf before the leaves under it)."""
    for leaf in leaves:
        out.append(leaf)
        inner = leaf.get("because")
        if inner:
            _flat(inner, out)
    return out


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
    return out if len(out) < 2 else list(dict.fromkeys(out))


_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}
_TESTS = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
          ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _holds(op: str, value, other, kind):
    if value is None:
        return None
    if kind == DATE and isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return _TESTS[op](value, other)
