"""The header's dates (施行, 废止, 有效期至) and families of dated versions (docs/language.md)."""

from __future__ import annotations

import datetime as dt

import pytest

import supervisor_rules as sr

BODY = """
facts person "p" {
  honest: bool "诚信"
}

article 1 "诚信"
  require person.honest
"""


def _policy(header: str) -> str:
    return "办法 p\n  标题 \"p\"\n" + header + BODY


def _errors(text: str) -> list:
    with pytest.raises(sr.PolicyError) as info:
        sr.parse_policy(text, "p.rules")
    return [(d.line, d.column, d.message) for d in info.value.diagnostics if d.severity == "error"]


def test_both_keyword_sets_give_the_same_dates():
    zh = sr.parse_policy(_policy("  施行 2021-03-01\n  有效期至 2026-02-28\n  废止 2025-07-01\n"), "zh.rules")
    en = sr.parse_policy(_policy("  effective 2021-03-01\n  valid until 2026-02-28\n  repealed 2025-07-01\n"),
                         "en.rules")
    for policy in (zh, en):
        assert policy.effective == dt.date(2021, 3, 1)
        assert policy.repealed == dt.date(2025, 7, 1)
        assert policy.valid_until == dt.date(2026, 2, 28)
        assert policy.in_force(dt.date(2021, 3, 1)) and policy.in_force(dt.date(2025, 6, 30))
        assert not policy.in_force(dt.date(2021, 2, 28)) and not policy.in_force(dt.date(2025, 7, 1))
    assert zh.compiled.checked.header == en.compiled.checked.header


def test_a_policy_without_dates_has_none():
    policy = sr.parse_policy(_policy("  施行 颁布之日\n"), "p.rules")
    assert (policy.effective, policy.repealed, policy.valid_until) == (None, None, None)
    assert policy.effective_on_issuance and policy.in_force(dt.date(1900, 1, 1))
    assert policy.evaluate({"as_of": "1900-01-01", "person": {"honest": True}}).notices == ()


def test_a_repeal_on_or_before_the_effective_date_is_an_error_at_its_field():
    text = _policy("  施行 2021-03-01\n  废止 2021-03-01\n")
    assert _errors(text) == [(4, 3, "the policy is repealed on 2021-03-01, not after it takes effect (2021-03-01): "
                                    "`repealed` / `废止` names the first day it is no longer in force")]


def test_validity_ending_before_the_effective_date_is_an_error_at_its_field():
    text = _policy("  effective 2021-03-01\n  status trial\n  valid until 2021-02-28\n")
    assert _errors(text) == [(5, 3, "the policy is valid until 2021-02-28, before it takes effect (2021-03-01)")]


def test_validity_ending_on_the_effective_date_is_one_day_in_force():
    policy = sr.parse_policy(_policy("  施行 2021-03-01\n  有效期至 2021-03-01\n"), "p.rules")
    assert policy.in_force(dt.date(2021, 3, 1)) and not policy.in_force(dt.date(2021, 3, 2))


def test_a_header_date_given_twice_or_not_a_date_is_refused():
    with pytest.raises(sr.PolicySyntaxError, match="twice"):
        sr.parse_policy(_policy("  废止 2025-07-01\n  repealed 2025-07-02\n"), "p.rules")
    with pytest.raises(sr.PolicySyntaxError, match="not a real date"):
        sr.parse_policy(_policy("  有效期至 2025-02-30\n"), "p.rules")
    with pytest.raises(sr.PolicySyntaxError):
        sr.parse_policy(_policy("  废止 颁布之日\n"), "p.rules")
