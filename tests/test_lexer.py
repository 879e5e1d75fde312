"""The Pygments lexer for rule files (the ``highlight`` extra)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

import pygments  # the `test` extra installs it
from pygments.token import Comment, Error, Keyword, Literal, Name, Operator, String  # noqa: E402

from supervisor_rules.lang import keywords, parser  # noqa: E402
from supervisor_rules.tools.pygments_lexer import SupervisorRulesLexer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted((ROOT / "policies").glob("*.rules"))


def tokens(text: str) -> list[tuple[object, str]]:
    return [(kind, value) for kind, value in SupervisorRulesLexer().get_tokens(text) if value.strip()]


def kind_of(text: str, word: str):
    return next(kind for kind, value in tokens(text) if value == word)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_shipped_policies_lex_without_errors_and_losslessly(path):
    text = path.read_text(encoding="utf-8")
    lexed = list(SupervisorRulesLexer().get_tokens(text))
    assert "".join(value for _, value in lexed) == text
    assert [value for kind, value in lexed if kind in Error] == []


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_every_keyword_the_parser_sees_is_a_keyword_or_label(path):
    text = path.read_text(encoding="utf-8")
    interactive = parser.tree_parser().parse_interactive(text)
    words = set(keywords.terminals()) | {"CHAPTER", "ARTICLE", "PARAGRAPH", "ITEM", "SUB"}
    expected = [str(t) for t in interactive.iter_parse() if t.type in words]
    highlighted = [value for kind, value in SupervisorRulesLexer().get_tokens(text)
                   if kind in Keyword or kind in Operator.Word or kind in Name.Label]
    assert highlighted == expected


@pytest.mark.parametrize("english, chinese", [("require", "须"), ("when", "当"), ("text only", "仅文本"),
                                              ("dismissal recorded", "解聘记录")])
def test_rule_keywords_in_both_languages(english, chinese):
    assert kind_of(f"article 1\n  {english} x.y\n", english) in Keyword
    assert kind_of(f"第一条\n  {chinese} x.y\n", chinese) in Keyword


def test_kinds_of_keywords():
    text = '办法 p\n事实 s { a: 布尔 = 假 }\n第一条\n  须 s.a 且 s.b 包含任一 {x} 或 非 s.c 非空\n'
    assert kind_of(text, "办法") is Keyword.Declaration
    assert kind_of(text, "事实") is Keyword.Declaration
    assert kind_of(text, "布尔") is Keyword.Type
    assert kind_of(text, "假") is Keyword.Constant
    assert kind_of(text, "第一条") is Name.Label
    for word in ("且", "包含任一", "或", "非", "非空"):
        assert kind_of(text, word) is Operator.Word, word


# What each category of the keyword table is shown as.
CATEGORY_KINDS = {keywords.DECLARATION: Keyword.Declaration, keywords.IMPORT: Keyword.Namespace,
                  keywords.TYPE: Keyword.Type, keywords.LITERAL: Keyword.Constant, keywords.VALUE: Keyword.Constant,
                  keywords.UNIT: Keyword.Constant, keywords.OPERAND: Keyword.Constant, keywords.OPERATOR: Operator.Word}


@pytest.mark.parametrize("spelling", keywords.spellings())
def test_every_spelling_in_the_keyword_table_is_one_token_of_its_category(spelling):
    kind = CATEGORY_KINDS.get(keywords.lookup(spelling).category, Keyword)
    for written in (spelling, spelling.replace(" ", " \t ")):
        assert tokens(f"{written} x") == [(kind, written), (Name, "x")]


def test_longer_keywords_win_and_prefixes_are_names():
    text = "article 1\n  require x.a not in {b} and notice_me.c is not empty\n"
    assert kind_of(text, "not in") is Operator.Word
    assert kind_of(text, "is not empty") is Operator.Word
    assert kind_of(text, "notice_me") is Name


def test_a_keyword_after_a_dot_is_an_attribute():
    assert kind_of("article 1\n  require decision.status = dismissed\n", "status") is Name.Attribute


def test_strings_comments_dates_and_markers():
    text = '第一条 "引用 \\" 须" 「当」 # 须 comment\n  （一）"x"\n    1、"y"\n      须 a.b <= 2020-02-29\n'
    kinds = dict((value, kind) for kind, value in tokens(text))
    assert kinds["# 须 comment"] is Comment.Single
    assert kinds["「当」"] in String
    assert kinds["（一）"] is Name.Label and kinds["1、"] is Name.Label
    assert kinds["2020-02-29"] is Literal.Date
    assert all(kind in String for kind, value in tokens('"引用 \\" 须"'))


@pytest.mark.parametrize("ref", [
    "第九条第二款", "第十二条第二款第（一）项", "第八条第（一）项第3目", "第十条第（一）项至第（三）项",
    "article 9 paragraph 2", "article 12 paragraph 2 (1)", "article 8(1).3", "article 10(1)-(3)",
])
def test_a_reference_to_any_provision_is_one_label(ref):
    assert tokens(f"article 1\n  mandatory when violates {ref} or x.y\n")[4:6] == [(Name.Label, ref), (Operator.Word, "or")]


def test_registered_as_a_pygments_entry_point():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    entry = project["entry-points"]["pygments.lexers"]["supervisor-rules"]
    assert entry == "supervisor_rules.tools.pygments_lexer:SupervisorRulesLexer"
    assert any(r.startswith("pygments") for r in project["optional-dependencies"]["highlight"])


def test_found_by_name_and_file_name_when_installed():
    from importlib.metadata import entry_points

    # The README's test command installs the package (pip install -e), which registers the entry point.
    assert any(e.value.startswith("supervisor_rules.") for e in entry_points(group="pygments.lexers")), \
        "install the package (pip install -e '.[test]') so Pygments finds the lexer"
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

    assert isinstance(get_lexer_by_name("supervisor-rules"), SupervisorRulesLexer)
    assert isinstance(get_lexer_for_filename("wuhan.rules"), SupervisorRulesLexer)


def test_highlights_to_html_and_terminal():
    from pygments import highlight
    from pygments.formatters import HtmlFormatter, TerminalFormatter

    text = (ROOT / "policies" / "wuhan.rules").read_text(encoding="utf-8")
    html = highlight(text, SupervisorRulesLexer(), HtmlFormatter())
    assert '<span class="k">须</span>' in html
    assert "\x1b[" in highlight(text, SupervisorRulesLexer(), TerminalFormatter())


def test_no_policy_content_in_the_lexer():
    source = (ROOT / "src" / "supervisor_rules" / "tools" / "pygments_lexer.py").read_text(encoding="utf-8")
    assert "武汉" not in source and "广西" not in source
    assert sys.modules["supervisor_rules.tools.pygments_lexer"] is not None
