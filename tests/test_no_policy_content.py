"""The engine's Python knows no regulation: all policy content lives in the rule files."""

import re
from pathlib import Path

import supervisor_rules as sr

SRC = Path(sr.__file__).parent


def _python_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(SRC.glob("*.py")))


def test_no_policy_id_city_or_fact_path_in_python():
    source = _python_sources()
    forbidden = {"武汉", "广西"}
    for policy_id in sr.builtin_policy_ids():
        forbidden.add(policy_id)
        policy = sr.builtin_policy(policy_id)
        for section, facts in policy.facts.items():
            forbidden.update(f"{section}.{fact}" for fact in facts)
    found = sorted(word for word in forbidden if re.search(rf"(?<![\w.]){re.escape(word)}(?![\w])", source))
    assert found == []


def test_no_article_number_in_python():
    # Citations are built from numbers at run time; no literal 第…条 stands in the code.
    assert re.findall(r"第[零〇一二三四五六七八九十百]+[条章款]", _python_sources()) == []


def test_a_third_regulation_needs_no_python(tmp_path):
    # A made-up city's rules, written from scratch, load and decide.
    text = """
policy thirdcity title "某市医疗保障社会监督员管理办法"
facts 人员 { 诚信: bool "诚信" }
facts appt { 起始: date "聘任日" }
article 1 "社会监督员应当诚信。"
  require 人员.诚信
article 2 "每届聘任期限为一年，期满自然解聘。"
  term 1 years from appt.起始
  automatic when expired
"""
    policy = sr.parse_policy(text, "third.rules")
    decision = policy.evaluate({"as_of": "2025-03-02", "人员": {"诚信": False}, "appt": {"起始": "2024-03-01"}})
    assert decision.eligibility.result == "ineligible"
    assert [c.ref for c in decision.eligibility.unmet] == ["1"]
    assert decision.term.last_day.isoformat() == "2025-03-01"
    assert decision.status == "dismissed"
    assert [(g.citation.ref, g.effect) for g in decision.grounds] == [("2", "automatic")]
