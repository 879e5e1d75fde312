"""Case validation (``case.py``) and the JSON Schema a policy exports.

Every problem of an invalid case is a ``CaseError`` entry (``CaseProblem``: JSON path, code, message);
all of them are listed at once, and nothing but ``CaseError`` reaches the caller.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

import supervisor_rules as sr
from supervisor_rules import CaseError, RulesError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "decisions"
CITIES = ("guangxi", "wuhan")


@pytest.fixture(scope="module")
def guangxi():
    return sr.builtin_policy("guangxi")


@pytest.fixture(scope="module")
def wuhan():
    return sr.builtin_policy("wuhan")


def problems(policy, case, **kwargs) -> list[tuple[str, str]]:
    with pytest.raises(CaseError) as info:
        policy.evaluate(case, **kwargs)
    assert isinstance(info.value, RulesError)
    return [(p.path, p.message) for p in info.value.problems]


def only(policy, case, **kwargs) -> tuple[str, str]:
    found = problems(policy, case, **kwargs)
    assert len(found) == 1, found
    return found[0]


DAY = "2024-01-10"


# ---------------------------------------------------------------------------------------------------------
# The top level
@pytest.mark.parametrize("case, kind", [([], "a list"), ("x", '"x"'), (3, "a number"), (None, "null"),
                                        (True, "a boolean")])
def test_not_an_object(guangxi, case, kind):
    path, message = only(guangxi, case)
    assert path == ""
    assert message == f"a case is a JSON object, got {kind}"


def test_missing_as_of(guangxi):
    path, message = only(guangxi, {"person": {"honest": True}})
    assert path == "as_of"
    assert message.startswith("required")


@pytest.mark.parametrize("value, message", [
    ("2024-02-30", "2024-02-30 is not a real date"),
    ("2023-02-29", "2023-02-29 is not a real date"),
    ("2024-13-01", "2024-13-01 is not a real date"),
    ("2024/01/01", 'expected a date (YYYY-MM-DD), got "2024/01/01"'),
    ("2024-1-1", 'expected a date (YYYY-MM-DD), got "2024-1-1"'),
    ("2024-01-01T00:00:00", 'expected a date (YYYY-MM-DD), got "2024-01-01T00:00:00"'),
    ("", 'expected a date (YYYY-MM-DD), got ""'),
    (20240101, "expected a date (YYYY-MM-DD), got a number"),
    (2024.5, "expected a date (YYYY-MM-DD), got a number"),
    (True, "expected a date (YYYY-MM-DD), got a boolean"),
    (None, "expected a date (YYYY-MM-DD), got null"),
    (["2024-01-01"], "expected a date (YYYY-MM-DD), got a list"),
    ({"y": 2024}, "expected a date (YYYY-MM-DD), got an object"),
    ("0001-01-01", "0001-01-01 is out of range (1900-01-01 to 2999-12-31)"),
    ("1899-12-31", "1899-12-31 is out of range (1900-01-01 to 2999-12-31)"),
])
def test_bad_as_of(guangxi, value, message):
    assert only(guangxi, {"as_of": value}) == ("as_of", message)


def test_as_of_trailing_newline_is_not_a_date(guangxi):
    # `$` in the date pattern also matches before a final newline; the message must still say what is expected.
    assert only(guangxi, {"as_of": "2024-01-01\n"}) == \
        ("as_of", 'expected a date (YYYY-MM-DD), got "2024-01-01\n"')


def test_lowest_accepted_year(guangxi):
    assert guangxi.evaluate({"as_of": "1900-01-01"}).to_dict()["as_of"] == "1900-01-01"


def test_unknown_section_with_did_you_mean(guangxi):
    path, message = only(guangxi, {"as_of": DAY, "persn": {"honest": True}})
    assert path == "persn"
    assert message.startswith("unknown section (did you mean `person`?)")
    assert "as_of, person, appointment, conduct, activity, report" in message


def test_unknown_section_without_a_close_match(guangxi):
    path, message = only(guangxi, {"as_of": DAY, "zzz": {}})
    assert path == "zzz"
    assert message.startswith("unknown section;")


def test_unknown_fact_with_did_you_mean(guangxi, wuhan):
    for policy in (guangxi, wuhan):
        assert only(policy, {"as_of": DAY, "person": {"honset": True}}) == \
            ("person.honset", "unknown fact (did you mean `person.honest`?)")


def test_fact_declared_by_wuhan_only_is_rejected_under_guangxi(guangxi, wuhan):
    case = {"as_of": DAY, "conduct": {"criminal_penalty": True}}
    path, message = only(guangxi, case)
    assert path == "conduct.criminal_penalty"
    assert message.startswith("unknown fact")
    assert wuhan.evaluate(case).to_dict()["as_of"] == DAY


def test_fact_declared_by_guangxi_only_is_rejected_under_wuhan(wuhan):
    path, message = only(wuhan, {"as_of": DAY, "person": {"analytical_ability": True}})
    assert path == "person.analytical_ability"
    assert message.startswith("unknown fact")


# ---------------------------------------------------------------------------------------------------------
# Types
def test_string_for_a_bool_exact_message(guangxi):
    error = pytest.raises(CaseError, guangxi.evaluate, {"as_of": DAY, "person": {"honest": "yes"}}).value
    assert [(p.path, p.code, p.message) for p in error.problems] == [("person.honest", "type", 'expected a boolean, got "yes"')]
    assert str(error) == 'person.honest: expected a boolean, got "yes"'


@pytest.mark.parametrize("value, kind", [(1, "a number"), (0, "a number"), (1.0, "a number"), ([True], "a list"),
                                         ({}, "an object"), ("true", '"true"')])
def test_other_values_for_a_bool(guangxi, value, kind):
    assert only(guangxi, {"as_of": DAY, "person": {"honest": value}}) == \
        ("person.honest", f"expected a boolean, got {kind}")


def test_string_for_a_list(guangxi):
    assert only(guangxi, {"as_of": DAY, "person": {"professional_background": "law"}}) == \
        ("person.professional_background", 'expected a list, got "law"')


def test_list_element_of_a_wrong_enum_value_with_suggestion(guangxi):
    path, message = only(guangxi, {"as_of": DAY, "person": {"professional_background": ["law", "medcine"]}})
    assert path == "person.professional_background[1]"
    assert message.startswith('"medcine" is not one of medicine, pharmacy, law')
    assert message.endswith("(did you mean `medicine`?)")


def test_enum_of_the_wrong_type(guangxi):
    path, message = only(guangxi, {"as_of": DAY, "appointment": {"method": 1}})
    assert path == "appointment.method"
    assert message == "expected one of open, directed, got a number"


def test_enum_value_with_suggestion(guangxi):
    assert only(guangxi, {"as_of": DAY, "appointment": {"method": "opne"}}) == \
        ("appointment.method", '"opne" is not one of open, directed (did you mean `open`?)')


def test_wuhan_recommended_by_is_free_text_guangxi_an_enum(guangxi, wuhan):
    case = {"as_of": DAY, "appointment": {"method": "directed", "recommended_by": "市总工会"}}
    wuhan.evaluate(case)
    path, message = only(guangxi, case)
    assert path == "appointment.recommended_by"
    assert "is not one of health_commission" in message


def test_bad_date_fact(wuhan):
    assert only(wuhan, {"as_of": DAY, "appointment": {"start": "2021-02-29"}}) == \
        ("appointment.start", "2021-02-29 is not a real date")


def test_section_that_is_not_an_object(guangxi):
    assert only(guangxi, {"as_of": DAY, "person": ["honest"]}) == ("person", "expected an object, got a list")


def test_renewal_missing_on(guangxi):
    path, message = only(guangxi, {"as_of": DAY, "appointment": {"start": "2020-01-01",
                                                                 "renewals": [{"consent": True, "work_need": True}]}})
    assert path == "appointment.renewals[0].on"
    assert message.startswith("required field is missing (a record's field with no default")


def test_renewal_with_an_unknown_field(guangxi):
    path, message = only(guangxi, {"as_of": DAY, "appointment": {
        "renewals": [{"on": "2022-01-01", "consent": True}, {"on": "2022-01-02", "consnet": True}]}})
    assert path == "appointment.renewals[1].consnet"
    assert message == "unknown field (did you mean `consent`?)"


def test_renewal_that_is_not_an_object(guangxi):
    assert only(guangxi, {"as_of": DAY, "appointment": {"renewals": ["2022-01-01"]}}) == \
        ("appointment.renewals[0]", 'expected an object, got "2022-01-01"')


def test_renewal_closed_world_fields_default(guangxi):
    decision = guangxi.evaluate({"as_of": "2022-06-01", "appointment": {
        "start": "2020-01-01", "renewals": [{"on": "2021-12-01"}]}})
    # consent and work_need default to false: the renewal is recorded but invalid.
    assert [r["on"] for r in decision.to_dict()["term"]["invalid_renewals"]] == ["2021-12-01"]


def test_several_problems_are_all_listed(guangxi):
    case = {
        "persn": {},
        "person": {"honest": "yes", "honset": True, "professional_background": ["law", "medcine", 3]},
        "appointment": {"start": "2024-02-30", "renewals": [{"consent": 1}]},
        "conduct": {"criminal_penalty": True},
    }
    error = pytest.raises(CaseError, guangxi.evaluate, case).value
    paths = [p.path for p in error.problems]
    assert sorted(paths) == sorted([
        "persn", "person.honest", "person.honset", "person.professional_background[1]",
        "person.professional_background[2]", "appointment.start", "appointment.renewals[0].consent",
        "appointment.renewals[0].on", "conduct.criminal_penalty", "as_of",
    ])
    # str() lists each problem on its own line as `path: message`.
    lines = str(error).splitlines()
    assert len(lines) == len(error.problems)
    for (path, _, message, _), line in zip(error.problems, lines):
        assert line == f"{path}: {message}"


# ---------------------------------------------------------------------------------------------------------
# null, Python dates, as_of override, size limits
def test_null_means_not_given(guangxi):
    given = guangxi.evaluate({"as_of": DAY, "person": {"honest": None, "law_abiding": True}, "activity": None,
                              "conduct": {"violations": None}})
    absent = guangxi.evaluate({"as_of": DAY, "person": {"law_abiding": True}})
    assert given.to_dict() == absent.to_dict()
    assert "person.honest" in given.to_dict()["missing_facts"]
    assert given.to_dict()["recusal"]["result"] == "not_applicable"


def test_null_inside_a_list_is_an_error(guangxi):
    path, message = only(guangxi, {"as_of": DAY, "conduct": {"violations": [None]}})
    assert path == "conduct.violations[0]"
    assert message.endswith("got null")


def test_null_renewal_field_takes_its_default(guangxi):
    guangxi.evaluate({"as_of": DAY, "appointment": {"renewals": [{"on": "2022-01-01", "consent": None}]}})


def test_python_date_accepted(guangxi):
    decision = guangxi.evaluate({"as_of": dt.date(2024, 1, 10),
                                 "appointment": {"start": dt.date(2023, 1, 1)}})
    assert decision.to_dict()["as_of"] == "2024-01-10"
    assert decision.to_dict()["status"] == "active"


def test_python_date_equals_its_string(guangxi):
    a = guangxi.evaluate({"as_of": dt.date(2024, 1, 10), "appointment": {"start": dt.date(2023, 1, 1)}})
    b = guangxi.evaluate({"as_of": "2024-01-10", "appointment": {"start": "2023-01-01"}})
    assert a.to_dict() == b.to_dict()


def test_python_datetime_rejected(guangxi):
    assert only(guangxi, {"as_of": dt.datetime(2024, 1, 10, 12, 0)}) == \
        ("as_of", "expected a date (YYYY-MM-DD), got a date and time")
    path, message = only(guangxi, {"as_of": DAY, "appointment": {"start": dt.datetime(2023, 1, 1)}})
    assert path == "appointment.start" and "date and time" in message


def test_python_date_out_of_range_rejected_like_its_string(guangxi):
    # "0001-01-01" is refused as out of range; the same day as a datetime.date must be too.
    assert only(guangxi, {"as_of": dt.date(1, 1, 1)}) == ("as_of", "0001-01-01 is out of range (1900-01-01 to 2999-12-31)")


def test_as_of_override(guangxi):
    case = {"as_of": "2020-01-01", "appointment": {"start": "2023-01-01"}}
    assert guangxi.evaluate(case).to_dict()["status"] == "not_appointed"
    overridden = guangxi.evaluate(case, as_of="2024-01-01")
    assert overridden.to_dict()["as_of"] == "2024-01-01"
    assert overridden.to_dict()["status"] == "active"
    assert guangxi.evaluate(case, as_of=dt.date(2024, 1, 1)).to_dict() == overridden.to_dict()


def test_as_of_override_replaces_a_missing_or_bad_as_of(guangxi):
    for case in ({}, {"as_of": "bad"}):
        assert guangxi.evaluate(case, as_of="2024-01-01").to_dict()["as_of"] == "2024-01-01"


@pytest.mark.parametrize("value, message", [
    ("2024-02-30", "2024-02-30 is not a real date"),
    ("2024/01/01", 'expected a date (YYYY-MM-DD), got "2024/01/01"'),
])
def test_bad_as_of_override(guangxi, value, message):
    assert only(guangxi, {"as_of": DAY}, as_of=value) == ("as_of", message)


def test_as_of_override_datetime_rejected(guangxi):
    # A datetime must be refused as a CaseError here too, not fail later with a TypeError.
    path, message = only(guangxi, {"appointment": {"start": "2023-01-01"}}, as_of=dt.datetime(2024, 1, 1))
    assert path == "as_of" and "date and time" in message


def test_ten_thousand_and_one_element_list_is_refused(guangxi):
    path, message = only(guangxi, {"as_of": DAY, "conduct": {"violations": ["other_discipline"] * 10_001}})
    assert path == "conduct.violations"
    assert "10001" in message and "10000" in message


def test_ten_thousand_element_list_is_accepted(guangxi):
    decision = guangxi.evaluate({"as_of": DAY, "conduct": {"violations": ["other_discipline"] * 10_000}})
    assert decision.to_dict()["violations"]


def test_far_future_start_never_escapes_as_another_exception(guangxi, wuhan):
    # 9999-01-01 is a valid date; a term that would end past year 9999 must not crash evaluation.
    for policy in (guangxi, wuhan):
        try:
            policy.evaluate({"as_of": "9999-12-31", "appointment": {"start": "9999-01-01"}})
        except RulesError:
            pass


def test_case_error_to_dict(guangxi):
    error = pytest.raises(CaseError, guangxi.evaluate,
                          {"as_of": "2024/01/01", "person": {"honest": "yes"}}).value
    assert error.to_dict() == {
        "error": "invalid case",
        "problems": [
            {"path": "person.honest", "code": "type", "message": 'expected a boolean, got "yes"'},
            {"path": "as_of", "code": "date", "message": 'expected a date (YYYY-MM-DD), got "2024/01/01"'},
        ],
    }
    json.dumps(error.to_dict())


def test_evaluate_many_raises_case_error_when_reached(guangxi):
    results = guangxi.evaluate_many([{"as_of": DAY}, {"as_of": "x"}])
    assert next(results).to_dict()["as_of"] == DAY
    with pytest.raises(CaseError):
        next(results)


def test_case_is_not_modified(guangxi):
    case = {"as_of": DAY, "person": {"honest": True}, "appointment": {"renewals": [{"on": "2022-01-01"}]}}
    before = json.dumps(case, sort_keys=True)
    guangxi.evaluate(case)
    assert json.dumps(case, sort_keys=True) == before


# ---------------------------------------------------------------------------------------------------------
# JSON Schema
def _fixture_cases(city: str) -> list[tuple[str, dict]]:
    return [(p.name, json.loads(p.read_text(encoding="utf-8"))["case"])
            for p in sorted((FIXTURES / city).glob("*.json"))]


@pytest.mark.parametrize("city", CITIES)
def test_schema_is_valid_json_schema(city):
    schema = sr.builtin_policy(city).schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["as_of"]


@pytest.mark.parametrize("city", CITIES)
def test_schema_accepts_every_fixture_case(city):
    validator = jsonschema.Draft202012Validator(sr.builtin_policy(city).schema(),
                                                format_checker=jsonschema.FormatChecker())
    cases = _fixture_cases(city)
    assert cases
    for name, case in cases:
        errors = [e.message for e in validator.iter_errors(case)]
        assert errors == [], name


@pytest.mark.parametrize("city", CITIES)
def test_schema_rejects_an_unknown_fact(city):
    validator = jsonschema.Draft202012Validator(sr.builtin_policy(city).schema())
    errors = list(validator.iter_errors({"as_of": DAY, "person": {"honset": True}}))
    assert errors and "honset" in errors[0].message


def test_schema_rejects_what_the_city_does_not_declare():
    guangxi = jsonschema.Draft202012Validator(sr.builtin_policy("guangxi").schema())
    wuhan = jsonschema.Draft202012Validator(sr.builtin_policy("wuhan").schema())
    case = {"as_of": DAY, "conduct": {"criminal_penalty": True}}
    assert not guangxi.is_valid(case)
    assert wuhan.is_valid(case)


@pytest.mark.parametrize("bad", [
    {"person": {"honest": True}},
    {"as_of": DAY, "person": {"honest": "yes"}},
    {"as_of": DAY, "person": {"professional_background": ["medcine"]}},
    {"as_of": DAY, "appointment": {"renewals": [{"consent": True}]}},
    {"as_of": DAY, "appointment": {"renewals": [{"on": DAY, "consnet": True}]}},
    {"as_of": DAY, "persn": {}},
])
def test_schema_rejects_what_validation_rejects(guangxi, bad):
    validator = jsonschema.Draft202012Validator(guangxi.schema())
    assert not validator.is_valid(bad)
    with pytest.raises(CaseError):
        guangxi.evaluate(bad)


def test_schema_accepts_null_like_validation(guangxi):
    # validation reads null as "not given"; the exported schema must not refuse such a case.
    case = {"as_of": DAY, "person": {"honest": None}, "activity": None}
    guangxi.evaluate(case)
    assert jsonschema.Draft202012Validator(guangxi.schema()).is_valid(case)


def test_schema_describes_facts_with_their_labels(wuhan):
    schema = wuhan.schema()
    person = schema["properties"]["person"]["properties"]
    # null is allowed: validation reads it as "not given".
    assert person["honest"] == {"type": ["boolean", "null"], "description": "诚信"}
    conduct = schema["properties"]["conduct"]["properties"]
    assert conduct["criminal_penalty"]["default"] is False
    assert conduct["violations"]["default"] == []
    renewals = schema["properties"]["appointment"]["properties"]["renewals"]
    assert renewals["items"]["required"] == ["on"]
