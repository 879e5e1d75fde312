"""``missing_facts`` lists the facts whose value could still change a conclusion that is unknown; a
settled question contributes none (DECISION.md, "Top level"; docs/decisions.md, "Unknown is not false").

Concrete cases under the shipped policies and a small policy of corners, on every backend, then
properties over generated cases for both shipped policies and the lanjiang family.

What the properties claim, and why no stronger claim: a listed fact is one an open rule reads, and
supplying it may change a conclusion only *together with* other missing facts. Under Wuhan a report
without ``target_type`` lists ``report.conduct_code`` (DECISION.md says so), yet no conduct code
alone changes anything while the target is unknown; lanjiang's age requirement
``周岁 < 65 或 周岁 < 70 且 age_waiver_approved`` lists the waiver while ``person.born`` is unknown,
and no answer of the waiver alone decides it; a duty whose ``when`` is unknown lists the facts of its
``met when``. So "each listed fact, given alone, changes the decision" is false by design. Asserted
instead: every listed fact is absent and is read by a step of the explanation that is unknown; a fact
only requirements read is never listed once eligibility is settled, and no value of it unsettles it;
and, under Guangxi and Wuhan, whose requirements are conjunctions of single facts (or a disjunction of
two), a fact an undetermined requirement reads does change the eligibility given alone.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import supervisor_rules as sr
from supervisor_rules import questions, testing
from supervisor_rules.engine import BACKENDS
from supervisor_rules.lang.checker import BOOL, DATE, NUMBER, TEXT, EnumT, ListT, RecordT

ROOT = Path(__file__).resolve().parent.parent
LANJIANG = ROOT / "examples" / "policies" / "lanjiang.family"

WH3 = {"person.supports_party_line", "person.law_abiding", "person.social_responsibility",
       "person.sense_of_justice", "person.principled", "person.honest", "person.fair_minded",
       "person.bad_credit_record", "person.devoted", "person.willing_unpaid", "person.accepts_guidance",
       "person.overall_competence", "person.professional_background", "person.relevant_work_experience",
       "person.meets_other_conditions"}
WH42 = {"person.registration_form_submitted", "person.commitment_signed"}


def _refs(citations) -> list[str]:
    return [c.ref for c in citations]


def _evaluate(backend: str, policy_id: str, case: dict):
    return sr.builtin_policy(policy_id).evaluate_with(backend, {"as_of": "2024-01-01", **case})


# ------------------------------------------------------------------ the shipped policies
@pytest.mark.parametrize("backend", BACKENDS)
def test_wuhan_one_false_requirement_settles_eligibility_and_lists_no_requirement_facts(backend):
    decision = _evaluate(backend, "wuhan", {"person": {"bad_credit_record": True}})
    assert str(decision.eligibility.result) == "ineligible"
    assert _refs(decision.eligibility.unmet) == ["3(2)"]
    # The conclusions are as before: the unknown requirements are still undetermined ...
    assert _refs(decision.eligibility.undetermined) == ["3(1)", "3(3)", "3(4)", "3(5)", "3(6)", "4(2)"]
    # ... but whatever their facts are, the person is ineligible: none of them is missing.
    assert decision.missing_facts == ()


@pytest.mark.parametrize("backend", BACKENDS)
def test_wuhan_no_false_requirement_lists_every_unknown_requirement_fact(backend):
    decision = _evaluate(backend, "wuhan", {"person": {"bad_credit_record": False}})
    assert str(decision.eligibility.result) == "unknown"
    assert set(decision.missing_facts) == (WH3 | WH42) - {"person.bad_credit_record"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_wuhan_a_fact_an_open_renewal_reads_stays_listed_when_eligibility_is_settled(backend):
    # 4(2) is false (ineligible), but the renewal is judged on WH 3 alone, which is open: its facts
    # can still decide whether the term was renewed. 4(2)'s own other fact cannot change anything.
    decision = _evaluate(backend, "wuhan", {
        "person": {"registration_form_submitted": False, "honest": True},
        "appointment": {"start": "2020-01-01", "renewals": [{"on": "2022-12-01"}]}})
    assert str(decision.eligibility.result) == "ineligible"
    assert [r.on for r in decision.term.undetermined_renewals] == [dt.date(2022, 12, 1)]
    assert set(decision.missing_facts) == WH3 - {"person.honest"}
    assert "person.commitment_signed" not in decision.missing_facts


@pytest.mark.parametrize("backend", BACKENDS)
def test_wuhan_an_open_renewal_lists_the_facts_of_its_open_requirements_only(backend):
    # 3(5) holds by the background: whether there is relevant work experience changes nothing, though
    # the renewal (WH 3 as a whole) is open.
    decision = _evaluate(backend, "wuhan", {
        "person": {"professional_background": ["medicine"], "honest": True},
        "appointment": {"start": "2020-01-01", "renewals": [{"on": "2022-12-01"}]}})
    assert decision.term.undetermined_renewals
    assert "3(5)" not in _refs(decision.term.undetermined_renewals[0].undetermined)
    assert "person.relevant_work_experience" not in decision.missing_facts
    assert "person.meets_other_conditions" in decision.missing_facts


@pytest.mark.parametrize("backend", BACKENDS)
def test_guangxi_an_unknown_preference_stays_listed_when_ineligible(backend):
    # `preferred` is a conclusion of its own, unknown while the background is: it is listed. The
    # requirements' facts (and 5(1)'s method and application) are not: 3(1) is false.
    decision = _evaluate(backend, "guangxi", {"person": {"supports_party_line": False}})
    assert str(decision.eligibility.result) == "ineligible"
    assert decision.eligibility.preferred is None
    assert decision.missing_facts == ("person.professional_background",)
    unknown = _evaluate(backend, "guangxi", {"person": {"supports_party_line": True}})
    assert str(unknown.eligibility.result) == "unknown"
    assert {"person.law_abiding", "person.written_application", "appointment.method"} <= set(unknown.missing_facts)


# ------------------------------------------------------------------ corners of each question
CORNERS = '''
policy narrowing title "missing facts"
facts p { a: bool "a"  b: bool "b"  c: bool "c"  d: bool "d" }
facts act { x: bool "x"  y: bool "y"  z: bool "z" }
facts rep { t: bool "t"  k: bool "k"  u: bool "u"  v: bool "v"  w: bool "w" }
article 1 "one"
  require p.a
article 2 "two"
  require p.b and p.c
article 3 "three"
  require p.d is known
article 4 "four"
  require p.d
article 5 "recusal"
  recusal required decided by supervisor when act.x
  recusal request decided by department when act.y
  recusal required decided by supervisor when act.z is known and act.z
article 6 "scope"
  report scope when rep.t
  report scope when rep.k is known
article 7 "categories"
  (1) "one"
    report category when rep.u
    report category when rep.v
  (2) "two"
    report category when rep.w
article 8 "reward"
  reward when rep.u under "rules A"
  reward when rep.v under "rules A"
  reward when rep.w under "rules B"
'''


@pytest.fixture(scope="module")
def corners():
    return sr.parse_policy(CORNERS, "narrowing.rules")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case, missing", [
    # eligibility: a false requirement settles it ...
    ({"p": {"a": False}}, ()),
    ({"p": {"b": False}}, ()),
    # ... but not one that `is known` makes false: giving p.d would make it hold (and p.d decides 4)
    ({"p": {"a": True, "b": True, "c": True}}, ("p.d",)),
    # recusal: `required` holds, so whether `request` does changes nothing ...
    ({"act": {"x": True}}, ()),
    # ... while `request` holding leaves `required` open; and a rule that holds by `is known` settles nothing
    ({"act": {"y": True}}, ("act.x",)),
    ({"act": {"z": True}}, ("act.x", "act.y")),
    ({"act": {}}, ("act.x", "act.y")),
    # report: out of scope whatever the categories are ...
    ({"rep": {"t": False}}, ()),
    ({"rep": {"t": False, "k": True}}, ()),
    # ... but a scope that `is known` makes false settles nothing
    ({"rep": {}}, ("rep.t", "rep.u", "rep.v", "rep.w")),
    # the category is 7(1) whether u holds or not (v does, under the same provision); t stays open
    ({"rep": {"k": True, "v": True}}, ("rep.t",)),
    # in scope: referred under "rules A" whether u holds or not
    ({"rep": {"t": True, "k": True, "v": True}}, ()),
    # 7(2) holds; u or v would make the category 7(1) and the reward "rules A"
    ({"rep": {"t": True, "k": True, "w": True}}, ("rep.u", "rep.v")),
])
def test_a_settled_part_of_a_question_adds_no_facts(corners, backend, case, missing):
    decision = corners.evaluate_with(backend, {"as_of": "2024-01-01", **case})
    assert decision.missing_facts == missing


def test_the_corners_decide_as_they_say(corners):
    """What the corner cases above rest on: the conclusions, unchanged by the narrowing."""
    def decide(case):
        return corners.evaluate({"as_of": "2024-01-01", **case})
    assert str(decide({"p": {"a": True, "b": True, "c": True}}).eligibility.result) == "ineligible"
    recusal = decide({"act": {"x": True}}).recusal
    assert (str(recusal.result), _refs(recusal.grounds)) == ("required", ["5"])
    assert str(decide({"act": {"y": True}}).recusal.result) == "request"
    assert str(decide({"rep": {"t": False}}).report.result) == "out_of_scope"
    assert decide({"rep": {"k": True, "v": True}}).report.category.ref == "7(1)"
    report = decide({"rep": {"t": True, "k": True, "v": True}}).report
    assert (str(report.result), report.category.ref, report.reward_rules) == ("in_scope", "7(1)", "rules A")


# ------------------------------------------------------------------ properties over generated cases
PROPERTY = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

_TARGETS: dict = {}


def _target(name: str):
    """The shipped policy, or the lanjiang family."""
    if name not in _TARGETS:
        _TARGETS[name] = sr.load_policy(LANJIANG) if name == "lanjiang" else sr.builtin_policy(name)
    return _TARGETS[name]


_STRATEGIES: dict = {}


def _cases(name: str, person: bool = False):
    """Cases for a policy (``person``: each with a person section); for the family, a case of one version
    with an `as_of` while that version is in force (so the family decides it by that version, or a
    composite of it)."""
    if (name, person) not in _STRATEGIES:
        target = _target(name)
        if isinstance(target, sr.Policy):
            _STRATEGIES[name, person] = testing.cases(target, person={}) if person else testing.cases(target)
        else:
            versions = target.versions
            ends = [v.effective for v in versions[1:]] + [dt.date(2035, 12, 31) + dt.timedelta(days=1)]
            _STRATEGIES[name, person] = st.one_of(*(
                testing.cases(version, as_of=st.dates(version.effective, end - dt.timedelta(days=1))
                              .map(dt.date.isoformat))
                for version, end in zip(versions, ends)))
    return _STRATEGIES[name, person]


def _vehicle(target, case):
    """The policy that decides the case: the policy itself, or what the family selects."""
    return target if isinstance(target, sr.Policy) else target.select(case)[0]


def _fact_types(policy) -> dict:
    return {f"{s}.{f}": info.type for s, section in policy.sections.items() for f, info in section.fields.items()}


def _reads(policy) -> tuple[set[str], set[str]]:
    """(facts the requirements read, facts any other rule reads, lists it reads partly included)."""
    compiled = policy.compiled
    requirements = compiled.rules_of(questions.referenced("satisfies").field)
    others = [rule for kind in questions.rule_kinds() if kind.field != questions.referenced("satisfies").field
              for rule in compiled.rules_of(kind.field)]
    required = {key for rule in requirements for key in rule.reads}
    other = {key for rule in others for key in rule.reads} | {key for rule in others for key, _ in rule.partial}
    return required, other


def _candidates(ftype, as_of: dt.date) -> list:
    """Values of a fact's type to try: every value of a finite type (a list of enum values: none, or one)."""
    if ftype == BOOL:
        return [True, False]
    if isinstance(ftype, EnumT):
        return list(ftype.values)
    if isinstance(ftype, ListT):
        return [[]] + ([[v] for v in ftype.element.values] if isinstance(ftype.element, EnumT) else [])
    if ftype == DATE:
        return [d.isoformat() for d in (as_of, as_of - dt.timedelta(days=40 * 365), dt.date(1950, 1, 1))]
    if ftype == TEXT:
        return ["x"]
    if ftype == NUMBER:
        return [0, 1]
    return []


def _with(case: dict, key: str, value) -> dict:
    section, name = key.split(".", 1)
    out = copy.deepcopy(case)
    out[section] = {**(out.get(section) or {}), name: value}
    return out


def _unknown_in(case: dict, key: str, ftype) -> bool:
    """A fact the case leaves unknown: absent, or a list of records an entry of which leaves a field out."""
    section, name = key.split(".", 1)
    value = (case.get(section) or {}).get(name)
    if value is None:
        return True
    if isinstance(ftype, ListT) and isinstance(ftype.element, RecordT):
        return any(entry.get(field) is None for entry in value for field in ftype.element.fields)
    return False


@pytest.mark.parametrize("name", ["wuhan", "guangxi", "lanjiang"])
@PROPERTY
@given(data=st.data())
def test_missing_facts_are_unknown_open_and_none_of_a_settled_eligibility(name, data):
    target = _target(name)
    case = data.draw(_cases(name), label="case")
    vehicle = _vehicle(target, case)
    decision = target.evaluate(case)
    types = _fact_types(vehicle)
    missing = decision.missing_facts
    note(f"missing: {missing}")

    # Every listed fact is one the case leaves unknown, and one that an unknown step of the explanation reads.
    open_reads = {key for step in decision.trace if step.outcome is None for key in step.facts}
    for key in missing:
        assert key in types and _unknown_in(case, key, types[key]), key
        assert any(read == key or read.startswith(key + "[]") for read in open_reads), key

    # Settled (eligible, ineligible, not applicable): no fact only requirements read is listed ...
    required, other = _reads(vehicle)
    assert all(rule.steady for rule in vehicle.compiled.rules_of(questions.referenced("satisfies").field))
    result = str(decision.eligibility.result)
    event(f"eligibility {result}")
    if result == "unknown":
        return
    assert not set(missing) & (required - other)
    if result == "not_applicable":
        return
    # ... and no value of such a fact unsettles it (every requirement is steady: monotone in the facts).
    as_of = dt.date.fromisoformat(case["as_of"])
    for key in sorted(required):
        if key not in types or not _unknown_in(case, key, types[key]) or isinstance(types[key], ListT) \
                and isinstance(types[key].element, RecordT):
            continue
        for value in _candidates(types[key], as_of):
            try:
                changed = target.evaluate(_with(case, key, value))
            except sr.CaseError:
                continue
            assert str(changed.eligibility.result) == result, (key, value)


@pytest.mark.parametrize("name", ["wuhan", "guangxi"])
@PROPERTY
@given(data=st.data())
def test_a_fact_an_undetermined_requirement_reads_changes_the_eligibility_alone(name, data):
    """Under GX and WH each requirement is a conjunction of tests of single facts, or a disjunction of
    two (WH 3(5), GX 5(1)): while eligibility is unknown, one answer of any fact an undetermined
    requirement reads — false for a conjunct, true for a disjunct — decides that requirement, so the
    eligibility changes. (Not so under lanjiang: see the module's docstring.)"""
    policy = _target(name)
    case = data.draw(_cases(name, person=True), label="case")
    decision = policy.evaluate(case)
    if str(decision.eligibility.result) != "unknown":
        return
    types = _fact_types(policy)
    as_of = dt.date.fromisoformat(case["as_of"])
    open_requirements = {key for step in decision.trace if step.rule == "require" and step.outcome is None
                         for key in step.facts}
    asked = [key for key in decision.missing_facts if key in open_requirements]
    event(f"{min(len(asked), 5)}+ facts of undetermined requirements" if len(asked) >= 5
          else f"{len(asked)} facts of undetermined requirements")
    assert asked, "an unknown eligibility lists the facts of its undetermined requirements"
    for key in asked:
        assert any(policy.evaluate(_with(case, key, value)).eligibility != decision.eligibility
                   for value in _candidates(types[key], as_of)), key
