"""Static checks (``checker.py``) as reported by ``check_paths``: one test per kind of problem.

Every test writes a small rule file, checks it, and asserts the diagnostic's
exact ``FILE:LINE:COL``, its severity and a key phrase of its message.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.errors import Diagnostic

HEAD = '''\
policy p
  title "t"
enum color { red, green, blue }
enum act { bribe, leak, other }
record renewal_rec { on: date  ok: bool = false }
facts person {
  honest: bool
  color: color
  born: date
  tags: list of color = []
  acts: list of act = []
  start: date
  renewals: list of renewal_rec = []
  name: text
}
'''


def pos(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``needle`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


class Checked:
    def __init__(self, path: Path, text: str, diagnostics: list[Diagnostic]):
        self.path, self.text, self.diagnostics = path, text, diagnostics

    def find(self, phrase: str, severity: str | None = None) -> list[Diagnostic]:
        return [d for d in self.diagnostics if phrase in d.message and (severity is None or d.severity == severity)]

    def expect(self, phrase: str, needle: str, occurrence: int = 1, severity: str = "error",
               path: Path | None = None, text: str | None = None) -> Diagnostic:
        """The one diagnostic with ``phrase`` at ``needle``, with ``severity``; there must be one."""
        line, column = pos(text if text is not None else self.text, needle, occurrence)
        where = str(path if path is not None else self.path)
        matches = [d for d in self.find(phrase) if (d.source, d.line, d.column) == (where, line, column)]
        assert len(matches) == 1, (phrase, f"{where}:{line}:{column}", [d.header() for d in self.diagnostics])
        d = matches[0]
        assert d.header().startswith(f"{where}:{line}:{column}: {severity}: "), d.header()
        return d

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


@pytest.fixture
def check(tmp_path):
    def run(body: str, head: str = HEAD, name: str = "p.rules") -> Checked:
        path = tmp_path / name
        text = head + body
        path.write_text(text, encoding="utf-8")
        return Checked(path, text, sr.check_paths([str(path)]))
    return run


# A body that uses every fact, so that only the problem under test is reported.
USE_ALL = '''\
article 1
  require person.honest and person.color = red and person.born < 2024-01-01 and person.tags has red
    and person.acts is empty and person.name = "x" and person.start is known and person.renewals is empty
'''


def test_clean_file_has_no_diagnostics(check):
    assert check(USE_ALL).diagnostics == []


# ---------------------------------------------------------------------------------------------------------
# Names
def test_unknown_fact_with_did_you_mean(check):
    result = check(USE_ALL + "article 2\n  require person.honets\n")
    d = result.expect("unknown fact", "person.honets")
    assert "`person.honets`" in d.message
    assert "did you mean `person.honest`?" in d.message


def test_unknown_section(check):
    result = check(USE_ALL + "article 2\n  require persn.honest\n")
    d = result.expect("unknown section", "persn.honest")
    assert "`persn`" in d.message and "did you mean `person`?" in d.message


def test_unknown_section_in_is_known(check):
    result = check(USE_ALL + "article 2\n  require persn is known\n")
    d = result.expect("unknown section", "persn is")
    assert "did you mean `person`?" in d.message


def test_unknown_type(check):
    result = check(USE_ALL, head=HEAD.replace("  name: text\n", "  name: text\n  fav: colour\n"))
    d = result.expect("unknown type", "colour")
    assert "`colour`" in d.message and "did you mean `color`?" in d.message


@pytest.mark.parametrize("expr, needle", [
    ("person.color = redd", "redd"),
    ("person.color in {green, redd}", "redd"),
    ("person.tags has redd", "redd"),
    ("person.tags has any of {blue, redd}", "redd"),
])
def test_unknown_enum_value_with_suggestion(check, expr, needle):
    result = check(USE_ALL + f"article 2\n  require {expr}\n")
    d = result.expect("is not a value of enum color", needle)
    assert "`redd`" in d.message and "did you mean `red`?" in d.message


def test_unknown_enum_value_in_a_prohibition(check):
    result = check(USE_ALL + "article 2\n  prohibit person.acts: brib\n")
    d = result.expect("is not a value of enum act", "brib\n")
    assert "did you mean `bribe`?" in d.message


def test_duplicate_fact(check):
    result = check(USE_ALL, head=HEAD.replace("  name: text\n", "  name: text\n  honest: bool\n"))
    d = result.expect("declared twice", "honest: bool", 2)
    assert "`person.honest`" in d.message


def test_duplicate_enum_value(check):
    result = check(USE_ALL, head=HEAD.replace("{ red, green, blue }", "{ red, green, red, blue }"))
    result.expect("listed twice", "red", 2)


# ---------------------------------------------------------------------------------------------------------
# Numbering
def test_duplicate_article(check):
    result = check(USE_ALL + "article 2\n  text only\narticle 2\n  text only\n")
    d = result.expect("appears twice", "article 2", 2)
    assert "article 2" in d.message


def test_article_numbering_gap_is_a_warning(check):
    result = check(USE_ALL + "article 2\n  text only\narticle 5\n  text only\n")
    d = result.expect("missing", "article 5", severity="warning")
    assert "articles 3-4" in d.message
    assert result.errors == []


def test_single_missing_article_is_named(check):
    result = check(USE_ALL + "article 3\n  text only\n")
    d = result.expect("missing", "article 3", severity="warning")
    assert "article 2 missing" in d.message


def test_duplicate_item(check):
    result = check(USE_ALL + 'article 2\n  (1) "a"\n    text only\n  (1) "b"\n    text only\n')
    d = result.expect("appears twice", "(1)", 2)
    assert "item 1 of article 2" in d.message


def test_out_of_order_item(check):
    result = check(USE_ALL + 'article 2\n  (1)\n    text only\n  (3)\n    text only\n  (2)\n    text only\n')
    d = result.expect("out of order", "(2)")
    assert "item 2 of article 2" in d.message and "after item 3" in d.message
    result.expect("missing", "(3)", severity="warning")


def test_out_of_order_chinese_items(check):
    result = check('第二条\n  （一）\n    仅文本\n  （三）\n    仅文本\n  （二）\n    仅文本\n',
                   head=HEAD + USE_ALL.replace("article 1", "第一条"))
    result.expect("out of order", "（二）")


def test_article_zero_message_makes_sense(check):
    result = check("article 0\n  text only\n" + USE_ALL)
    d = result.find("article 0")[0]
    assert "after article 0" not in d.message, d.message


# ---------------------------------------------------------------------------------------------------------
# Types
def test_compare_date_with_bool(check):
    result = check(USE_ALL + "article 2\n  require person.born = true\n")
    d = result.expect("cannot compare", "person.born = true")
    assert "date" in d.message and "bool" in d.message


def test_has_on_a_bool(check):
    result = check(USE_ALL + "article 2\n  require person.honest has red\n")
    d = result.expect("tests a list of enum values", "person.honest has")
    assert "not bool" in d.message


def test_order_on_an_enum(check):
    result = check(USE_ALL + "article 2\n  require person.color < red\n")
    result.expect("compared with `=` or `!=` only", "person.color <")


def test_order_on_text(check):
    result = check(USE_ALL + 'article 2\n  require person.name < "b"\n')
    d = result.expect("orders dates or numbers", 'person.name <')
    assert "text" in d.message


@pytest.mark.parametrize("expr, kind", [("person.color", "enum color"), ("person.born", "date"),
                                        ("person.tags", "list of enum color"), ('"yes"', "text"), ("3", "number")])
def test_non_condition_used_as_a_condition(check, expr, kind):
    result = check(USE_ALL + f"article 2\n  require person.honest and {expr}\n")
    d = result.expect("expected a condition", f"{expr}\n")
    assert d.message.endswith(kind), d.message


def test_bare_name_is_not_a_condition(check):
    result = check(USE_ALL + "article 2\n  require person.honest or red\n")
    d = result.expect("alone is not a condition", "red\n", 2)
    assert "`red`" in d.message


def test_in_on_a_bool(check):
    result = check(USE_ALL + "article 2\n  require person.honest in {red}\n")
    result.expect("tests an enum fact", "person.honest in")


def test_is_empty_on_a_bool(check):
    result = check(USE_ALL + "article 2\n  require person.honest is empty\n")
    result.expect("tests a list", "person.honest is")


# ---------------------------------------------------------------------------------------------------------
# References to provisions
REF_BODY = '''\
chapter 1
article 1
  require person.honest and person.color = red and person.born < 2024-01-01 and person.tags has red
    and person.acts is empty and person.name = "x" and person.start is known and person.renewals is empty
article 2
  prohibit person.acts: bribe
chapter 2
article 3
  text only
'''


def test_violates_missing_article(check):
    result = check(REF_BODY + "article 4\n  mandatory when violates article 9\n")
    d = result.expect("does not exist", "article 9")
    assert "article 9" in d.message


def test_violates_missing_item(check):
    result = check(REF_BODY + "article 4\n  mandatory when violates article 2(3)\n")
    result.expect("does not exist", "article 2(3)")


def test_violates_article_in_another_chapter(check):
    result = check(REF_BODY + "article 4\n  mandatory when violates chapter 2 article 2\n")
    d = result.expect("is in chapter 1, not chapter 2", "chapter 2 article 2")
    assert "article 2" in d.message


def test_violates_article_without_prohibitions(check):
    result = check(REF_BODY + "article 4\n  mandatory when violates article 1\n")
    result.expect("prohibits nothing", "article 1\n", 2)


def test_satisfies_article_without_requirements(check):
    result = check(REF_BODY + "article 4\n  mandatory when satisfies 第二条\n")
    result.expect("has no requirements", "第二条")


def test_references_in_chinese(check):
    result = check(REF_BODY + "第四条\n  应当解聘 当 违反 第一章第二条 或 违反 第二章第二条\n")
    result.expect("is in chapter 1, not chapter 2", "第二章第二条")


# Paragraphs (款), items of any paragraph, sub-items and ranges (issue 11.4)
PARA_BODY = '''\
article 1
  require person.honest
  (1)
    require person.color = red
    1.
      require person.born < 2024-01-01
  (2)
    prohibit person.acts: bribe
  paragraph 2
    require person.tags has red
    (1)
      require person.acts is empty
    (2)
      require person.name = "x"
    (3)
      prohibit person.acts: leak
article 2
  require person.start is known and person.renewals is empty
'''


@pytest.mark.parametrize("ref", [
    "article 1", "第一条", "article 1 paragraph 1", "第一条第一款", "article 1 paragraph 2", "第一条第二款",
    "article 1(1)", "第一条第（一）项", "article 1 paragraph 1 (1)", "第一条第一款第（一）项",
    "article 1 paragraph 2 (1)", "第一条第二款第（一）项", "article 1(1).1", "第一条第（一）项第1目",
    "第一条第（一）项第一目", "article 1 paragraph 2 (1)-(2)", "第一条第二款第（一）项至第（二）项",
    "article 1(1)-(2)", "第一条第（一）项至第（二）项",
])
def test_every_reference_form_names_a_provision(check, ref):
    assert check(PARA_BODY + f"article 3\n  mandatory when satisfies {ref}\n").diagnostics == []


@pytest.mark.parametrize("ref, message", [
    ("article 1 paragraph 3", "article 1 paragraph 3 does not exist: article 1 has paragraphs 1 and 2"),
    ("第一条第三款", "article 1 paragraph 3 does not exist: article 1 has paragraphs 1 and 2"),
    ("article 2 paragraph 2", "article 2 paragraph 2 does not exist: article 2 has one paragraph"),
    ("article 1(3)", "article 1(3) does not exist: article 1 has items (1) and (2) (did you mean "
                     "`第一条第二款第（三）项`, 1p2(3)?)"),
    ("第一条第二款第（四）项", "article 1 paragraph 2 (4) does not exist: article 1 paragraph 2 has items (1)-(3)"),
    ("article 1(1)-(3)", "article 1(3) does not exist: article 1 has items (1) and (2) (did you mean"),
    ("article 2(1)", "article 2(1) does not exist: article 2 has no items"),
    ("article 1(1).2", "article 1(1).2 does not exist: article 1(1) has sub-item 1"),
    ("article 1 paragraph 2 (1).1", "article 1 paragraph 2 (1).1 does not exist: article 1 paragraph 2 (1) has "
                                    "no sub-items"),
    ("article 9 paragraph 2", "article 9 does not exist (the policy has articles 1-3)"),
])
def test_a_reference_to_a_provision_that_does_not_exist(check, ref, message):
    result = check(PARA_BODY + f"article 3\n  mandatory when satisfies {ref}\n")
    d = result.expect("does not exist", ref)
    assert message in d.message, d.message


def test_a_range_runs_upwards(check):
    result = check(PARA_BODY + "article 3\n  mandatory when satisfies 第一条第（二）项至第（一）项\n")
    result.expect("a range of items runs from a lower item to a higher one", "第一条第（二）项至")


def test_a_reference_to_a_paragraph_checks_what_it_holds(check):
    result = check(PARA_BODY + "article 3\n  mandatory when violates 第一条第一款 or violates article 2\n"
                               "  mandatory when violates article 1 paragraph 2 (1)-(2)\n")
    result.expect("第二条 (2) prohibits nothing", "article 2", 2)
    result.expect("第一条第二款第（一）项至第（二）项 (1p2(1)-(2)) prohibits nothing", "article 1 paragraph 2 (1)-(2)")
    assert len(result.errors) == 2, [d.header() for d in result.diagnostics]


def test_invariants_cite_any_provision(check):
    body = PARA_BODY + ("invariant i\n  under 第一条第二款, article 1(1)-(2), 第一条第二款第（五）项\n"
                        "  then decision.status = active\n")
    result = check(body)
    result.expect("article 1 paragraph 2 (5) does not exist", "第一条第二款第（五）项")
    assert len(result.errors) == 1, [d.header() for d in result.diagnostics]


# ---------------------------------------------------------------------------------------------------------
# Which predicates a rule may use; singleton rules
def test_expired_without_a_term(check):
    result = check(USE_ALL + "article 2\n  automatic when expired\n")
    result.expect("needs a `term` rule", "expired\n")


def test_dismissed_inside_a_ground(check):
    result = check(USE_ALL + "article 2\n  term 2 years from person.start\n  mandatory when dismissed\n")
    d = result.expect("cannot be used in a dismissal ground", "dismissed\n")
    assert "`dismissed`" in d.message


def test_satisfies_inside_a_requirement(check):
    result = check(USE_ALL + "article 2\n  require satisfies article 1\n")
    d = result.expect("cannot be used in a requirement", "satisfies article 1")
    assert "`satisfies`" in d.message


def test_as_of_in_every_rule_form(check):
    """Regulations count back from the day the question is asked (近三年内, 未满二年): every rule reads
    `as_of` / `基准日` (issue 11.5)."""
    result = check(USE_ALL + "article 2\n  require person.born < as_of\n  prefer person.start < 基准日\n"
                   "  term 2 years from person.start\n"
                   "  renewal r of person.renewals dated r.on requires r.ok and r.on < as_of\n"
                   "  mandatory when person.start > as_of\n"
                   "  recusal required decided by supervisor when person.born > as_of\n"
                   "  duty d when as_of > person.start met when as_of > person.born\n"
                   "  report scope when as_of > person.born\n"
                   "  notice \"n\" when as_of > person.born\n")
    assert [d.header() for d in result.errors] == []


def test_derived_dates_inside_a_requirement(check):
    """`last day` is decided by the term question and `dismissal day` by the status: a rule decided
    before them cannot read them (may_read), a positioned error each that names the questions and
    their order, and what can read it."""
    result = check(USE_ALL + "article 2\n  term 2 years from person.start\n"
                   "  require person.born < last day\n  prefer person.born < 解聘之日\n"
                   "  mandatory when person.start < dismissal day\n"
                   "  renewal r of person.renewals dated r.on requires r.on < last day\n")
    d = result.expect("cannot be used in a requirement", "last day\n")
    assert "`last day` / `聘期届满日`" in d.message and "after the status" not in d.message
    assert ("it is decided by the term question (order 20), a requirement by the eligibility question "
            "(order 10), before it") in d.message
    assert d.message.endswith("a dismissal ground, a duty, a conclusion, a notice and an invariant can read it")
    d = result.expect("cannot be used in a preference", "解聘之日")
    assert "decided by the status question (order 30)" in d.message
    d = result.expect("cannot be used in a dismissal ground", "dismissal day")
    assert "a dismissal ground by the status question (order 30), before it" not in d.message
    d = result.expect("cannot be used in a renewal condition", "last day", occurrence=2)
    assert "a renewal condition is part of the term question (order 20), which decides it" in d.message


def test_a_ground_reads_the_last_day(check):
    """The term is decided before the grounds (order 20 < 30), so a ground may read `last day`."""
    result = check(USE_ALL + "article 2\n  term 2 years from person.start\n"
                   "  discretionary when as_of > last day before 30 calendar days\n"
                   "  conclusion ends \"ends\" equals last day\n")
    assert [d.header() for d in result.errors] == []


def test_derived_dates_without_a_term(check):
    result = check(USE_ALL + "article 2\n  duty d due 3 calendar days after last day done on person.start\n"
                   "  notice \"n\" when dismissal day > person.born\n")
    result.expect("`last day` / `聘期届满日` needs a `term` rule", "last day")
    result.expect("needs a `term` or `dismissal recorded` rule", "dismissal day")


def test_derived_dates_in_duties_notices_and_invariants(check):
    result = check(USE_ALL + "article 2\n  term 2 years from person.start\n"
                   "  duty d when dismissed due 10 working days after dismissal day done on person.start\n"
                   "  duty e by department due 立即 after last day done on person.start\n"
                   "  notice \"n\" when dismissal day > last day\n")
    assert [d.header() for d in result.errors] == []


def test_a_derived_date_that_is_not_a_date(check):
    result = check(USE_ALL + "article 2\n  term 2 years from person.start\n"
                   "  duty d when dismissal day due 3 calendar days after person.born done on person.start\n")
    result.expect("expected a condition", "dismissal day")


def test_immediately_takes_no_number(check):
    result = check(USE_ALL + "article 2\n  duty d due immediately after person.born done on person.start\n"
                   "  duty e due person.born after 立即 done on person.start\n")
    assert [d.header() for d in result.errors] == []


def test_chinese_predicate_in_a_requirement(check):
    result = check(USE_ALL + "第二条\n  须 符合 第一条\n")
    result.expect("cannot be used in a requirement", "符合")


def test_two_term_rules(check):
    result = check(USE_ALL + "article 2\n  term 2 years from person.start\n  term 3 years from person.start\n")
    d = result.expect("one `term` rule", "term 3")
    first = pos(result.text, "term 2")
    assert f"another is at {result.path}:{first[0]}:{first[1]}" in d.message


def test_two_term_rules_in_different_articles(check):
    result = check(USE_ALL + "article 2\n  term 2 years from person.start\narticle 3\n  聘期 3 年 自 person.start\n")
    result.expect("one `term` rule", "聘期")


def test_renewal_without_a_term(check):
    result = check(USE_ALL + "article 2\n  renewal r of person.renewals dated r.on requires r.ok\n")
    result.expect("a renewal rule needs a `term` rule", "renewal r")


def test_duplicate_duty_code(check):
    result = check(USE_ALL + "article 2\n  duty d when person.honest\n  (1)\n    duty d when not person.honest\n")
    d = result.expect("already declared", "duty d", 2)
    assert "duty `d`" in d.message


def test_duplicate_duty_code_with_another_label(check):
    result = check(USE_ALL + 'article 2\n  duty d "交回聘书" when person.honest\n  (1)\n'
                             '    duty d "交还聘书" when not person.honest\n')
    d = result.expect("already declared", "duty d", 2)
    assert "duty `d` is already declared at 2 with the label “交回聘书”, here “交还聘书”" in d.message
    assert len(result.errors) == 1


def test_empty_duty_label(check):
    result = check(USE_ALL + 'article 2\n  duty d "" when person.honest\n  duty e 「 」 when person.honest\n'
                             '  duty f "交回聘书" when person.honest\n')
    result.expect("a duty's label is empty", "duty d")
    result.expect("a duty's label is empty", "duty e")
    assert len(result.errors) == 2


def test_value_prohibited_twice(check):
    result = check(USE_ALL + "article 2\n  (1)\n    prohibit person.acts: bribe\n"
                             "  (2)\n    prohibit person.acts: leak, bribe\n")
    d = result.expect("already prohibited", "bribe", 3)
    assert "`bribe`" in d.message and "2(1)" in d.message


def test_text_only_together_with_rules(check):
    result = check(USE_ALL + "article 2\n  text only\n  require person.honest\n")
    result.expect("cannot also carry rules", "article 2")


def test_text_only_together_with_rules_in_an_item(check):
    result = check(USE_ALL + "article 2\n  (1)\n    仅文本\n    须 person.honest\n")
    result.expect("cannot also carry rules", "(1)")


# ---------------------------------------------------------------------------------------------------------
# Warnings: dead rules, unused facts, unencoded articles
@pytest.mark.parametrize("rule", [
    "notice \"n\" when person.color = red and person.color = green",
    "notice \"n\" when person.honest and not person.honest",
    "notice \"n\" when person.color in {red} and person.color in {green, blue}",
    "notice \"n\" when person.color = red and person.color != red",
    "mandatory when person.honest and not person.honest",
    "require person.honest when not person.honest",
    "notice \"n\" when false",
    "提示 \"n\" 当 person.color = red 且 person.color = blue",
])
def test_rule_that_can_never_fire_is_a_warning(check, rule):
    result = check(USE_ALL + f"article 2\n  {rule}\n")
    keyword = rule.split()[0]
    result.expect("can never apply", keyword, 1 if keyword != "require" else 2, severity="warning")
    assert result.errors == []


def test_satisfiable_rule_is_not_flagged(check):
    result = check(USE_ALL + "article 2\n  notice \"n\" when person.color = red or person.color = green\n"
                             "  notice \"m\" when person.honest and person.color != red\n")
    assert result.find("can never apply") == []


def test_unused_fact_is_a_warning(check):
    result = check(USE_ALL, head=HEAD.replace("  name: text\n", "  name: text\n  spare: bool\n"))
    d = result.expect("no rule uses it", "spare", severity="warning")
    assert d.severity == "warning" and "`person.spare`" in d.message
    assert result.errors == []


def test_unused_fact_in_an_import_is_not_reported(check, tmp_path):
    (tmp_path / "vocab.rules").write_text("facts extra {\n  unused: bool\n}\n", encoding="utf-8")
    result = check('import "vocab.rules"\n' + USE_ALL)
    assert result.diagnostics == []


def test_article_without_rules_is_a_warning(check):
    result = check(USE_ALL + 'article 2 "only words"\n')
    d = result.expect("has no rules", "article 2", severity="warning")
    assert "text only" in d.message


def test_item_without_rules_is_a_warning(check):
    result = check(USE_ALL + 'article 2\n  (1)\n    require person.honest\n  (2) "words"\n')
    d = result.expect("has no rules", "(2)", severity="warning")
    assert "item (2) of article 2" in d.message


# ---------------------------------------------------------------------------------------------------------
# Imports
def test_imported_file_that_does_not_exist(check):
    result = check('import "missing.rules"\n' + USE_ALL)
    d = result.expect("cannot import", 'import "missing.rules"')
    assert "`missing.rules`" in d.message


def test_imported_file_with_articles(check, tmp_path):
    vocab = 'enum extra { a }\n\narticle 1\n  text only\n'
    (tmp_path / "vocab.rules").write_text(vocab, encoding="utf-8")
    result = check('import "vocab.rules"\n' + USE_ALL)
    result.expect("declarations only, not articles", "article 1", path=tmp_path / "vocab.rules", text=vocab)


def test_imported_file_with_a_header(check, tmp_path):
    vocab = 'policy other\nenum extra { a }\n'
    (tmp_path / "vocab.rules").write_text(vocab, encoding="utf-8")
    result = check('import "vocab.rules"\n' + USE_ALL)
    result.expect("not a policy header", "policy other", path=tmp_path / "vocab.rules", text=vocab)


def test_imported_file_with_a_syntax_error(check, tmp_path):
    vocab = 'enum extra { a\n'
    (tmp_path / "vocab.rules").write_text(vocab, encoding="utf-8")
    result = check('import "vocab.rules"\n' + USE_ALL)
    assert len(result.errors) == 1
    assert result.errors[0].source == str(tmp_path / "vocab.rules")
    assert result.errors[0].line == 1


def test_missing_header(check):
    result = check(USE_ALL, head=HEAD.replace('policy p\n  title "t"\n', ""))
    d = result.expect("starts with its header", "enum color")
    assert d.line == 1 and d.column == 1


# ---------------------------------------------------------------------------------------------------------
# Every problem, not only the first
def test_check_paths_reports_every_problem_of_a_file(check):
    body = USE_ALL + '''\
article 2
  require person.honets
  require persn.honest
  require person.color = redd
  require person.born = true
  require satisfies article 1
article 2
  text only
article 5
  mandatory when violates article 9
  automatic when expired
  notice "n" when person.honest and not person.honest
  duty d when person.honest
  duty d when person.honest
'''
    result = check(body, head=HEAD.replace("  name: text\n", "  name: text\n  fav: colour\n  spare: bool\n"))
    expected = [
        ("unknown type", "colour", 1, "error"),
        ("no rule uses it", "fav", 1, "warning"),
        ("no rule uses it", "spare", 1, "warning"),
        ("unknown fact", "person.honets", 1, "error"),
        ("unknown section", "persn", 1, "error"),
        ("is not a value", "redd", 1, "error"),
        ("cannot compare", "person.born = true", 1, "error"),
        ("cannot be used in a requirement", "satisfies", 1, "error"),
        ("appears twice", "article 2", 2, "error"),
        ("missing", "article 5", 1, "warning"),
        ("does not exist", "article 9", 1, "error"),
        ("needs a `term` rule", "expired", 1, "error"),
        ("can never apply", "notice", 1, "warning"),
        ("already declared", "duty d", 2, "error"),
    ]
    for phrase, needle, occurrence, severity in expected:
        result.expect(phrase, needle, occurrence, severity)
    assert len(result.diagnostics) == len(expected), [d.header() for d in result.diagnostics]
    # In file order.
    assert [(d.line, d.column) for d in result.diagnostics] == sorted((d.line, d.column) for d in result.diagnostics)


def test_check_paths_reports_every_problem_of_several_files(check, tmp_path):
    one = check(USE_ALL + "article 2\n  require person.honets\n", name="one.rules")
    two = check(USE_ALL + "article 2\n  require persn.honest\n", name="two.rules")
    both = sr.check_paths([one.path, two.path])
    assert [d.source for d in both] == [str(one.path), str(two.path)]


def test_check_paths_reports_syntax_errors_of_every_article(check):
    result = check(USE_ALL + "article 2\n  require person.honest and\narticle 3\n  require (person.honest\n")
    assert len(result.errors) == 2
    # `and` at the end of article 2 meets `article 3`; article 3's parenthesis is never closed.
    line = pos(result.text, "article 3")[0]
    assert [d.line for d in result.errors] == [line, line + 1]
    assert result.errors[1].column == len("  require (person.honest") + 1


def test_check_paths_of_a_missing_file(tmp_path):
    path = tmp_path / "nope.rules"
    [d] = sr.check_paths([path])
    assert d.header().startswith(f"{path}:1:1: error: ")
    assert "cannot read" in d.message


def test_shipped_policies_check_clean():
    assert sr.check_paths(["guangxi", "wuhan"]) == []


def test_shipped_policies_load_without_warnings():
    for city in ("guangxi", "wuhan"):
        assert sr.builtin_policy(city).warnings == ()


# ---------------------------------------------------------------------------------------------------------
# Rendering
def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_render_puts_the_caret_under_the_error_after_cjk(check):
    head = '办法 p\n  标题 "t"\n事实 人员 "申请人" {\n  诚信: 布尔\n}\n'
    body = '第一条 "条件"\n  须 人员.诚信 且 人员.诚实\n'
    result = check(body, head=head)
    d = result.expect("unknown fact", "人员.诚实")
    rendered = d.render().splitlines()
    assert rendered[0] == d.header()
    assert rendered[0].startswith(f"{result.path}:7:13: error: unknown fact `人员.诚实`")
    source_line = "  须 人员.诚信 且 人员.诚实"
    gutter, shown = rendered[1].split(" | ", 1)
    assert shown == source_line
    caret_line = rendered[2]
    prefix = len(gutter) + len(" | ")
    caret_start = len(caret_line) - len(caret_line.lstrip(" "))
    # The caret sits under 人 of the second 人员: the display width of what precedes it, not its index.
    assert caret_start - prefix == _width(source_line[:12]) == 18
    assert caret_line.strip() == "^" * _width("人员.诚实")
    # And the screen columns line up: the text above the caret is the unknown name.
    assert _width(rendered[1][:len(gutter) + 3 + 12]) == caret_start
    assert rendered[1][len(gutter) + 3:][12:17] == "人员.诚实"


def test_render_with_full_width_spaces_and_tabs():
    line = "\u3000\t须 x.y"
    d = Diagnostic("f.rules", 3, 5, "boom", "error", line, 3)
    rendered = d.render().splitlines()
    caret_line = rendered[2]
    gutter = len("    3 | ")
    # 　(2) tab→space (1) 须 (2) space (1), then three carets.
    assert caret_line[gutter:] == " " * (2 + 1 + 2 + 1) + "^^^"


def test_render_without_a_source_line():
    d = Diagnostic("f.rules", 3, 5, "boom", "warning")
    assert d.render() == "f.rules:3:5: warning: boom"


def test_render_of_a_very_long_line_keeps_the_caret_on_the_spot():
    line = "x" * 5000 + "ERROR" + "y" * 5000
    d = Diagnostic("f.rules", 1, 5001, "boom", "error", line, 5)
    header, shown, carets = d.render().splitlines()
    assert len(shown) < 200
    start = len(carets) - len(carets.lstrip(" "))
    assert shown[start:start + 5] == "ERROR"
    assert carets.strip() == "^^^^^"


def test_policy_error_str_holds_every_rendered_diagnostic(tmp_path):
    path = tmp_path / "p.rules"
    path.write_text(HEAD + USE_ALL + "article 2\n  require person.honets\n  require persn.x\n", encoding="utf-8")
    with pytest.raises(sr.PolicyError) as info:
        sr.load_policy(path)
    text = str(info.value)
    assert len(info.value.diagnostics) == 2
    for d in info.value.diagnostics:
        assert d.render() in text
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: error: unknown fact", text)


def test_an_edited_import_is_read_afresh(tmp_path):
    # Imported files are parsed once per content and process: an edit must still be seen.
    import supervisor_rules as sr

    (tmp_path / "vocab.rules").write_text("facts s {\n  a: bool\n}\n", encoding="utf-8")
    (tmp_path / "p.rules").write_text('policy p\nimport "vocab.rules"\narticle 1\n  require s.a\n', encoding="utf-8")
    assert sr.load_policy(tmp_path / "p.rules").evaluate({"as_of": "2024-01-01", "s": {"a": True}}).eligibility.result == "eligible"
    (tmp_path / "vocab.rules").write_text("facts s {\n  b: bool\n}\n", encoding="utf-8")
    with pytest.raises(sr.PolicyError, match="s.a"):
        sr.load_policy(tmp_path / "p.rules")


# ---------------------------------------------------------------------------------------------------------
# Numbers, counted dates, ages and quantifiers (issue 11)
@pytest.mark.parametrize("expr, phrase, needle", [
    ("person.born + 1 > 3", "`+` adds numbers, not date", "person.born + 1"),
    ("-person.honest < 3", "`-` negates a number, not bool", "person.honest <"),
    ("person.start before 3 years > 3", "cannot compare date with number", "person.start before"),
    ("min(person.color, 3) > 1", "`min` / `较小值` takes numbers or dates, not enum color", "person.color,"),
    ("max(1, person.born) > 1", "takes values of one type: number and date do not mix", "person.born)"),
    ("person.honest after 2 years > person.born", "`after` / `后` counts from a date, not bool", "person.honest after"),
    ("person.born before 1001 years < person.born", "count at most 1,000", "person.born before 1001"),
    ("count of person.honest > 1", "`count of` / `计数` counts the entries of a list, not bool", "person.honest >"),
    ("any r in person.tags where (r.x)", "ranges over a list of records, not list of enum color", "person.tags where"),
    ("any person in person.renewals where person.ok", "`person` names a section of facts", "any person"),
    ("any r in person.renewals where (any r in person.renewals where r.ok)", "`r` already names a record here",
     "any r in person.renewals where r.ok"),
    ("any r in person.renewals where (r.nope)", "record `renewal_rec` has no field `nope`", "r.nope"),
    ("all r in person.renewals where (r.on)", "expected a condition (true/false), but this is date", "r.on)"),
    ("age(person.born, person.start) > 3", "needs the header to say how 周岁 are counted", "age("),
])
def test_errors_of_the_new_expressions(check, expr, phrase, needle):
    result = check(USE_ALL + f"article 2\n  require {expr}\n")
    result.expect(phrase, needle)


def test_age_with_the_headers_convention_and_its_types(check):
    head = HEAD.replace('  title "t"\n', '  title "t"\n  age reached on birthday\n')
    assert check(USE_ALL + "article 2\n  require age(person.born, person.start) >= 22\n", head=head).errors == []
    result = check(USE_ALL + "article 2\n  require age(person.honest, person.start) >= 22\n", head=head)
    result.expect("the birth date is a date, not bool", "person.honest,")


def test_the_new_expressions_check_clean(check):
    body = ("article 2\n  require person.start before 2 working days < person.born after 3 months\n"
            "    and count of person.tags + 1 * -2 / 4 >= 89.5 and min(person.born, person.start) <= person.born\n"
            "    and no r in person.renewals where (r.ok and r.on >= person.start before 1 year)\n"
            "    and (count of r in person.renewals where r.ok) <= 2\n")
    assert check(USE_ALL + body).errors == []


def test_a_record_field_may_be_declared_unknown_and_then_is_optional(check):
    head = HEAD.replace("record renewal_rec { on: date  ok: bool = false }",
                        "record renewal_rec { on: date  ok: bool = false  grade: color = unknown  n: number = 未知 }")
    body = "article 2\n  require all r in person.renewals where (r.grade = red or r.n > 1 or r.grade is unknown)\n"
    assert check(USE_ALL + body, head=head).errors == []


def test_an_unknown_type_lists_the_types_there_are(check):
    head = HEAD.replace("  born: date\n", "  born: date\n  score: integer\n")
    d = check(USE_ALL, head=head).expect("unknown type `integer`", "integer")
    for word in ("`number` / `数值`", "`bool` / `布尔`", "`date` / `日期`", "`list of T` / `列表 T`", "`color`"):
        assert word in d.message, d.message


# Conclusions the policy defines (questions/findings.py)
def test_conclusions_of_every_form_check_clean(check):
    body = USE_ALL + '''article 2
  conclusion praised "commended" when person.honest
  conclusion since "probation from" equals person.start when not person.honest
  conclusion hue "colour" equals person.color
  conclusion band "band" equals excellent when satisfies article 1
  conclusion level "level" equals 3
  conclusion renewed "renewal noted" equals r.on for each r in person.renewals where r.ok
  结论 每次 "每次续聘" 对每个 r 取自 person.renewals
'''
    assert check(body).diagnostics == []


def test_a_conclusion_code_is_declared_once(check):
    body = USE_ALL + 'article 2\n  conclusion praised "a" when person.honest\n  (1)\n    conclusion praised "b" equals person.start\n'
    result = check(body)
    d = result.expect("conclusion `praised` is already declared at 2", 'conclusion praised "b"')
    assert "declared once per policy" in d.message


def test_a_conclusion_value_is_not_a_condition(check):
    result = check(USE_ALL + 'article 2\n  conclusion praised "a" equals person.honest\n')
    d = result.expect("a conclusion's value is a date, an enum value, a whole number or text", "person.honest\n")
    assert "`conclusion CODE \"label\" when …`" in d.message


def test_a_conclusion_value_of_another_type_is_refused(check):
    result = check(USE_ALL + 'article 2\n  conclusion seen "a" equals person.tags\n')
    result.expect("not list of enum color", "person.tags\n")


def test_a_conclusion_value_reads_a_declared_fact(check):
    result = check(USE_ALL + 'article 2\n  conclusion seen "a" equals person.colour\n')
    result.expect("unknown fact `person.colour`", "person.colour")


def test_a_conclusion_says_something(check):
    result = check(USE_ALL + 'article 2\n  conclusion seen "a"\n')
    result.expect("a conclusion says when it holds", "conclusion seen")


def test_a_conclusion_needs_a_label(check):
    result = check(USE_ALL + 'article 2\n  conclusion seen " " when person.honest\n')
    result.expect("a conclusion needs a label", "conclusion seen")


def test_for_each_takes_a_list_of_records(check):
    result = check(USE_ALL + 'article 2\n  conclusion seen "a" for each r in person.tags\n')
    result.expect("`for each` / `对每个` takes a `list of` a record type, not list of enum color", "person.tags\n")


def test_for_each_reads_the_entrys_fields(check):
    result = check(USE_ALL + 'article 2\n  conclusion seen "a" equals r.when for each r in person.renewals\n')
    result.expect("record `renewal_rec` has no field `when`", "r.when")


def test_a_conclusion_reads_what_its_phase_may(check):
    # A conclusion is drawn after the report: it may read `dismissed`, `expired` needs a term.
    result = check(USE_ALL + 'article 2\n  conclusion seen "a" when dismissed or expired\n')
    result.expect("`expired` / `期满未续聘` needs a `term` rule", "expired")
    assert not result.find("cannot be used in a conclusion")
