"""Every keyword of the policy language, English and Chinese, in one table.

Why this module exists: the parser (reserved names, values, error messages),
the formatter (English ↔ Chinese), the Pygments lexer, the fuzzer and the
keyword table of ``docs/language.md`` all need the keyword spellings. Each used
to read them back out of the grammar's regexes in its own way, and the answers
disagreed (``years`` was accepted as a name while ``年`` was reserved). Now this
table is the source: the keyword terminals of ``grammars/policy.lark`` are
generated from it (the block between ``// BEGIN GENERATED KEYWORDS`` and
``// END GENERATED KEYWORDS``), so is the table in ``docs/language.md``, and
every other module asks this one. ``tests/test_keywords.py`` fails when either
generated block is out of date; after editing the table run::

    python -m supervisor_rules.lang.keywords --write

A row is one meaning: a terminal whose spellings are all synonyms has one row,
one whose spellings stand for different values (``UNIT``, ``EFFECT``,
``RECUSAL_KIND``, ``ACTOR``) has a row per value. Each language's spellings are
listed with the one the formatter writes first. The structural markers (第三条,
``article 3``, （一）, ``1.``) are not keywords: they carry a number, and stay
hand-written in the grammar.

Reservation: every spelling that is one word (in either language) is reserved,
so it can never be a name; the words of a multi-word spelling (``on`` in ``on
issuance``) are not reserved by themselves.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import attrs

__all__ = ["CATEGORIES", "DOCS_BEGIN", "DOCS_END", "EN", "GRAMMAR_BEGIN", "GRAMMAR_END", "KEYWORDS", "LANGUAGES", "PRIORITY", "ZH", "Keyword", "by_terminal", "chinese_of",
           "docs_table", "english_of", "grammar_block", "language_of", "lookup", "main", "pattern",
           "replace_block", "reserved_words", "spellings", "terminals", "translate", "value_of"]

EN, ZH = "en", "zh"
#: The two keyword languages, in the order the grammar lists their spellings.
LANGUAGES = (EN, ZH)
#: Priority of every keyword terminal: above NAME (0) and PATH (1), below the structural markers (3).
PRIORITY = 2

# Categories: what a keyword does in the language (the Pygments lexer colours by category).
HEADER = "header"            # a field of the file's header
DECLARATION = "declaration"  # starts a declaration (or the header, or an invariant)
IMPORT = "import"
TYPE = "type"
LITERAL = "literal"          # a constant written as a keyword
STATEMENT = "statement"      # starts a rule
CLAUSE = "clause"            # introduces a part of a rule
MODIFIER = "modifier"        # optional, adds no meaning: dropped when it has no spelling in a language
VALUE = "value"              # a decision value (effect, recusal kind, actor)
UNIT = "unit"
OPERATOR = "operator"
OPERAND = "operand"          # a state of the decision, an operand by itself
PREDICATE = "predicate"      # a test of a provision
CATEGORIES = (HEADER, DECLARATION, IMPORT, TYPE, LITERAL, STATEMENT, CLAUSE, MODIFIER, VALUE, UNIT, OPERATOR,
              OPERAND, PREDICATE)

_WORD = re.compile(r"[^\W\d]\w*")


@attrs.frozen
class Keyword:
    """One meaning of a keyword: its terminal, category, spellings in both languages and value."""

    terminal: str  # the grammar's terminal name (``WHEN``)
    category: str
    en: tuple[str, ...]  # English spellings, words separated by one space; the formatter writes the first
    zh: tuple[str, ...]  # Chinese spellings; the formatter writes the first
    value: str  # what the parser makes of it (``automatic`` for 自然解聘, ``working_days`` for 个工作日)
    used_in: str  # where it is used, for docs/language.md

    def spellings(self, lang: str | None = None) -> tuple[str, ...]:
        """Its spellings in ``lang`` (``"en"`` or ``"zh"``), or in both, English first."""
        if lang is None:
            return self.en + self.zh
        return {EN: self.en, ZH: self.zh}[lang]


def _k(terminal: str, category: str, en: tuple[str, ...] | str, zh: tuple[str, ...] | str, used_in: str,
       value: str | None = None) -> Keyword:
    return Keyword(terminal, category, _tuple(en), _tuple(zh), value or terminal.lower(), used_in)


def _tuple(spellings: tuple[str, ...] | str) -> tuple[str, ...]:
    return (spellings,) if isinstance(spellings, str) else spellings


#: The table, in the order of the documentation (and of the grammar's generated block).
KEYWORDS: tuple[Keyword, ...] = (
    _k("POLICY", DECLARATION, "policy", "办法", "header"),
    _k("TITLE", HEADER, "title", "标题", "header"),
    _k("AUTHORITY", HEADER, "authority", "发文机关", "header"),
    _k("DOCUMENT", HEADER, "document", "文号", "header"),
    _k("EFFECTIVE", HEADER, "effective", "施行", "header"),
    _k("ISSUANCE", LITERAL, "on issuance", ("发布之日", "印发之日", "颁布之日"), "header (`effective on issuance`)",
       value="on_issuance"),
    _k("REPEALED", HEADER, "repealed", "废止", "header (the day the policy ceases to be in force)"),
    _k("VALID_UNTIL", HEADER, "valid until", "有效期至", "header (the last day of its period of validity)"),
    _k("STATUS", HEADER, "status", "状态", "header"),
    _k("TRIAL", LITERAL, "trial", "试行", "header"),
    _k("FINAL", LITERAL, "final", "正式", "header"),
    _k("AGE_REACHED", HEADER, "age reached", "周岁起算", "header (how `age` counts 周岁; docs/dates.md)"),
    _k("AGE_RULE", LITERAL, "on birthday", "生日当日", "header (`age reached on birthday`)", value="birthday"),
    _k("AGE_RULE", LITERAL, "on day after birthday", "生日次日", "header (`age reached on day after birthday`)",
       value="day_after"),
    _k("IMPORT", IMPORT, "import", "引用", "imports"),
    _k("ENUM", DECLARATION, "enum", "枚举", "declarations, inline enum type"),
    _k("RECORD", DECLARATION, "record", "记录", "declarations"),
    _k("FACTS", DECLARATION, "facts", "事实", "declarations"),
    _k("BOOL", TYPE, "bool", "布尔", "types"),
    _k("DATE_TYPE", TYPE, "date", "日期", "types"),
    _k("NUMBER_TYPE", TYPE, "number", "数值", "types"),
    _k("TEXT_TYPE", TYPE, "text", "文本", "types"),
    _k("LIST_OF", TYPE, "list of", "列表", "types"),
    _k("TRUE", LITERAL, "true", "真", "literals, defaults"),
    _k("FALSE", LITERAL, "false", "假", "literals, defaults"),
    _k("TEXT_ONLY", STATEMENT, "text only", "仅文本", "rules"),
    _k("REQUIRE", STATEMENT, ("require", "requires"), "须", "rules"),
    _k("PREFER", STATEMENT, "prefer", "优先", "rules"),
    _k("WHEN", CLAUSE, "when", "当", "rules"),
    _k("TERM", STATEMENT, "term", "聘期", "rules"),
    _k("FROM", CLAUSE, "from", "自", "`term`"),
    _k("UNIT", UNIT, ("years", "year"), "年", "units (`term`, `due`, `after`)", value="years"),
    _k("UNIT", UNIT, ("months", "month"), "个月", "units", value="months"),
    _k("UNIT", UNIT, ("working days", "working day"), ("个工作日", "工作日"), "units", value="working_days"),
    _k("UNIT", UNIT, ("calendar days", "calendar day"), ("日", "天"), "units", value="days"),
    _k("RENEWAL", STATEMENT, "renewal", "续聘", "rules"),
    _k("OF", CLAUSE, "of", "取自", "`renewal`"),
    _k("DATED", CLAUSE, "dated", "日期为", "`renewal`"),
    _k("RENEWAL_REQUIRES", STATEMENT, ("renewal requires", "renewal require"), "续聘须",
       "rules (a further condition of the renewal, cited where it is written)"),
    _k("GROUND", MODIFIER, "ground", "解聘事由", "rules (optional)"),
    _k("EFFECT", VALUE, "automatic", "自然解聘", "grounds (also as a value)", value="automatic"),
    _k("EFFECT", VALUE, "mandatory", "应当解聘", "grounds (also as a value)", value="mandatory"),
    _k("EFFECT", VALUE, "discretionary", "可以解聘", "grounds (also as a value)", value="discretionary"),
    _k("DISMISSAL_RECORDED", STATEMENT, "dismissal recorded", "解聘记录", "rules"),
    _k("RECUSAL", STATEMENT, "recusal", "回避", "rules"),
    _k("RECUSAL_KIND", VALUE, "required", "必须", "`recusal` (also as a value)", value="required"),
    _k("RECUSAL_KIND", VALUE, "request", "申请", "`recusal` (also as a value)", value="request"),
    _k("DECIDED_BY", CLAUSE, ("decided by", "by"), "由", "`recusal` (`decided by`), a duty's bearer (`by`)"),
    _k("ACTOR", VALUE, "supervisor", "监督员", "`recusal`, a duty's bearer (also as a value)", value="supervisor"),
    _k("ACTOR", VALUE, "department", "部门", "`recusal`, a duty's bearer (also as a value)", value="department"),
    _k("DECIDE", MODIFIER, (), "决定", "`recusal` (optional, after the actor)"),
    _k("ALSO_CITING", CLAUSE, "also citing", "并依据", "`recusal`, `require` (further provisions the decision cites)"),
    _k("PROHIBIT", STATEMENT, "prohibit", "禁止", "rules"),
    _k("DUTY", STATEMENT, "duty", "义务", "rules"),
    _k("DUE", CLAUSE, "due", "期限", "duties, expressions (`due(X after 15 calendar days)`: art. 203 applied)"),
    _k("AFTER", CLAUSE, "after", "后", "duties, expressions (`X after 7 working days`)"),
    _k("BEFORE", CLAUSE, "before", "前", "expressions (`X before 3 years`)"),
    _k("IMMEDIATELY", CLAUSE, "immediately", "立即", "duties (`due immediately after X`, `期限 X 后 立即`)"),
    _k("DONE_ON", CLAUSE, "done on", "完成日期", "duties"),
    _k("MET_WHEN", CLAUSE, "met when", "履行条件", "duties"),
    _k("BREACHED_WHEN", CLAUSE, "breached when", "违反条件", "duties"),
    _k("REPORT_SCOPE", STATEMENT, "report scope", "举报范围", "rules"),
    _k("REPORT_CATEGORY", STATEMENT, "report category", "举报类别", "rules"),
    _k("REWARD", STATEMENT, "reward", "奖励", "rules"),
    _k("UNDER", CLAUSE, ("under", "cites"), "依据", "`reward`, `invariant`"),
    _k("NOTICE", STATEMENT, "notice", "提示", "rules"),
    _k("CONCLUSION", STATEMENT, "conclusion", "结论", "rules"),
    _k("EQUALS", CLAUSE, "equals", "为", "`conclusion` (its value)"),
    _k("FOR_EACH", CLAUSE, "for each", "对每个", "`conclusion` (`for each r in LIST`)"),
    _k("INVARIANT", DECLARATION, "invariant", "不变式", "invariants"),
    _k("DEFINE", DECLARATION, "define", "定义", "definitions (`define NAME \"label\" = EXPR`, `定义 NAME \"标签\" 为 EXPR`)"),
    _k("THEN", CLAUSE, "then", "则", "`invariant`"),
    _k("AND", OPERATOR, "and", ("且", "并且"), "expressions"),
    _k("OR", OPERATOR, "or", ("或", "或者"), "expressions"),
    _k("NOT", OPERATOR, "not", "非", "expressions"),
    _k("IN", OPERATOR, "in", "属于", "expressions"),
    _k("NOT_IN", OPERATOR, "not in", "不属于", "expressions"),
    _k("HAS", OPERATOR, "has", "包含", "expressions"),
    _k("HAS_ANY", OPERATOR, "has any of", "包含任一", "expressions"),
    _k("IS_KNOWN", OPERATOR, "is known", "已知", "expressions"),
    _k("IS_UNKNOWN", OPERATOR, "is unknown", "未知", "expressions"),
    _k("IS_EMPTY", OPERATOR, "is empty", "为空", "expressions"),
    _k("NOT_EMPTY", OPERATOR, "is not empty", "非空", "expressions"),
    _k("EXPIRED", OPERAND, "expired", "期满未续聘", "expressions"),
    _k("DISMISSED", OPERAND, "dismissed", "已解聘", "expressions"),
    _k("AS_OF", OPERAND, "as_of", "基准日", "expressions"),
    _k("LAST_DAY", OPERAND, "last day", "聘期届满日", "expressions, deadlines (after the status)"),
    _k("DISMISSAL_DAY", OPERAND, "dismissal day", "解聘之日", "expressions, deadlines (after the status)"),
    _k("VIOLATES", PREDICATE, "violates", "违反", "expressions"),
    _k("SATISFIES", PREDICATE, "satisfies", "符合", "expressions"),
    _k("MIN", OPERATOR, "min", "较小值", "expressions (`min(a, b)`)"),
    _k("MAX", OPERATOR, "max", "较大值", "expressions (`max(a, b)`)"),
    _k("AGE", OPERATOR, "age", "周岁", "expressions (`age(BIRTH, ON)`)"),
    _k("TERM_NUMBER", OPERATOR, "term number", "所在聘期", "expressions (`term number(DATE)`, after the term)"),
    _k("YEAR_OF", OPERATOR, "year_of", "年份", "expressions (`year_of(DATE)`: its calendar year; `year` is the unit)"),
    _k("COUNT_OF", OPERATOR, "count of", "计数", "expressions (`count of LIST`, `count of r in LIST where C`)"),
    _k("ANY", OPERATOR, "any", "存在", "expressions (`any r in LIST where C`)"),
    _k("ALL", OPERATOR, "all", "全部", "expressions (`all r in LIST where C`)"),
    _k("NO", OPERATOR, "no", "没有", "expressions (`no r in LIST where C`)"),
    _k("WHERE", CLAUSE, "where", "满足", "`count of`, `any`, `all`, `no`, `conclusion … for each`"),
)


def _normal(spelling: str) -> str:
    # A multi-word keyword may be written with any spaces or tabs between its words.
    return " ".join(spelling.split())


def _index() -> dict[str, Keyword]:
    out: dict[str, Keyword] = {}
    for entry in KEYWORDS:
        for spelling in entry.spellings():
            if spelling in out:
                raise ValueError(f"keyword spelling `{spelling}` is listed twice ({out[spelling].terminal}, "
                                 f"{entry.terminal})")
            out[spelling] = entry
    return out


_BY_SPELLING = _index()
_TERMINALS = tuple(dict.fromkeys(entry.terminal for entry in KEYWORDS))
_RESERVED = frozenset(s for s in _BY_SPELLING if _WORD.fullmatch(s))


def terminals() -> tuple[str, ...]:
    """The keyword terminal names, in table order (``POLICY``, ``TITLE``, …)."""
    return _TERMINALS


def by_terminal(terminal: str) -> tuple[Keyword, ...]:
    """The rows of one terminal (several for ``UNIT``, ``EFFECT``, ``RECUSAL_KIND``, ``ACTOR``)."""
    return tuple(entry for entry in KEYWORDS if entry.terminal == terminal)


def spellings(terminal: str | None = None) -> tuple[str, ...]:
    """The spellings of ``terminal`` in the grammar's order, or every keyword spelling.

    The grammar's order is English then Chinese, each longest first (ties in
    table order), so that no alternative is shadowed by a shorter one; error
    messages list a terminal's spellings in this order.
    """
    if terminal is None:
        return tuple(_BY_SPELLING)
    rows = by_terminal(terminal)
    if not rows:
        raise KeyError(f"{terminal} is not a keyword terminal")
    out: list[str] = []
    for lang in LANGUAGES:
        out += sorted((s for row in rows for s in row.spellings(lang)), key=len, reverse=True)
    return tuple(out)


def reserved_words() -> frozenset[str]:
    """Every spelling that is one word, in either language: none of them can be a name."""
    return _RESERVED


def lookup(spelling: str) -> Keyword | None:
    """The row a keyword spelling belongs to (white space normalised), or None if it is none."""
    return _BY_SPELLING.get(_normal(spelling))


def _row(spelling: str) -> Keyword:
    entry = lookup(spelling)
    if entry is None:
        raise KeyError(f"`{spelling}` is not a keyword")
    return entry


def value_of(spelling: str) -> str:
    """What a keyword spelling stands for: ``个工作日`` → ``working_days``, ``必须`` → ``required``."""
    return _row(spelling).value


def language_of(spelling: str) -> str:
    """``"en"`` or ``"zh"``: which language a keyword spelling belongs to."""
    return EN if _normal(spelling) in _row(spelling).en else ZH


def translate(spelling: str, lang: str) -> str | None:
    """The spelling the formatter writes for this keyword in ``lang``, or None if it has none there."""
    preferred = _row(spelling).spellings(lang)
    return preferred[0] if preferred else None


def english_of(spelling: str) -> str | None:
    """The English spelling of a keyword (``当`` → ``when``; None for ``决定``, which has none)."""
    return translate(spelling, EN)


def chinese_of(spelling: str) -> str | None:
    """The Chinese spelling of a keyword (``working days`` → ``个工作日``)."""
    return translate(spelling, ZH)


def pattern(terminal: str) -> str:
    """The regular expression of a keyword terminal: its spellings, as whole words.

    A multi-word spelling takes any spaces or tabs between its words, and no
    spelling matches the start of a longer word (``note`` is a name, ``not`` a keyword) or of a
    path (``结论.状态`` reads the decision in an invariant, though ``结论`` starts a conclusion rule;
    no keyword is ever followed by ``.name``, so every lexer, with parser state or without, makes
    such a word a path, and the parser refuses a path headed by a keyword other than the decision's).
    """
    alternatives = ("[ \\t]+".join(re.escape(word) for word in s.split(" ")) for s in spellings(terminal))
    return "(?:" + "|".join(alternatives) + ")(?!\\w|\\.[^\\W\\d])"


# ------------------------------------------------------------------ generated blocks
GRAMMAR_BEGIN = "// BEGIN GENERATED KEYWORDS (lang/keywords.py)"
GRAMMAR_END = "// END GENERATED KEYWORDS"
DOCS_BEGIN = "<!-- BEGIN GENERATED KEYWORDS (lang/keywords.py) -->"
DOCS_END = "<!-- END GENERATED KEYWORDS -->"
_REGENERATE = "python -m supervisor_rules.lang.keywords --write"


def grammar_block() -> str:
    """The keyword terminal definitions of ``grammars/policy.lark``, between its BEGIN/END markers."""
    lines = [GRAMMAR_BEGIN,
             f"// Do not edit: change the table in keywords.py, then run `{_REGENERATE}`.",
             f"// Priority {PRIORITY}: over NAME and PATH, under the structural markers."]
    lines += [f"{t}.{PRIORITY}: /{pattern(t)}/" for t in terminals()]
    lines.append(GRAMMAR_END)
    return "\n".join(lines) + "\n"


def _code(spellings: tuple[str, ...]) -> str:
    return ", ".join(f"`{s}`" for s in spellings) or "—"


def docs_table() -> str:
    """The keyword table of ``docs/language.md``, between its BEGIN/END markers."""
    lines = [DOCS_BEGIN, "| English | 中文 | used in |", "|---|---|---|"]
    lines += [f"| {_code(e.en)} | {_code(e.zh)} | {e.used_in} |" for e in KEYWORDS]
    lines.append(DOCS_END)
    return "\n".join(lines) + "\n"


def replace_block(text: str, block: str, begin: str, end: str) -> str:
    """``text`` with the lines from ``begin`` to ``end`` (both included) replaced by ``block``."""
    start = text.find(begin)
    stop = text.find(end, start)
    if start < 0 or stop < 0:
        raise ValueError(f"no `{begin}` … `{end}` block to replace")
    stop = text.find("\n", stop)
    stop = len(text) if stop < 0 else stop + 1
    return text[:start] + block + text[stop:]


def _targets() -> list[tuple[Path, str, str, str]]:
    from supervisor_rules.resources import grammar_path

    grammar = grammar_path()
    targets = [(grammar, grammar_block(), GRAMMAR_BEGIN, GRAMMAR_END)]
    docs = grammar.parent.parent / "docs" / "language.md"  # only in a source checkout
    if docs.is_file():
        targets.append((docs, docs_table(), DOCS_BEGIN, DOCS_END))
    return targets


def main(argv: list[str] | None = None) -> int:
    """Rewrite (``--write``) or check (``--check``) the generated blocks of the grammar and the docs."""
    ap = argparse.ArgumentParser(prog="python -m supervisor_rules.lang.keywords",
                                 description="Generate the keyword terminals of the grammar and the keyword "
                                             "table of docs/language.md from lang/keywords.py.")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the generated blocks")
    mode.add_argument("--check", action="store_true", help="exit 1 if a generated block is out of date")
    args = ap.parse_args(argv)
    stale = []
    for path, block, begin, end in _targets():
        text = path.read_text(encoding="utf-8")
        new = replace_block(text, block, begin, end)
        if new == text:
            continue
        if args.write:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote {path}")
        else:
            stale.append(str(path))
    if stale:
        print(f"out of date: {', '.join(stale)}; run `{_REGENERATE}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
