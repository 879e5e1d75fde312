"""``supervisor-rules fmt``: the canonical layout, its properties and the command.

Properties, over both shipped policies and over rule files generated with
Hypothesis (random keyword language per token, random white space and
comments, long conditions and sets):

- formatting never changes the AST (spans aside), in either keyword language;
- formatting is idempotent;
- comments and provision text survive, in order;
- with ``lang``, every keyword and structural marker is in that language.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supervisor_rules.tools import formatter
from supervisor_rules.lang import keywords, parser
from supervisor_rules.errors import PolicySyntaxError, display_width
from supervisor_rules.lang.numerals import to_chinese

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted((ROOT / "policies").glob("*.rules"))
LANGS = [None, "zh", "en"]

# FMT_EXAMPLES=2000 searches further (the default keeps the suite quick).
GENERATED = settings(max_examples=int(os.environ.get("FMT_EXAMPLES", "100")), derandomize=True, deadline=None,
                     database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def fmt(text: str, lang: str | None = None) -> str:
    return formatter.format_text(text, lang=lang, source="t.rules")


def ast(text: str):
    return parser.parse_module(text, "t.rules")


def lexed(text: str):
    """(tokens, comments) as the real parser reads them (independently of the formatter)."""
    interactive = parser.tree_parser().parse_interactive(text.lstrip("\ufeff"))
    tokens = list(interactive.iter_parse())
    interactive.feed_eof()
    body, comments, end = text.lstrip("\ufeff"), [], 0
    for token in [*tokens, None]:
        gap = body[end:token.start_pos if token is not None else len(body)]
        comments += [c.rstrip() for c in re.findall(r"#[^\n]*", gap)]
        end = token.end_pos if token is not None else end
    return tokens, comments


def keyword_tokens(tokens):
    kinds = set(keywords.terminals()) | {"CHAPTER", "ARTICLE", "PARAGRAPH", "ITEM"}
    return [t for t in tokens if t.type in kinds]


# ------------------------------------------------------------------ shipped policies
@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_shipped_policies_are_in_canonical_layout(path):
    text = path.read_text(encoding="utf-8")
    assert fmt(text) == text, f"run `supervisor-rules fmt {path.relative_to(ROOT)}`"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_shipped_policies_keep_their_ast_and_format_idempotently(path, lang):
    text = path.read_text(encoding="utf-8")
    out = fmt(text, lang)
    assert ast(out) == ast(text)
    assert fmt(out, lang) == out
    back = fmt(fmt(out, "zh" if lang == "en" else "en"), lang)  # there and back
    assert ast(back) == ast(text) and fmt(back, lang) == back


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_lang_writes_every_keyword_in_that_language(path, lang):
    out = fmt(path.read_text(encoding="utf-8"), lang)
    tokens, _ = lexed(out)
    for token in keyword_tokens(tokens):
        assert str(token).isascii() == (lang == "en"), token


# ------------------------------------------------------------------ generated rule files
NAMES = ["alpha", "beta", "gamma", "on", "note", "人员", "诚信", "起始"]


def _written(spellings: tuple[str, ...]) -> list[str]:
    """The spellings, and each multi-word one also with odd white space between its words."""
    return [*spellings, *(s.replace(" ", " \t ") for s in spellings if " " in s)]


# Every keyword from the table (keyed by its first spelling); the values stand apart.
KW = {(entry.en or entry.zh)[0]: _written(entry.spellings()) for entry in keywords.KEYWORDS
      if len(keywords.by_terminal(entry.terminal)) == 1}
EFFECTS, KINDS, ACTORS, UNITS = ([_written(row.spellings()) for row in keywords.by_terminal(t)]
                                 for t in ("EFFECT", "RECUSAL_KIND", "ACTOR", "UNIT"))
SEPARATORS = [" ", " ", " ", "  ", "\t", "\n", "\n    ", "\n\n", "\u3000", "  # 注释 comment\n", "\n# own line\n  "]
TEXT_CHARS = "社会监督员应当诚信守法。、；：（）abc #\"\\「"


def kw(draw, word: str) -> str:
    return draw(st.sampled_from(KW[word]))


@st.composite
def strings(draw) -> str:
    body = draw(st.text(alphabet=TEXT_CHARS, min_size=0, max_size=draw(st.sampled_from([8, 40, 90]))))
    if draw(st.booleans()) and "」" not in body and "\n" not in body:
        return "「" + body.replace("「", "") + "」"
    return '"' + body.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def texts(draw) -> list[str]:
    return [draw(strings()) for _ in range(draw(st.integers(1, 3)))]


def path(draw) -> list[str]:
    return [draw(st.sampled_from(NAMES)), ".", draw(st.sampled_from(NAMES))]


def value_set(draw) -> list[str]:
    values = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=14))
    out = ["{"]
    for i, v in enumerate(values):
        out += ([","] if i else []) + [v]
    if draw(st.booleans()):
        out.append(",")
    return out + ["}"]


def article_ref(draw) -> list[str]:
    """Any provision (lang/refs.py): an article, a paragraph, an item of any paragraph, a sub-item,
    or a range of items, in either language, with the white space an author might leave."""
    chinese = draw(st.booleans())
    out = []
    if draw(st.booleans()):
        n = draw(st.integers(1, 12))
        out.append(f"第{to_chinese(n)}章" if chinese else f"chapter {n}")
    n = draw(st.integers(1, 30))
    paragraph = draw(st.one_of(st.none(), st.integers(1, 4)))
    item = draw(st.one_of(st.none(), st.integers(1, 9)))
    tail = draw(st.sampled_from(["", "range", "sub"])) if item else ""
    last = item + draw(st.integers(1, 5)) if tail == "range" else None
    sub = draw(st.integers(1, 9)) if tail == "sub" else None
    if chinese:
        left, right = draw(st.sampled_from(["（）", "()"]))
        text = f"第{to_chinese(n)}条" + (f"第{to_chinese(paragraph)}款" if paragraph else "")
        text += f"第{left}{to_chinese(item)}{right}项" if item else ""
        text += draw(st.sampled_from(["至", " 至 "])) + f"第（{to_chinese(last)}）项" if last else ""
        text += f"第{draw(st.sampled_from([str(sub), to_chinese(sub)]))}目" if sub else ""
    else:
        text = f"article {n}" + (f" paragraph {paragraph}" if paragraph else "")
        text += (draw(st.sampled_from(["", " "])) + f"({item})") if item else ""
        text += draw(st.sampled_from(["-", " - "])) + f"({last})" if last else ""
        text += f".{sub}" if sub else ""
    out.append(text)
    return out


def operand(draw) -> list[str]:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return path(draw)
    if kind == 1:
        right = draw(st.sampled_from([[draw(st.sampled_from(NAMES))], ["2020-02-29"], ["3"], [draw(strings())],
                                      [kw(draw, "true")]]))
        return path(draw) + [draw(st.sampled_from(["=", "!=", "≠", "<", "<=", ">", ">="]))] + right
    if kind == 2:
        return path(draw) + [kw(draw, draw(st.sampled_from(["in", "not in", "has any of"])))] + value_set(draw)
    if kind == 3:
        return path(draw) + [kw(draw, "has"), draw(st.sampled_from(NAMES))]
    if kind == 4:
        return path(draw) + [kw(draw, draw(st.sampled_from(["is known", "is unknown", "is empty", "is not empty"])))]
    if kind == 5:
        return [kw(draw, draw(st.sampled_from(["expired", "dismissed"])))]
    if kind == 6:
        return [kw(draw, draw(st.sampled_from(["as_of", "last day", "dismissal day"]))), "<=", "2024-01-01"]
    if kind == 7:
        return [kw(draw, draw(st.sampled_from(["violates", "satisfies"])))] + article_ref(draw)
    if kind == 8:  # a deadline in an expression: `due(x.y after 3 months) <= 2024-01-01`
        return [kw(draw, "due"), "("] + path(draw) + [kw(draw, "after"), "3", unit(draw), ")", "<=", "2024-01-01"]
    if kind == 9:  # which term a date falls in
        return [kw(draw, "term number"), "("] + path(draw) + [")", "=", "1"]
    return path(draw)


def expr(draw, depth: int = 0) -> list[str]:
    shape = draw(st.integers(0, 4 if depth < 2 else 0))
    if shape == 0:
        return operand(draw)
    if shape == 1:
        return [kw(draw, "not")] + expr(draw, depth + 1)
    if shape == 2:
        return ["("] + expr(draw, depth + 1) + [")"]
    joiner = "and" if shape == 3 else "or"
    out: list[str] = []
    for i in range(draw(st.integers(2, 7))):
        out += ([kw(draw, joiner)] if i else []) + expr(draw, depth + 1)
    return out


def unit(draw) -> str:
    return draw(st.sampled_from(draw(st.sampled_from(UNITS))))


def statement(draw) -> list[str]:
    kind = draw(st.integers(0, 16))
    when = lambda: [kw(draw, "when")] + expr(draw)  # noqa: E731
    if kind in (0, 1):
        head = [kw(draw, "require" if kind == 0 else "prefer")] + expr(draw)
        return head + (when() if draw(st.booleans()) else [])
    if kind == 2:
        return [kw(draw, "term"), "3", unit(draw), kw(draw, "from")] + path(draw)
    if kind == 3:
        return [kw(draw, "renewal"), "r", kw(draw, "of")] + path(draw) + [kw(draw, "dated"), "r", ".", "on",
                                                                         kw(draw, "require")] + expr(draw)
    if kind == 4:
        ground = [kw(draw, "ground")] if draw(st.booleans()) else []
        return ground + [draw(st.sampled_from(draw(st.sampled_from(EFFECTS))))] + when()
    if kind == 5:
        return [kw(draw, "dismissal recorded")] + path(draw)
    if kind == 6:
        decide = ["决定"] if draw(st.booleans()) else []
        return ([kw(draw, "recusal"), draw(st.sampled_from(draw(st.sampled_from(KINDS)))), kw(draw, "decided by"),
                 draw(st.sampled_from(draw(st.sampled_from(ACTORS))))] + decide + when())
    if kind == 7:
        values = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=12))
        out = [kw(draw, "prohibit")] + path(draw) + [draw(st.sampled_from([":", "："]))]
        for i, v in enumerate(values):
            out += ([","] if i else []) + [v]
        return out
    if kind == 8:
        out = [kw(draw, "duty"), draw(st.sampled_from(NAMES))]
        if draw(st.booleans()):  # its label: `duty CODE "label"` / `义务 CODE "标签"`
            out += draw(texts())
        if draw(st.booleans()):  # its bearer: `by department` / `由 部门`
            out += [kw(draw, "decided by"), draw(st.sampled_from(draw(st.sampled_from(ACTORS))))]
        if draw(st.booleans()):
            out += when()
        if draw(st.booleans()):
            base = draw(st.sampled_from([path(draw), [kw(draw, "last day")], [kw(draw, "dismissal day")],
                                         ["("] + path(draw) + [kw(draw, "after"), "3", unit(draw), ")"],
                                         [kw(draw, "due"), "("] + path(draw) + [kw(draw, "after"), "3", unit(draw),
                                                                                  ")"]]))
            count = draw(st.sampled_from([["7", unit(draw)], [kw(draw, "immediately")]]))
            if draw(st.booleans()):
                out += [kw(draw, "due")] + count + [kw(draw, "after")] + base
            else:
                out += [kw(draw, "due")] + base + [kw(draw, "after")] + count
        if draw(st.booleans()):
            out += [kw(draw, "done on")] + path(draw)
        if draw(st.booleans()):
            out += [kw(draw, "met when")] + expr(draw)
        if draw(st.booleans()):
            out += [kw(draw, "breached when")] + expr(draw)
        return out
    if kind in (9, 10):
        return [kw(draw, "report scope" if kind == 9 else "report category")] + when()
    if kind == 11:
        return [kw(draw, "reward")] + when() + [kw(draw, "under")] + draw(texts())
    if kind == 12:
        return [kw(draw, "notice")] + draw(texts()) + when()
    if kind in (13, 14):  # a conclusion: [equals X] [when C | for each r in LIST [where C]]
        out = [kw(draw, "conclusion"), draw(st.sampled_from(NAMES))] + draw(texts())
        if draw(st.booleans()):
            out += [kw(draw, "equals")] + draw(st.sampled_from([path(draw), [draw(st.sampled_from(NAMES))],
                                                               ["r", ".", "on"], [kw(draw, "as_of")]]))
        if kind == 13:
            return out + when()
        out += [kw(draw, "for each"), "r", kw(draw, draw(st.sampled_from(["in", "of"])))] + path(draw)
        return out + ([kw(draw, "where")] + expr(draw) if draw(st.booleans()) else [])
    if kind == 15:  # a further renewal condition, as one keyword or as `续聘 须`
        head = draw(st.sampled_from([[kw(draw, "renewal requires")], [kw(draw, "renewal"), kw(draw, "require")]]))
        return head + expr(draw)
    return [kw(draw, "text only")]


def statements(draw, at_most: int) -> list[str]:
    out: list[str] = []
    for _ in range(draw(st.integers(0, at_most))):
        out += statement(draw)
    return out


def marker(draw, kind: str, number: int) -> str:
    chinese = draw(st.booleans())
    if kind == "article":
        return f"第{to_chinese(number)}条" if chinese else f"article {number}"
    if kind == "chapter":
        return f"第{to_chinese(number)}章" if chinese else f"chapter {number}"
    if kind == "paragraph":
        return f"第{to_chinese(number)}款" if chinese else f"paragraph {number}"
    if kind == "item":
        return draw(st.sampled_from([f"（{to_chinese(number)}）", f"({number})",
                                     f"( {to_chinese(number)} )"]))
    return draw(st.sampled_from([f"{number}.", f"{number}．", f"{number}、"]))


def optional_text(draw) -> list[str]:
    return draw(texts()) if draw(st.booleans()) else []


def field_type(draw) -> list[str]:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return [kw(draw, "bool")] + (["=", kw(draw, draw(st.sampled_from(["true", "false"])))]
                                     if draw(st.booleans()) else [])
    if kind == 1:
        return [kw(draw, "date")]
    if kind == 2:
        return [kw(draw, "text")]
    if kind == 3:
        return [kw(draw, "list of"), draw(st.sampled_from(NAMES))] + (["=", "[", "]"] if draw(st.booleans()) else [])
    if kind == 4:
        return [kw(draw, "enum")] + enum_body(draw)
    return [draw(st.sampled_from(NAMES))]


def enum_body(draw) -> list[str]:
    out = ["{"]
    for i in range(draw(st.integers(1, 4))):
        out += ([","] if i else []) + [draw(st.sampled_from(NAMES))] + (draw(texts())[:1] if draw(st.booleans()) else [])
    if draw(st.booleans()):
        out.append(",")
    return out + ["}"]


@st.composite
def rule_files(draw) -> str:
    tokens: list[str] = []
    if draw(st.booleans()):
        tokens += [kw(draw, "policy"), draw(st.sampled_from(NAMES))]
        fields = draw(st.permutations(["title", "authority", "document", "effective", "status"]))
        for name in fields[: draw(st.integers(0, 5))]:
            if name == "effective":
                tokens += [kw(draw, "effective"), draw(st.sampled_from(["2020-01-01", kw(draw, "on issuance")]))]
            elif name == "status":
                tokens += [kw(draw, "status"), kw(draw, draw(st.sampled_from(["trial", "final"])))]
            else:
                tokens += [kw(draw, name)] + draw(texts())
    for _ in range(draw(st.integers(0, 2))):
        tokens += [kw(draw, "import"), '"common.rules"']
    for _ in range(draw(st.integers(0, 2))):
        tokens += [kw(draw, "enum"), draw(st.sampled_from(NAMES))] + optional_text(draw) + enum_body(draw)
    for _ in range(draw(st.integers(0, 2))):
        tokens += [kw(draw, draw(st.sampled_from(["facts", "record"]))), draw(st.sampled_from(NAMES))]
        tokens += optional_text(draw) + ["{"]
        for _ in range(draw(st.integers(0, 4))):
            tokens += [draw(st.sampled_from(NAMES)), draw(st.sampled_from([":", "："]))] + field_type(draw)
            tokens += draw(texts())[:1] if draw(st.booleans()) else []
        tokens += ["}"]
    chapter = 0
    for number in range(1, draw(st.integers(0, 4)) + 1):
        if draw(st.integers(0, 3)) == 0:
            chapter += 1
            tokens += [marker(draw, "chapter", chapter)] + optional_text(draw)
        tokens += [marker(draw, "article", number)] + optional_text(draw) + statements(draw, 3)
        for i in range(1, draw(st.integers(0, 3)) + 1):
            tokens += [marker(draw, "item", i)] + optional_text(draw) + statements(draw, 2)
            for j in range(1, draw(st.integers(0, 2)) + 1):
                tokens += [marker(draw, "sub", j)] + optional_text(draw) + statements(draw, 1)
        for p in range(2, draw(st.integers(1, 3)) + 1):
            tokens += [marker(draw, "paragraph", p)] + optional_text(draw) + statements(draw, 2)
            for i in range(1, draw(st.integers(0, 2)) + 1):
                tokens += [marker(draw, "item", i)] + optional_text(draw) + statements(draw, 1)
    out = [draw(st.sampled_from(["", "# 文件头 header\n", "\ufeff", "# a\n\n"]))]
    for i, token in enumerate(tokens):
        if i:
            glued = token == "." or tokens[i - 1] == "."
            separator = "" if glued else draw(st.sampled_from(SEPARATORS))
            if (token.startswith(("(", "paragraph", "-")) and tokens[i - 1].startswith("article")
                    and "\n" not in separator):
                separator = "\n"  # `article 3 (1)`, `article 3 paragraph 2` on one line are references
            out.append(separator)
        out.append(token)
    out.append(draw(st.sampled_from(["", "\n", "\n# trailing\n", "  # end\n", "\r\n"])))
    return "".join(out)


@pytest.mark.slow
@GENERATED
@given(rule_files())
def test_generated_files_keep_their_ast_and_format_idempotently(text):
    before = ast(text)
    out = fmt(text)
    assert ast(out) == before
    assert fmt(out) == out


@pytest.mark.slow
@GENERATED
@given(rule_files(), st.sampled_from(["zh", "en"]))
def test_generated_files_in_either_language(text, lang):
    out = fmt(text, lang)
    assert ast(out) == ast(text)
    assert fmt(out, lang) == out
    tokens, _ = lexed(out)
    for token in keyword_tokens(tokens):
        assert str(token).isascii() == (lang == "en"), token
    for token in tokens:
        if token.type in ("ARTICLE", "CHAPTER", "PARAGRAPH", "ITEM"):
            assert str(token).isascii() == (lang == "en"), token


@pytest.mark.slow
@GENERATED
@given(rule_files(), st.sampled_from(LANGS))
def test_generated_files_keep_comments_and_provision_text(text, lang):
    out = fmt(text, lang)
    tokens_in, comments_in = lexed(text)
    tokens_out, comments_out = lexed(out)
    assert comments_out == comments_in
    strings = lambda tokens: [str(t) for t in tokens if t.type == "STRING"]  # noqa: E731
    assert strings(tokens_out) == strings(tokens_in)


@pytest.mark.slow
@GENERATED
@given(rule_files())
def test_generated_lines_are_at_most_100_columns_unless_unbreakable(text):
    for line in fmt(text).splitlines():
        if display_width(line) > formatter.WIDTH:
            code = line.split("#", 1)[0] if '"' not in line and "「" not in line else line
            assert '"' in line or "「" in line or display_width(code.rstrip()) <= formatter.WIDTH, line
        assert line == line.rstrip(), "no trailing white space"


# ------------------------------------------------------------------ the layout, case by case
def test_header_fields_go_on_their_own_lines():
    assert fmt('policy p title "t" status trial\n') == 'policy p\n  title "t"\n  status trial\n'


def test_blank_lines_between_top_level_blocks_but_not_between_imports():
    text = 'policy p\nimport "a.rules"\nimport "b.rules"\nfacts s {\n a: bool\n}\narticle 1\n text only\n'
    assert fmt(text) == ('policy p\n\nimport "a.rules"\nimport "b.rules"\n\nfacts s {\n  a: bool\n}\n\n'
                         'article 1\n  text only\n')


def test_declarations_one_field_or_value_per_line_and_enum_bodies_end_in_a_comma():
    text = 'enum c "颜色" { red "红", green }\nfacts s { k: enum { x, y } "k"  d: date = [] }\n'
    assert fmt(text) == ('enum c "颜色" {\n  red "红",\n  green,\n}\n\nfacts s {\n  k: enum {\n    x,\n    y,\n'
                         '  } "k"\n  d: date = []\n}\n')


def test_set_literals_lose_a_trailing_comma_and_stay_inline():
    assert fmt("article 1\n  require s.a in {x,y,}\n") == "article 1\n  require s.a in {x, y}\n"


def test_structure_is_indented_by_nesting():
    text = ('第一条 "a"\n须 s.a\n（一）"b"\n须 s.a\n1．"c"\n须 s.a\n第二款 "d"\n须 s.a\n（一）"e"\n须 s.a\n'
            '1、"f"\n须 s.a\n')
    assert fmt(text) == ('第一条 "a"\n  须 s.a\n  （一）"b"\n    须 s.a\n    1．"c"\n      须 s.a\n  第二款 "d"\n'
                         '    须 s.a\n    （一）"e"\n      须 s.a\n      1、"f"\n        须 s.a\n')


def test_adjacent_strings_one_per_line_aligned_under_the_first():
    out = fmt('第二条 "本办法" "所称监督员" 「是指……」\n  仅文本\n')
    assert out == '第二条 "本办法"\n       "所称监督员"\n       「是指……」\n  仅文本\n'


def test_full_width_markers_take_no_space_and_ascii_ones_do():
    assert fmt('第一条\n（一）   "x"\n 仅文本\n(2)"y"\n 仅文本\n') == ('第一条\n  （一）"x"\n    仅文本\n  (2) "y"\n'
                                                                '    仅文本\n')


def test_white_space_inside_keywords_and_markers_is_normalised():
    text = "article   3\n  (  1  )\n    require s.a has\tany  of {x} when s.b is  not\tempty\n"
    assert fmt(text) == "article 3\n  (1)\n    require s.a has any of {x} when s.b is not empty\n"


def test_a_long_condition_breaks_before_and_or_or_with_four_more_spaces():
    conjuncts = " and ".join(f"person.qualification_{i}" for i in range(6))
    out = fmt(f"article 1\n  require {conjuncts}\n")
    assert out == ("article 1\n  require person.qualification_0\n" +
                   "".join(f"      and person.qualification_{i}\n" for i in range(1, 6)))


def test_or_breaks_before_and():
    left = " and ".join(f"s.aaaaaaaaaa{i}" for i in range(3))
    right = " and ".join(f"s.bbbbbbbbbb{i}" for i in range(3))
    out = fmt(f"article 1\n  require {left} or {right}\n")
    assert out == f"article 1\n  require {left}\n      or {right}\n"


def test_a_clause_breaks_before_its_keyword_two_deeper():
    text = 'article 1\n  notice "' + "很长的提示" * 15 + '" when s.a\n'
    assert fmt(text) == 'article 1\n  notice "' + "很长的提示" * 15 + '"\n    when s.a\n'


def test_cjk_characters_count_two_columns():
    # 45 CJK characters are 90 columns: with the rule around them the line is over 100.
    cond = " 且 ".join(["人员.诚信"] * 9)
    assert display_width(f"  须 {cond}") > 100 and len(f"  须 {cond}") < 100
    out = fmt(f"第一条\n  须 {cond}\n")
    assert out.splitlines()[1] == "  须 人员.诚信"
    assert out.splitlines()[2] == "      且 人员.诚信"


def test_long_sets_fill_lines_after_commas():
    values = ", ".join(f"value_number_{i}" for i in range(12))
    out = fmt(f"article 1\n  report scope when s.a in {{{values}}}\n")
    lines = out.splitlines()
    assert len(lines) > 2 and all(display_width(line) <= 100 for line in lines)
    assert lines[2].startswith(" " * 10 + "value_number_")


def test_a_duty_with_several_clauses_puts_each_on_its_own_line():
    out = fmt("第一条\n  义务 d 当 s.a 期限 s.b 后 7 个工作日 完成日期 s.c\n  义务 e 当 s.a\n")
    assert out == "第一条\n  义务 d\n    当 s.a\n    期限 s.b 后 7 个工作日\n    完成日期 s.c\n  义务 e 当 s.a\n"


def test_a_duty_keeps_its_label_on_the_line_of_its_code():
    """The label stays right after the code (the bearer after it), in either language; the AST keeps it."""
    text = '第一条\n  义务 d "交回聘书"   由 部门 当 s.a 期限 s.b 后 7 个工作日 完成日期 s.c\n  义务 e 「出示证件」 当 s.a\n'
    out = fmt(text)
    assert out == ('第一条\n  义务 d "交回聘书" 由 部门\n    当 s.a\n    期限 s.b 后 7 个工作日\n    完成日期 s.c\n'
                   '  义务 e 「出示证件」 当 s.a\n')
    assert fmt(out, "en") == ('article 1\n  duty d "交回聘书" by department\n    when s.a\n'
                              '    due s.b after 7 working days\n    done on s.c\n  duty e 「出示证件」 when s.a\n')
    rules = ast(fmt(out, "en")).articles[0].rules
    assert [r.label for r in rules] == ["交回聘书", "出示证件"] and ast(out) == ast(text)
    assert fmt(fmt(out, "en"), "zh") == out


def test_parenthesised_groups_break_inside_after_the_outer_level():
    inner = " or ".join(f"s.condition_{i}" for i in range(6))
    out = fmt(f"article 1\n  require s.first and ({inner})\n")
    assert out.splitlines()[1:3] == ["  require s.first", "      and (s.condition_0"]
    assert out.splitlines()[3] == "          or s.condition_1"


def test_comments_stay_on_their_own_line_or_at_the_end_of_theirs():
    text = ("# file\n\n# detached\npolicy p  # the id\n# before facts\nfacts s {\n    # a field\n  a: bool # why\n"
            "  # last\n}\narticle 1\n  require s.a # trailing\n      # inside\n    and s.a\n# end\n")
    assert fmt(text) == ("# file\n\n# detached\npolicy p  # the id\n\n# before facts\nfacts s {\n  # a field\n"
                         "  a: bool  # why\n  # last\n}\n\narticle 1\n  require s.a  # trailing\n      # inside\n"
                         "      and s.a\n# end\n")


def test_blank_lines_inside_blocks_are_kept_but_at_most_one():
    text = "facts s {\n\n  a: bool\n\n\n\n  b: bool\n\n}\n"
    assert fmt(text) == "facts s {\n  a: bool\n\n  b: bool\n}\n"


def test_bom_crlf_tabs_and_ideographic_spaces():
    text = "\ufeffpolicy\tp\r\n\u3000title \"t\"\r\n"
    assert fmt(text) == 'policy p\n  title "t"\n'


def test_empty_and_comment_only_files():
    assert fmt("") == ""
    assert fmt("\n\n") == ""
    assert fmt("# only\n\n\n# comments\n") == "# only\n\n# comments\n"


def test_a_string_with_a_hash_is_not_a_comment():
    assert fmt('article 1 "a # b"\n  text only\n') == 'article 1 "a # b"\n  text only\n'


def test_a_keyword_after_a_dot_is_a_name_and_is_never_translated():
    # `status` is a keyword, but after a dot only a name can stand.
    text = "article 1\n  require decision.status = dismissed\n"
    ast(text)  # the grammar accepts it
    assert "decision.status = 已解聘" in fmt(text, "zh")


def test_invariants_are_top_level_blocks():
    text = ('article 1\n  text only\ninvariant x "说明" cites article 1 when s.a then decision.status = dismissed '
            'and decision.grounds has automatic and decision.grounds has mandatory\n')
    ast(text)  # the grammar accepts it
    out = fmt(text)
    assert out == ('article 1\n  text only\n\ninvariant x "说明"\n  cites article 1\n  when s.a\n'
                   '  then decision.status = dismissed\n      and decision.grounds has automatic\n'
                   '      and decision.grounds has mandatory\n')


# ------------------------------------------------------------------ --lang
def test_lang_en_translates_keywords_markers_units_and_effects():
    text = (
        "办法 p\n  施行 颁布之日\n  状态 试行\n\n第三章\n\n第十一条 \"x\"\n  聘期 1 年 自 a.b\n  （二）\n"
        "    可以解聘 当 违反 第三章 第十一条第（一）项 且 a.c 非空\n    回避 申请 由 部门 决定 当 a.d 已知\n"
        "    1．\n      义务 d 期限 a.b 后 7 个工作日\n  第二款\n    仅文本\n")
    assert fmt(text, "en") == (
        "policy p\n  effective on issuance\n  status trial\n\nchapter 3\n\narticle 11 \"x\"\n  term 1 year from a.b\n"
        "  (2)\n    discretionary when violates chapter 3 article 11(1) and a.c is not empty\n"
        "    recusal request decided by department when a.d is known\n"
        "    1．\n      duty d due a.b after 7 working days\n  paragraph 2\n    text only\n")


@pytest.mark.parametrize("zh, en", [
    ("第九条", "article 9"),
    ("第九条第二款", "article 9 paragraph 2"),
    ("第九条第一款", "article 9 paragraph 1"),
    ("第十二条第（一）项", "article 12(1)"),
    ("第十二条第二款第（一）项", "article 12 paragraph 2 (1)"),
    ("第八条第（一）项第3目", "article 8(1).3"),
    ("第十二条第二款第（一）项第3目", "article 12 paragraph 2 (1).3"),
    ("第十条第（一）项至第（三）项", "article 10(1)-(3)"),
    ("第十条第二款第（一）项至第（三）项", "article 10 paragraph 2 (1)-(3)"),
    ("第五章第十条第二款第（一）项", "chapter 5 article 10 paragraph 2 (1)"),
])
def test_lang_translates_every_reference_form_and_keeps_the_ast(zh, en):
    def file(ref: str) -> str:
        return f"article 1\n  mandatory when violates {ref}\ninvariant i cites {ref} then s.a\n"

    chinese = fmt(file(zh), "zh")
    english = fmt(file(en), "en")
    written = zh.replace("第五章第", "第五章 第")
    assert f"违反 {written}\n" in chinese and f"依据 {written} 则" in chinese
    assert f"violates {en}\n" in english and f"cites {en} then" in english
    assert fmt(file(zh), "en") == english and fmt(file(en), "zh") == chinese
    assert ast(chinese) == ast(english) == ast(file(zh)) == ast(file(en))


def test_white_space_inside_a_reference_is_normalised():
    text = "article 1\n  mandatory when violates article 10 paragraph\t2  (1) -  (3) or violates 第十条第（一）项 至 第（二）项\n"
    assert fmt(text) == ("article 1\n  mandatory when violates article 10 paragraph 2 (1)-(3) "
                         "or violates 第十条第（一）项至第（二）项\n")
    assert ast(fmt(text)) == ast(text)


def test_lang_translates_conclusions_there_and_back():
    text = ('article 3\n  conclusion probation "试用期" equals a.start when a.probation\n'
            '  conclusion clue_outcome "线索处理结果" equals c.outcome for each c in r.clues where c.verified\n')
    zh = fmt(text, "zh")
    # Several clauses: each on a continuation line, as a duty's.
    assert zh == ('第三条\n  结论 probation "试用期"\n    为 a.start\n    当 a.probation\n'
                  '  结论 clue_outcome "线索处理结果"\n    为 c.outcome\n    对每个 c 属于 r.clues 满足 c.verified\n')
    assert fmt(zh, "en") == fmt(text) and ast(zh) == ast(text)
    assert fmt('article 3\n  conclusion praised "表扬" when a.good\n', "zh") == '第三条\n  结论 praised "表扬" 当 a.good\n'


def test_lang_zh_prefers_the_short_spellings():
    text = "article 12\n  requires a.b and a.c or a.d\n  (3)\n    mandatory when a.e\n"
    assert fmt(text, "zh") == "第十二条\n  须 a.b 且 a.c 或 a.d\n  （三）\n    应当解聘 当 a.e\n"


def test_lang_keeps_the_authors_spelling_of_keywords_already_in_that_language():
    text = "第一条\n  须 a.b 并且 a.c 或者 a.d\n"
    assert fmt(text, "zh") == text


def test_lang_leaves_numbers_past_999_in_digits():
    text = "article 1200\n  text only\n"
    ast(text)  # the grammar accepts it
    assert fmt(text, "zh") == "article 1200\n  仅文本\n"


def test_lang_must_be_zh_or_en():
    with pytest.raises(ValueError):
        formatter.format_text("", lang="fr")


def test_a_file_that_does_not_parse_raises_every_problem():
    with pytest.raises(PolicySyntaxError) as caught:
        fmt("article 1\n  require and\narticle 2\n  require or\n")
    assert len(caught.value.diagnostics) >= 2


# ------------------------------------------------------------------ the command
UGLY = 'policy   p title "t"\narticle 1 "x"   text only\n'
PRETTY = 'policy p\n  title "t"\n\narticle 1 "x"\n  text only\n'


def test_fmt_rewrites_files_in_place(cli, capsys, tmp_path):
    ugly, pretty = tmp_path / "ugly.rules", tmp_path / "pretty.rules"
    ugly.write_text(UGLY, encoding="utf-8")
    pretty.write_text(PRETTY, encoding="utf-8")
    ugly.chmod(0o640)
    code, out, err = cli("fmt", ugly, pretty, "--format", "text")
    assert code == 0 and out == ""
    assert ugly.read_text(encoding="utf-8") == PRETTY and pretty.read_text(encoding="utf-8") == PRETTY
    assert ugly.stat().st_mode & 0o777 == 0o640
    assert f"reformatted {ugly}" in err and f"reformatted {pretty}" not in err
    assert "1 file reformatted, 1 file left unchanged." in err
    assert list(tmp_path.glob(".fmt-*")) == []


def test_fmt_check_exits_1_and_writes_nothing(cli, capsys, tmp_path):
    ugly = tmp_path / "ugly.rules"
    ugly.write_text(UGLY, encoding="utf-8")
    code, out, err = cli("fmt", "--check", ugly, "--format", "text")
    assert code == 1
    assert ugly.read_text(encoding="utf-8") == UGLY
    assert out.startswith(f"{ugly}:1:1: error: not in the canonical layout")
    assert "1 file would be reformatted." in err


def test_fmt_check_exits_0_on_formatted_files(cli, capsys):
    code, out, _ = cli("fmt", "--check", *POLICIES, "--format", "text")
    assert code == 0 and out == ""


def test_fmt_diff_prints_a_patch_and_writes_nothing(cli, capsys, tmp_path):
    ugly = tmp_path / "ugly.rules"
    ugly.write_text(UGLY, encoding="utf-8")
    code, out, _ = cli("fmt", "--diff", ugly)
    assert code == 0
    assert out.startswith(f"--- {ugly}\n+++ {ugly} (formatted)\n")
    assert "-policy   p title \"t\"\n" in out and "+  title \"t\"\n" in out
    assert ugly.read_text(encoding="utf-8") == UGLY
    code, _, _ = cli("fmt", "--diff", "--check", ugly)
    assert code == 1


def test_fmt_diff_goes_with_text_only(cli, capsys, tmp_path):
    ugly = tmp_path / "ugly.rules"
    ugly.write_text(UGLY, encoding="utf-8")
    code, _, err = cli("fmt", "--diff", ugly, "--format", "json")
    assert code == 2 and "--diff" in err


def test_fmt_reads_standard_input(cli, capsys, monkeypatch):
    code, out, err = cli("fmt", "-", "--lang", "zh", stdin=UGLY)
    assert code == 0
    assert out == '办法 p\n  标题 "t"\n\n第一条 "x"\n  仅文本\n'


def test_fmt_lang_rewrites_keywords(cli, capsys, tmp_path):
    path = tmp_path / "p.rules"
    path.write_text(PRETTY, encoding="utf-8")
    assert cli("fmt", "--lang", "zh", path, "--format", "text")[0] == 0
    assert path.read_text(encoding="utf-8") == '办法 p\n  标题 "t"\n\n第一条 "x"\n  仅文本\n'
    assert cli("fmt", "--check", "--lang", "en", path, "--format", "text")[0] == 1
    assert cli("fmt", "--check", "--lang", "zh", path, "--format", "text")[0] == 0


def test_fmt_on_a_file_that_does_not_parse_exits_2_and_leaves_it(cli, capsys, tmp_path):
    bad = tmp_path / "bad.rules"
    bad.write_text("article 1\n  require and\n", encoding="utf-8")
    code, out, err = cli("fmt", bad, "--format", "text")
    assert code == 2
    assert f"{bad}:2:11: error:" in err
    assert bad.read_text(encoding="utf-8") == "article 1\n  require and\n"


def test_fmt_unreadable_or_not_utf8_exits_2(cli, capsys, tmp_path):
    missing = tmp_path / "missing.rules"
    binary = tmp_path / "binary.rules"
    binary.write_bytes(b"\xff\xfe article")
    code, out, err = cli("fmt", missing, binary, "--format", "json")
    assert code == 2
    messages = [d["message"] for d in json.loads(out)]
    assert any("cannot read" in m for m in messages) and any("not valid UTF-8" in m for m in messages)
    assert "Traceback" not in err


def test_fmt_check_in_machine_formats(cli, capsys, tmp_path):
    ugly = tmp_path / "ugly.rules"
    ugly.write_text(UGLY, encoding="utf-8")
    code, out, _ = cli("fmt", "--check", ugly, "--format", "json")
    assert code == 1 and json.loads(out)[0]["line"] == 1
    code, out, _ = cli("fmt", "--check", ugly, "--format", "github")
    assert code == 1 and out.startswith(f"::error file={ugly},line=1,col=1,title=supervisor-rules fmt::")
    code, out, _ = cli("fmt", "--check", ugly, "--format", "sarif")
    assert code == 1 and json.loads(out)["runs"][0]["results"][0]["ruleId"] == "fmt"


def test_fmt_needs_a_file(cli, capsys):
    code, _, err = cli("fmt")
    assert code == 2 and "usage" in err


def test_an_inner_and_never_lines_up_with_an_outer_or():
    """A parenthesised first operand that breaks goes deeper than the `或` after it (issue 11.8)."""
    names = [f"s.condition_number_{k}_with_a_long_name" for k in range(5)]
    fields = "".join(f"  condition_number_{k}_with_a_long_name: bool\n" for k in range(5))
    source = (f"policy p\nfacts s {{\n{fields}}}\n第一条 \"x\"\n"
              f"  须 ({' 且 '.join(names)}) 或 {names[0]}\n")
    out = formatter.format_text(source)
    lines = out.splitlines()
    ands = [len(x) - len(x.lstrip()) for x in lines if x.lstrip().startswith("且")]
    ors = [len(x) - len(x.lstrip()) for x in lines if x.lstrip().startswith("或")]
    assert ands and ors and min(ands) > max(ors), out
    assert formatter.format_text(out) == out


def test_the_conformance_corners_translate_both_ways_and_keep_their_meaning():
    """Numbers, min/max/age, counted dates, quantifiers and `= unknown` (tests/conformance/corners.rules)."""
    path = Path(__file__).resolve().parent / "conformance" / "corners.rules"
    text = path.read_text(encoding="utf-8")
    original = parser.parse_module(text, "corners.rules")
    zh = formatter.format_text(text, lang="zh")
    for fragment in ("周岁起算 生日当日", "周岁(person.born, appointment.start)", "计数 c 属于 person.clues 满足",
                     "= 未知", "基准日 前 3 年", "-person.bonus × 0.5", "较小值(", "没有 c 属于"):
        assert fragment in zh, fragment
    en = formatter.format_text(zh, lang="en")
    assert "= unknown" in en and "age(person.born, as_of)" in en
    assert parser.parse_module(en, "corners.rules") == original
    assert formatter.format_text(en) == en


def test_a_grouping_parenthesis_after_due_keeps_its_space_and_a_call_has_none():
    """`due (x after 3 months) after 5 working days` counts a duty from a parenthesised date: the `(`
    groups it; `due(x after 15 calendar days)` is the deadline expression, written as a call."""
    text = ('policy p\nfacts a {\n  x: date\n}\narticle 1\n'
            '  duty d due  (a.x after 3 months) after 5 working days done on a.x\n'
            '  notice "n" when due (a.x after 15 calendar days) > as_of and term number( a.x ) = 1\n')
    out = formatter.format_text(text)
    assert "    due (a.x after 3 months) after 5 working days\n" in out
    assert 'when due(a.x after 15 calendar days) > as_of and term number(a.x) = 1' in out
    zh = formatter.format_text(text, lang="zh")
    assert "期限 (a.x 后 3 个月) 后 5 个工作日" in zh and "期限(a.x 后 15 日) > 基准日 且 所在聘期(a.x) = 1" in zh
    assert formatter.format_text(zh, lang="en") == out


@pytest.mark.parametrize("written, en, zh", [
    ("renewal requires r.fit", "renewal requires r.fit", "续聘须 r.fit"),
    ("续聘 须 r.fit", "renewal require r.fit", "续聘 须 r.fit"),  # two keywords, each kept as written
    ("续聘须 r.fit", "renewal requires r.fit", "续聘须 r.fit"),
])
def test_a_further_renewal_condition_translates_both_ways(written, en, zh):
    text = ('policy p\nrecord ren {\n  on: date\n  fit: bool\n}\nfacts a {\n  x: date\n  l: list of ren\n}\n'
            'article 1\n  term 2 years from a.x\n  renewal r of a.l dated r.on require r.fit\n  (1)\n    '
            + written + "\n")
    assert formatter.format_text(text, lang="en").endswith(f"  (1)\n    {en}\n")
    assert formatter.format_text(text, lang="zh").endswith(f"  （一）\n    {zh}\n")
