"""``--prove``: invariants proved, and two policies proved equivalent, for every case within bounds.

The checked policy is translated into z3 terms (``symbolic``): a symbolic case (every fact a pair
known/value, every list at most ``k`` entries, every date in the years the working-day calendar
covers) and the decision the reference backend would make of it. An invariant ``when A then B`` is
violated iff A is true and B false; z3 answers "unsat" (no case within the bounds violates it:
``proved``) or "sat" with a model, which becomes a concrete case that the engine then evaluates
(``Policy.evaluate``): only a case the engine agrees violates the invariant is reported. A construct
the translator lacks, a model the engine disagrees with, or a timeout is "not proved", never "proved".
docs/invariants.md and docs/diff.md state the bounds and what is assumed.
"""

from __future__ import annotations

import datetime as dt
import time

import attrs

from supervisor_rules.errors import RulesError

try:
    import z3
except ImportError:  # pragma: no cover - the `prove` extra
    z3 = None

#: Years before the calendar's first a birth date (``age(…)``) may be: people up to ~120 years old.
BIRTH_YEARS = 100
#: Records per list in the symbolic case, by default.
DEFAULT_RECORDS = 2
#: Most records per list `--prove` accepts (the formula grows with them).
MAX_RECORDS = 6
#: Most entries a single list gets where a count of it is compared with a large number.
MAX_LIST_RECORDS = 12
#: Seconds the solver may spend on one question (an invariant, a field of the decision), by default.
DEFAULT_TIMEOUT = 60
#: Most seconds `--timeout` accepts per question.
MAX_TIMEOUT = 3600


class ProverMissing(RuntimeError):
    """z3 is not installed (``pip install 'supervisor-rules[prove]'``)."""


def available() -> bool:
    return z3 is not None


def _need() -> None:
    if z3 is None:
        raise ProverMissing("--prove needs z3 (pip install 'supervisor-rules[prove]') / --prove 需要 z3")


@attrs.frozen
class Bounds:
    """What a proof covers: dates from ``first`` to ``last`` (the calendar's years), ``records`` entries
    per list at most."""

    first: dt.date
    last: dt.date
    records: int
    lists: tuple = ()  # (list fact, entries) for the lists that get more than ``records``

    @property
    def born_from(self) -> dt.date:
        """Birth dates (what ``age(…)`` counts from) reach back ``BIRTH_YEARS`` years before ``first``."""
        return dt.date(self.first.year - BIRTH_YEARS, 1, 1)

    def to_dict(self) -> dict:
        return {"dates": [self.first.isoformat(), self.last.isoformat()], "records_per_list": self.records,
                "birth_dates": [self.born_from.isoformat(), self.last.isoformat()],
                "records_per_list_named": dict(self.lists),
                "assumes": ["every deadline (`due`) a case needs falls in a year the working-day calendar covers",
                            "numbers are exact rationals; texts any strings"]}

    def words(self) -> str:
        more = "".join(f", {key} {size}" for key, size in self.lists)
        return (f"dates {self.first.isoformat()}..{self.last.isoformat()} (birth dates from "
                f"{self.born_from.isoformat()}), at most {self.records} records per list{more} / 日期 {self.first.isoformat()} "
                f"至 {self.last.isoformat()}（出生日期自 {self.born_from.isoformat()}），每个列表至多 {self.records} 条记录{more}")


def list_sizes(*policies) -> dict[str, int]:
    """Entries a list needs beyond ``records`` to reach what the policies compare its counts with: a count
    of LIST compared with N (or scaled: ``min(200 × count …, 2000)`` reaches its cap at 10) needs N + 2
    entries, at most ``MAX_LIST_RECORDS``."""
    from fractions import Fraction

    from supervisor_rules.lang import nodes as n

    def counted(node):  # (the list counted, the product of the numbers it is multiplied by)
        while isinstance(node, n.Defined):
            node = node.expr
        if isinstance(node, n.Count):
            return node.source.dotted, Fraction(1)
        if isinstance(node, n.Quantifier) and node.kind == "count":
            return node.source.dotted, Fraction(1)
        if isinstance(node, n.Arith) and node.op in ("*", "+", "-"):
            for a, b in ((node.left, node.right), (node.right, node.left)):
                inner = counted(a)
                if inner is not None:
                    factor = Fraction(b.value) if node.op == "*" and isinstance(b, n.Literal) and \
                        not isinstance(b.value, bool) and b.value else Fraction(1)
                    return inner[0], inner[1] * abs(factor)
        return None

    need: dict[str, int] = {}
    for policy in policies:
        checked = policy.compiled.checked
        parts = [p.rules for p in checked.provisions] + [(i.when, i.then) for i in checked.invariants]
        for node in n.walk(parts):
            operands = [node.left, node.right] if isinstance(node, n.Compare) else \
                list(node.operands) if isinstance(node, n.Extreme) else []
            numbers = [Fraction(x.value) for x in operands if isinstance(x, n.Literal)
                       and not isinstance(x.value, (bool, str)) and hasattr(x.value, "denominator")]
            for x in operands:
                found = counted(x)
                if found is not None and numbers:
                    listed, factor = found
                    entries = int(max(numbers) / factor) + 2
                    need[listed] = max(need.get(listed, 0), min(entries, MAX_LIST_RECORDS))
    return need


def records_needed(*policies) -> int:
    """Records per list for the lists ``list_sizes`` does not name: ``DEFAULT_RECORDS`` (the lists whose
    counts a policy compares with a number get what ``list_sizes`` says)."""
    return DEFAULT_RECORDS


def bounds_for(policies, records: int = DEFAULT_RECORDS) -> Bounds:
    """The years every policy's working-day calendar covers (all of them: the years both know); ``records``
    entries per list, and more for the lists ``list_sizes`` names."""
    years = None
    for policy in policies:
        covered = set(policy.calendar.years)
        years = covered if years is None else years & covered
    if not years:
        raise ValueError("the working-day calendars cover no common year / 工作日历没有共同覆盖的年份")
    sizes = tuple(sorted((key, size) for key, size in list_sizes(*policies).items() if size > records))
    return Bounds(dt.date(min(years), 1, 1), dt.date(max(years), 12, 31), records, sizes)


def _horizon(bounds: Bounds) -> dt.date:
    """The last day a lookup table covers: past the bounds by the terms and periods a case may count."""
    return bounds.last + dt.timedelta(days=366 * 4 * (bounds.records + 2))


def _simplest(solver, answer, case):
    """A model with every list empty where one exists (simpler counterexamples; the shrinking does the rest)."""
    if answer != z3.sat:
        return None
    from supervisor_rules.tools.prove import symbolic as sym

    empty = [value.length == 0 for value in case.facts.values() if isinstance(value, sym.SymList)]
    if empty and solver.check(*empty) == z3.sat:
        return solver.model()
    solver.check()
    return solver.model()


def _solver(timeout: float):
    # No auto-configuration: the difference logic it picks gives up ("incomplete") on the deadlines' tables.
    z3.set_param("smt.auto_config", False)
    solver = z3.Solver()
    solver.set("timeout", int(timeout * 1000))
    return solver


def _span(policy):
    return policy


# ------------------------------------------------------------------ invariants
@attrs.frozen
class InvariantProof:
    """One invariant under ``--prove``: ``result`` proved | violated | not_proved; ``why`` says why it
    is not proved (an unsupported construct, a timeout, a translator the engine contradicts)."""

    name: str
    result: str
    bounds: Bounds
    seconds: float
    counterexample: dict | None = None
    decision: dict | None = None
    why: str | None = None


def prove_invariants(policy, *, records: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                     names=None) -> list[InvariantProof]:
    """Each invariant of ``policy`` proved, or refuted by a counterexample the engine confirms.
    ``records``: entries per list (None: ``records_needed``)."""
    _need()
    from supervisor_rules.tools import invariants as inv_module
    from supervisor_rules.tools.prove import symbolic as sym

    bounds = bounds_for([policy], records if records is not None else records_needed(policy))
    records = bounds.records
    checked = policy.compiled.checked
    compiled = {inv.name: inv for inv in policy.invariants}
    out: list[InvariantProof] = []
    started = time.perf_counter()
    try:
        strings = sym.Interner()
        births = sym.births(checked)
        case = sym.SymCase(checked.sections, bounds.first, bounds.last, records, strings, births=births,
                           born_from=bounds.born_from, per_list=dict(bounds.lists))
        tables = sym.Tables(bounds.first, _horizon(bounds), lambda: policy.calendar, bounds.born_from)
        decider = sym.Decider(policy, case, tables)
        decider.for_invariants()
        failure = None
    except sym.Unsupported as exc:
        failure, decider, case = str(exc), None, None
    setup = time.perf_counter() - started
    solver = None
    for inv in checked.invariants:
        if names is not None and inv.name not in names:
            continue
        t0 = time.perf_counter()
        if failure is not None:
            out.append(InvariantProof(inv.name, "not_proved", bounds, setup, why=failure))
            continue
        try:
            when = sym.as_tb(decider.value(inv.when)) if inv.when is not None else sym.TRUE
            then = sym.as_tb(decider.value(inv.then))
        except sym.Unsupported as exc:
            out.append(InvariantProof(inv.name, "not_proved", bounds, time.perf_counter() - t0, why=str(exc)))
            continue
        if solver is None:  # one solver for all the invariants: what it learns of the policy is kept
            solver = _solver(timeout)
            solver.add(*case.constraints, *decider.assumptions)
        solver.push()
        solver.add(when.t, then.f)
        answer = solver.check()
        model = _simplest(solver, answer, case)
        reason = solver.reason_unknown() if answer == z3.unknown else None
        solver.pop()
        seconds = time.perf_counter() - t0 + (setup if not out else 0)
        if answer == z3.unsat:
            out.append(InvariantProof(inv.name, "proved", bounds, seconds))
        elif answer == z3.sat:
            concrete = case.concrete(model)
            broken, decision = inv_module.violated(policy, (compiled[inv.name],), concrete)
            if broken:  # the smallest case that still violates it (no section, fact or entry can go)
                from supervisor_rules.tools.diffing import shrink
                def keeps(c, inv=inv) -> bool:  # a smaller case the policy refuses keeps nothing
                    try:
                        return bool(inv_module.violated(policy, (compiled[inv.name],), c)[0])
                    except RulesError:
                        return False

                concrete = shrink(concrete, keeps)
                decision = inv_module.violated(policy, (compiled[inv.name],), concrete)[1]
                out.append(InvariantProof(inv.name, "violated", bounds, seconds, concrete, decision.to_dict()))
            else:
                out.append(InvariantProof(inv.name, "not_proved", bounds, seconds, concrete,
                                          why="the translator's counterexample does not violate the invariant "
                                              "when the engine evaluates it (a translator bug) / 反例经引擎复核不成立"))
        else:
            out.append(InvariantProof(inv.name, "not_proved", bounds, seconds,
                                      why=f"unknown ({reason}) / 求解器未能判定（超时）"))
    return out


# ------------------------------------------------------------------ equivalence of two policies
#: The fields of a decision (``diffing.FIELDS``) whose equality ``diff --prove`` proves; the others
#: (renewals' details, findings, missing facts, open questions) are left to the search.
PROVED_FIELDS = ("status", "eligibility.result", "eligibility.preferred", "eligibility.unmet",
                 "eligibility.undetermined", "eligibility.preferences", "term.last_day", "term.terms", "grounds",
                 "recusal", "recusal.grounds", "obligations", "obligations.state", "obligations.due",
                 "obligations.citation", "obligations.bearer", "violations", "violations.citation",
                 "report.result", "report.category", "report.reward_referral", "report.reward_rules", "notices",
                 "findings", "missing_facts")


@attrs.frozen
class FieldProof:
    """One field under ``diff --prove``: ``result`` equal (proved) | differs (a witness both engines
    confirm) | not_proved (why)."""

    field: str
    result: str
    seconds: float
    witness: dict | None = None
    why: str | None = None


@attrs.frozen
class Equivalence:
    bounds: Bounds
    fields: tuple[FieldProof, ...]
    seconds: float
    why: str | None = None  # set when nothing could be proved (an unsupported construct)

    @property
    def equivalent(self) -> bool:
        return self.why is None and all(f.result == "equal" for f in self.fields)

    @property
    def witnesses(self) -> list[FieldProof]:
        return [f for f in self.fields if f.result == "differs"]

    def to_dict(self) -> dict:
        return {"equivalent": self.equivalent, "bounds": self.bounds.to_dict(), "seconds": round(self.seconds, 3),
                "why": self.why, "proved_fields": list(PROVED_FIELDS),
                "fields": [{"field": f.field, "result": f.result, "seconds": round(f.seconds, 3),
                            "witness": f.witness, "why": f.why} for f in self.fields]}


def _tie(a, b, sym) -> list:
    """Constraints making two symbolic values one."""
    if isinstance(a, sym.SymList):
        out = [a.k == b.k, a.length == b.length]
        for x, y in zip(a.items, b.items):
            if isinstance(x, dict):
                if set(x) != set(y):
                    raise sym.Unsupported("a list of records whose fields differ between the policies")
                for f in x:
                    out += [x[f].k == y[f].k, x[f].v == y[f].v]
            else:
                out += [x.k == y.k, x.v == y.v]
        return out
    return [a.k == b.k, a.v == b.v]


def _absent(case, value, info) -> list:
    """A fact the other policy does not declare: a case valid for both leaves it out (its default)."""
    if info.closed:
        return [case.equals(value, info.default, info.type)]
    return [z3.Not(value.k)]


def _differs(field: str, a, b, roles_a: dict, roles_b: dict, sym):
    """A z3 condition: the two decisions (symbolic ``Decider.out``) differ in ``field``."""
    x, y = a.out, b.out

    def sets(p: dict, q: dict):
        return z3.Or(*[p.get(key, z3.BoolVal(False)) != q.get(key, z3.BoolVal(False)) for key in set(p) | set(q)]) \
            if set(p) | set(q) else z3.BoolVal(False)

    def vals(p, q):
        return z3.Or(p.k != q.k, z3.And(p.k, p.v != q.v))

    if field in ("status", "eligibility.result", "report.result", "report.category", "report.reward_rules"):
        return x[field] != y[field]
    if field in ("eligibility.preferred", "term.last_day", "term.terms"):
        return vals(x[field], y[field])
    if field in ("eligibility.unmet", "eligibility.undetermined", "eligibility.preferences", "obligations",
                 "violations", "violations.citation", "recusal.grounds", "notices", "missing_facts"):
        return sets(x[field], y[field])
    if field == "recusal":
        return z3.Or(x["recusal"][0] != y["recusal"][0], x["recusal"][1] != y["recusal"][1])
    if field == "report.reward_referral":
        return x[field][1] != y[field][1]
    if field == "findings":  # each code's entries, position by position: there, and if so, the same value
        fx, fy = x["findings"], y["findings"]
        out = []
        for code in set(fx) | set(fy):
            ex, ey = fx.get(code, []), fy.get(code, [])
            if [(i, ref) for _, i, _, ref in ex] != [(i, ref) for _, i, _, ref in ey] or \
                    any(a[2].kind != b[2].kind for a, b in zip(ex, ey)):
                if not ex or not ey:  # a code one policy never concludes: there at all is the difference
                    out += [entry[0] for entry in ex + ey]
                    continue
                raise sym.Unsupported(f"conclusion `{code}` drawn differently by the two policies")
            for (ta, _, va, _), (tb, _, vb, _) in zip(ex, ey):
                out.append(z3.Or(ta != tb, z3.And(ta, vals(va, vb))))
        return z3.Or(*out) if out else z3.BoolVal(False)
    if field == "grounds":
        def keyed(out, roles):
            keyed_: dict = {}
            for (ref, cite, effect), there in out["grounds"].items():
                key = (roles.get(cite, ref), effect, ref)
                keyed_[key] = z3.Or(keyed_.get(key, z3.BoolVal(False)), there)
            return keyed_
        return sets(keyed(x, roles_a), keyed(y, roles_b))
    # per duty code: what each policy says of it where both have it
    ex, ey = x["obligations.entries"], y["obligations.entries"]
    out = []
    for code in set(ex) & set(ey):
        if len(ex[code]) != 1 or len(ey[code]) != 1:
            raise sym.Unsupported(f"two duties with the code {code}")
        (ta, sa, da, ra, ba), (tb, sb, db, rb, bb) = ex[code][0], ey[code][0]
        both = z3.And(ta, tb)
        if field == "obligations.state":
            out.append(z3.And(both, sa != sb))
        elif field == "obligations.due":
            out.append(z3.And(both, vals(da, db)))
        elif field == "obligations.citation":
            out.append(z3.And(both, z3.BoolVal(ra != rb)))
        elif field == "obligations.bearer":
            out.append(z3.And(both, z3.BoolVal(ba != bb)))
    return z3.Or(*out) if out else z3.BoolVal(False)


def prove_equivalent(old, new, *, records: int | None = None, timeout: float = DEFAULT_TIMEOUT) -> Equivalence:
    """Whether ``old`` and ``new`` decide every case valid for both (within bounds) alike, field by field of
    ``PROVED_FIELDS``; a field that differs comes with a witness case both engines confirm (``diffing.compare``)."""
    _need()
    from supervisor_rules.tools import diffing
    from supervisor_rules.tools.prove import symbolic as sym

    started = time.perf_counter()
    bounds = bounds_for([old, new], records if records is not None else records_needed(old, new))
    records = bounds.records
    shared = diffing.shared_facts(old, new)
    try:
        strings = sym.Interner()
        births = sym.births(old.compiled.checked) | sym.births(new.compiled.checked)
        sizes = dict(bounds.lists)
        ca = sym.SymCase(old.compiled.checked.sections, bounds.first, bounds.last, records, strings, "a", births,
                         bounds.born_from, sizes)
        cb = sym.SymCase(new.compiled.checked.sections, bounds.first, bounds.last, records, strings, "b", births,
                         bounds.born_from, sizes)
        ties = [ca.as_of == cb.as_of]
        for side, case, other in ((old, ca, new), (new, cb, old)):
            for name, section in side.sections.items():
                if name not in shared:
                    ties.append(z3.Not(case.present[name]))
                for field, info in section.fields.items():
                    if field not in shared.get(name, {}):
                        ties += _absent(case, case.facts[f"{name}.{field}"], info)
        for name, fields in shared.items():
            ties.append(ca.present[name] == cb.present[name])
            for field in fields:
                ties += _tie(ca.facts[f"{name}.{field}"], cb.facts[f"{name}.{field}"], sym)
        horizon = _horizon(bounds)
        da = sym.Decider(old, ca, sym.Tables(bounds.first, horizon, lambda: old.calendar, bounds.born_from))
        db = sym.Decider(new, cb, sym.Tables(bounds.first, horizon, lambda: new.calendar, bounds.born_from))
    except sym.Unsupported as exc:
        return Equivalence(bounds, (), time.perf_counter() - started, why=str(exc))
    roles = (diffing.ground_roles(old), diffing.ground_roles(new))
    base = [*ca.constraints, *cb.constraints, *ties, *da.assumptions, *db.assumptions]
    out = []
    solver = None
    for field in PROVED_FIELDS:
        t0 = time.perf_counter()
        try:
            differs = _differs(field, da, db, *roles, sym)
        except sym.Unsupported as exc:
            out.append(FieldProof(field, "not_proved", 0.0, why=str(exc)))
            continue
        if solver is None:
            solver = _solver(timeout)
            solver.add(*base)
        solver.push()
        solver.add(differs)
        answer = solver.check()
        model = solver.model() if answer == z3.sat else None
        reason = solver.reason_unknown() if answer == z3.unknown else None
        solver.pop()
        if answer == z3.unsat:
            out.append(FieldProof(field, "equal", time.perf_counter() - t0))
        elif answer == z3.sat:
            witness = ca.concrete(model)
            def keep(c, field=field) -> bool:  # the engines' decisions differ in this very field
                compared = diffing.compare(old, new, c, roles)
                return compared is not None and any(key[0] == field for key in compared[0])

            if keep(witness):
                witness = diffing.shrink(witness, keep)
                out.append(FieldProof(field, "differs", time.perf_counter() - t0, witness))
            else:
                out.append(FieldProof(field, "not_proved", time.perf_counter() - t0, witness,
                                      why="the translator's witness decides alike when the engines evaluate it "
                                          "(a translator bug) / 见证案例经引擎复核无差异"))
        else:
            out.append(FieldProof(field, "not_proved", time.perf_counter() - t0,
                                  why=f"unknown ({reason}) / 求解器未能判定（超时）"))
    return Equivalence(bounds, tuple(out), time.perf_counter() - started)
