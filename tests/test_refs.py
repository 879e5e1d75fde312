"""Refs are unique and name their provision (DECISION.md v2, "Citations"; issue 11.4).

Every provision of the shipped policies, the conformance corners and the loadable gallery
has its own ``ref`` and ``cite``; a ref parses back to the provision's parts, and the
provision written as a reference (``第十二条第二款第（一）项`` / ``article 12 paragraph 2 (1)``)
names it. Hypothesis draws articles of any shape to hold the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import supervisor_rules as sr
from supervisor_rules.lang import checker, nodes as n, parser, refs

TESTS = Path(__file__).resolve().parent
CORNERS = TESTS / "conformance" / "corners.rules"


def _loadable() -> list:
    out = [*(sr.builtin_policy(i) for i in sr.builtin_policy_ids()), sr.load_policy(CORNERS)]
    for path in sorted((TESTS / "gallery").glob("*.rules")):
        try:
            out.append(sr.load_policy(path))
        except sr.RulesError:
            continue
    return out


def _provisions(policy) -> tuple:
    return policy.compiled.checked.provisions


def _reference(provision, lang: str, chapter: bool = False) -> n.ArticleRef:
    """The provision written as a `satisfies` reference in ``lang``, parsed back."""
    marker = refs.render(refs.Marker(provision.article, provision.paragraph, provision.item, None, provision.sub), lang)
    module = parser.parse_module(f"policy p\narticle 1\n  require x.y when satisfies {marker}\n")
    return module.articles[0].rules[0].guard.ref


def _holds_for(provisions) -> None:
    rs = [p.ref for p in provisions]
    assert len(rs) == len(set(rs)), sorted(r for r in rs if rs.count(r) > 1)
    cites = [p.cite for p in provisions]
    assert len(cites) == len(set(cites))
    for p in provisions:
        assert refs.parse_ref(p.ref) == (p.article, p.paragraph, p.item, p.sub), p.ref
        for lang in ("zh", "en"):
            ref = _reference(p, lang)
            covered = [q for q in provisions if q.within(ref)]
            # the provision itself first, then what stands under it: for an article every paragraph,
            # for a paragraph its items, for an item its sub-items
            assert covered and covered[0] == p, (p.ref, lang, [q.ref for q in covered])
            assert covered == [q for q in provisions if _stands_under(q, p)], (p.ref, lang)


def _stands_under(q, p) -> bool:
    if q.article != p.article:
        return False
    if p.paragraph is None and p.item is None:
        return True  # the article's own provision: a reference to it is the whole article
    return ((q.paragraph or 1) == (p.paragraph or 1) and (p.item is None or q.item == p.item)
            and (p.sub is None or q.sub == p.sub))


@pytest.mark.parametrize("policy", _loadable(), ids=lambda p: f"{p.id}:{Path(p.source).name}")
def test_no_two_provisions_share_a_ref(policy):
    _holds_for(_provisions(policy))


def test_wuhan_article_11_second_paragraph_has_its_own_ref():
    by_ref = {p.ref: p for p in _provisions(sr.builtin_policy("wuhan"))}
    assert by_ref["11p2"].cite == "第十一条第二款" and by_ref["11p2"].paragraph == 2
    assert by_ref["11"].paragraph is None and by_ref["12p2"].cite == "第十二条第二款"


@pytest.mark.parametrize("text, parts", [
    ("9", (9, None, None, None)), ("9(5)", (9, None, 5, None)), ("8(1).3", (8, None, 1, 3)),
    ("11p2", (11, 2, None, None)), ("12p2(1)", (12, 2, 1, None)), ("12p2(1).3", (12, 2, 1, 3)),
    ("12p1(1)", None), ("p2", None), ("12(1)p2", None), ("12 p2", None),
])
def test_parse_ref(text, parts):
    assert refs.parse_ref(text) == parts


@st.composite
def articles(draw) -> str:
    """A rule file of articles of random shape: items, sub-items, later paragraphs with theirs."""
    out = ["policy p"]
    for a in range(1, draw(st.integers(1, 4)) + 1):
        out.append(f"article {a}\n  text only")
        for i in range(1, draw(st.integers(0, 3)) + 1):
            out.append(f"  ({i})\n    text only")
            for s in range(1, draw(st.integers(0, 2)) + 1):
                out.append(f"    {s}.\n      text only")
        for p in range(2, draw(st.integers(1, 4)) + 1):
            out.append(f"  paragraph {p}\n    text only")
            for i in range(1, draw(st.integers(0, 3)) + 1):
                out.append(f"    ({i})\n      text only")
                for s in range(1, draw(st.integers(0, 2)) + 1):
                    out.append(f"      {s}.\n        text only")
    return "\n".join(out) + "\n"


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(articles())
def test_refs_are_unique_and_name_their_provision(text):
    checked = checker.check(parser.parse_module(text), [], {})
    assert checked.errors == ()
    _holds_for(checked.provisions)
