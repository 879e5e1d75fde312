"""The keyword table (``lang/keywords.py``): the generated blocks, the table's shape, and reservation.

The grammar's keyword terminals and the keyword table of docs/language.md are generated from
the table; if either is out of date, run ``python -m supervisor_rules.lang.keywords --write``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.errors import PolicySyntaxError
from supervisor_rules.lang import keywords as kw
from supervisor_rules.lang import parser
from supervisor_rules.lang.checker import DECISION_HEADS, check
from supervisor_rules.resources import grammar_path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "language.md"
REGENERATE = "run `python -m supervisor_rules.lang.keywords --write`"


# ------------------------------------------------------------------ generated blocks
def test_the_grammar_block_is_generated_from_the_table():
    text = grammar_path().read_text(encoding="utf-8")
    assert text.count(kw.GRAMMAR_BEGIN) == 1 and text.count(kw.GRAMMAR_END) == 1
    assert kw.replace_block(text, kw.grammar_block(), kw.GRAMMAR_BEGIN, kw.GRAMMAR_END) == text, \
        f"grammars/policy.lark's keyword block is out of date: {REGENERATE}"


def test_the_docs_table_is_generated_from_the_table():
    text = DOCS.read_text(encoding="utf-8")
    assert text.count(kw.DOCS_BEGIN) == 1 and text.count(kw.DOCS_END) == 1
    assert kw.replace_block(text, kw.docs_table(), kw.DOCS_BEGIN, kw.DOCS_END) == text, \
        f"docs/language.md's keyword table is out of date: {REGENERATE}"


def test_the_command_finds_the_blocks_current_and_a_stale_block_is_replaced():
    assert kw.main(["--check"]) == 0
    stale = "a\n" + kw.GRAMMAR_BEGIN + "\nOLD.2: /old/\n" + kw.GRAMMAR_END + "\nb\n"
    assert kw.replace_block(stale, kw.grammar_block(), kw.GRAMMAR_BEGIN, kw.GRAMMAR_END) == \
        "a\n" + kw.grammar_block() + "b\n"
    with pytest.raises(ValueError, match="no `"):
        kw.replace_block("no block here\n", "x\n", kw.GRAMMAR_BEGIN, kw.GRAMMAR_END)


def test_the_grammars_keyword_terminals_are_the_tables():
    terminals = {t.name: t for t in parser.terminals()}
    in_grammar = {name for name, t in terminals.items() if t.priority == kw.PRIORITY}
    assert in_grammar == set(kw.terminals())
    for spelling in kw.spellings():
        entry = kw.lookup(spelling)
        regex = terminals[entry.terminal].pattern.to_regexp()
        assert re.fullmatch(regex, spelling), (entry.terminal, spelling)
        assert re.fullmatch(regex, spelling.replace(" ", " \t ")), (entry.terminal, spelling)
        assert not re.match(regex, spelling + "x"), "a keyword never matches the start of a longer word"


# ------------------------------------------------------------------ the table
def test_the_table_is_well_formed():
    assert len(kw.KEYWORDS) >= 70
    for entry in kw.KEYWORDS:
        assert entry.category in kw.CATEGORIES, entry
        assert entry.en or entry.zh, entry
        # Only an optional word may lack a language (the formatter drops it there).
        assert (entry.en and entry.zh) or entry.category == kw.MODIFIER, entry
        for spelling in entry.en:
            assert spelling.isascii() and all(re.fullmatch(r"[A-Za-z_]+", w) for w in spelling.split(" ")), spelling
        for spelling in entry.zh:
            assert re.fullmatch(r"[\u4e00-\u9fff]+", spelling), spelling
    for terminal in kw.terminals():
        rows = kw.by_terminal(terminal)
        assert len({row.category for row in rows}) == 1, terminal
        assert len({row.value for row in rows}) == len(rows), f"{terminal}: each row is one value"


def test_every_spelling_belongs_to_one_keyword():
    seen = [s for entry in kw.KEYWORDS for s in entry.spellings()]
    assert len(seen) == len(set(seen)) == len(kw.spellings())


def test_spellings_are_in_grammar_order_english_first_longest_first():
    assert kw.spellings("REQUIRE") == ("requires", "require", "须")
    assert kw.spellings("AND") == ("and", "并且", "且")
    assert kw.spellings("EFFECT") == ("discretionary", "automatic", "mandatory", "自然解聘", "应当解聘", "可以解聘")
    with pytest.raises(KeyError):
        kw.spellings("NAME")


@pytest.mark.parametrize("spelling, value", [
    ("个工作日", "working_days"), ("working  days", "working_days"), ("calendar day", "days"), ("天", "days"),
    ("year", "years"), ("个月", "months"), ("必须", "required"), ("部门", "department"), ("可以解聘", "discretionary"),
    ("on \t issuance", "on_issuance"), ("试行", "trial"), ("final", "final"), ("当", "when"),
])
def test_value_of(spelling, value):
    assert kw.value_of(spelling) == value


def test_translations_use_the_first_spelling_of_each_language():
    assert kw.english_of("当") == "when" and kw.chinese_of("when") == "当"
    assert kw.english_of("年") == "years" and kw.chinese_of("working days") == "个工作日"
    assert kw.english_of("须") == "require" and kw.chinese_of("and") == "且"
    assert kw.english_of("并且") == "and" and kw.chinese_of("或者") == "或"
    assert kw.english_of("决定") is None  # an optional word with no English spelling
    assert kw.language_of("is  not empty") == kw.EN and kw.language_of("非空") == kw.ZH
    assert kw.lookup("note") is None
    with pytest.raises(KeyError):
        kw.value_of("note")


def test_the_parser_reserves_exactly_the_tables_one_word_spellings():
    assert set(parser.keywords()) == kw.reserved_words()
    assert {"years", "year", "months", "month", "年", "个月", "cites", "requires", "决定"} <= kw.reserved_words()
    assert "text only" not in kw.reserved_words() and "on" not in kw.reserved_words()


# ------------------------------------------------------------------ reservation, over the whole table
# Every place a name is declared, with {w} where the name goes; the name is at the first {w}.
DECLARATIONS = [
    "policy {w}\n",
    "policy p\nfacts {w} {{\n  a: bool\n}}\n",
    "policy p\nfacts s {{\n  {w}: bool\n}}\n",
    "policy p\nenum {w} {{ a }}\n",
    "policy p\nenum e {{ a, {w} }}\n",
    "policy p\nrecord {w} {{\n  a: bool\n}}\n",
    "policy p\narticle 1\n  duty {w} when s.a\n",
    "policy p\narticle 1\n  text only\ninvariant {w} cites article 1 then s.a\n",
]


def _at(template: str) -> tuple[int, int]:
    """Line and column of the name in ``template`` (nothing before it depends on the name)."""
    marked = template.format(w="\x00")
    index = marked.index("\x00")
    return marked.count("\n", 0, index) + 1, index - (marked.rfind("\n", 0, index) + 1) + 1


@pytest.mark.parametrize("word", sorted(kw.reserved_words()))
def test_every_keyword_spelling_is_refused_as_a_name_in_both_languages(word):
    for template in DECLARATIONS:
        text = template.format(w=word)
        with pytest.raises(PolicySyntaxError) as exc:
            parser.parse_module(text, "t.rules")
        first = exc.value.diagnostics[0]
        assert first.message == f"`{word}` is a keyword and cannot be used as a name", text
        assert (first.line, first.column) == _at(template), text
    # Nor can a path start with it (where the keyword itself cannot stand, this is the same error) —
    # but for `结论`, which also heads the decision in invariants (`结论.状态`): the checker refuses that
    # in a rule.
    text = f"policy p\narticle 1\n  require {word}.x\n"
    if word in DECISION_HEADS:
        checked = check(parser.parse_module(text, "t.rules"), [], {})
        assert any("reads the decision" in d.message for d in checked.errors)
    else:
        with pytest.raises(PolicySyntaxError):
            parser.parse_module(text, "t.rules")


def _words_of_multi_word_spellings() -> list[str]:
    words = {w for s in kw.spellings() for w in s.split(" ") if " " in s}
    return sorted(words - kw.reserved_words())


@pytest.mark.parametrize("word", _words_of_multi_word_spellings())
def test_the_words_of_a_multi_word_keyword_are_fine_names(word):
    text = (f"policy p\n  title \"t\"\nfacts {word} {{\n  {word}: bool\n}}\nenum e {{ {word} }}\n"
            f"article 1\n  require {word}.{word}\n")
    module = parser.parse_module(text, "t.rules")
    assert module.facts[0].section == word and module.facts[0].fields[0].name == word
    assert module.enums[0].values[0].name == word
    policy = sr.parse_policy(text, "t.rules")
    assert policy.evaluate({"as_of": "2024-01-01", word: {word: True}}).eligibility.result == "eligible"
