"""A gallery of malformed rule files, and fuzzing with Hypothesis.

Whatever the input, loading a policy either succeeds or raises ``PolicyError``
whose every diagnostic is positioned (``FILE:LINE:COL`` in ``str()``); never a
Lark error, RecursionError, ValueError, TypeError or anything else.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supervisor_rules as sr
from supervisor_rules import PolicyError, PolicySyntaxError

POLICIES = Path(__file__).resolve().parent.parent / "policies"
SOURCE = "bad.rules"

HEAD = 'policy p\n  title "t"\nfacts s {\n  a: bool\n  b: bool\n}\n'
OK_BODY = "article 1\n  require s.a and s.b\n"


def pos(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def load(text: str, base_dir: Path | None = None) -> sr.Policy:
    return sr.parse_policy(text, SOURCE, base_dir=base_dir)


def policy_error(text: str, base_dir: Path | None = None) -> PolicyError:
    try:
        load(text, base_dir)
    except PolicyError as exc:
        assert_positioned(exc, SOURCE)
        return exc
    pytest.fail("expected a PolicyError")


def assert_positioned(exc: PolicyError, source: str) -> None:
    assert exc.diagnostics, "a PolicyError carries its diagnostics"
    text = str(exc)
    for d in exc.diagnostics:
        assert d.line >= 1 and d.column >= 1, d
        assert f"{d.source}:{d.line}:{d.column}:" in text
    assert re.search(rf"{re.escape(source)}:\d+:\d+: (error|warning): ", text), text


def first(exc: PolicyError):
    return exc.diagnostics[0]


# ---------------------------------------------------------------------------------------------------------
# The gallery: (name, text, needle where the first error is, or (line, col), phrase in its message)
GALLERY = [
    ("unterminated string", HEAD + 'article 1\n  notice "abc when s.a\n', '"abc', "unterminated string"),
    ("unterminated corner string", HEAD + 'article 1 「abc\n  text only\n', "「abc", "unterminated string"),
    ("stray closing brace", HEAD + OK_BODY + "}\n", (9, 1), "unexpected `}`"),
    ("unclosed facts block", '办法 p\n事实 s {\n  a: 布尔\n第一条\n  须 s.a\n', "第一条", "unexpected `第一条`"),
    ("missing colon in a field", "policy p\nfacts s {\n  a bool\n}\n", "bool", "expected `:`"),
    ("missing header", 'facts s {\n  a: bool\n}\n' + OK_BODY.replace(" and s.b", ""), (1, 1),
     "starts with its header"),
    ("header field given twice", 'policy p\n  title "t"\n  status trial\n  title "u"\n', 'title "u"', "`title` twice"),
    ("header effective given twice", 'policy p\n  effective on issuance\n  effective 2024-01-01\n',
     "effective 2024", "`effective` twice"),
    ("header after a declaration", 'facts s {\n  a: bool\n}\npolicy p\n', "policy p", "unexpected"),
    ("item before any article", HEAD + '(1) "x"\n  require s.a\n', "(1)", "unexpected `(1)`"),
    ("chinese item before any article", HEAD + '（一）"x"\n  须 s.a\n', "（一）", "unexpected"),
    ("sub-item before any item", HEAD + 'article 1\n  1. "x"\n', "1.", "unexpected"),
    ("article heading naming an item", HEAD + '第二十条第（一）项 "x"\n  须 s.a\n', "第二十条", "cannot name an item"),
    ("english heading naming an item", HEAD + 'article 20(1) "x"\n  require s.a\n', "article 20", "cannot name an item"),
    ("misspelt keyword", HEAD + "article 1\n  requir s.a\n", "requir", "did you mean `require`?"),
    ("misspelt keyword in a rule", HEAD + "article 1\n  require s.a whn s.b\n", "whn", "did you mean `when`?"),
    ("bad date literal", HEAD + "article 1\n  notice \"x\" when 2024-13-01 = as_of\n", "2024-13-01",
     "`2024-13-01` is not a real date"),
    ("bad effective date", "policy p\n  effective 2023-02-29\n", "2023-02-29", "not a real date"),
    ("NUL byte", HEAD + "article 1\n  require s.a\x00\n", (8, 1), "NUL"),
    ("empty file", "", (1, 1), "header"),
    ("only comments", "# 只有注释\n# only comments\n", (1, 1), "header"),
    ("only white space", " \n\t\n\u3000\n", (1, 1), "header"),
    ("keyword as a fact", "policy p\nfacts s {\n  when: bool\n}\n", "when", "`when` is a keyword"),
    ("missing operand", HEAD + "article 1\n  require s.a and\n", (8, len("  require s.a and") + 1), "end of the file"),
    ("unbalanced parenthesis", HEAD + "article 1\n  require (s.a and s.b\narticle 2\n  text only\n", "article 2",
     "unexpected"),
    ("too many closing parentheses", HEAD + "article 1\n  require (s.a))\n", ")\n", "unexpected `)`"),
    ("malformed chinese numeral", HEAD + "第一条\n  须 s.a\n第二二条\n  仅文本\n", "第二二条", "二二"),
    ("malformed numeral in an item", HEAD + "第一条\n  （十十）\n    须 s.a\n", "（十十）", "十十"),
    ("malformed numeral in a reference", HEAD + "第一条\n  须 s.a\n  应当解聘 当 违反 第一百百条\n", "第一百百条",
     "一百百"),
    ("duty clause twice", HEAD + "article 1\n  duty d when s.a when s.b\n", "when s.b", "twice"),
    ("unknown unit", HEAD + "article 1\n  term 2 fortnights from s.a\n", "fortnights", "unexpected"),
    ("stray character", HEAD + "article 1\n  require s.a & s.b\n", "&", "unexpected character `&`"),
    ("unknown import", 'policy p\n  title "t"\nimport "nowhere/none.rules"\n' + OK_BODY.replace(" and s.b", "")
     .replace("s.a", "true"), 'import', "cannot import"),
    ("semantic error only", HEAD + "article 1\n  require s.c\n", "s.c", "unknown fact"),
]


@pytest.mark.parametrize("name, text, where, phrase", GALLERY, ids=[g[0] for g in GALLERY])
def test_gallery(name, text, where, phrase):
    exc = policy_error(text)
    line, column = where if isinstance(where, tuple) else pos(text, where)
    errors = [d for d in exc.diagnostics if d.severity == "error"]
    assert (errors[0].source, errors[0].line, errors[0].column) == (SOURCE, line, column), str(exc)
    assert phrase in errors[0].message, str(exc)
    assert f"{SOURCE}:{line}:{column}: error: " in str(exc)


def test_gallery_is_large_enough():
    assert len(GALLERY) >= 15


def test_syntax_errors_carry_source_line_column_and_text():
    text = HEAD + "article 1\n  require s.a whn s.b\n"
    with pytest.raises(PolicySyntaxError) as info:
        load(text)
    exc = info.value
    assert (exc.source, exc.line, exc.column, exc.text) == (SOURCE, *pos(text, "whn"), "whn")
    assert exc.expected
    rendered = str(exc).splitlines()
    assert rendered[1].endswith("  require s.a whn s.b")
    assert rendered[2].endswith("^^^")


def test_one_error_per_broken_article():
    text = HEAD + "article 1\n  requir s.a\narticle 2\n  require s.a whn s.b\narticle 3\n  require s.a\n"
    exc = policy_error(text)
    assert [(d.line, d.column) for d in exc.diagnostics] == [pos(text, "requir"), pos(text, "whn")]


# ---------------------------------------------------------------------------------------------------------
# Files: encoding, size
def test_invalid_utf8_file(tmp_path):
    path = tmp_path / "bad.rules"
    path.write_bytes(b'policy p\n  title "t"\n# \xff\xfe broken\narticle 1\n  text only\n')
    with pytest.raises(PolicyError) as info:
        sr.load_policy(path)
    assert_positioned(info.value, str(path))
    assert "UTF-8" in str(info.value)
    [d] = sr.check_paths([path])
    assert "UTF-8" in d.message


def test_invalid_utf8_file_names_the_line(tmp_path):
    path = tmp_path / "bad.rules"
    path.write_bytes(b'policy p\n  title "t"\n# \xff\xfe broken\narticle 1\n  text only\n')
    with pytest.raises(PolicyError) as info:
        sr.load_policy(path)
    assert info.value.diagnostics[0].line == 3


def test_invalid_utf8_in_an_imported_file(tmp_path):
    (tmp_path / "vocab.rules").write_bytes(b"enum e { a }\n# \xff\n")
    path = tmp_path / "p.rules"
    path.write_text('policy p\n  title "t"\nimport "vocab.rules"\narticle 1\n  text only\n', encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        sr.load_policy(path)
    assert_positioned(info.value, str(path))


def test_file_with_a_bom_loads(tmp_path):
    path = tmp_path / "bom.rules"
    path.write_bytes("\ufeff".encode() + (HEAD + OK_BODY).encode())
    assert sr.load_policy(path).id == "p"


def test_ten_megabyte_text_is_refused_quickly():
    text = HEAD + OK_BODY + ("# " + "填充" * 40 + "\n") * (10 * 2**20 // 122)
    assert len(text.encode()) > 10 * 2**20 * 0.95
    start = time.perf_counter()
    exc = policy_error(text)
    assert time.perf_counter() - start < 2
    assert (first(exc).line, first(exc).column) == (1, 1)
    assert "MiB" in first(exc).message and "limit" in first(exc).message


def test_ten_megabyte_file_is_refused_quickly(tmp_path):
    path = tmp_path / "big.rules"
    path.write_bytes((HEAD + OK_BODY).encode() + b"#" * (10 * 2**20) + b"\n")
    start = time.perf_counter()
    with pytest.raises(PolicyError) as info:
        sr.load_policy(path)
    assert time.perf_counter() - start < 2
    assert_positioned(info.value, str(path))
    assert "10.0 MiB" in str(info.value)
    [d] = sr.check_paths([path])
    assert "limit" in d.message


def test_non_string_text_is_a_policy_error():
    for value in (b"policy p\n", None, 42):
        with pytest.raises(PolicyError):
            sr.parse_policy(value, SOURCE)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------
# Depth
def test_ten_thousand_nested_parentheses():
    text = HEAD + "article 1\n  require " + "(" * 10_000 + "s.a and s.b" + ")" * 10_000 + "\n"
    try:
        policy = load(text)
    except PolicyError as exc:
        assert_positioned(exc, SOURCE)
        assert first(exc).line == 8
    else:
        assert policy.evaluate({"as_of": "2024-01-01", "s": {"a": True, "b": True}}).eligibility.result == "eligible"


def test_ten_thousand_nested_nots():
    text = HEAD + "article 1\n  require " + "not " * 10_000 + "s.a and s.b\n"
    exc = policy_error(text)
    assert first(exc).line == 8
    assert "nested" in first(exc).message


def test_deeply_nested_conjunctions():
    text = HEAD + "article 1\n  require " + "(s.a and " * 10_000 + "s.b" + ")" * 10_000 + "\n"
    exc = policy_error(text)
    assert first(exc).line == 8
    assert "nested" in first(exc).message


def test_deeply_nested_chinese_disjunctions():
    text = HEAD.replace("policy", "办法") + "第一条\n  须 " + "(s.a 或 " * 5_000 + "s.b" + ")" * 5_000 + "\n"
    exc = policy_error(text)
    assert first(exc).line == 8
    assert "nested" in first(exc).message


@pytest.mark.parametrize("where", ["article 1\n  require ", "article 1\n  (1)\n    1.\n      require "])
def test_nesting_below_the_stated_limit_loads(where):
    # The error says "nested more than 100 levels deep"; 99 levels must therefore load, wherever the rule stands.
    expression = "not " * 99 + "s.a and s.b"
    policy = load(HEAD + where + expression + "\n")
    # `not` binds tighter than `and`: (not^99 s.a) and s.b; an odd number of nots flips false to true.
    assert policy.evaluate({"as_of": "2024-01-01", "s": {"a": False, "b": True}}).eligibility.result == "eligible"
    assert policy.evaluate({"as_of": "2024-01-01", "s": {"a": True, "b": True}}).eligibility.result == "ineligible"


def test_long_flat_conjunction_is_fine():
    facts = "".join(f"  f{i}: bool\n" for i in range(2000))
    text = 'policy p\n  title "t"\nfacts s {\n' + facts + "}\narticle 1\n  require " + \
        " and ".join(f"s.f{i}" for i in range(2000)) + "\n"
    policy = load(text)
    case = {"as_of": "2024-01-01", "s": {f"f{i}": True for i in range(2000)}}
    assert policy.evaluate(case).eligibility.result == "eligible"


# ---------------------------------------------------------------------------------------------------------
# Size of a valid policy; numbers
def _generated(articles: int) -> str:
    facts = "".join(f"  f{i}: bool\n" for i in range(1, articles + 1))
    body = "".join(f'article {i} "第{i}条"\n  require s.f{i}\n' for i in range(1, articles + 1))
    return 'policy big\n  title "生成"\nfacts s {\n' + facts + "}\n" + body


def test_five_thousand_article_policy_loads():
    start = time.perf_counter()
    policy = load(_generated(5000))
    assert time.perf_counter() - start < 30
    assert len(policy.articles) == 5000
    assert policy.warnings == ()
    decision = policy.evaluate({"as_of": "2024-01-01", "s": {f"f{i}": True for i in range(1, 5001)}})
    assert decision.eligibility.result == "eligible"
    decision = policy.evaluate({"as_of": "2024-01-01", "s": {"f4321": False}})
    assert decision.eligibility.result == "ineligible"
    assert [c.article for c in decision.eligibility.unmet] == [4321]


def test_nine_hundred_ninety_nine_article_policy_loads():
    policy = load(_generated(999))
    assert policy.articles[-1].cite == "第九百九十九条"


@pytest.mark.parametrize("body", [
    "article 1000\n  require s.a and s.b\n",
    "article 1\n  (1000)\n    require s.a and s.b\n",
    "article 1\n  text only\n  paragraph 1000\n    require s.a and s.b\n",
])
def test_numbers_past_999_never_escape_as_value_error(body):
    # Either loads (with numbering warnings) or is a positioned PolicyError; never a bare ValueError.
    try:
        load(HEAD + body)
    except PolicyError as exc:
        assert_positioned(exc, SOURCE)


def test_check_paths_never_raises_for_numbers_past_999(tmp_path):
    path = tmp_path / "big.rules"
    path.write_text(HEAD + "article 1000\n  require s.a and s.b\n", encoding="utf-8")
    for d in sr.check_paths([path]):
        assert d.source == str(path)


def test_absurd_term_never_escapes_at_evaluation():
    # A term of 10,000 years is either refused when checked or decided; never a bare ValueError.
    text = HEAD.replace("  b: bool\n", "  b: bool\n  d: date\n") + \
        "article 1\n  require s.a and s.b\n  term 10000 years from s.d\n  automatic when expired\n"
    try:
        policy = load(text)
    except PolicyError as exc:
        assert_positioned(exc, SOURCE)
        return
    try:
        policy.evaluate({"as_of": "2024-01-01", "s": {"d": "2020-01-01"}})
    except sr.RulesError:
        pass


def test_huge_integers_are_fine():
    text = HEAD + "article 1\n  require s.a and s.b and 99999999999999999999999999 > 1\n"
    try:
        load(text)
    except PolicyError as exc:
        assert_positioned(exc, SOURCE)


# ---------------------------------------------------------------------------------------------------------
# Hypothesis
REAL = {city: (POLICIES / f"{city}.rules").read_text(encoding="utf-8") for city in ("guangxi", "wuhan")}


def survives(text: str) -> None:
    """Load ``text``; a failure must be a positioned PolicyError."""
    try:
        sr.parse_policy(text, "fuzz.rules", base_dir=POLICIES)
    except PolicyError as exc:
        assert exc.diagnostics
        rendered = str(exc)
        for d in exc.diagnostics:
            assert d.line >= 1 and d.column >= 1
            assert f"{d.source}:{d.line}:{d.column}:" in rendered


FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(st.text())
def test_random_text(text):
    survives(text)


@st.composite
def mutated_policy(draw) -> str:
    text = REAL[draw(st.sampled_from(sorted(REAL)))]
    for _ in range(draw(st.integers(1, 3))):
        lines = text.splitlines(keepends=True)
        op = draw(st.sampled_from(["delete line", "duplicate line", "swap lines", "delete span", "duplicate span",
                                   "move span", "insert text"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        j = draw(st.integers(0, max(len(lines) - 1, 0)))
        a = draw(st.integers(0, len(text)))
        b = min(len(text), a + draw(st.integers(0, 40)))
        c = draw(st.integers(0, len(text)))
        if op == "delete line" and lines:
            del lines[i]
            text = "".join(lines)
        elif op == "duplicate line" and lines:
            lines.insert(j, lines[i])
            text = "".join(lines)
        elif op == "swap lines" and lines:
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif op == "delete span":
            text = text[:a] + text[b:]
        elif op == "duplicate span":
            text = text[:c] + text[a:b] + text[c:]
        elif op == "move span":
            piece, rest = text[a:b], text[:a] + text[b:]
            c = min(c, len(rest))
            text = rest[:c] + piece + rest[c:]
        elif op == "insert text":
            text = text[:c] + draw(st.text(alphabet="()（）{}\"「」#.:,=<>第一二十条项款 \nandornot且或非当须12", max_size=8)) \
                + text[c:]
    return text


@FUZZ
@given(mutated_policy())
def test_mutated_real_policies(text):
    survives(text)


def test_real_policies_survive_unmutated():
    for text in REAL.values():
        survives(text)
        sr.parse_policy(text, "real.rules", base_dir=POLICIES)


def test_import_of_an_impossible_path_is_a_positioned_error():
    # Found by scripts/fuzz_frontend.py: a provision's text pasted into an import.
    text = 'policy p\n  title "t"\nimport "' + "为建立健全医疗保障工作社会监督机制" * 20 + '"\n'
    with pytest.raises(sr.PolicyError) as info:
        sr.parse_policy(text, "t.rules")
    first = info.value.diagnostics[0]
    assert (first.line, first.column) == (3, 1)
    assert "cannot import" in first.message
