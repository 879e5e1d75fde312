#!/usr/bin/env python3
"""Fuzz the front end: every input either loads or raises a positioned ``PolicyError``.

Two generators feed ``sr.parse_policy`` (parse + check + compile):

* **grammar** — Hypothesis ``from_lark`` over ``grammars/policy.lark`` with an
  explicit strategy for every terminal (keyword spellings in both languages,
  names that are real facts, strings, numbers, markers), so that most texts
  parse and many get as far as the checker. Thorough but slow to generate
  (~20-40 ms an example), so it gets the smaller share (``--from-lark``).
* **mutation** — windows of the shipped policies (the header, imports and facts,
  then 1-3 random chapters/articles; sometimes a whole file) with 1-4 random
  mutations: tokens deleted, duplicated, swapped, replaced by a keyword from the
  other language or another token, numbers and dates pushed to extremes,
  strings broken, random Unicode characters inserted, lines deleted, duplicated,
  swapped or moved, deep nesting, truncation. Half the mutants are gentle (a
  token swapped for another of its kind) so that they parse and reach the
  checker. Cheap to generate; loading costs ~5-20 ms (the window imports
  ``common.rules``, which is parsed each time).

An example *passes* if it loads, or raises ``PolicyError`` whose every diagnostic
has line ≥ 1 and column ≥ 1 and shows as ``SOURCE:LINE:COL:`` in ``str()``.
Anything else is a failure: another exception, an unpositioned ``PolicyError``,
or a hang (no answer within ``--time-limit`` seconds). Failing inputs are saved
to ``--save``; the exit status is 1 if there was any failure.

    PYTHONPATH=src python scripts/fuzz_frontend.py                  # 100,000 examples
    PYTHONPATH=src python scripts/fuzz_frontend.py --examples 5000 --seed 7

``tests/test_fuzz_frontend.py`` imports the generators from this file and runs a
small budget of each in the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import multiprocessing
import random
import re
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
try:
    import supervisor_rules as sr
except ImportError:  # run from a checkout without PYTHONPATH=src
    sys.path.insert(0, str(ROOT / "src"))
    import supervisor_rules as sr

import lark  # noqa: E402

from supervisor_rules import PolicyError  # noqa: E402
from supervisor_rules.lang import keywords, parser

POLICIES = ROOT / "policies"
GRAMMAR = ROOT / "grammars" / "policy.lark"
#: Real policies that are mutated; each is loaded with ``base_dir=POLICIES``.
SOURCES = ("wuhan.rules", "guangxi.rules")
#: The source name given to ``parse_policy`` for every fuzzed text.
FUZZ_SOURCE = "fuzz.rules"

# Where a chapter or an article starts (as in parser._all_syntax_errors).
_CHUNK_START = re.compile(r"^[ \t\u3000]*(?:第[零〇一二三四五六七八九十百]+[条章]|article[ \t]+\d|chapter[ \t]+\d)", re.M)
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


# --------------------------------------------------------------------------- checking one input

class Hang(BaseException):
    """Raised by the timer; a BaseException so that no ``except Exception`` in the engine swallows it."""


def _on_alarm(signum, frame):
    raise Hang()


def position_problem(exc: PolicyError) -> str | None:
    """Why ``exc`` is not a properly positioned ``PolicyError``, or None if it is."""
    text = str(exc)
    if not exc.diagnostics:
        return "PolicyError without diagnostics"
    for d in exc.diagnostics:
        if not (isinstance(d.line, int) and isinstance(d.column, int)) or d.line < 1 or d.column < 1:
            return f"diagnostic without a position: line={d.line!r} column={d.column!r}: {d.message}"
        if f"{d.source}:{d.line}:{d.column}:" in text:
            continue
        return f"str() lacks `{d.source}:{d.line}:{d.column}:` for: {d.message}"
    return None


@dataclass
class Outcome:
    kind: str  # "loaded" | "policy_error" | "unexpected" | "unpositioned" | "hang"
    detail: str = ""
    seconds: float = 0.0


FAILURES = ("unexpected", "unpositioned", "hang")


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise ``Hang`` in the block once it has used ``seconds`` of CPU time.

    CPU time (``ITIMER_PROF``), not wall time: a loop that never ends burns CPU,
    while a busy machine only slows the wall clock, which must not count as a
    hang. (A wait that burns nothing is caught by the run's ``--stall`` watchdog.)
    POSIX, main thread only; elsewhere there is no limit.
    """
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGPROF, _on_alarm)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def check_one(text: str, limit: float = 10.0, base_dir: Path = POLICIES) -> Outcome:
    """Load ``text`` with ``sr.parse_policy`` and classify what happened."""
    start = time.perf_counter()
    try:
        with time_limit(limit):
            sr.parse_policy(text, FUZZ_SOURCE, base_dir=base_dir)
        outcome = Outcome("loaded")
    except Hang:
        outcome = Outcome("hang", f"no answer within {limit:g} s of CPU time")
    except PolicyError as exc:
        try:
            problem = position_problem(exc)
        except Exception:  # str(exc) itself failed
            outcome = Outcome("unexpected", traceback.format_exc())
        else:
            outcome = Outcome("policy_error") if problem is None else Outcome("unpositioned", problem)
    except (Exception, RecursionError):
        outcome = Outcome("unexpected", traceback.format_exc())
    outcome.seconds = time.perf_counter() - start
    return outcome


# --------------------------------------------------------------------------- keywords and samples

@functools.cache
def keyword_spellings() -> dict[str, list[str]]:
    """Every keyword terminal → its spellings (English and Chinese), from the keyword table."""
    return {terminal: list(keywords.spellings(terminal)) for terminal in keywords.terminals()}


@functools.cache
def fixed_spellings() -> dict[str, list[str]]:
    """Every terminal with fixed spellings: the keywords, and the grammar's punctuation (``{``, ``,``)."""
    punctuation = {t.name: [t.pattern.value] for t in parser.tree_parser().terminals if t.pattern.type == "str"}
    return {**keyword_spellings(), **punctuation}


def _other_language(terminal: str, spelling: str) -> list[str]:
    spellings = fixed_spellings().get(terminal, [])
    chinese = bool(_CJK.search(spelling))
    return [s for s in spellings if bool(_CJK.search(s)) != chinese] or spellings


#: Names that are real facts, fields, enum values and records of the shipped policies,
#: so that generated paths (person.honest) and types (candidate_category) often check.
REAL_NAMES = ("person", "honest", "law_abiding", "appointment", "start", "method", "conduct", "criminal_penalty",
              "violations", "annual_rating", "excellent", "activity", "report", "verified", "renewals",
              "candidate_category", "other", "background", "renewal_record")
OTHER_NAMES = ("a", "x", "note", "on", "人员", "诚信", "ｘ", "é", "_")
STRINGS = ('"文本"', '"common.rules"', '"x"', '「引文」', '""', '"a \\" b"', '"\\n"', '"注" # 注释\n', '"a"\n  "b"')
DATES = ("2024-01-01", "2020-02-29", "2023-02-29", "0001-01-01", "9999-12-31", "2024-13-01")
CHAPTERS = ("第一章", "第二章", "chapter 1", "chapter 2", "第十章")
ARTICLES = ("第一条", "第二条", "第三条", "article 1", "article 2", "article 3", "第七条第（六）项", "article 7(6)",
            "第一百条", "article 0")
PARAGRAPHS = ("第一款", "第二款", "paragraph 1", "paragraph 3")
ITEMS = ("（一）", "（二）", "(1)", "(2)", "(三)", "( 4 )")
SUBS = ("1.", "2．", "3、")
CMP_OPS = ("=", "!=", "≠", "<", "<=", ">", ">=")


#: Terminals that start a line in a generated text (top level, then statements, indented);
#: every other token is followed by one space, so that adjacent tokens never glue.
_LINE_STARTS = {"POLICY": "\n", "IMPORT": "\n", "ENUM": "\n", "RECORD": "\n", "FACTS": "\n", "CHAPTER": "\n\n",
                "ARTICLE": "\n", "INVARIANT": "\n", "TITLE": "\n  ", "AUTHORITY": "\n  ", "DOCUMENT": "\n  ",
                "EFFECTIVE": "\n  ", "STATUS": "\n  ", "PARAGRAPH": "\n ", "ITEM": "\n  ", "SUB": "\n   ",
                **{k: "\n    " for k in ("REQUIRE", "PREFER", "TERM", "RENEWAL", "GROUND", "DISMISSAL_RECORDED",
                                         "RECUSAL", "PROHIBIT", "DUTY", "REPORT_SCOPE", "REPORT_CATEGORY", "REWARD",
                                         "NOTICE", "TEXT_ONLY")}}


def _hypothesis_grammar() -> lark.Lark:
    """The project's grammar for ``from_lark``, which needs only its rules: built with Earley (no
    LALR tables to compute) and without ``%ignore`` (separators come with the tokens instead,
    which halves the cost of generation)."""
    text = re.sub(r"(?m)^%ignore.*$", "", GRAMMAR.read_text(encoding="utf-8"))
    return lark.Lark(text, parser="earley", lexer="dynamic", start=["start", "article"])


_STRATEGIES: dict = {}


def grammar_strategy(*, checked_share: bool = True):
    """A Hypothesis strategy for rule texts derived from the grammar (``from_lark``).

    Every terminal has an explicit strategy: keyword spellings in both languages,
    names of real facts and fields, strings, numbers, dates, markers. With
    ``checked_share``, a quarter of the texts are a real policy's header, imports
    and facts followed by 1-2 generated articles, so that names resolve and many
    texts get through the checker.
    """
    if checked_share in _STRATEGIES:
        return _STRATEGIES[checked_share]
    from hypothesis import strategies as st
    from hypothesis.extra.lark import from_lark

    explicit = {name: st.sampled_from(spellings) for name, spellings in fixed_spellings().items()}
    explicit.update(
        NAME=st.one_of(st.sampled_from(REAL_NAMES), st.sampled_from(OTHER_NAMES)),
        PATH=st.lists(st.sampled_from(REAL_NAMES + OTHER_NAMES), min_size=2, max_size=3).map(".".join),
        STRING=st.sampled_from(STRINGS),
        INT=st.one_of(st.integers(0, 30), st.integers(0, 10**30)).map(str),
        NUMBER=st.one_of(st.integers(0, 100).map(str), st.sampled_from(("89.5", "0.1", "2000", "1.000000001")),
                         st.integers(0, 10**30).map(str)),
        TIMES=st.sampled_from(("*", "×")),
        DIVIDE=st.sampled_from(("/", "÷")),
        DATE=st.sampled_from(DATES),
        CHAPTER=st.sampled_from(CHAPTERS),
        ARTICLE=st.sampled_from(ARTICLES),
        PARAGRAPH=st.sampled_from(PARAGRAPHS),
        ITEM=st.sampled_from(ITEMS),
        SUB=st.sampled_from(SUBS),
        CMP_OP=st.sampled_from(CMP_OPS),
        _COLON=st.sampled_from((":", "：")),
    )
    explicit = {name: s.map(lambda t, before=_LINE_STARTS.get(name, ""): before + t + " ")
                for name, s in explicit.items()}
    grammar = _hypothesis_grammar()
    whole = from_lark(grammar, start="start", explicit=_reachable(grammar, "start", explicit))
    if not checked_share:
        _STRATEGIES[checked_share] = whole
        return whole
    articles = st.lists(from_lark(grammar, start="article", explicit=_reachable(grammar, "article", explicit)),
                        min_size=1, max_size=2)
    prefixed = st.builds(lambda prefix, body: prefix + "\n" + "\n".join(body),
                         st.sampled_from([c.prefix for c in corpus()]), articles)
    _STRATEGIES[checked_share] = st.one_of(whole, whole, whole, prefixed)
    return _STRATEGIES[checked_share]


def _reachable(grammar: lark.Lark, start: str, explicit: dict) -> dict:
    """``explicit`` restricted to the terminals reachable from ``start`` (from_lark refuses others)."""
    by_origin: dict[str, list] = {}
    for rule in grammar.rules:
        by_origin.setdefault(rule.origin.name, []).append(rule.expansion)
    seen, stack = set(), [start]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        for expansion in by_origin.get(name, ()):
            stack.extend(sym.name for sym in expansion)
    ignored = set(grammar.lexer_conf.ignore)
    return {k: v for k, v in explicit.items() if k in seen or k in ignored}


# --------------------------------------------------------------------------- real policies, tokenised

@dataclass
class Piece:
    """A part of a real policy (the prefix or one chapter/article) as alternating gaps and tokens."""
    text: str
    tokens: list[tuple[str, str]]  # (terminal, text)
    gaps: list[str]  # gaps[i] precedes tokens[i]; gaps[-1] trails


@dataclass
class Policy:
    name: str
    text: str
    prefix: str
    pieces: list[Piece] = field(default_factory=list)  # pieces[0] is the prefix


def _piece(text: str) -> Piece:
    tokens, gaps, at = [], [], 0
    for tok in parser.tree_parser().lex(text):
        gaps.append(text[at:tok.start_pos])
        tokens.append((tok.type, str(tok)))
        at = tok.end_pos
    gaps.append(text[at:])
    return Piece(text, tokens, gaps)


_CORPUS: list[Policy] | None = None


def corpus() -> list[Policy]:
    """The shipped policies, split into prefix + chapters/articles and tokenised (once)."""
    global _CORPUS
    if _CORPUS is None:
        out = []
        for name in SOURCES:
            text = (POLICIES / name).read_text(encoding="utf-8")
            starts = [m.start() for m in _CHUNK_START.finditer(text)]
            bounds = [0, *starts, len(text)]
            parts = [text[a:b] for a, b in zip(bounds, bounds[1:])]
            out.append(Policy(name, text, parts[0], [_piece(p) for p in parts]))
        _CORPUS = out
    return _CORPUS


# --------------------------------------------------------------------------- mutations

#: Characters that mean something to the lexer or to Python, then a few odd ones.
INTERESTING_CHARS = ('"', "「", "」", "(", ")", "（", "）", "{", "}", "[", "]", ",", "，", ".", "．", "、", ":", "：",
                     "=", "!", "<", ">", "≠", "#", "\\", "\n", "\r", "\t", "\u3000", "\ufeff", "\x00", "\x0b", "\x0c",
                     "\x1c", "\x85", "\u2028", "\u2029", "\u200b", "\u0301", "\ud800", "\udfff", "\U0001f600",
                     "\U00020000", "\uffff", "第", "条", "章", "款", "项", "一", "〇", "十", "百", "0", "9", "_", "a")
BIG_NUMBERS = ("0", "1", "00", "999", "2147483648", "99999999999999999999", "1" + "0" * 60, "٣", "１", "1.5", "0.0000000001",
               "1" * 9 + "." + "1" * 10)
ODD_DATES = ("2024-02-30", "0000-01-01", "0001-01-01", "9999-12-31", "2024-00-10", "2023-02-29", "2024-1-01")
ODD_MARKERS = ("第零条", "第〇条", "第一百条", "第十十条", "第百百百条", "article 0", "article 99999999999999999999",
               "第一条第（零）项", "article 1(0)", "（百）", "(99999999999999999999)", "0.", "99999999999999999999.")


def _random_char(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(INTERESTING_CHARS)
    if roll < 0.8:
        return chr(rng.randrange(0x20, 0x3000))
    if roll < 0.9:
        return chr(rng.randrange(0x4E00, 0x9FFF))
    return chr(rng.randrange(0, 0x110000))


def _token_ops(rng: random.Random, tokens: list[str], types: list[str], donors: list[tuple[str, str]]) -> None:
    """One token-level mutation of ``tokens`` in place (a token may become "" or several)."""
    if not tokens:
        return
    i = rng.randrange(len(tokens))
    op = rng.randrange(12)
    if op == 0:  # delete
        tokens[i] = ""
    elif op == 1:  # duplicate
        tokens[i] = tokens[i] + rng.choice((" ", "\n", "")) + tokens[i]
    elif op == 2 and i + 1 < len(tokens):  # swap with the next
        tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
    elif op == 3:  # the same keyword in the other language (often still valid)
        if types[i] in fixed_spellings():
            tokens[i] = rng.choice(_other_language(types[i], tokens[i]))
        else:
            tokens[i] = rng.choice(rng.choice(list(fixed_spellings().values())))
    elif op == 4:  # any keyword (or punctuation)
        tokens[i] = rng.choice(rng.choice(list(fixed_spellings().values())))
    elif op == 5:  # another token of the same kind, or any token, from the corpus
        same = [t for ty, t in donors if ty == types[i]] if rng.random() < 0.7 else []
        tokens[i] = rng.choice(same or [t for _, t in donors])
    elif op == 6:  # numbers, dates and markers at the edges
        if types[i] in ("INT", "NUMBER"):
            tokens[i] = rng.choice(BIG_NUMBERS)
        elif types[i] == "DATE":
            tokens[i] = rng.choice(ODD_DATES)
        else:
            tokens[i] = rng.choice(ODD_MARKERS)
    elif op == 7:  # break a string
        t = tokens[i]
        tokens[i] = rng.choice((t[:-1], t[1:], t[:-1] + "\\" + t[-1:], t[:-1] + "\\", t + t[-1:],
                                t[: len(t) // 2] + "\n" + t[len(t) // 2:], t[: len(t) // 2] + '"' + t[len(t) // 2:]))
    elif op == 8:  # deep nesting in front of a token
        depth = rng.choice((5, 50, 99, 100, 101, 150, 1000))
        kind = rng.randrange(3)
        if kind == 0:
            tokens[i] = "(" * depth + tokens[i] + ")" * depth
        elif kind == 1:
            tokens[i] = rng.choice(("not ", "非 ")) * depth + tokens[i]
        else:
            tokens[i] = (tokens[i] + " and ") * depth + tokens[i]
    elif op == 9:  # a random character inside the token
        t = tokens[i]
        at = rng.randrange(len(t) + 1)
        tokens[i] = t[:at] + _random_char(rng) + t[at:]
    elif op == 10 and len(tokens) > 2:  # move a run of tokens elsewhere
        j = rng.randrange(len(tokens))
        tokens[i], tokens[j] = tokens[j], tokens[i]
    else:  # case and width changes
        t = tokens[i]
        tokens[i] = rng.choice((t.upper(), t.title(), t.replace(" ", "  "), t.replace(" ", "\t"), t.replace(" ", ""),
                                t.replace(" ", "\n"), t.replace(" ", "\u3000")))


def _text_ops(rng: random.Random, text: str, *, lines_only: bool = False) -> str:
    """One character- or line-level mutation of ``text``."""
    op = rng.randrange(3, 8) if lines_only else rng.randrange(8)
    if op == 0:  # insert random characters
        at = rng.randrange(len(text) + 1)
        return text[:at] + "".join(_random_char(rng) for _ in range(rng.choice((1, 1, 1, 2, 5)))) + text[at:]
    if op == 1:  # delete a span of characters
        at = rng.randrange(len(text) + 1)
        return text[:at] + text[at + rng.randrange(1, 12):]
    if op == 2:  # truncate
        return text[: rng.randrange(len(text) + 1)]
    lines = text.split("\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    if op == 3:  # delete a line
        del lines[i]
    elif op == 4:  # duplicate a line
        lines.insert(i, lines[i])
    elif op == 5:  # swap two lines
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 6:  # move a line
        lines.insert(j, lines.pop(i))
    else:  # change a line's indentation
        lines[i] = rng.choice(("", "  ", "\t", "\u3000", "        ")) + lines[i].lstrip()
    return "\n".join(lines)


#: Keyword terminals that stand in the same places, so that swapping them keeps the text parsing
#: (and gives the checker something to judge: a date where a condition was, `prefer` for `require`).
KEYWORD_CLASSES = (("AND", "OR"), ("IS_KNOWN", "IS_UNKNOWN", "IS_EMPTY", "NOT_EMPTY"), ("IN", "NOT_IN", "HAS_ANY"),
                   ("TRUE", "FALSE"), ("REQUIRE", "PREFER"), ("TRIAL", "FINAL"), ("EXPIRED", "DISMISSED", "AS_OF"),
                   ("VIOLATES", "SATISFIES"), ("MET_WHEN", "BREACHED_WHEN", "WHEN"), ("REPORT_SCOPE", "REPORT_CATEGORY"),
                   ("BOOL", "DATE_TYPE", "TEXT_TYPE", "NUMBER_TYPE"), ("EFFECT",), ("UNIT",), ("RECUSAL_KIND",),
                   ("ACTOR",), ("FACTS", "RECORD"), ("TITLE", "AUTHORITY", "DOCUMENT"), ("AFTER", "BEFORE"),
                   ("MIN", "MAX"), ("ANY", "ALL", "NO"), ("PLUS", "MINUS"), ("TIMES", "DIVIDE"), ("AGE_RULE",))
VALID_DATES = ("2020-01-01", "2020-02-29", "2021-12-31", "2024-06-30", "1999-12-31", "2100-01-01")
_DONORS: dict[str, list[str]] | None = None


def donor_tokens() -> dict[str, list[str]]:
    """Every token of the shipped rule files (common.rules too), by terminal."""
    global _DONORS
    if _DONORS is None:
        out: dict[str, list[str]] = {}
        pieces = [p for policy in corpus() for p in policy.pieces]
        pieces.append(_piece((POLICIES / "common.rules").read_text(encoding="utf-8")))
        for piece in pieces:
            for ty, t in piece.tokens:
                out.setdefault(ty, []).append(t)
        _DONORS = {k: sorted(set(v)) for k, v in out.items()}
    return _DONORS


def _semantic_op(rng: random.Random, tokens: list[str], types: list[str]) -> None:
    """A token swapped for another of its kind: the text usually still parses, so the checker is tested."""
    if not tokens:
        return
    i = rng.randrange(len(tokens))
    ty, t = types[i], tokens[i]
    donors = donor_tokens()
    spellings = fixed_spellings()
    if ty in ("INT", "NUMBER"):
        tokens[i] = str(rng.choice((rng.randrange(0, 40), rng.randrange(0, 40), rng.choice(BIG_NUMBERS))))
    elif ty == "DATE":
        tokens[i] = rng.choice(VALID_DATES + ODD_DATES[:3])
    elif ty == "CMP_OP":
        tokens[i] = rng.choice(CMP_OPS)
    elif ty in spellings:
        if rng.random() < 0.4:
            tokens[i] = rng.choice(_other_language(ty, t))
        else:
            group = next((g for g in KEYWORD_CLASSES if ty in g), (ty,))
            tokens[i] = rng.choice(spellings[rng.choice(group)])
    elif ty in donors and rng.random() < 0.9:
        tokens[i] = rng.choice(donors[ty])
    elif ty in ("ARTICLE", "ITEM", "PARAGRAPH", "SUB", "CHAPTER"):
        tokens[i] = rng.choice(ODD_MARKERS)
    elif ty == "NAME":
        tokens[i] = rng.choice(REAL_NAMES + OTHER_NAMES)
    elif ty == "PATH":
        tokens[i] = ".".join(rng.choice(REAL_NAMES + OTHER_NAMES) for _ in range(rng.choice((1, 2, 3))))
    # Sometimes also swap two tokens of the same kind anywhere in the window.
    if rng.random() < 0.2:
        same = [k for k, other in enumerate(types) if other == ty]
        j = rng.choice(same)
        tokens[i], tokens[j] = tokens[j], tokens[i]


def mutant(rng: random.Random, *, whole_file_share: float = 0.03) -> str:
    """A window of a real policy with 1-4 random mutations."""
    policies = corpus()
    policy = rng.choice(policies)
    if rng.random() < whole_file_share:
        pieces = list(policy.pieces)
    else:
        body = policy.pieces[1:]
        chosen = sorted(rng.sample(range(len(body)), rng.randint(1, 3)))
        pieces = [policy.pieces[0], *(body[k] for k in chosen)]
        if rng.random() < 0.05:  # an article from the other policy
            other = rng.choice(policies)
            pieces.append(rng.choice(other.pieces[1:]))
        if rng.random() < 0.05:
            rng.shuffle(pieces)
    tokens, types, gaps = [], [], []
    for piece in pieces:
        # Join gap lists: the trailing gap of one piece precedes the next piece's first gap.
        if gaps:
            gaps[-1] += piece.gaps[0]
            gaps.extend(piece.gaps[1:])
        else:
            gaps.extend(piece.gaps)
        tokens.extend(t for _, t in piece.tokens)
        types.extend(ty for ty, _ in piece.tokens)
    if rng.random() < 0.5:  # gentle: tokens of the same kind, the odd line moved
        for _ in range(rng.choice((1, 1, 2, 3))):
            _semantic_op(rng, tokens, types)
        text = "".join(g + t for g, t in zip(gaps, [*tokens, ""]))
        if rng.random() < 0.15:
            text = _text_ops(rng, text, lines_only=True)
        return text
    donors = [tok for piece in pieces for tok in piece.tokens]
    token_rounds = rng.choice((0, 1, 1, 1, 2, 2, 3, 4))
    text_rounds = rng.choice((0, 0, 1, 1, 2)) if token_rounds else rng.choice((1, 1, 2, 3))
    for _ in range(token_rounds):
        _token_ops(rng, tokens, types, donors)
    text = "".join(g + t for g, t in zip(gaps, [*tokens, ""]))
    for _ in range(text_rounds):
        text = _text_ops(rng, text)
    return text


# --------------------------------------------------------------------------- batches (run in workers)

def signature(kind: str, detail: str) -> str:
    """What tells one bug from another: the exception and the innermost frame of the engine."""
    if kind == "unexpected":
        lines = detail.strip().splitlines()
        frames = re.findall(r'File "([^"]*supervisor_rules[/\\][^"]*)", line (\d+), in (\S+)', detail)
        where = f" at {Path(frames[-1][0]).name}:{frames[-1][1]} in {frames[-1][2]}" if frames else ""
        return (lines[-1][:120] if lines else "?") + where
    if kind == "unpositioned":
        return re.sub(r"`[^`]*`", "`…`", detail)[:120]
    return kind


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: {k: 0 for k in
                                                            ("loaded", "policy_error", *FAILURES)})
    failures: list[tuple[str, str, str, str]] = field(default_factory=list)  # (kind, generator, detail, text)
    signatures: dict[str, int] = field(default_factory=dict)  # distinct failures and how often each came
    slowest: float = 0.0
    slowest_text: str = ""
    keep: int = 20

    def add(self, generator: str, text: str, outcome: Outcome) -> None:
        self.counts[outcome.kind] += 1
        if outcome.seconds > self.slowest:
            self.slowest, self.slowest_text = outcome.seconds, text
        if outcome.kind in FAILURES:
            sig = signature(outcome.kind, outcome.detail)
            new = sig not in self.signatures
            self.signatures[sig] = self.signatures.get(sig, 0) + 1
            # Keep the first few, and the first of every distinct failure.
            if len(self.failures) < self.keep or (new and len(self.failures) < self.keep * 5):
                self.failures.append((outcome.kind, generator, outcome.detail, text))

    def merge(self, other: "Tally") -> None:
        for k, v in other.counts.items():
            self.counts[k] += v
        if other.slowest > self.slowest:
            self.slowest, self.slowest_text = other.slowest, other.slowest_text
        for failure in other.failures:
            sig = signature(failure[0], failure[2])
            if len(self.failures) < self.keep or (sig not in self.signatures and len(self.failures) < self.keep * 5):
                self.failures.append(failure)
            self.signatures.setdefault(sig, 0)
        for sig, n in other.signatures.items():
            self.signatures[sig] += n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def mutation_batch(seed: int, count: int, time_limit: float) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    for _ in range(count):
        text = mutant(rng)
        tally.add("mutation", text, check_one(text, time_limit))
    return tally


def grammar_batch(seed: int, count: int, time_limit: float) -> Tally:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    tally = Tally()
    strategy = grammar_strategy()

    @hypothesis_seed(seed)
    @settings(max_examples=count, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(text):
        tally.add("from_lark", text, check_one(text, time_limit))

    run()
    return tally


def _run_batch(job: tuple[str, int, int, float]) -> tuple[str, int, Tally]:
    kind, seed, count, limit = job
    batch = grammar_batch if kind == "from_lark" else mutation_batch
    return kind, seed, batch(seed, count, limit)


def _warm() -> None:
    parser.tree_parser()
    corpus()
    fixed_spellings()
    donor_tokens()


# --------------------------------------------------------------------------- main

def _jobs(examples: int, from_lark: int, seed: int, limit: float) -> list[tuple[str, int, int, float]]:
    from_lark = min(from_lark, examples)
    jobs = []
    grammar_size, mutation_size = 100, 1000
    for k, start in enumerate(range(0, from_lark, grammar_size)):
        jobs.append(("from_lark", seed * 1_000_003 + k, min(grammar_size, from_lark - start), limit))
    rest = examples - from_lark
    mutation_jobs = [("mutation", seed * 1_000_003 + k, min(mutation_size, rest - start), limit)
                     for k, start in enumerate(range(0, rest, mutation_size))]
    # Interleave evenly so that progress lines show both generators at work.
    placed = [((k + 0.5) / len(jobs), job) for k, job in enumerate(jobs)]
    placed += [((k + 0.5) / len(mutation_jobs), job) for k, job in enumerate(mutation_jobs)]
    return [job for _, job in sorted(placed, key=lambda p: p[0])]


def _save(folder: Path, number: int, failure: tuple[str, str, str, str]) -> None:
    kind, generator, detail, text = failure
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{number:03d}-{kind}"
    # Lone surrogates cannot be written as UTF-8: the .repr file has the exact text.
    stem.with_suffix(".rules").write_text(text, encoding="utf-8", errors="backslashreplace")
    stem.with_suffix(".repr").write_text(repr(text) + "\n", encoding="utf-8")
    stem.with_suffix(".txt").write_text(f"{kind} ({generator}): {signature(kind, detail)}\n\n{detail}\n",
                                        encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=100_000, help="examples in all (default 100000)")
    ap.add_argument("--from-lark", type=int, default=3000,
                    help="how many of them come from the grammar via Hypothesis from_lark (default 3000)")
    ap.add_argument("--seed", type=int, default=0, help="seed of both generators (default 0)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--time-limit", type=float, default=10.0,
                    help="CPU seconds one example may take before it counts as a hang (default 10)")
    ap.add_argument("--save", type=Path, default=None,
                    help="folder for failing inputs (default: a new folder under the temp dir)")
    ap.add_argument("--keep", type=int, default=20,
                    help="failing inputs to save (default 20; up to 5 times as many to keep one of each distinct failure)")
    ap.add_argument("--stall", type=float, default=600.0,
                    help="seconds without any finished batch before the run is declared hung (default 600)")
    args = ap.parse_args(argv)

    _warm()
    jobs = _jobs(args.examples, args.from_lark, args.seed, args.time_limit)
    total = Tally(keep=args.keep)
    by_generator = {"from_lark": 0, "mutation": 0}
    start = time.perf_counter()
    next_report = 10_000
    stalled = False
    print(f"fuzz_frontend: {args.examples} examples ({min(args.from_lark, args.examples)} from_lark, "
          f"{args.examples - min(args.from_lark, args.examples)} mutated), seed {args.seed}, "
          f"{args.workers} workers, time limit {args.time_limit:g} s CPU", flush=True)

    def progress() -> str:
        c = total.counts
        return (f"{total.total:>7} examples  loaded {c['loaded']}  PolicyError {c['policy_error']}  "
                f"unexpected {c['unexpected'] + c['unpositioned']}  hangs {c['hang']}  "
                f"({time.perf_counter() - start:.0f} s)")

    folder: Path | None = args.save
    saved = 0

    def take(kind: str, tally: Tally) -> None:
        nonlocal next_report, saved, folder
        total.merge(tally)
        by_generator[kind] += tally.total
        # Save failing inputs as they come, so that an interrupted run keeps them.
        while saved < len(total.failures):
            if folder is None:
                folder = Path(tempfile.mkdtemp(prefix="fuzz-frontend-"))
            saved += 1
            _save(folder, saved, total.failures[saved - 1])
        while total.total >= next_report:
            print(progress(), flush=True)
            next_report += 10_000

    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    if args.workers <= 1:
        for job in jobs:
            kind, _, tally = _run_batch(job)
            take(kind, tally)
    else:
        with ctx.Pool(args.workers, initializer=_warm) as pool:
            results = pool.imap_unordered(_run_batch, jobs)
            for _ in jobs:
                try:
                    kind, _, tally = results.next(timeout=args.stall)
                except multiprocessing.TimeoutError:
                    stalled = True
                    pool.terminate()
                    break
                take(kind, tally)

    wall = time.perf_counter() - start
    c = total.counts
    if total.total % 10_000:
        print(progress(), flush=True)
    failures = c["unexpected"] + c["unpositioned"] + c["hang"] + (1 if stalled else 0)
    lines = [
        "fuzz_frontend report",
        f"  examples run:            {total.total} (from_lark {by_generator['from_lark']}, "
        f"mutated {by_generator['mutation']})",
        f"  loaded:                  {c['loaded']}",
        f"  PolicyError:             {c['policy_error']}",
        f"  unexpected exceptions:   {c['unexpected']}",
        f"  unpositioned errors:     {c['unpositioned']}",
        f"  {'hangs (> %g s CPU):' % args.time_limit:<25}{c['hang']}" + ("  + the run stalled" if stalled else ""),
        f"  slowest example:         {total.slowest:.2f} s",
        f"  wall time:               {wall:.1f} s",
        f"  examples/s:              {total.total / wall:.1f}" if wall else "  examples/s:              -",
    ]
    if total.signatures:
        lines.append(f"  distinct failures:       {len(total.signatures)}")
        for sig, n in sorted(total.signatures.items(), key=lambda item: -item[1]):
            lines.append(f"    {n:>6} x {sig}")
    if saved:
        lines.append(f"  failing inputs saved:    {saved} in {folder}")
    lines.append("  result:                  " + ("FAIL" if failures else "OK (zero unexpected exceptions, zero hangs)"))
    print("\n".join(lines), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
