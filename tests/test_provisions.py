"""Hand-derived decision fixtures, one per scenario, for every evaluable provision.

Each file in tests/fixtures/decisions/<city>/ holds a case and the expected
(partial) decision, derived by hand from the regulation text and DECISION.md;
see tests/matching.py for how `expect` is compared with the engine's output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supervisor_rules.tools.expect import match


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "decisions"
CITIES = ("guangxi", "wuhan")

# Provisions each policy can evaluate; every one needs a fixture where it holds
# and one where it does not.
EVALUABLE: dict[str, list[str]] = {
    "guangxi": [
        "3(1)", "3(2)", "3(3)", "3(4)", "3(5)", "4", "5(1)", "5(2)",
        "6(2)", "6(3)",
        "7(1)", "7(2)", "7(3)", "7(4)", "7(5)", "7(6)", "7(7)",
        "8", "9(1)", "9(2)", "9(3)", "9(4)", "9(5)", "9(6)", "12",
    ],
    "wuhan": [
        "2", "3(1)", "3(2)", "3(3)", "3(4)", "3(5)", "3(6)",
        "4(1)", "4(2)", "4(3)", "4(4)", "5", "7",
        "8(1).1", "8(1).2", "8(1).3", "8(1).4", "8(1).5",
        "8(2).1", "8(2).2", "8(2).3",
        "8(3).1", "8(3).2", "8(3).3", "8(3).4",
        "8(4).1", "8(4).2", "8(4).3", "8(4).4", "8(4).5", "8(4).6", "8(4).7",
        "9(1)", "9(2)", "9(3)", "9(4)", "9(5)", "9(6)", "10",
        "11(1)", "11(2)", "11(3)", "11(4)", "11(5)", "11(6)", "11", "11p2", "13",
    ],
}

REQUIRED_KEYS = {"name": str, "provisions": list, "holds": bool, "why": str, "case": dict, "expect": dict}


def _fixture_files() -> list[Path]:
    return sorted(p for city in CITIES for p in (FIXTURES / city).glob("*.json"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


FILES = _fixture_files()


def test_fixtures_exist():
    for city in CITIES:
        assert list((FIXTURES / city).glob("*.json")), f"no fixtures for {city}"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_fixture_is_well_formed(path: Path):
    fixture = _load(path)
    problems = []
    for key, kind in REQUIRED_KEYS.items():
        if key not in fixture:
            problems.append(f"missing key {key!r}")
        elif not isinstance(fixture[key], kind):
            problems.append(f"{key!r} should be {kind.__name__}, got {type(fixture[key]).__name__}")
    extra = set(fixture) - set(REQUIRED_KEYS)
    if extra:
        problems.append(f"unexpected keys {sorted(extra)}")
    if not problems:
        unknown = [p for p in fixture["provisions"] if p not in EVALUABLE[path.parent.name]]
        if unknown:
            problems.append(f"provisions not in EVALUABLE[{path.parent.name!r}]: {unknown}")
        if "as_of" not in fixture["case"]:
            problems.append("case has no as_of")
        if not fixture["name"].startswith({"guangxi": "GX", "wuhan": "WH"}[path.parent.name]):
            problems.append("name should start with the city prefix (GX/WH)")
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("city", CITIES)
def test_every_evaluable_provision_holds_and_fails_somewhere(city: str):
    seen: dict[bool, set[str]] = {True: set(), False: set()}
    for path in (FIXTURES / city).glob("*.json"):
        fixture = _load(path)
        seen[bool(fixture["holds"])].update(fixture["provisions"])
    missing = [
        f"{ref} (no {'holding' if holds else 'non-holding'} fixture)"
        for ref in EVALUABLE[city]
        for holds in (True, False)
        if ref not in seen[holds]
    ]
    assert not missing, f"{city}: " + ", ".join(missing)


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_decision_matches_fixture(path: Path):
    import supervisor_rules as sr

    fixture = _load(path)
    policy = sr.builtin_policy(path.parent.name)
    actual = policy.evaluate(fixture["case"]).to_dict()
    mismatches = match(fixture["expect"], actual)
    assert mismatches == [], (
        f"{fixture['name']}\n  why: {fixture['why']}\n  mismatches:\n    " + "\n    ".join(mismatches)
    )


# ---------------------------------------------------------------- match itself

CITE = {"article": 9, "paragraph": None, "item": 2, "sub": None, "ref": "9(2)", "cite": "第九条第（二）项", "text": "…"}


def test_match_ignores_extra_actual_keys():
    assert match({"status": "active"}, {"status": "active", "policy": "wuhan"}) == []


def test_match_reports_missing_key_with_path():
    problems = match({"term": {"last_day": "2023-07-01"}}, {"term": {"years": 2}})
    assert len(problems) == 1 and problems[0].startswith("term.last_day: missing")


def test_match_reports_value_mismatch_with_path():
    problems = match({"eligibility": {"result": "eligible"}}, {"eligibility": {"result": "unknown"}})
    assert problems == ["eligibility.result: expected 'eligible', got 'unknown'"]


def test_match_string_against_citation_uses_ref():
    assert match("9(2)", CITE) == []
    assert match("9(1)", CITE) == ["<root>: expected citation '9(1)', got '9(2)'"]


def test_match_string_against_dict_without_ref_fails():
    assert match("9(2)", {"article": 9}) != []


def test_match_lists_need_same_length_and_order():
    a = {"ref": "8"}
    b = {"ref": "9(5)"}
    assert match(["8", "9(5)"], [a, b]) == []
    assert match(["9(5)", "8"], [a, b]) != []
    problems = match({"grounds": ["8"]}, {"grounds": [a, b]})
    assert len(problems) == 1 and "grounds" in problems[0] and "expected 1" in problems[0]
    assert match([], []) == []
    assert match([], [a]) != []


def test_match_nested_list_element_paths():
    expected = {"grounds": [{"citation": "9(2)", "effect": "mandatory"}]}
    actual = {"grounds": [{"citation": CITE, "effect": "automatic"}]}
    assert match(expected, actual) == ["grounds[0].effect: expected 'mandatory', got 'automatic'"]


def test_match_type_mismatches():
    assert match({"a": 1}, [1]) != []
    assert match([1], {"a": 1}) != []
    assert match(None, None) == []
    assert match(None, "2023-07-01") != []
