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
    step = next(s for s in decision.explanation if s.rule == "prohibit" and s.citation.ref == "20(1)")
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
