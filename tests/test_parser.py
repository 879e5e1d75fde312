"""The front end: grammar, lexer and AST builder (``parser.py``) and Chinese numerals.

Both keyword sets must mean the same; structural markers (第…条, （…）, 1.)
carry numbers written in Chinese or Arabic digits; keywords are reserved, but a
name that merely starts with one is not; every node knows where it stands.
"""

from __future__ import annotations

import datetime as dt

import pytest

import supervisor_rules as sr
from supervisor_rules.lang import nodes as n
from supervisor_rules.lang import parser
from supervisor_rules.questions.eligibility import Require
from supervisor_rules.questions.status import Ground
from supervisor_rules.questions.term import Term
from supervisor_rules.errors import PolicyError, PolicySyntaxError
from supervisor_rules.lang.numerals import parse_chinese, parse_number, to_chinese


def parse(text: str, source: str = "t.rules") -> n.Module:
    return parser.parse_module(text, source)


def syntax_error(text: str, source: str = "t.rules") -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as info:
        parser.parse_module(text, source)
    return info.value


def pos(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``needle`` in ``text`` (columns count characters)."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


# ---------------------------------------------------------------------------------------------------------
# One policy, two keyword sets
ENGLISH = '''\
policy demo
  title "示例" "办法"
  authority "某局"
  document "某〔2024〕1号"
  effective 2024-01-01
  status trial

import "vocab.rules"

enum level "级别" { low "低", high "高", }
record renewal_rec "续聘" {
  on: date "续聘日期"
  ok: bool = false
}
facts person "申请人" {
  honest: bool "诚信"
  level: level
  tags: list of level = []
  note: text
  start: date
  renewals: list of renewal_rec = []
  offered: bool
  acts: list of level = []
  changed: date
  reported: date
  kind: enum { a "甲", b }
}

chapter 1 "总则"
article 1 "目的"
  text only

chapter 2 "条件"
article 2 "条件"
  (1) "诚信"
    require person.honest and not person.level = low when person.kind != b
  (2)
    prefer person.tags has any of {low, high} or person.tags is empty
      or person.tags has high or person.level in {low} or person.level not in {high}
  (3)
    notice "备注" when person.note is known and person.start is unknown and person.tags is not empty
    1. "甲"
      text only
    2. "乙"
      notice "截至" when person.start <= as_of and person.note = "x"
  paragraph 2 "第二款"
    text only

article 3
  term 3 years from person.start
  renewal r of person.renewals dated r.on requires r.ok and satisfies article 2
  automatic when expired
  mandatory when violates chapter 2 article 4
  discretionary when true and false
  dismissal recorded person.changed
  recusal request decided by department when person.offered

article 4
  prohibit person.acts: low, high
  duty refuse when person.offered met when not person.offered breached when person.offered
  duty tell when person.changed is known due 7 working days after person.changed done on person.reported
  report scope when person.kind = a
  report category when person.kind in {a, b}
  reward when person.honest under "奖励办法"
  recusal required decided by supervisor when person.acts has low
'''

CHINESE = '''\
办法 demo
  标题 「示例」 "办法"
  发文机关 "某局"
  文号 "某〔2024〕1号"
  施行 2024-01-01
  状态 试行

引用 "vocab.rules"

枚举 level "级别" { low "低", high "高", }
记录 renewal_rec "续聘" {
  on：日期 "续聘日期"
  ok: 布尔 = 假
}
事实 person "申请人" {
  honest: 布尔 "诚信"
  level: level
  tags: 列表 level = []
  note: 文本
  start: 日期
  renewals: 列表 renewal_rec = []
  offered: 布尔
  acts: 列表 level = []
  changed: 日期
  reported: 日期
  kind: 枚举 { a "甲", b }
}

第一章 "总则"
第一条 "目的"
  仅文本

第二章 "条件"
第二条 "条件"
  （一）"诚信"
    须 person.honest 且 非 person.level = low 当 person.kind ≠ b
  （二）
    优先 person.tags 包含任一 {low, high} 或 person.tags 为空
      或者 person.tags 包含 high 或 person.level 属于 {low} 或 person.level 不属于 {high}
  （三）
    提示 "备注" 当 person.note 已知 并且 person.start 未知 且 person.tags 非空
    1、"甲"
      仅文本
    2．"乙"
      提示 "截至" 当 person.start <= 基准日 且 person.note = 「x」
  第二款 "第二款"
    仅文本

第三条
  聘期 3 年 自 person.start
  续聘 r 取自 person.renewals 日期为 r.on 须 r.ok 且 符合 第二条
  自然解聘 当 期满未续聘
  应当解聘 当 违反 第二章第四条
  可以解聘 当 真 且 假
  解聘记录 person.changed
  回避 申请 由 部门 决定 当 person.offered

第四条
  禁止 person.acts: low, high
  义务 refuse 当 person.offered 履行条件 非 person.offered 违反条件 person.offered
  义务 tell 当 person.changed 已知 期限 person.changed 后 7 个工作日 完成日期 person.reported
  举报范围 当 person.kind = a
  举报类别 当 person.kind 属于 {a, b}
  奖励 当 person.honest 依据 "奖励办法"
  回避 必须 由 监督员 当 person.acts 包含 low
'''

# English and Chinese keywords, structural markers and numerals interleaved.
MIXED = '''\
policy demo
  标题 "示例" 「办法」
  authority "某局"
  文号 "某〔2024〕1号"
  effective 2024-01-01
  状态 trial

import "vocab.rules"

枚举 level "级别" { low "低", high "高", }
record renewal_rec "续聘" {
  on: 日期 "续聘日期"
  ok: bool = 假
}
事实 person "申请人" {
  honest: bool "诚信"
  level: level
  tags: list of level = []
  note: 文本
  start: date
  renewals: 列表 renewal_rec = []
  offered: 布尔
  acts: list of level = []
  changed: 日期
  reported: date
  kind: enum { a "甲", b }
}

第一章 "总则"
article 1 "目的"
  仅文本

chapter 2 "条件"
第二条 "条件"
  (1) "诚信"
    须 person.honest and 非 person.level = low when person.kind != b
  （二）
    prefer person.tags 包含任一 {low, high} or person.tags is empty
      或 person.tags has high 或者 person.level in {low} or person.level 不属于 {high}
  (三)
    notice "备注" 当 person.note is known 且 person.start 未知 and person.tags is not empty
    1. "甲"
      text only
    2、"乙"
      提示 "截至" when person.start <= as_of 且 person.note = "x"
  paragraph 2 "第二款"
    仅文本

article 3
  聘期 3 years from person.start
  renewal r 取自 person.renewals dated r.on 须 r.ok and satisfies 第二条
  自然解聘 when 期满未续聘
  mandatory 当 violates chapter 2 第四条
  可以解聘 when true 且 false
  dismissal recorded person.changed
  回避 request decided by 部门 当 person.offered

第四条
  prohibit person.acts: low, high
  义务 refuse when person.offered met when 非 person.offered 违反条件 person.offered
  duty tell 当 person.changed is known 期限 person.changed after 7 working days done on person.reported
  report scope 当 person.kind = a
  举报类别 when person.kind 属于 {a, b}
  reward 当 person.honest under "奖励办法"
  recusal 必须 decided by supervisor when person.acts 包含 low
'''


def test_english_and_chinese_keywords_build_equal_asts():
    english, chinese = parse(ENGLISH, "demo"), parse(CHINESE, "demo")
    assert english == chinese
    # Not vacuous: the AST has the structure written above.
    assert english.header == n.Header("demo", "示例办法", "某局", "某〔2024〕1号", dt.date(2024, 1, 1), "trial")
    assert [a.number for a in english.articles] == [1, 2, 3, 4]
    assert [a.chapter for a in english.articles] == [1, 2, 2, 2]
    assert [i.number for i in english.articles[1].items] == [1, 2, 3]
    assert [s.number for s in english.articles[1].items[2].subitems] == [1, 2]
    assert [p.number for p in english.articles[1].paragraphs] == [2]
    assert english.imports == (n.Import("vocab.rules"),)
    require = english.articles[1].items[0].rules[0]
    assert require == Require(
        n.And((n.Path(("person", "honest")),
               n.Not(n.Compare("=", n.Path(("person", "level")), n.Name("low"))))),
        n.Compare("!=", n.Path(("person", "kind")), n.Name("b")))
    ground = english.articles[2].rules[3]
    assert ground == Ground("mandatory", n.Violates(n.ArticleRef(4, None, 2)))


def test_mixed_keywords_build_the_same_ast():
    assert parse(MIXED, "demo") == parse(ENGLISH, "demo")


def test_equal_asts_differ_only_in_spans():
    english, chinese = parse(ENGLISH, "demo"), parse(CHINESE, "demo")
    # The spans differ (Chinese keywords are shorter), yet the nodes compare equal.
    e_rule = english.articles[1].items[1].rules[0]
    c_rule = chinese.articles[1].items[1].rules[0]
    assert e_rule == c_rule
    assert (e_rule.condition.span.column, e_rule.condition.span.end_column) != \
        (c_rule.condition.span.column, c_rule.condition.span.end_column)


def test_keyword_sets_mean_the_same_when_evaluated(tmp_path):
    (tmp_path / "vocab.rules").write_text("# nothing\n", encoding="utf-8")
    case = {"as_of": "2024-06-01",
            "person": {"honest": True, "level": "high", "kind": "a", "tags": ["low"], "start": "2023-01-01",
                       "offered": True}}
    # (all but meta, whose policy_sha256 is of each text)
    decisions = [{**sr.parse_policy(text, "demo", base_dir=tmp_path).evaluate(case).to_dict(), "meta": None}
                 for text in (ENGLISH, CHINESE, MIXED)]
    assert decisions[0] == decisions[1] == decisions[2]
    assert decisions[0]["status"] == "active"


# ---------------------------------------------------------------------------------------------------------
# Numbers in structural markers
def test_chinese_numerals_in_articles_and_items_past_99():
    numbers = [1, 9, 10, 11, 19, 20, 21, 99, 100, 101, 105, 110, 119, 120]
    text = "办法 p\n" + "".join(f"第{to_chinese(a)}条\n" for a in numbers)
    text += "第一百二十一条\n" + "".join(f"  （{to_chinese(i)}）\n" for i in numbers)
    module = parse(text)
    assert [a.number for a in module.articles] == [*numbers, 121]
    assert [i.number for i in module.articles[-1].items] == numbers


def test_chinese_numerals_in_chapters_and_paragraphs():
    module = parse("办法 p\n第十二章\n第九十九条\n 第一百零二款\n 第二款\n第一百章\n")
    assert [c.number for c in module.chapters] == [12, 100]
    assert module.articles[0].chapter == 12
    assert [p.number for p in module.articles[0].paragraphs] == [102, 2]


def test_circle_zero_in_a_heading():
    # The grammar admits 〇 in 第…条 (一百〇五 is a common spelling of 一百零五).
    module = parse("办法 p\n第一百〇五条\n  （一百〇一）\n")
    assert module.articles[0].number == 105
    assert module.articles[0].items[0].number == 101


@pytest.mark.parametrize("marker, number", [
    ("（三）", 3), ("(三)", 3), ("（三)", 3), ("（ 三 ）", 3), ("(3)", 3), ("( 3 )", 3), ("（十二）", 12),
    ("（九十九）", 99), ("（一百零一）", 101), ("(120)", 120),
])
def test_item_markers(marker, number):
    module = parse(f"policy p\narticle 1\n  {marker} \"x\"\n")
    assert module.articles[0].items[0].number == number


@pytest.mark.parametrize("marker", ["1.", "1．", "1、"])
def test_sub_item_markers(marker):
    module = parse(f"policy p\narticle 1\n  (1)\n    {marker} \"甲\"\n    2. \"乙\"\n")
    subs = module.articles[0].items[0].subitems
    assert [(s.number, s.text) for s in subs] == [(1, "甲"), (2, "乙")]


def test_paragraphs_in_both_spellings():
    a = parse('policy p\narticle 5 "x"\n  text only\n  第二款 "y"\n    text only\n  第三款\n    （一）"z"\n')
    b = parse('policy p\narticle 5 "x"\n  text only\n  paragraph 2 "y"\n    text only\n  paragraph 3\n    (1) "z"\n')
    assert a == b
    paragraphs = a.articles[0].paragraphs
    assert [(p.number, p.text) for p in paragraphs] == [(2, "y"), (3, None)]
    assert paragraphs[1].items[0] == n.Item(1, "z")


def _refs(expr) -> list[n.ArticleRef]:
    return [x.ref for x in n.walk(expr) if isinstance(x, (n.Violates, n.Satisfies))]


@pytest.mark.parametrize("written, ref", [
    ("第七条第（六）项", n.ArticleRef(7, 6)),
    ("第七条第(六)项", n.ArticleRef(7, 6)),
    ("article 7(6)", n.ArticleRef(7, 6)),
    ("article 7", n.ArticleRef(7)),
    ("第七条", n.ArticleRef(7)),
    ("chapter 5 article 7", n.ArticleRef(7, None, 5)),
    ("第五章第七条", n.ArticleRef(7, None, 5)),
    ("第五章 第七条", n.ArticleRef(7, None, 5)),
    ("chapter 5 第七条第（六）项", n.ArticleRef(7, 6, 5)),
    ("第五章 article 7(6)", n.ArticleRef(7, 6, 5)),
    ("第一百零五条第（十一）项", n.ArticleRef(105, 11)),
    ("article 105(11)", n.ArticleRef(105, 11)),
    # paragraphs (款), items of any paragraph, sub-items, ranges (issue 11.4)
    ("第九条第二款", n.ArticleRef(9, paragraph=2)),
    ("article 9 paragraph 2", n.ArticleRef(9, paragraph=2)),
    ("第九条第一款", n.ArticleRef(9, paragraph=1)),
    ("article 9 paragraph 1", n.ArticleRef(9, paragraph=1)),
    ("第十二条第二款第（一）项", n.ArticleRef(12, 1, paragraph=2)),
    ("article 12 paragraph 2 (1)", n.ArticleRef(12, 1, paragraph=2)),
    ("article 12 paragraph 2(1)", n.ArticleRef(12, 1, paragraph=2)),
    ("第八条第（一）项第3目", n.ArticleRef(8, 1, sub=3)),
    ("第八条第（一）项第三目", n.ArticleRef(8, 1, sub=3)),
    ("article 8(1).3", n.ArticleRef(8, 1, sub=3)),
    ("第十二条第二款第（一）项第3目", n.ArticleRef(12, 1, paragraph=2, sub=3)),
    ("article 12 paragraph 2 (1).3", n.ArticleRef(12, 1, paragraph=2, sub=3)),
    ("第十条第（一）项至第（三）项", n.ArticleRef(10, 1, last=3)),
    ("第十条第(一)项 至 第(三)项", n.ArticleRef(10, 1, last=3)),
    ("article 10(1)-(3)", n.ArticleRef(10, 1, last=3)),
    ("article 10 (1) - (3)", n.ArticleRef(10, 1, last=3)),
    ("第十二条第二款第（一）项至第（三）项", n.ArticleRef(12, 1, paragraph=2, last=3)),
    ("article 12 paragraph 2 (1)-(3)", n.ArticleRef(12, 1, paragraph=2, last=3)),
    ("第五章第十二条第二款第（一）项", n.ArticleRef(12, 1, 5, paragraph=2)),
    ("chapter 5 article 12 paragraph 2 (1)", n.ArticleRef(12, 1, 5, paragraph=2)),
])
def test_article_references(written, ref):
    module = parse(f"policy p\narticle 1\n  mandatory when violates {written} or satisfies {written}\n")
    assert _refs(module.articles[0].rules[0]) == [ref, ref]


def test_a_reference_to_a_paragraph_is_not_the_next_paragraph_heading():
    # Once read as 第二条 plus an empty paragraph 2 of the current article.
    module = parse("办法 p\n第一条\n  应当解聘 当 违反 第二条第二款\n  第二款 \"x\"\n    仅文本\n")
    article = module.articles[0]
    assert _refs(article.rules[0]) == [n.ArticleRef(2, paragraph=2)]
    assert [(p.number, p.text) for p in article.paragraphs] == [(2, "x")]


@pytest.mark.parametrize("written, expected", [
    ("第十条第（三）项至第（一）项", "a range of items runs from a lower item to a higher one"),
    ("article 10(2)-(2)", "a range of items runs from a lower item to a higher one"),
    ("第十条第十一十款", "malformed Chinese numeral"),
])
def test_malformed_references_are_positioned(written, expected):
    text = f"policy p\narticle 1\n  mandatory when violates {written}\n"
    err = syntax_error(text)
    assert expected in str(err)
    assert (err.line, err.column) == pos(text, written)


@pytest.mark.parametrize("heading, expected", [
    ("第二条第（一）项", "an article heading cannot name an item"),
    ("article 2(1)-(3)", "an article heading cannot name an item"),
    ("第二条第一款", "the first paragraph is the article's own text"),
    ("article 2 paragraph 1", "the first paragraph is the article's own text"),
])
def test_an_article_heading_names_only_an_article(heading, expected):
    text = f"policy p\narticle 1\n  text only\n{heading}\n  text only\n"
    err = syntax_error(text)
    assert expected in str(err)
    assert (err.line, err.column) == pos(text, heading)


def test_an_article_without_wording_may_run_into_its_second_paragraph():
    glued = parse("办法 p\n第二条第二款 \"x\"\n  仅文本\n  （一）\n    仅文本\n")
    spaced = parse("办法 p\n第二条\n  第二款 \"x\"\n    仅文本\n    （一）\n      仅文本\n")
    english = parse("policy p\narticle 2 paragraph 2 \"x\"\n  text only\n  (1)\n    text only\n")
    assert glued == spaced == english


def test_structural_markers_need_no_white_space():
    module = parse("办法 p\n第一条（一）1.\"a\"\n第二条第二款（一）\n")
    assert module.articles[0].items[0].subitems[0].text == "a"
    assert module.articles[1].paragraphs[0].items[0].number == 1


# ---------------------------------------------------------------------------------------------------------
# Text: strings, escapes, 「…」, concatenation, comments, white space
def test_string_escapes():
    module = parse(r'policy p' '\n' r'  title "a\"b\\c\nd\te\x"' '\n')
    assert module.header.title == 'a"b\\c\nd\tex'


def test_corner_bracket_strings_take_everything_literally():
    module = parse('policy p\n  title 「他说"好"\\n#不是注释」\n')
    assert module.header.title == '他说"好"\\n#不是注释'


def test_adjacent_strings_concatenate_across_lines():
    module = parse('policy p\n  title "第一段，" 「第二段，」\n    "第三段" # a comment between\n    "。"\narticle 1 "甲"\n  "乙"\n  text only\n')
    assert module.header.title == "第一段，第二段，第三段。"
    assert module.articles[0].text == "甲乙"


def test_string_literal_in_an_expression():
    module = parse('policy p\narticle 1\n  require s.t = "a\\"b" or s.t = 「c」\n')
    ops = module.articles[0].rules[0].condition.operands
    assert [o.right for o in ops] == [n.Literal('a"b'), n.Literal("c")]


def test_comments_are_ignored_but_not_inside_strings():
    with_comments = parse('# 头\npolicy p # id\n  title "a # b" # t\n# 中间\narticle 1 # x\n  text only # y\n# 尾')
    without = parse('policy p\n  title "a # b"\narticle 1\n  text only\n')
    assert with_comments == without
    assert with_comments.header.title == "a # b"


def test_full_width_space_tabs_crlf_and_bom():
    a = parse('\ufeffpolicy p\r\n\ttitle\u3000"t"\r\narticle\t1\r\n\u3000\u3000text only\r\n')
    b = parse('policy p\n  title "t"\narticle 1\n  text only\n')
    assert a == b


def test_header_fields_and_effective_on_issuance():
    for spelling in ("on issuance", "发布之日", "印发之日", "颁布之日"):
        module = parse(f"policy p\n  effective {spelling}\n  status final\n")
        assert module.header.effective == "on_issuance"
        assert module.header.status == "final"


def test_units_in_both_languages():
    en = parse("policy p\narticle 1\n  term 2 years from s.d\n  duty x due 3 calendar days after s.d done on s.e\n"
               "  duty y due 1 month after s.d done on s.e\n  duty z due s.d after 5 working days done on s.e\n")
    zh = parse("办法 p\n第一条\n  聘期 2 年 自 s.d\n  义务 x 期限 3 天 后 s.d 完成日期 s.e\n"
               "  义务 y 期限 1 个月 后 s.d 完成日期 s.e\n  义务 z 期限 s.d 后 5 个工作日 完成日期 s.e\n")
    assert en == zh
    rules = en.articles[0].rules
    assert rules[0] == Term(2, "years", n.Path(("s", "d")))
    assert [r.due.unit for r in rules[1:]] == ["days", "months", "working_days"]


def test_deadline_forms_and_bearers_in_both_languages():
    """`immediately`, the derived bases and who bears a duty (issue 11): the same rules in either set."""
    en = parse("policy p\narticle 1\n  duty a due immediately after s.d done on s.e\n"
               "  duty b by department due 10 working days after dismissal day done on s.e\n"
               "  duty c by supervisor due last day after 3 calendar days done on s.e\n"
               "  duty d due s.d after immediately done on s.e\n")
    zh = parse("办法 p\n第一条\n  义务 a 期限 立即 后 s.d 完成日期 s.e\n"
               "  义务 b 由 部门 期限 解聘之日 后 10 个工作日 完成日期 s.e\n"
               "  义务 c 由 监督员 期限 聘期届满日 后 3 日 完成日期 s.e\n"
               "  义务 d 期限 s.d 后 立即 完成日期 s.e\n")
    assert en == zh
    a, b, c, d = en.articles[0].rules
    assert (a.due.amount, a.due.unit, a.due.base, a.bearer) == (0, "immediately", n.Path(("s", "d")), "supervisor")
    assert (b.due.amount, b.due.unit, b.bearer) == (10, "working_days", "department")
    assert isinstance(b.due.base, n.DismissalDay) and isinstance(c.due.base, n.LastDay)
    assert c.bearer == "supervisor" and d.due == a.due


def test_a_bearer_comes_right_after_the_code():
    with pytest.raises(PolicySyntaxError):
        parse("policy p\narticle 1\n  duty a when s.x by department\n")


def test_a_duty_label_in_both_languages():
    """`duty CODE "label"` / `义务 CODE "标签"`: the label right after the code, before the bearer; adjacent
    strings concatenate and 「…」 quotes too, as for any label; without one it is None."""
    en = parse('policy p\narticle 1\n  duty r "交回" "聘书" by department when s.x due 3 working days after s.d'
               ' done on s.e\n  duty c 「出示证件」 met when s.x\n  duty n when s.x\n')
    zh = parse('办法 p\n第一条\n  义务 r "交回聘书" 由 部门 当 s.x 期限 s.d 后 3 个工作日 完成日期 s.e\n'
               '  义务 c "出示证件" 履行条件 s.x\n  义务 n 当 s.x\n')
    assert en == zh
    r, c, plain = en.articles[0].rules
    assert (r.code, r.label, r.bearer) == ("r", "交回聘书", "department")
    assert (c.label, plain.label) == ("出示证件", None)
    assert r.due.unit == "working_days" and c.met == n.Path(("s", "x"))


def test_a_duty_label_comes_right_after_the_code():
    text = 'policy p\narticle 1\n  duty a by department "交回聘书"\n'
    e = syntax_error(text)
    assert (e.line, e.column) == pos(text, '"交回聘书"')
    with pytest.raises(PolicySyntaxError):
        parse('policy p\narticle 1\n  duty a when s.x "交回聘书"\n')


# ---------------------------------------------------------------------------------------------------------
# Unicode identifiers
CJK_POLICY = '''\
办法 示例
  标题 "中文标识符"
枚举 等级 { 高, 低 }
事实 人员 "申请人" {
  诚信: 布尔 "诚实守信"
  等级: 等级
  当前: 布尔 = 假
}
第一条 "条件"
  须 人员.诚信 且 人员.等级 = 高
  提示 "当前" 当 人员.当前
'''


def test_cjk_identifiers_parse():
    module = parse(CJK_POLICY)
    assert module.header.id == "示例"
    assert module.facts[0].section == "人员"
    assert [f.name for f in module.facts[0].fields] == ["诚信", "等级", "当前"]
    assert module.articles[0].rules[0].condition.operands[0] == n.Path(("人员", "诚信"))


def test_cjk_identifiers_evaluate():
    policy = sr.parse_policy(CJK_POLICY, "示例.rules")
    assert policy.id == "示例"
    assert policy.warnings == ()
    good = policy.evaluate({"as_of": "2024-01-01", "人员": {"诚信": True, "等级": "高"}})
    assert good.eligibility.result == "eligible"
    bad = policy.evaluate({"as_of": "2024-01-01", "人员": {"诚信": False, "等级": "高"}})
    assert bad.eligibility.result == "ineligible"
    assert [c.cite for c in bad.eligibility.unmet] == ["第一条"]
    unknown = policy.evaluate({"as_of": "2024-01-01", "人员": {"等级": "高"}})
    assert unknown.eligibility.result == "unknown"
    assert "人员.诚信" in unknown.to_dict()["missing_facts"]
    noticed = policy.evaluate({"as_of": "2024-01-01", "人员": {"诚信": True, "等级": "低", "当前": True}})
    assert [x["message"] for x in noticed.to_dict()["notices"]] == ["当前"]
    with pytest.raises(sr.CaseError) as info:
        policy.evaluate({"as_of": "2024-01-01", "人员": {"诚实": True}})
    assert info.value.problems[0].path == "人员.诚实"
    assert "人员.诚信" in info.value.problems[0].message


# ---------------------------------------------------------------------------------------------------------
# Reserved keywords
@pytest.mark.parametrize("text, keyword, needle", [
    ("policy p\narticle 1\n  require person.x >= and\n", "and", "and\n"),
    ("policy p\nfacts person {\n  when: bool\n}\n", "when", "when"),
    ("policy p\nfacts person {\n  ok: bool\n  when: bool = false\n}\n", "when", "when"),
    ("policy p\nenum e { a, or }\n", "or", "or }"),
    ("办法 p\n事实 人员 {\n  当: 布尔\n}\n", "当", "当:"),
    ("policy p\narticle 1\n  require person.kind = true\n  require person.kind in {a, in}\n", "in", "in}"),
    ("policy and\n", "and", "and"),
    ("policy p\nfacts expired {\n}\n", "expired", "expired"),
])
def test_keyword_used_as_a_name_is_a_positioned_error(text, keyword, needle):
    exc = syntax_error(text)
    line, column = pos(text, needle)
    assert (exc.line, exc.column) == (line, column)
    assert exc.source == "t.rules"
    assert f"`{keyword}`" in str(exc)
    assert "keyword" in str(exc)
    assert f"t.rules:{line}:{column}:" in str(exc)


@pytest.mark.parametrize("text, needle", [
    ("policy p\n  title \"t\"\nfacts person {\n  ok: bool\n}\narticle 1\n  require person.not\n", "person.not"),
    ("policy p\n  title \"t\"\nfacts person {\n  ok: bool\n}\narticle 1\n  require person.when and person.ok\n",
     "person.when"),
    ("办法 p\n  标题 \"t\"\n事实 人员 {\n  ok: 布尔\n}\n第一条\n  须 人员.且\n", "人员.且"),
])
def test_keyword_after_a_dot_is_read_as_a_name_and_checked(text, needle):
    # After a dot only a name can follow (so `decision.status` works); a keyword
    # there is no ambiguity, and since no fact can be declared with a keyword as
    # its name, the checker reports an unknown fact at that spot.
    with pytest.raises(sr.PolicyError) as info:
        sr.parse_policy(text, "t.rules")
    line, column = pos(text, needle)
    first = info.value.diagnostics[0]
    assert (first.line, first.column) == (line, column)
    assert "unknown fact" in first.message


@pytest.mark.parametrize("name", ["note", "order", "andy", "当前", "notify", "orange", "inner", "hash", "trueish",
                                  "whenever", "text_", "dated_on", "非常", "且慢", "或许", "termination", "records"])
def test_names_that_merely_start_with_a_keyword_are_fine(name):
    text = (f"policy p\n  title \"t\"\nfacts s {{\n  {name}: bool\n}}\nenum e {{ {name} }}\n"
            f"article 1\n  require s.{name} and not s.{name} = false\n")
    module = parse(text)
    assert module.facts[0].fields[0].name == name
    assert module.enums[0].values[0].name == name
    policy = sr.parse_policy(text, "t.rules")
    assert policy.evaluate({"as_of": "2024-01-01", "s": {name: True}}).eligibility.result == "eligible"
    assert policy.evaluate({"as_of": "2024-01-01", "s": {name: False}}).eligibility.result == "ineligible"


@pytest.mark.parametrize("text, needle", [
    ("policy p\nfacts 第二条 {\n}\n", "第二条"),
    ("办法 p\n枚举 e { a, 第二条 }\n", "第二条"),
    # A path is one token; a part of it shaped like an article marker is refused, at the path.
    ("policy p\narticle 1\n  require s.第二条\n", "s.第二条"),
    ("policy p\narticle 1\n  require 第二条.x\n", "第二条"),
    ("办法 第三章\n", "第三章"),
    ("办法 p\n事实 s {\n  第二款: 布尔\n}\n", "第二款"),
])
def test_an_article_marker_is_never_read_as_a_name(text, needle):
    exc = syntax_error(text)
    assert (exc.line, exc.column) == pos(text, needle)
    assert needle in str(exc)


def test_a_name_starting_like_an_article_marker_is_still_an_article():
    # `第二条件` lexes as the article marker `第二条` followed by `件`, never as one name: the error is at `件`.
    exc = syntax_error("办法 p\n第一条\n  仅文本\n第二条件\n")
    assert (exc.line, exc.column) == (4, 4)
    assert "`件`" in str(exc)


# ---------------------------------------------------------------------------------------------------------
# Spans
def test_spans_of_nodes():
    text = ('policy p\n  title "t"\nfacts s {\n  a: bool\n  b: date\n}\n'
            'chapter 1\narticle 1 "x"\n  (1) "y"\n    require s.a and s.b >= 2024-01-01 when not s.a\n'
            '    1. "z"\n  paragraph 2\n    text only\n')
    module = parse(text, "sp.rules")

    def at(node):
        return node.span.source, node.span.line, node.span.column

    assert at(module.header) == ("sp.rules", 1, 1)
    assert at(module.facts[0]) == ("sp.rules", *pos(text, "facts"))
    assert at(module.facts[0].fields[1]) == ("sp.rules", *pos(text, "b: date"))
    assert at(module.facts[0].fields[1].type) == ("sp.rules", *pos(text, "date\n"))
    assert at(module.chapters[0]) == ("sp.rules", *pos(text, "chapter 1"))
    article = module.articles[0]
    assert at(article) == ("sp.rules", *pos(text, "article 1"))
    item = article.items[0]
    assert at(item) == ("sp.rules", *pos(text, "(1)"))
    require = item.rules[0]
    assert at(require) == ("sp.rules", *pos(text, "require"))
    conj = require.condition
    assert at(conj) == ("sp.rules", *pos(text, "s.a and"))
    compare = conj.operands[1]
    assert at(compare) == ("sp.rules", *pos(text, "s.b >="))
    assert at(compare.right) == ("sp.rules", *pos(text, "2024-01-01"))
    assert compare.right.span.end_column - compare.right.span.column == len("2024-01-01")
    assert at(require.guard) == ("sp.rules", *pos(text, "not s.a"))
    assert at(require.guard.operand) == ("sp.rules", *pos(text, "s.a", 2))
    assert at(item.subitems[0]) == ("sp.rules", *pos(text, "1. "))
    assert at(article.paragraphs[0]) == ("sp.rules", *pos(text, "paragraph 2"))
    assert at(article.paragraphs[0].rules[0]) == ("sp.rules", *pos(text, "text only"))


def test_spans_count_cjk_characters_as_one_column():
    text = '办法 p\n第一条 "中文"\n  须 人员.诚信 且 人员.等级 = 高\n'
    module = parse(text)
    conj = module.articles[0].rules[0].condition
    assert (conj.operands[1].span.line, conj.operands[1].span.column) == pos(text, "人员.等级") == (3, 13)
    assert (conj.operands[1].right.span.line, conj.operands[1].right.span.column) == pos(text, "高")


def test_multi_line_rule_span():
    text = "policy p\narticle 1\n  require s.a\n    and s.b\n"
    rule = parse(text).articles[0].rules[0]
    assert (rule.span.line, rule.span.column, rule.span.end_line) == (3, 3, 4)


# ---------------------------------------------------------------------------------------------------------
# Syntax errors of the front end (the full gallery is in test_bad_input.py)
def test_malformed_numeral_in_a_heading_is_a_positioned_error():
    exc = syntax_error("办法 p\n第十条\n  仅文本\n第二二条\n")
    assert (exc.line, exc.column) == (4, 1)
    assert "第二二条" in str(exc)


def test_malformed_numeral_in_an_item_is_a_positioned_error():
    exc = syntax_error("办法 p\n第十条\n  （十十）\n")
    assert (exc.line, exc.column) == (3, 3)
    assert "十十" in str(exc)


@pytest.mark.parametrize("text, heading", [
    ("办法 p\n第二条\n  须 s.a 且\n第三条\n  仅文本\n", "第三条"),
    ("policy p\narticle 2\n  require s.a and\narticle 3\n  text only\n", "article 3"),
    ("policy p\narticle 2\n  require s.a when\nchapter 3\n", "chapter 3"),
], ids=["chinese-article", "english-article", "english-chapter"])
def test_dangling_operator_before_a_heading_points_at_the_heading(text, heading):
    # Where only an operand fits, a heading is still read as a heading (in either language),
    # and the error names it, at its first character.
    exc = syntax_error(text)
    assert (exc.line, exc.column) == pos(text, heading)
    assert f"`{heading}`" in str(exc)


def test_errors_are_never_lark_exceptions():
    with pytest.raises(PolicyError) as info:
        parse("policy p\narticle 1\n  require (s.a\n")
    assert not any("lark" in type(e).__module__ for e in (info.value, info.value.__cause__) if e is not None)


def test_syntax_error_carries_expected_and_text():
    exc = syntax_error("policy p\narticle 1\n  require s.a when\n")
    assert exc.line == 3
    assert exc.expected  # in words
    assert all(isinstance(e, str) for e in exc.expected)


def test_non_string_text_is_a_policy_error():
    with pytest.raises(PolicySyntaxError):
        parser.parse_module(b"policy p\n", "b.rules")  # type: ignore[arg-type]


def test_keywords_table_has_both_languages():
    kw = parser.keywords()
    assert kw["when"] == kw["当"] == "WHEN"
    assert kw["and"] == kw["且"] == kw["并且"] == "AND"
    assert "note" not in kw and "当前" not in kw


# ---------------------------------------------------------------------------------------------------------
# numerals
def test_numerals_round_trip_0_to_999():
    for number in range(1000):
        spelled = to_chinese(number)
        assert parse_chinese(spelled) == number, spelled
        assert parse_number(spelled) == number
        assert parse_number(str(number)) == number


@pytest.mark.parametrize("number, spelled", [
    (0, "零"), (7, "七"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"), (99, "九十九"), (100, "一百"),
    (101, "一百零一"), (110, "一百一十"), (111, "一百一十一"), (120, "一百二十"), (305, "三百零五"), (999, "九百九十九"),
])
def test_to_chinese_spellings(number, spelled):
    assert to_chinese(number) == spelled


@pytest.mark.parametrize("variant, number", [("〇", 0), ("一百〇五", 105), ("一十一", 11), ("一十", 10)])
def test_accepted_variants(variant, number):
    assert parse_chinese(variant) == number


@pytest.mark.parametrize("bad", ["", "二二", "十十", "十二十", "百", "一百百", "九十九九", "零一", "一零", "百一", "十百",
                                 "三百零", "一千", "万", "x", "1", "七 ", "十十一", "两两"])
def test_malformed_spellings_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_chinese(bad)


@pytest.mark.parametrize("number", [-1, 1000, 10**6])
def test_to_chinese_out_of_range(number):
    with pytest.raises(ValueError):
        to_chinese(number)
