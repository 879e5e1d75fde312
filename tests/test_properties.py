"""Properties of both shipped policies over cases drawn by ``supervisor_rules.testing``.

Each property states something DECISION.md / CASE.md promise for *every* case,
and checks it against an independent computation where there is one (term
ends from ``periods.add_years`` or ``dateutil.relativedelta``, renewal
conditions transcribed from the regulations here, not read from runtime.py).

Hypothesis runs derandomized (same examples every run) with a fixed number of
examples, so the suite is reproducible and takes well under a minute.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import supervisor_rules as sr
from supervisor_rules.contracts import case as case_module
from supervisor_rules.dates import periods
from supervisor_rules.engine import runtime
from supervisor_rules import testing
from supervisor_rules.lang.checker import BOOL, DATE

POLICIES = ["guangxi", "wuhan"]
YEARS = {"guangxi": 2, "wuhan": 3}  # GX 8 聘任期为二年; WH 5 每届聘任期限为三年

PROPERTY = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

ELIGIBILITY_RANK = {"ineligible": 0, "unknown": 1, "eligible": 2}

_LOADED: dict[str, sr.Policy] = {}


def _policy(pid: str) -> sr.Policy:
    if pid not in _LOADED:
        _LOADED[pid] = sr.builtin_policy(pid)
    return _LOADED[pid]


_STRATEGIES: dict = {}


def _cached(key, make):
    """Strategies are built once, not once per example (building one is not free)."""
    if key not in _STRATEGIES:
        _STRATEGIES[key] = make()
    return _STRATEGIES[key]


def _cases(pid: str, variant: str = "any"):
    policy = _policy(pid)
    if variant == "person":  # a person section, whatever else
        return _cached((pid, variant), lambda: testing.cases(policy, person={}))
    if variant == "appointed":  # an appointment section (its start may still be unknown)
        return _cached((pid, variant), lambda: testing.cases(policy, appointment={}))
    if variant == "term":  # any start from the whole range of dates, 29 February often
        starts = testing.dates(testing.MIN_DATE, testing.MAX_DATE, around=LEAP_STARTS).map(dt.date.isoformat)
        return _cached((pid, variant), lambda: testing.cases(policy, appointment={"start": starts}, conduct=None,
                                                             activity=None, report=None))
    return _cached((pid, variant), lambda: testing.cases(policy))


def _date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


# ------------------------------------------------------------------ independent term model
def _and3(*values):
    """Kleene conjunction: False dominates, then unknown (None)."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or3(*values):
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _not3(value):
    return None if value is None else not value


WH5_BACKGROUNDS = {"medicine", "pharmacy", "law", "administration", "information", "finance"}


def _wh3(person: dict | None):
    """WH 3(1)-(6), transcribed from the regulation (and CASE.md), three-valued."""
    if person is None:
        return None
    p = person.get
    background = p("professional_background")
    has_background = None if background is None else bool(WH5_BACKGROUNDS & set(background))
    return _and3(
        _and3(p("supports_party_line"), p("law_abiding"), p("social_responsibility"), p("sense_of_justice")),
        _and3(p("principled"), p("honest"), p("fair_minded"), _not3(p("bad_credit_record"))),
        _and3(p("devoted"), p("willing_unpaid")),
        _and3(p("accepts_guidance"), p("overall_competence")),
        _or3(has_background, p("relevant_work_experience")),
        p("meets_other_conditions"),
    )


def _renewal_condition(pid: str, case: dict, record: dict):
    """Whether a renewal's conditions hold (True / False / None unknown)."""
    if pid == "guangxi":  # GX 8: 根据工作需要，并征得本人同意 (event records: absent = false)
        return bool(record.get("consent", False)) and bool(record.get("work_need", False))
    return _wh3(case.get("person"))  # WH 5: 期满符合本办法第三条规定条件的


def _term_chain(pid: str, case: dict, end):
    """(fewest, most) valid renewals the case's renewal records can amount to.

    ``end(k)`` is the last day of term k (0 = the first), or None when it
    cannot be represented. A renewal counts for the term it is dated in (on
    or before that term's last day, after the previous one's), only if the
    chain has reached that term and no renewal counted there yet.
    """
    appointment = case["appointment"]
    start = _date(appointment["start"])
    low = high = 0
    for record in appointment.get("renewals") or []:
        on = _date(record["on"])
        if on < start:
            continue
        k = 0
        while (last := end(k)) is not None and last < on:
            k += 1
        condition = _renewal_condition(pid, case, record)
        if k == high and condition is not False:
            high += 1
        if k == low and condition is True:
            low += 1
    return low, high


def _end_add_years(start: dt.date, years: int):
    def end(k: int):
        try:
            return periods.add_years(start, years * (k + 1))
        except periods.PeriodOutOfRange:
            return None
    return end


def _end_relativedelta(start: dt.date, years: int):
    def end(k: int):
        try:
            return start + relativedelta(years=years * (k + 1))
        except (ValueError, OverflowError):
            return None
    return end


def _automatic(decision) -> bool:
    return any(str(g.effect) == "automatic" for g in decision.grounds)


# ------------------------------------------------------------------ (a) expiry dismisses
def _other_dismissal(case: dict, decision, day: dt.date) -> bool:
    """Dismissed for a reason other than expiry: a mandatory ground, or a recorded dismissal."""
    recorded = (case.get("appointment") or {}).get("dismissed_on")
    return (any(str(g.effect) == "mandatory" for g in decision.grounds)
            or (recorded is not None and _date(recorded) <= day))


@pytest.mark.parametrize("pid", POLICIES)
@PROPERTY
@given(data=st.data())
def test_a_expired_term_without_renewal_is_dismissed(pid, data):
    """as_of after the last day (the later possible one, when a renewal is undetermined) → dismissed,
    automatic ground listed; on or before the earlier possible last day → no automatic ground; in
    between → status unknown (unless dismissed for another reason).

    Checked at the case's as_of and, for the same case, on each possible last day and the day after.
    """
    policy = _policy(pid)
    case = data.draw(_cases(pid, "appointed"), label="case")
    start = case["appointment"].get("start")
    if start is None:
        assert policy.evaluate(case).term is None
        return
    end = _end_add_years(_date(start), YEARS[pid])
    low, high = _term_chain(pid, case, end)
    earliest, latest = end(low), end(high)
    event(f"{pid}: renewal validity unknown" if low < high else f"{pid}: {low} valid renewal(s)")
    note(f"possible last days: {earliest} .. {latest}")

    days = {_date(case["as_of"]), earliest, earliest + dt.timedelta(days=1), latest,
            latest + dt.timedelta(days=1)}
    for day in sorted(d for d in days if d <= testing.MAX_DATE):
        decision = policy.evaluate({**case, "as_of": day.isoformat()})
        last_day = decision.term.last_day
        where = f"as_of {day}, engine last_day {last_day}, status {decision.status}"
        if last_day is not None and day > last_day:  # the invariant, as DECISION.md words it
            assert str(decision.status) == "dismissed", where
            assert _automatic(decision), f"expired term, automatic ground missing: {where}"
        if day > latest:  # past every possible last day, whatever the undetermined renewals turn out to be
            assert str(decision.status) == "dismissed", where
            assert _automatic(decision), f"past the later possible last day, no automatic ground: {where}"
        elif day <= earliest:  # the automatic ground is listed only where it holds either way
            assert not _automatic(decision), where
        else:  # between the two possible last days
            assert not _automatic(decision), where
            if not _other_dismissal(case, decision, day):
                assert str(decision.status) == "unknown", where


# ------------------------------------------------------------------ (b) three-valued soundness
def _removable(policy, case: dict) -> list[tuple[str, str]]:
    """Open-world facts the case gives (person facts first), other than dates.

    (A missing date is a different question: without ``appointment.start``
    nobody is appointed, DECISION.md `status`.)
    """
    out = []
    for name, section in policy._sections.items():
        given = case.get(name) or {}
        for fname, info in section.fields.items():
            if fname in given and not info.closed and info.type != DATE:
                out.append((name, fname))
    out.sort(key=lambda key: key[0] != "person")
    return out


def _decided_agree(partial, full) -> None:
    """Whatever the partial decision decided, the complete one decides the same way."""
    pe, fe = partial.eligibility, full.eligibility
    if str(pe.result) != "unknown":
        assert fe.result == pe.result, "eligibility"
    assert set(pe.unmet) <= set(fe.unmet), "an unmet requirement became met"
    if pe.preferred is not None:
        assert fe.preferred == pe.preferred, "preference"
    if str(partial.status) != "unknown":
        assert full.status == partial.status, "status"
    assert set(partial.grounds) <= set(full.grounds), "a ground that held no longer holds"
    assert (partial.term is None) == (full.term is None)
    if partial.term is not None and partial.term.last_day is not None:
        assert full.term.last_day == partial.term.last_day, "term last day"
    if str(partial.recusal.result) != "unknown":
        assert full.recusal.result == partial.recusal.result, "recusal"
        assert full.recusal.decided_by == partial.recusal.decided_by
    if str(partial.report.result) != "unknown":
        assert full.report.result == partial.report.result, "report"
    # a requirement decided as met stays met; nothing decided becomes undetermined
    assert set(fe.unmet) <= set(pe.unmet) | set(pe.undetermined), "a met requirement became unmet"
    assert set(fe.undetermined) <= set(pe.undetermined), "a decided requirement became undetermined"


@pytest.mark.parametrize("pid", POLICIES)
@PROPERTY
@given(data=st.data())
def test_b_unknown_facts_are_sound(pid, data):
    """Remove open-world facts: every decided value of the partial decision survives any completion."""
    policy = _policy(pid)
    case = data.draw(_cases(pid, "person"), label="case")
    removable = _removable(policy, case)
    assume(removable)
    removed = data.draw(st.lists(st.sampled_from(removable), min_size=1, unique=True), label="removed")
    partial = copy.deepcopy(case)
    for name, fname in removed:
        del partial[name][fname]
    partial_decision = policy.evaluate(partial)
    note(f"partial: {partial}")

    completions = [case]
    for i in range(3):
        completion = copy.deepcopy(partial)
        for name, fname in removed:
            completion[name][fname] = data.draw(testing.values(policy, f"{name}.{fname}"),
                                                label=f"completion {i}: {name}.{fname}")
        completions.append(completion)
    for completion in completions:
        _decided_agree(partial_decision, policy.evaluate(completion))


# ------------------------------------------------------------------ (c) monotonicity
def _eligibility_point(policy, case: dict):
    e = policy.evaluate(case).eligibility
    return ELIGIBILITY_RANK[str(e.result)], frozenset(c.ref for c in e.unmet)


@pytest.mark.parametrize("pid", POLICIES)
@PROPERTY
@given(data=st.data())
def test_c_meeting_a_requirement_never_hurts(pid, data):
    """For each person bool, one value is the good one: bad → unknown → good never adds an unmet
    citation and never makes eligibility worse (ineligible < unknown < eligible). Adding a
    professional background never hurts either."""
    policy = _policy(pid)
    case = data.draw(_cases(pid, "person"), label="case")
    fields = policy._sections["person"].fields
    bools = [f for f, info in fields.items() if info.type == BOOL and not info.closed]
    chosen = data.draw(st.lists(st.sampled_from(bools), min_size=1, max_size=4, unique=True), label="facts")
    for fact in chosen:
        points = {}
        for value in (True, False, None):
            variant = copy.deepcopy(case)
            if value is None:
                variant["person"].pop(fact, None)
            else:
                variant["person"][fact] = value
            points[value] = _eligibility_point(policy, variant)
        unknown = points[None]

        def monotone(good, bad):
            (rg, ug), (rb, ub) = points[good], points[bad]
            return ug <= unknown[1] <= ub and rb <= unknown[0] <= rg

        assert monotone(True, False) or monotone(False, True), (
            f"person.{fact}: true → {points[True]}, unknown → {unknown}, false → {points[False]}")

    background = case["person"].get("professional_background")
    if background is not None and "professional_background" in fields:
        choices = [v for v in fields["professional_background"].type.element.values if v not in background]
        if choices:
            extra = data.draw(st.sampled_from(choices), label="added background")
            more = copy.deepcopy(case)
            more["person"]["professional_background"] = [*background, extra]
            (r0, u0), (r1, u1) = _eligibility_point(policy, case), _eligibility_point(policy, more)
            assert u1 <= u0 and r1 >= r0, f"adding background {extra!r}: {(r0, u0)} → {(r1, u1)}"


# ------------------------------------------------------------------ (d) Civil Code term arithmetic
LEAP_STARTS = ["1904-02-29", "2000-02-29", "2020-02-29", "2024-02-29", "2096-02-29", "2396-02-29"]


@pytest.mark.parametrize("pid", POLICIES)
@PROPERTY
@given(data=st.data())
def test_d_term_last_day_follows_the_civil_code(pid, data):
    """last_day == start + years × (1 + valid renewals), clamped to month end (Civil Code 201-202)."""
    policy = _policy(pid)
    years = YEARS[pid]
    case = data.draw(_cases(pid, "term"), label="case")
    start = _date(case["appointment"]["start"])
    end = _end_relativedelta(start, years)
    low, high = _term_chain(pid, case, end)
    # a last day past what Python's dates hold cannot be compared; what the engine does then is (e)'s
    assume(end(high) is not None)

    term = policy.evaluate(case).term
    assert term is not None and term.start == start and term.years == years
    if term.last_day is not None:
        expected = start + relativedelta(years=years * (1 + len(term.valid_renewals)))
        assert term.last_day == expected
        assert term.terms == 1 + len(term.valid_renewals)
    # and against the independent renewal chain: known exactly when no undetermined renewal matters
    assert term.last_day == (end(low) if low == high else None), f"chain: {low}..{high} renewals"


@pytest.mark.parametrize(("start", "years", "last_day"), [
    ("2020-02-29", 3, "2023-02-28"), ("2020-02-29", 2, "2022-02-28"), ("2021-07-01", 2, "2023-07-01"),
])
def test_d_examples_from_decision_md(start, years, last_day):
    """The worked examples of DECISION.md `term`, through relativedelta as in property (d)."""
    assert _date(start) + relativedelta(years=years) == _date(last_day)
    pid = {2: "guangxi", 3: "wuhan"}[years]
    assert _policy(pid).evaluate({"as_of": start, "appointment": {"start": start}}).term.last_day == _date(last_day)


# ------------------------------------------------------------------ (e) robustness
@pytest.mark.parametrize("pid", POLICIES)
@PROPERTY
@given(data=st.data())
def test_e_every_generated_case_evaluates(pid, data):
    """Generated cases are schema-valid (formats checked too), evaluate never raises on them, and
    the decision serialises to JSON and explains itself."""
    policy = _policy(pid)
    case = data.draw(_cases(pid), label="case")
    json.dumps(case)
    _validator(pid).validate(case)
    decision = policy.evaluate(case)
    json.dumps(decision.to_dict(), ensure_ascii=False)
    assert isinstance(decision.explain(), str)


_VALIDATORS: dict = {}


def _validator(pid: str) -> Draft202012Validator:
    if pid not in _VALIDATORS:
        schema = _policy(pid).schema()
        Draft202012Validator.check_schema(schema)
        _VALIDATORS[pid] = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return _VALIDATORS[pid]


# ------------------------------------------------------------------ (f) purity
@pytest.mark.parametrize("pid", POLICIES)
@PROPERTY
@given(data=st.data())
def test_f_evaluation_is_pure(pid, data):
    """The same case twice gives the same decision, and evaluating does not touch the case."""
    policy = _policy(pid)
    case = data.draw(_cases(pid), label="case")
    before = copy.deepcopy(case)
    first = policy.evaluate(case).to_dict()
    assert case == before, "evaluate modified the case"
    second = policy.evaluate(case).to_dict()
    assert first == second
    assert policy.evaluate(json.loads(json.dumps(case))) == policy.evaluate(case)


# ------------------------------------------------------------------ (g) generated code = interpreter
@pytest.mark.parametrize("pid", POLICIES)
@settings(PROPERTY, max_examples=200)
@given(data=st.data())
def test_g_generated_code_agrees_with_the_interpreter(pid, data):
    """evaluate() runs the policy's generated code; the reference interpreter decides the same."""
    policy = _policy(pid)
    case = data.draw(_cases(pid), label="case")
    facts, sections, day = case_module.validate(policy._sections, case)
    reference = runtime.interpret(policy._compiled, facts, sections, day, lambda: policy.calendar)
    assert policy.evaluate(case) == reference


# ------------------------------------------------------------------ the strategies themselves
@PROPERTY
@given(st.data())
def test_dates_stay_in_range(data):
    lo = data.draw(st.dates(testing.MIN_DATE, testing.MAX_DATE), label="lo")
    hi = data.draw(st.dates(lo, testing.MAX_DATE), label="hi")
    around = data.draw(st.lists(st.dates(), max_size=3), label="around")
    day = data.draw(testing.dates(lo, hi, around=around), label="day")
    assert lo <= day <= hi


def test_dates_reach_the_boundaries():
    seen: set[dt.date] = set()

    @settings(max_examples=400, derandomize=True, database=None)
    @given(testing.dates(dt.date(2019, 1, 1), dt.date(2025, 12, 31), around=["2021-07-01"]))
    def collect(day):
        seen.add(day)

    collect()
    assert dt.date(2020, 2, 29) in seen or dt.date(2024, 2, 29) in seen
    assert any(d.month == 10 and d.day <= 8 for d in seen), "National Day week"
    assert any(abs((d - dt.date(2021, 7, 1)).days) <= 3 for d in seen), "anchor"
    assert any((d.month, d.day) in ((12, 31), (1, 1)) for d in seen), "year end"


@pytest.mark.parametrize("pid", POLICIES)
@settings(max_examples=50, derandomize=True, deadline=None, database=None)
@given(data=st.data())
def test_cases_keep_fixed_facts(pid, data):
    policy = _policy(pid)
    case = data.draw(testing.cases(policy, as_of="2024-01-01", appointment={"start": "2020-02-29"}, report=None))
    assert case["as_of"] == "2024-01-01"
    assert case["appointment"]["start"] == "2020-02-29"
    assert "report" not in case
    section = data.draw(testing.section(policy, "person", honest=True))
    assert section["honest"] is True
    _validator(pid).validate({"as_of": "2024-01-01", "person": section})


def test_unknown_fixed_facts_are_refused():
    policy = _policy("wuhan")
    with pytest.raises(ValueError, match="honesty"):
        testing.cases(policy, person={"honesty": True})
    with pytest.raises(ValueError, match="persons"):
        testing.cases(policy, persons={})
