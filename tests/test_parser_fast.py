"""The parser's own LALR loop (``parser._FastParser``) builds exactly what Lark's loop builds.

It drives Lark's tables, lexers and callbacks itself, so every node, span and token must come out the
same, and every text Lark refuses must be refused with Lark's own error (the fast loop gives up and Lark
parses again). Spans take no part in node equality, so the comparison here walks every field.
"""

from __future__ import annotations

import sys
from pathlib import Path

import attrs
import lark
import pytest
from lark import Token

from supervisor_rules.errors import PolicySyntaxError
from supervisor_rules.lang import parser

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted(p for folder in ("policies", "examples", "tests") for p in (ROOT / folder).rglob("*.rules"))

sys.path.insert(0, str(ROOT / "benchmarks"))
import bigpolicy  # noqa: E402


def _deep(x):
    """Every field of every node, spans and token positions included."""
    if attrs.has(type(x)):
        return (type(x).__name__, tuple(_deep(getattr(x, f.name)) for f in attrs.fields(type(x))))
    if isinstance(x, Token):
        return ("Token", x.type, str(x), x.line, x.column, x.end_line, x.end_column, x.start_pos, x.end_pos)
    if isinstance(x, (tuple, list)):
        return (type(x).__name__, tuple(_deep(i) for i in x))
    if isinstance(x, dict):
        return ("dict", tuple((_deep(k), _deep(v)) for k, v in x.items()))
    return (type(x).__name__, x)


def _both(text: str, source: str = "t.rules"):
    """(fast loop's outcome, Lark loop's outcome): a module, or the syntax error raised (Lark's as
    its type and text)."""
    out = []
    for fast_loop in (True, False):
        try:
            out.append(parser._parse(text, text.splitlines(), source, fast_loop=fast_loop))
        except PolicySyntaxError as exc:
            out.append(exc)
        except lark.exceptions.UnexpectedInput as exc:  # parse_module words these; here they come raw
            out.append(PolicySyntaxError(source, exc.line, exc.column, "", (), f"{type(exc).__name__}: {exc}"))
    return out


def test_the_fast_loop_is_in_use():
    assert parser._fast_parser() is not None


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_rule_file_parses_to_the_same_nodes_and_spans(path):
    """The gallery holds broken files too: those fail with the same diagnostics."""
    fast, slow = _both(path.read_text(encoding="utf-8", errors="replace"), str(path))
    if isinstance(slow, PolicySyntaxError):
        assert isinstance(fast, PolicySyntaxError), fast
        assert fast.diagnostics == slow.diagnostics
    else:
        assert _deep(fast) == _deep(slow)


def test_most_rule_files_parse():
    parsed = [path for path in RULE_FILES
              if not isinstance(_both(path.read_text(encoding="utf-8", errors="replace"), str(path))[0], PolicySyntaxError)]
    assert len(parsed) >= len(RULE_FILES) // 2


def test_a_generated_policy_parses_to_the_same_nodes_and_spans():
    fast, slow = _both(bigpolicy.policy_text(300))
    assert len(fast.articles) == 300
    assert _deep(fast) == _deep(slow)


def test_an_empty_text_and_white_space_alone_parse_alike():
    for text in ("", "   \n\t\n", "# only a comment\n", "policy p"):
        fast, slow = _both(text)
        assert not isinstance(fast, Exception), fast
        assert _deep(fast) == _deep(slow)


BROKEN = [
    'policy p\n第一条 "x"\n  require person.age >= \n',  # a token missing at the end
    'policy p\n第一条 "x"\n  require person.age >= 18 18\n',  # an unexpected token
    'policy p\n第一条 "x"\n  require person.age ≥ 18\n',  # a character no terminal takes
    'policy p\n第一条 "x"\n  require person.age >= 18（\n',  # a full-width character
    'policy p\n第一条 "unterminated\n',  # an unterminated string
    'policy p\nfacts when "x" { a: bool "a" }\n',  # a keyword where a name stands
    'policy p\nfacts s "x" { a: bool = maybe "a" }\n',  # a default no default is (the builder's error)
    'policy p\n第一条 "x"\n  require ' + "(" * 120 + "person.a" + ")" * 120 + "\n",  # nesting too deep
    'policy p\n第一条 "x"\n  require person.a\n第二条 "y"\n  require and\n第三条 "z"\n  require or\n',  # several
]


@pytest.mark.parametrize("text", BROKEN)
def test_syntax_errors_are_larks_own(text):
    fast, slow = _both(text)
    assert isinstance(fast, PolicySyntaxError), fast
    assert fast.diagnostics == slow.diagnostics
    assert str(fast) == str(slow)


def test_parse_module_reports_what_lark_reports():
    with pytest.raises(PolicySyntaxError) as caught:
        parser.parse_module(BROKEN[1], "t.rules")
    assert (caught.value.line, caught.value.column) == (3, 28)


def test_a_lark_laid_out_otherwise_falls_back_to_larks_loop(monkeypatch):
    """Where Lark's internals are not what the fast loop reads, parsing still works, through Lark."""
    text = bigpolicy.policy_text(20)
    expected = _deep(parser.parse_module(text, "t.rules"))

    def refuse(self, state):
        raise parser._Unsupported

    monkeypatch.setattr(parser._FastParser, "_scanner", refuse)
    monkeypatch.setattr(parser, "_LARK_ONLY", False)
    parser._fast_parser.cache_clear()
    try:
        assert _deep(parser.parse_module(text, "t.rules")) == expected
        assert parser._fast_parser() is None  # and it is not tried again
    finally:
        monkeypatch.undo()
        parser._fast_parser.cache_clear()
    assert parser._fast_parser() is not None


def test_a_grammar_built_afresh_parses_alike(monkeypatch):
    """Without the grammar cache Lark builds its tables itself (rule names are Tokens then, not strs)."""
    monkeypatch.setenv("SUPERVISOR_RULES_NO_CACHE", "1")
    parser._module_parser.cache_clear()
    parser._fast_parser.cache_clear()
    try:
        assert parser._fast_parser() is not None
        fast, slow = _both(bigpolicy.policy_text(50))
        assert len(fast.articles) == 50
        assert _deep(fast) == _deep(slow)
    finally:
        monkeypatch.undo()
        parser._module_parser.cache_clear()
        parser._fast_parser.cache_clear()
