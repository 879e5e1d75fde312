"""Prohibitions over records, `violates` against them and the year of a date (corners article 20),
on every backend (the ``backend`` fixture)."""

from __future__ import annotations

from pathlib import Path

import supervisor_rules as sr
from supervisor_rules.testing import assert_backends_agree

CORNERS = Path(__file__).resolve().parent / "corners.rules"
POLICY = sr.load_policy(CORNERS)


def _case(breaches: list, **conduct) -> dict:
    return {"as_of": "2024-05-01", "appointment": {"start": "2023-06-01"},
            "conduct": {"breaches": breaches, "warned": True, **conduct}}


def _decide(backend: str, case: dict):
    assert_backends_agree(POLICY, case)
    return POLICY.evaluate_with(backend, case)


def _ours(decision) -> list:
    return [(v.code, v.citation.ref) for v in decision.violations if v.citation.article == 20]


def _notices(decision) -> list:
    return [n.message for n in decision.notices if n.citation is not None and n.citation.article == 20]


def test_each_record_whose_field_is_prohibited_is_a_violation_in_record_order(backend):
    breaches = [{"on": "2023-07-01", "kind": "gamma"}, {"on": "2023-08-01", "kind": "beta"},
                {"on": "2023-09-01", "kind": "alpha"}, {"on": "2023-10-01", "kind": "gamma"}]
    decision = _decide(backend, _case(breaches))
    assert _ours(decision) == [("gamma", "20(1)"), ("alpha", "20(1)"), ("gamma", "20(1)")]
    assert "20(1) violated" in _notices(decision)
    assert ("20(2)", "discretionary") in [(g.citation.ref, str(g.effect)) for g in decision.grounds]
    step = next(s for s in decision.trace if s.rule == "prohibit" and s.citation.ref == "20(1)")
    assert step.outcome == ["gamma", "alpha", "gamma"]


def test_a_record_whose_field_is_unknown_is_no_violation_but_leaves_violates_open(backend):
    # The second breach's kind is not decided: it is no violation, and `violates article 20(1)` is
    # unknown (it could be alpha), so the ground that reads it is unknown and names the list.
    open_ = [{"on": "2023-07-01", "kind": "beta"}, {"on": "2023-08-01"}]
    decision = _decide(backend, _case(open_))
    assert _ours(decision) == []
    assert "20(1) violated" not in _notices(decision)
    assert "conduct.breaches" in decision.missing_facts
    # A prohibited entry settles it, whatever the open one turns out to be.
    settled = _decide(backend, _case([*open_, {"on": "2023-09-01", "kind": "alpha"}]))
    assert _ours(settled) == [("alpha", "20(1)")]
    assert "20(1) violated" in _notices(settled)
    # Nothing prohibited and nothing open: not violated.
    clean = _decide(backend, _case([{"on": "2023-07-01", "kind": "beta"}]))
    assert _ours(clean) == [] and "20(1) violated" not in _notices(clean)
    assert "conduct.breaches" not in clean.missing_facts


def test_the_year_of_a_date_in_a_rule_and_in_a_quantifier(backend):
    decision = _decide(backend, _case([{"on": "2023-12-31"}], changed_on="2024-01-01"))
    assert _notices(decision) == ["changed this year", "a breach last year"]
    decision = _decide(backend, _case([{"on": "2022-12-31"}], changed_on="2023-12-31"))
    assert _notices(decision) == []


def test_a_quantifier_over_records_whose_field_is_left_out_names_the_list_as_missing(backend):
    # `mandatory when any b in conduct.breaches where (b.kind = delta)`: one breach's kind is open, so
    # the ground, and with it the status, is unknown; the missing fact is the list that holds it.
    decision = _decide(backend, _case([{"on": "2023-07-01", "kind": "beta"}, {"on": "2023-08-01"}], warned=False))
    assert str(decision.status) == "unknown"
    assert "conduct.breaches" in decision.missing_facts
    decided = _decide(backend, _case([{"on": "2023-07-01", "kind": "beta"}], warned=False))
    assert "conduct.breaches" not in decided.missing_facts
    # A settled answer names nothing, though an entry leaves its kind out.
    settled = _decide(backend, _case([{"on": "2023-07-01", "kind": "delta"}, {"on": "2023-08-01"}], warned=False))
    assert str(settled.status) == "dismissed" and "conduct.breaches" not in settled.missing_facts


# ------------------------------------------------------------------ definitions (corners article 21)
def _by_ref(decision, ref: str) -> dict:
    return {"grounds": [str(g.effect) for g in decision.grounds if g.citation.ref == ref],
            "unmet": [c.ref for c in decision.eligibility.unmet if c.ref == ref],
            "undetermined": [c.ref for c in decision.eligibility.undetermined if c.ref == ref],
            "duties": [(o.duty, str(o.state)) for o in decision.obligations if o.citation.ref == ref],
            "notices": [n.message for n in decision.notices if n.citation is not None and n.citation.ref == ref],
            "findings": [(f.code, f.value) for f in decision.findings if f.citation.ref == ref]}


def test_definitions_decide_as_if_written_in_place(backend):
    twice = [{"on": "2023-01-01", "kind": "beta"}, {"on": "2024-03-01", "kind": "beta"}]
    case = {"as_of": "2024-05-01", "appointment": {"start": "2023-06-01"},
            "person": {"grade": "high", "honest": False},
            "conduct": {"breaches": twice, "warned": True, "shown": False},
            "activity": {"suspicious": True}}
    decision = _decide(backend, case)
    assert _by_ref(decision, "21(1)")["unmet"] == ["21(1)"]  # high grade, not honest
    assert _by_ref(decision, "21(2)")["grounds"] == ["mandatory"]  # breached twice, warned
    assert _by_ref(decision, "21(2)")["duties"] == [("explain_breaches", "owed")]
    assert str(decision.recusal.result) == "request" and "21(2)" in [c.ref for c in decision.recusal.grounds]
    assert _by_ref(decision, "21(3)")["notices"] == ["two breaches"]
    assert _by_ref(decision, "21(3)")["findings"] == [("breach_total", 2), ("recent", True)]
    # One breach, long ago: nothing holds; the count is still drawn.
    case["conduct"]["breaches"] = twice[:1]
    decision = _decide(backend, case)
    assert _by_ref(decision, "21(2)")["grounds"] == [] and _by_ref(decision, "21(3)")["notices"] == []
    assert _by_ref(decision, "21(3)")["findings"] == [("breach_total", 1)]


def test_a_definition_reading_an_unknown_fact_is_unknown_where_it_is_used(backend):
    case = {"as_of": "2024-05-01", "appointment": {"start": "2023-06-01"}, "person": {"grade": "high"}}
    decision = _decide(backend, case)
    assert _by_ref(decision, "21(1)")["undetermined"] == ["21(1)"]
    assert "person.honest" in decision.missing_facts  # read through the definition


# ------------------------------------------------------------------ also citing (corners article 22)
def test_a_recusal_also_cites_after_its_own_citation_each_once(backend):
    case = {"as_of": "2024-05-01", "activity": {"relations": ["kin"], "grade": "high", "suspicious": False}}
    decision = _decide(backend, case)
    assert str(decision.recusal.result) == "required"
    # 3(3) (kin) and 22(1) hold; 22(1) also cites 22p2 and 3(3), which is listed already.
    assert [c.ref for c in decision.recusal.grounds] == ["3(3)", "22(1)", "22p2"]
    assert decision.recusal.grounds[2].cite == "第二十二条第二款"
    case["activity"]["grade"] = "low"
    assert [c.ref for c in _decide(backend, case).recusal.grounds] == ["3(3)"]


def test_an_unmet_or_undetermined_requirement_also_cites(backend):
    case = {"as_of": "2024-05-01", "person": {"grade": "low", "honest": False}}
    refs = [c.ref for c in _decide(backend, case).eligibility.unmet]
    assert refs[refs.index("22(1)"):] == ["22(1)", "22p2", "22(2)", "22(3)"]
    case["person"] = {"grade": "low"}
    refs = [c.ref for c in _decide(backend, case).eligibility.undetermined]
    assert refs[refs.index("22(1)"):] == ["22(1)", "22p2", "22(2)", "22(3)"]
    case["person"] = {"grade": "low", "honest": True}
    assert "22(1)" not in [c.ref for c in _decide(backend, case).eligibility.unmet]
