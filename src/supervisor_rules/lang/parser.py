"""Rule text → typed AST (``nodes.Module``).

Lark (LALR, contextual lexer, strict) parses with ``grammars/policy.lark``
and calls ``_Builder`` as it reduces each rule, so the frozen nodes (with
spans) are built in one pass and no parse tree is made. Every failure becomes a ``PolicySyntaxError`` with a position and the expected
tokens in words; no Lark exception escapes.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import functools
import hashlib
import os
import re
import threading
from fractions import Fraction
from pathlib import Path

import attrs
import lark
from lark import Token

from supervisor_rules import questions
from supervisor_rules.lang import collector
from supervisor_rules.lang import keywords as kw
from supervisor_rules.lang import nodes as n
from supervisor_rules.lang import parse_cache, refs
from supervisor_rules.lang.checker import DECISION_HEADS
from supervisor_rules.errors import PolicySyntaxError
from supervisor_rules.lang.numerals import parse_number
from supervisor_rules.resources import grammar_path

#: Rule files larger than this are refused before parsing (real ones are ~20 KB).
MAX_SOURCE_BYTES = 4 * 1024 * 1024
#: Deepest expression nesting accepted; deeper input is refused with a position.
MAX_NESTING = 100
#: Longest whole number a rule may hold (digits): terms, deadlines and counts are far shorter.
MAX_NUMBER_DIGITS = 9

_CMP = {"≠": "!="}
_ARITH = {"×": "*", "÷": "/"}
# Keyword terminals whose spellings stand for values in the AST (the rest are synonyms).
_VALUED = frozenset({"EFFECT", "RECUSAL_KIND", "ACTOR"})


class _TrustedContextualLexer(lark.lexer.ContextualLexer):
    """Lark's contextual lexer without its load-time terminal-collision analysis.

    With ``interegular`` installed Lark runs that analysis on every grammar
    build, strict or not, and it takes seconds; the grammar does not change at
    run time, so ``tests/test_grammar.py`` runs it once, in strict mode.
    """

    def __init__(self, conf, states, always_accept=()):
        conf = copy.copy(conf)
        conf.skip_validation = True
        super().__init__(conf, states, always_accept)


def _make_lark(kind: str, **options) -> lark.Lark:
    text = grammar_path().read_text(encoding="utf-8")
    # `_plugins` is Lark's hook for replacing its parts (lark-cython uses it too).
    options = dict(parser="lalr", lexer="contextual", strict=True, maybe_placeholders=False,
                   _plugins={"ContextualLexer": _TrustedContextualLexer}, **options)
    # Lark keys its cache on the options too, so each kind of parser has its own file.
    cache = _cache_file(text, kind)
    if cache is not None:
        try:
            return lark.Lark(text, cache=str(cache), **options)
        except OSError:
            pass  # an unwritable cache must never stop parsing
    return lark.Lark(text, **options)


@functools.cache
def _lark() -> lark.Lark:
    """The grammar as a parse-tree builder with positions (formatter, tools, tests)."""
    return _make_lark("tree", propagate_positions=True)


@functools.cache
def _module_parser() -> tuple[lark.Lark, "_Builder"]:
    """The grammar with ``_Builder`` run as each rule is reduced: no parse tree is built.

    The builder holds the state of one parse (source name, lines), so parses
    through it take turns (``_PARSE_LOCK``); parsing is CPU-bound, so under
    the GIL this costs no throughput.
    """
    builder = _Builder()
    grammar = _make_lark("nodes", transformer=builder)
    check_statements(grammar)
    return grammar, builder


def check_statements(grammar: lark.Lark) -> None:
    """Every alternative of the grammar's ``_stmt`` is a statement a registered rule kind builds (and
    every registered statement is in the grammar): else a rule would parse into a bare Lark tree."""
    alternatives = {rule.expansion[0].name for rule in grammar.rules
                    if rule.origin.name == "_stmt" and len(rule.expansion) == 1}
    if alternatives != set(questions.STATEMENTS):
        unbuilt = sorted(alternatives - set(questions.STATEMENTS))
        unknown = sorted(set(questions.STATEMENTS) - alternatives)
        raise questions.UnregisteredRule(
            f"internal error: grammar statements no question module builds: {unbuilt or 'none'}; "
            f"statements registered but not in the grammar's `_stmt`: {unknown or 'none'}")


_PARSE_LOCK = threading.Lock()


class _Unsupported(Exception):
    """The Lark in use is not laid out as ``_FastParser`` reads it: parse with Lark itself."""


class _Refused(Exception):
    """The fast parse met input it does not take (a syntax error): Lark parses again to say why."""


class _FastParser:
    """Lark's own LALR table, contextual lexer and reduce callbacks, driven by one tight loop.

    Lark's parse loop costs most of a parse: per token a generator step, a ``Token`` built through
    keyword checks, a line counter object, and per reduction a hash of the ``Rule`` (a Python
    ``__hash__``) to find its callback. This loop does the same steps in the same order with plain
    locals and a table whose reductions carry their callback, so it builds exactly the nodes Lark
    builds (``tests/test_parser_fast.py`` compares them). It only ever parses text that Lark accepts:
    at the first token it cannot lex or shift it gives up, and the caller lets Lark parse the text
    again, so every syntax error and its message is Lark's. The builder's own errors (a keyword as a
    name, nesting too deep) are raised by the same callbacks at the same reductions either way.
    """

    def __init__(self, grammar: lark.Lark):
        try:
            frontend = grammar.parser
            lexer = frontend.lexer
            table = frontend.parser.parser.parse_table
            callbacks = frontend.parser.parser.callbacks
            shift = lark.parsers.lalr_analysis.Shift
            if (not isinstance(lexer, lark.lexer.ContextualLexer) or grammar.options.postlex is not None
                    or list(grammar.options.start) != ["start"]):
                raise _Unsupported
            self._start = table.start_states["start"]
            self._end = table.end_states["start"]
            # Per state: terminal → next state (a shift, an int); the name of a rule whose one child is
            # its value (``?rule`` with a single symbol: Lark's ExpandSingleChild hands it back as it is);
            # or (length, callback, rule name).
            unit = lark.parse_tree_builder.ExpandSingleChild

            def reduction(rule):
                callback = callbacks[rule]
                name = str(rule.origin.name)  # a Token in a grammar built afresh, a str in one read from cache
                if len(rule.expansion) == 1 and type(callback) is unit:
                    return name
                return len(rule.expansion), callback, name

            self._table = {state: {symbol: arg if action is shift else reduction(arg)
                                   for symbol, (action, arg) in actions.items()}
                           for state, actions in table.states.items()}
            self._shifted = {name: f for name, f in callbacks.items() if isinstance(name, str)}
            self._lexers = lexer.lexers
        except (AttributeError, KeyError, TypeError) as exc:
            raise _Unsupported from exc
        # Per state, built when the parse first reaches it (the regexes, as Lark builds them, lazily).
        self._scanners: dict[int, tuple] = {}
        # (state below, state, terminal ahead) → where its unit reductions end (``_chain``).
        self._chains: dict[tuple[int, int, str], int] = {}

    def _scanner(self, state: int) -> tuple:
        """A state's regular expressions (Lark's, built by Lark on first use), and per terminal they may
        match: whether it is ignored, whether it may hold a line break, its callback (Lark's keyword
        check on a name, say) or None."""
        lexer = self._lexers[state]
        scanner = lexer.scanner
        patterns = getattr(scanner, "_mres", None)
        if not isinstance(patterns, list) or not all(isinstance(p, re.Pattern) for p in patterns):
            raise _Unsupported
        kinds = {name: (name in lexer.ignore_types, name in lexer.newline_types, lexer.callback.get(name))
                 for pattern in patterns for name in pattern.groupindex}
        found = self._scanners[state] = (patterns[0] if len(patterns) == 1 else None, tuple(patterns), kinds)
        return found

    def _chain(self, below: int, origin: str, kind: str) -> int:
        """Where a run of unit reductions ends, from the first (to ``origin``) with ``kind`` ahead and
        ``below`` under the state it starts in: each depends on that state and ``kind`` alone, so an
        operand climbing the precedence levels (``atom`` … ``or_expr``) is one step, not eight. The run
        stops at the end state, as Lark's loop does."""
        table = self._table
        state = table[below][origin]
        while state != self._end:
            action = table[state].get(kind)
            if type(action) is not str:
                break
            state = table[below][action]
        return state

    def parse(self, text: str):
        table, scanners, shifted, end_state = self._table, self._scanners, self._shifted, self._end
        chains = self._chains
        states = [self._start]
        values: list = []
        pos, line, line_start, size = 0, 1, 0, len(text)
        last = None
        new_token = str.__new__
        while True:
            state = states[-1]
            pattern, patterns, kinds = scanners.get(state) or self._scanner(state)
            token = None
            # BasicLexer.next_token: the first terminal that matches; ignored ones only move on.
            while pos < size:
                if pattern is not None:
                    match = pattern.match(text, pos)
                else:  # Lark splits a state's terminals over several expressions past Python's group limit
                    for other in patterns:
                        match = other.match(text, pos)
                        if match is not None:
                            break
                if match is None:
                    raise _Refused
                value = match.group(0)
                kind = match.lastgroup
                ignored, multiline, convert = kinds[kind]
                first_line, first_column = line, pos - line_start + 1
                if multiline:
                    count = value.count("\n")
                    if count:
                        line += count
                        line_start = pos + value.rindex("\n") + 1
                start, pos = pos, match.end()
                if ignored and convert is None:
                    continue
                t = new_token(Token, value)
                t.type, t.value, t.start_pos, t.line, t.column = kind, value, start, first_line, first_column
                t.end_line, t.end_column, t.end_pos = line, pos - line_start + 1, pos
                if convert is not None:
                    t = convert(t)
                if not ignored:
                    token = t
                    break
            at_end = token is None
            if at_end:
                token = Token.new_borrow_pos("$END", "", last) if last is not None else Token("$END", "", 0, 1, 1)
            else:
                last = token
            kind = token.type
            # ParserState.feed_token: reduce until the token shifts (or the start rule is complete).
            while True:
                action = table[states[-1]].get(kind)
                if action is None:
                    raise _Refused
                if type(action) is int:
                    states.append(action)
                    values.append(shifted[kind](token) if kind in shifted else token)
                    break
                if type(action) is str:  # unit reductions: the value stays, the state moves on
                    key = (states[-2], states[-1], kind)
                    target = chains.get(key)
                    if target is None:
                        target = chains[key] = self._chain(states[-2], action, kind)
                    states[-1] = target
                    if at_end and target == end_state:
                        return values[-1]
                    continue
                length, callback, origin = action
                if length:
                    children = values[-length:]
                    del states[-length:]
                    del values[-length:]
                else:
                    children = []
                values.append(callback(children))
                states.append(table[states[-1]][origin])
                if at_end and states[-1] == end_state:
                    return values[-1]


def _cache_file(grammar: str, kind: str) -> Path | None:
    """A per-user cache of the compiled grammar, keyed by its hash and Lark's version."""
    if os.environ.get("SUPERVISOR_RULES_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256((grammar + lark.__version__).encode()).hexdigest()[:16]
    folder = Path(base) / "supervisor-rules"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    path = folder / f"grammar-{digest}-{kind}.lark-cache"
    if not path.exists():
        _prune(folder, digest)
    return path


def _prune(folder: Path, digest: str) -> None:
    """Remove caches of other grammar or Lark versions, so upgrades do not pile them up."""
    for old in folder.glob("grammar-*.lark-cache"):
        if not old.name.startswith(f"grammar-{digest}-"):
            try:
                old.unlink()
            except OSError:
                pass  # another process's, or not ours to remove: harmless


def _terminals():
    return _module_parser()[0].terminals


def terminals():
    """The grammar's terminal definitions (Lark ``TerminalDef``s), from the parser already built."""
    return _terminals()


def tree_parser() -> lark.Lark:
    """The grammar as a Lark parser that builds parse trees with positions (formatter, tools)."""
    return _lark()


def unit_value(text: str) -> str:
    """The unit a spelling of the UNIT keyword stands for (``个工作日`` → ``working_days``)."""
    return kw.value_of(text)


@functools.cache
def keywords() -> dict[str, str]:
    """Every reserved keyword spelling → its terminal name (``当`` → ``WHEN``), from ``keywords.py``."""
    reserved = kw.reserved_words()
    return {s: entry.terminal for entry in kw.KEYWORDS for s in entry.spellings() if s in reserved}


_FIXED_WORDS = {"_COLON": "`:`", "NAME": "a name", "PATH": "a fact (`section.fact`)", "INT": "a whole number", "NUMBER": "a number", "STRING": "quoted text", "DATE": "a date (YYYY-MM-DD)",
                "CHAPTER": "a chapter heading (第…章 / chapter N)", "ARTICLE": "an article (第…条 / article N)",
                "PARAGRAPH": "a paragraph (第…款 / paragraph N)", "ITEM": "an item marker （…） / (N)",
                "SUB": "a sub-item marker (1.)", "CMP_OP": "a comparison (= != < <= > >=)",
                "UNIT": "a unit (years / 年, working days / 个工作日, …)", "$END": "the end of the file"}
_OPERATOR_WORDS = {"PLUS": "`+`", "MINUS": "`-`", "TIMES": "`*` / `×`", "DIVIDE": "`/` / `÷`"}
#: What may start an operand besides a fact, a value or `(`: listed after the rest, so that where an
#: operand is expected the message still leads with what most conditions start with.
_LATE = frozenset({"PLUS", "MINUS", "TIMES", "DIVIDE", "BEFORE", "COMMA", "MIN", "MAX", "AGE", "COUNT_OF", "ANY",
                   "ALL", "NO", "TERM_NUMBER"})


@functools.cache
def describe_terminal(name: str) -> str:
    """A terminal name in human words: ``WHEN`` → ```when` / `当```."""
    if name in _FIXED_WORDS:
        return _FIXED_WORDS[name]
    if name in _OPERATOR_WORDS:
        return _OPERATOR_WORDS[name]
    if name in kw.terminals():
        return " / ".join(f"`{s}`" for s in kw.spellings(name))
    for term in _terminals():
        if term.name == name and isinstance(term.pattern, lark.lexer.PatternStr):
            return f"`{term.pattern.value}`"
    return name.lower().replace("_", " ")


#: Terminals that start the next provision (or end the file): where a rule may end, they are always
#: expected, and listed one by one they pushed the keywords an author needs out of the message.
_NEXT_PROVISION = {"CHAPTER": "第…章", "ARTICLE": "第…条", "PARAGRAPH": "第…款", "ITEM": "（…）", "SUB": "1."}

#: Full-width and typographic characters an author types in Chinese text, and what the language takes.
FULL_WIDTH_HINTS = {"（": "(", "）": ")", "，": ",", "≥": ">=", "≤": "<=", "＝": "=", "＞": ">", "＜": "<",
                    "！": "!", "｛": "{", "｝": "}", "［": "[", "］": "]", "“": '"', "”": '"', "‘": '"', "’": '"',
                    "；": "a new line", "、": ","}


def _expected_words(expected, found: str = "") -> tuple[str, ...]:
    """What the parser would have taken, in words: kinds of thing (a name, quoted text) first, then
    keywords, those nearest to what was ``found`` first, then the start of the next provision and
    the end of the file, each said once."""
    names = set(expected)
    if "NUMBER" in names:
        names.discard("INT")  # where a decimal may stand, a whole number may too: "a number" says both
    kinds = sorted({describe_terminal(e) for e in names
                    if e in _FIXED_WORDS and e not in _NEXT_PROVISION and e != "$END"})
    starters = _provision_starters()
    words = sorted({(e in _LATE, e in starters, describe_terminal(e)) for e in names if e not in _FIXED_WORDS},
                   key=lambda lsw: (-_closeness(found, lsw[2]) if _closeness(found, lsw[2]) >= 0.6 else 0, lsw[0],
                                    lsw[1], lsw[2]))
    words = [w for _, _, w in dict.fromkeys(words)]
    tail = []
    markers = [mark for term, mark in _NEXT_PROVISION.items() if term in names]
    if markers:
        tail.append(f"the next provision ({', '.join(markers)})")
    if "$END" in names:
        tail.append(_FIXED_WORDS["$END"])
    return (*kinds, *dict.fromkeys(words), *tail)


#: A token longer than this gets no "did you mean" (a keyword is a few characters; fuzzy matching a
#: 500,000-character token against every keyword took seconds).
MAX_HINTED = 64
#: How much of an unexpected token a message quotes.
ECHOED = 60


def _echoed(text: str) -> str:
    return text if len(text) <= ECHOED else text[:ECHOED - 1] + "…"


@functools.cache
def _provision_starters() -> frozenset[str]:
    """The terminals that may begin a rule or a declaration (read from the grammar: what the parser
    takes right after an article heading). Where a rule may end, all of them are expected too; the
    ones that continue the rule at hand say more, so they are listed first."""
    interactive = _lark().parse_interactive('policy p\n第一条 "x"\n')
    interactive.exhaust_lexer()
    return frozenset(interactive.accepts())


def _closeness(found: str, words: str) -> float:
    """How near ``found`` is to the nearest spelling in a described keyword (`` `a` / `b` ``); 0 for a
    token too long to be a mistyped keyword (matching it would cost more than it tells)."""
    if not found or len(found) > MAX_HINTED:
        return 0.0
    return max(difflib.SequenceMatcher(None, found, spelling.strip("`")).ratio() for spelling in words.split(" / "))


def too_large(size: int) -> str:
    return f"rule file is {size / 2**20:.1f} MiB; the limit is {MAX_SOURCE_BYTES // 2**20} MiB"


_MARKER = re.compile(r"第[零〇一二三四五六七八九十百]+[条章款]")
_CHUNK_START = re.compile(r"^[ \t\u3000]*(?:第[零〇一二三四五六七八九十百]+[条章]|article[ \t]+\d|chapter[ \t]+\d)", re.M)


def _all_syntax_errors(text: str, lines: list[str], source: str, first: PolicySyntaxError) -> PolicySyntaxError:
    """Re-parse article by article so that one broken article does not hide the next.

    Each chunk (the declarations, then each chapter or article) is a valid file
    on its own, so its first error is real; positions are shifted back.
    """
    starts = [m.start() for m in _CHUNK_START.finditer(text)]
    bounds = [0, *starts] if not starts or starts[0] != 0 else starts
    diagnostics = list(first.diagnostics)
    for begin, end in zip(bounds, [*bounds[1:], len(text)]):
        offset = text.count("\n", 0, begin)
        if offset + 1 < first.line:
            continue  # the whole-file parse already reported the first problem
        chunk = text[begin:end]
        try:
            _parse(chunk, chunk.splitlines(), source)
        except lark.exceptions.UnexpectedInput as exc:
            d = _syntax_error(exc, chunk, chunk.splitlines(), source).diagnostics[0]
        except PolicySyntaxError as exc:
            d = exc.diagnostics[0]
        else:
            continue
        line = d.line + offset
        if (line, d.column) != (first.line, first.column):
            diagnostics.append(attrs.evolve(d, line=line, source_line=_line(lines, line)))
        if len(diagnostics) >= 50:
            break
    first.diagnostics = tuple(diagnostics)
    first.args = ("\n".join(d.render() for d in diagnostics),)
    return first


def parse_module(text: str, source: str = "<string>", *, cache: bool = False) -> n.Module:
    """Parse one rule file. Raises ``PolicySyntaxError``. ``cache``: read and keep the syntax tree in the
    per-user cache of parsed files (``parse_cache``), for files loaded again in a new process."""
    if not isinstance(text, str):
        raise PolicySyntaxError(source, 1, 1, "", (), "rule text must be a str")
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_SOURCE_BYTES:
        raise PolicySyntaxError(source, 1, 1, "", (), too_large(size))
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise PolicySyntaxError(source, line, 1, "\x00", (), "rule file contains a NUL byte (is it binary?)")
    text = text.lstrip("\ufeff")
    if cache:
        cached = parse_cache.load(text, source)
        if type(cached) is n.Module:
            return cached
    lines = text.splitlines()
    try:
        module = _parse(text, lines, source)
        if cache:
            parse_cache.store(text, source, module)
        return module
    except lark.exceptions.UnexpectedInput as exc:
        raise _all_syntax_errors(text, lines, source, _syntax_error(exc, text, lines, source)) from None
    except PolicySyntaxError as exc:
        raise _all_syntax_errors(text, lines, source, exc) from None


def _parse(text: str, lines: list[str], source: str, *, fast_loop: bool = True) -> n.Module:
    """``fast_loop=False``: Lark's own parse loop only (the tests compare the two)."""
    grammar, builder = _module_parser()
    fast = _fast_parser() if fast_loop else None
    with _PARSE_LOCK, collector.paused():
        builder.begin(source, lines)
        try:
            if fast is not None:
                try:
                    return fast.parse(text)
                except _Refused:
                    builder.begin(source, lines)  # Lark parses again from the start, to report the error
                except _Unsupported:
                    _fast_parser.cache_clear()
                    _use_lark()
                    builder.begin(source, lines)
            return grammar.parse(text)
        finally:
            builder.end()


_LARK_ONLY = False


def _use_lark() -> None:
    global _LARK_ONLY
    _LARK_ONLY = True


@functools.cache
def _fast_parser() -> "_FastParser | None":
    """The fast driver over the module parser's tables, or None where this Lark is laid out otherwise."""
    if _LARK_ONLY:
        return None
    try:
        return _FastParser(_module_parser()[0])
    except _Unsupported:
        return None


def _line(lines: list[str], number: int) -> str | None:
    return lines[number - 1] if 0 < number <= len(lines) else None


def _syntax_error(exc, text: str, lines: list[str], source: str) -> PolicySyntaxError:
    line = getattr(exc, "line", None) or 1
    column = getattr(exc, "column", None) or 1
    if isinstance(exc, lark.exceptions.UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            line, column = len(lines) or 1, len(lines[-1]) + 1 if lines else 1
            found, shown = "", "the end of the file"
        else:
            found, shown = str(token), f"`{_echoed(str(token))}`"
        expected = _expected_words(exc.accepts or exc.expected, found)
        message = f"unexpected {shown}"
        if token.type == "NAME" and str(token) in keywords():
            message = f"`{token}` is a keyword and cannot be used here"
        hint = _keyword_hint(found, exc.accepts or exc.expected)
        message += f"; expected {_join(expected)}" if expected else ""
        if hint:
            message += f" (did you mean `{hint}`?)"
        return PolicySyntaxError(source, line, column, found, expected, message, _line(lines, line),
                                 max(len(found), 1))
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        expected = _expected_words(exc.allowed or (), FULL_WIDTH_HINTS.get(char, char))
        what = "an unterminated string" if char in "\"「" else f"unexpected character `{char}`"
        message = what + (f"; expected {_join(expected)}" if expected else "")
        if char in FULL_WIDTH_HINTS:
            message += (f" (did you mean `{FULL_WIDTH_HINTS[char]}`? rules take half-width punctuation; "
                        f"quoted text may hold any / 规则中的符号请用半角，引号内的文字不限)")
        return PolicySyntaxError(source, line, column, char, expected, message, _line(lines, line))
    return PolicySyntaxError(source, line, column, "", (), f"syntax error: {exc}", _line(lines, line))


#: How many expected things a message lists before it says how many more there are.
EXPECTED_SHOWN = 14


def _join(words: tuple[str, ...]) -> str:
    if len(words) > EXPECTED_SHOWN:
        words = words[:EXPECTED_SHOWN - 1] + (f"{len(words) - EXPECTED_SHOWN + 1} more",)
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


def _keyword_hint(found: str, expected) -> str | None:
    if not found or len(found) > MAX_HINTED:
        return None
    candidates = [s for s, term in keywords().items() if term in set(expected)]
    close = difflib.get_close_matches(found, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _nested(method):
    """Mark a builder method as building an expression node and enforce ``MAX_NESTING``.

    Later stages recurse over expressions, so absurd nesting is refused as
    the parser reduces it, before anything recursive sees it.
    """

    @functools.wraps(method)
    def build(self, c):
        depths = self._depths
        depth = 1
        for x in c:
            known = depths.get(id(x))
            if known is not None and known[0] >= depth:
                depth = known[0] + 1
        if depth > MAX_NESTING:
            self._error(self._span(c), f"expression nested more than {MAX_NESTING} levels deep")
        node = method(self, c)
        self._depths[id(node)] = (depth, node)  # holding the node keeps its id unique during the parse
        return node

    return build


def _edge(items, last: bool):
    """The first (or last) positioned thing in ``items``: a token or a span, or None."""
    for x in reversed(items) if last else items:
        if type(x) is Token or isinstance(x, (Token, n.Span)):
            return x
        span = getattr(x, "span", None)
        if span is not None:
            if span.line:
                return span
        elif isinstance(x, (tuple, list)):
            found = _edge(x, last)
            if found is not None:
                return found
    return None


@functools.cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _is(token, name: str) -> bool:
    return isinstance(token, Token) and token.type == name


class _Builder:
    """Grammar rules → nodes, called by the LALR parser as it reduces each rule.

    Methods are named after grammar rules and receive the rule's children
    (tokens and already-built nodes); anonymous punctuation is filtered out.
    """

    def __init__(self):
        self.begin("<string>", [])
        # Each rule kind's statement (and its sub-rules) is built by its question module.
        context = BuildContext(self)
        for rule, build in questions.SYNTAX.items():
            if hasattr(self, rule):
                raise questions.UnregisteredRule(f"grammar rule `{rule}` is built by the parser already")
            setattr(self, rule, functools.partial(build, context))

    def begin(self, source: str, lines: list[str]) -> None:
        self.source = source
        self.lines = lines
        self._depths: dict[int, tuple[int, object]] = {}

    def end(self) -> None:
        self.begin("<string>", [])

    # -------------------------------------------------------------- helpers
    def _span(self, children) -> n.Span:
        """From the first positioned child's start to the last one's end."""
        first = _edge(children, False)
        if first is None:
            return n.Span(self.source, 0, 0, 0, 0)
        last = _edge(children, True)
        return n.Span(self.source, first.line, first.column, last.end_line, last.end_column)

    def _tspan(self, token: Token) -> n.Span:
        return n.Span(self.source, token.line, token.column, token.end_line, token.end_column)

    def _error(self, token_or_span, message: str):
        if isinstance(token_or_span, Token):
            line, column, length = token_or_span.line, token_or_span.column, len(token_or_span)
        else:
            line, column, length = token_or_span.line, token_or_span.column, 1
        raise PolicySyntaxError(self.source, line, column, str(token_or_span) if isinstance(token_or_span, Token) else "",
                                (), message, _line(self.lines, line), length)

    def _name(self, token: Token) -> str:
        if str(token) in keywords():
            self._error(token, f"`{token}` is a keyword and cannot be used as a name")
        return str(token)

    def _optional_text(self, children):
        return next((c for c in children if isinstance(c, _Text)), None)

    def _int(self, token: Token) -> int:
        """A whole number written in the rules: ASCII digits (as article numbers are), at most
        ``MAX_NUMBER_DIGITS`` of them (past 4,300 Python would not even read it)."""
        text = str(token)
        if not text.isascii():
            self._error(token, f"write numbers with the digits 0-9, not `{text[:20]}`")
        if len(text) > MAX_NUMBER_DIGITS:
            self._error(token, f"a number longer than {MAX_NUMBER_DIGITS} digits is surely a mistake")
        return int(text)

    # -------------------------------------------------------------- file
    def start(self, children):
        header = children[0] if children and isinstance(children[0], n.Header) else None
        groups = {n.Import: [], n.EnumDecl: [], n.RecordDecl: [], n.FactsDecl: [], n.Chapter: [], n.Article: [],
                  n.Invariant: [], n.Definition: []}
        chapter = None
        for child in children:
            if isinstance(child, n.Chapter):
                chapter = child.number
            if isinstance(child, n.Article) and child.chapter != chapter:
                child = _evolve(child, chapter=chapter)
            if type(child) in groups:
                groups[type(child)].append(child)
        return n.Module(self.source, header, tuple(groups[n.Import]), tuple(groups[n.EnumDecl]),
                        tuple(groups[n.RecordDecl]), tuple(groups[n.FactsDecl]), tuple(groups[n.Chapter]),
                        tuple(groups[n.Article]), tuple(groups[n.Invariant]), tuple(groups[n.Definition]))

    def header(self, children):
        fields = {}
        where = []
        for child in children[2:]:
            key, value, span = child
            if key in fields:
                self._error(span, f"the header gives `{key}` twice")
            fields[key] = value
            where.append((key, span))
        return n.Header(self._name(children[1]), span=self._span(children), fields_at=tuple(where), **fields)

    def title(self, c):
        return ("title", c[1].value, self._span(c))

    def authority(self, c):
        return ("authority", c[1].value, self._span(c))

    def document(self, c):
        return ("document", c[1].value, self._span(c))

    def effective(self, c):
        value = self._date(c[1]) if _is(c[1], "DATE") else kw.value_of(str(c[1]))
        return ("effective", value, self._span(c))

    def repealed(self, c):
        return ("repealed", self._date(c[1]), self._span(c))

    def valid_until(self, c):
        return ("valid_until", self._date(c[1]), self._span(c))

    def status(self, c):
        return ("status", kw.value_of(str(c[1])), self._span(c))

    def age_rule(self, c):
        return ("age", kw.value_of(str(c[1])), self._span(c))

    def text(self, children):
        parts = []
        for token in children:
            raw = str(token)
            if raw.startswith("「"):
                parts.append(raw[1:-1])
            else:
                parts.append(_unescape(raw[1:-1]))
        return _Text("".join(parts), self._span(children))

    def import_(self, c):
        return n.Import(_unescape(str(c[1])[1:-1]), span=self._span(c))

    # -------------------------------------------------------------- declarations
    def enum_decl(self, c):
        text = self._optional_text(c)
        return n.EnumDecl(self._name(c[1]), text.value if text else None, c[-1], span=self._span(c))

    def enum_body(self, c):
        return tuple(c)

    def enum_value(self, c):
        text = self._optional_text(c)
        return n.EnumValue(self._name(c[0]), text.value if text else None, span=self._span(c))

    def record_decl(self, c):
        text = self._optional_text(c)
        fields = tuple(x for x in c if isinstance(x, n.FieldDecl))
        return n.RecordDecl(self._name(c[1]), text.value if text else None, fields, span=self._span(c))

    def facts_decl(self, c):
        text = self._optional_text(c)
        fields = tuple(x for x in c if isinstance(x, n.FieldDecl))
        return n.FactsDecl(self._name(c[1]), text.value if text else None, fields, span=self._span(c))

    def field_decl(self, c):
        text = self._optional_text(c)
        default = next((x.value for x in c if isinstance(x, _Default)), None)
        return n.FieldDecl(self._name(c[0]), c[1], default, text.value if text else None, span=self._span(c))

    def default(self, c):
        value = c[0]
        if _is(value, "TRUE"):
            return _Default(True)
        if _is(value, "FALSE"):
            return _Default(False)
        if _is(value, "IS_UNKNOWN"):
            return _Default(n.UNKNOWN_DEFAULT)
        if _is(value, "NAME"):
            if str(value) != n.UNKNOWN_DEFAULT:
                self._error(value, f"a default is `true`, `false`, `[]` or `unknown` (`真`, `假`, `[]`, `未知`), "
                                   f"not `{value}`")
            return _Default(n.UNKNOWN_DEFAULT)
        return _Default(())

    def empty_list(self, c):
        return ()

    def list_type(self, c):
        return n.ListType(c[1], span=self._span(c))

    def bool_type(self, c):
        return n.BoolType(span=self._span(c))

    def date_type(self, c):
        return n.DateType(span=self._span(c))

    def text_type(self, c):
        return n.TextType(span=self._span(c))

    def number_type(self, c):
        return n.NumberType(span=self._span(c))

    def named_type(self, c):
        return n.NamedType(self._name(c[0]), span=self._span(c))

    def inline_enum(self, c):
        return n.InlineEnum(c[1], span=self._span(c))

    # -------------------------------------------------------------- structure
    def _number(self, token: Token, pattern: str) -> int:
        raw = str(token)
        match = _compiled(pattern).search(raw)
        try:
            return parse_number(match.group(1))
        except (ValueError, AttributeError) as exc:
            self._error(token, f"`{raw}`: {exc}")

    def chapter(self, c):
        text = self._optional_text(c)
        return n.Chapter(self._chapter_number(c[0]), text.value if text else None, span=self._span(c))

    def _chapter_number(self, token):
        raw = str(token)
        return self._number(token, r"第(.+?)章") if raw.startswith("第") else self._number(token, r"(\d+)")

    def _article_ref(self, token: Token) -> refs.Marker:
        """The parts of an article marker (``lang/refs.py``): a malformed numeral is an error at it."""
        try:
            marker = refs.parse_marker(str(token))
        except ValueError as exc:
            self._error(token, f"`{token}`: {exc}")
        if marker.last is not None and marker.last <= marker.item:
            self._error(token, f"`{token}`: a range of items runs from a lower item to a higher one "
                               f"(({marker.item}) to ({marker.last}) is not one)")
        return marker

    def article(self, c):
        marker = self._article_ref(c[0])
        if marker.item is not None:
            self._error(c[0], "an article heading cannot name an item: write the item as its own line")
        number = marker.article
        text = self._optional_text(c)
        rules = tuple(x for x in c[1:] if _is_rule(x))
        items = tuple(x for x in c if isinstance(x, n.Item))
        paragraphs = tuple(x for x in c if isinstance(x, n.Paragraph))
        if marker.paragraph is not None:
            # 第二条第二款（一）…: markers need no white space, so an article without wording of its own
            # may run into its next paragraph's marker; what follows is that paragraph's.
            if marker.paragraph == 1:
                self._error(c[0], "the first paragraph is the article's own text: write it after the article "
                                  "heading, without `第一款` / `paragraph 1`")
            span = self._span(c)
            first = n.Paragraph(marker.paragraph, text.value if text else None, rules, items, span=span)
            return n.Article(number, None, (), (), (first, *paragraphs), span=span)
        return n.Article(number, text.value if text else None, rules, items, paragraphs, span=self._span(c))

    def paragraph(self, c):
        raw = str(c[0])
        number = self._number(c[0], r"第(.+?)款") if raw.startswith("第") else self._number(c[0], r"(\d+)")
        text = self._optional_text(c)
        return n.Paragraph(number, text.value if text else None, tuple(x for x in c[1:] if _is_rule(x)),
                           tuple(x for x in c if isinstance(x, n.Item)), span=self._span(c))

    def item(self, c):
        number = self._number(c[0], r"[（(]\s*(.+?)\s*[)）]")
        text = self._optional_text(c)
        return n.Item(number, text.value if text else None, tuple(x for x in c[1:] if _is_rule(x)),
                      tuple(x for x in c if isinstance(x, n.SubItem)), span=self._span(c))

    def sub_item(self, c):
        number = self._number(c[0], r"(\d+)")
        text = self._optional_text(c)
        return n.SubItem(number, text.value if text else None, tuple(x for x in c[1:] if _is_rule(x)),
                         span=self._span(c))

    # -------------------------------------------------------------- invariants
    def invariant(self, c):
        text = self._optional_text(c)
        refs = tuple(x for x in c if isinstance(x, n.ArticleRef))
        exprs = [x for x in c[2:] if not isinstance(x, (Token, n.ArticleRef, _Text))]
        when = exprs[0] if len(exprs) == 2 else None
        return n.Invariant(self._name(c[1]), text.value if text else None, refs, when, exprs[-1],
                           span=self._span(c))

    # -------------------------------------------------------------- definitions
    def definition(self, c):
        text = self._optional_text(c)
        return n.Definition(self._name(c[1]), text.value if text else "", c[-1], name_span=self._tspan(c[1]),
                            span=self._span(c))

    # -------------------------------------------------------------- expressions
    @_nested
    def date_after(self, c):
        return n.DateAfter(c[0], self._int(c[2]), kw.value_of(str(c[3])), span=self._span(c))

    @_nested
    def date_before(self, c):
        return n.DateBefore(c[0], self._int(c[2]), kw.value_of(str(c[3])), span=self._span(c))

    @_nested
    def arith(self, c):
        op = str(c[1])
        return n.Arith(_ARITH.get(op, op), c[0], c[2], span=self._span(c))

    @_nested
    def neg(self, c):
        return n.Neg(c[1], span=self._span(c))

    @_nested
    def extreme(self, c):
        return n.Extreme(kw.value_of(str(c[0])), tuple(x for x in c[1:] if not isinstance(x, Token)),
                         span=self._span(c))

    @_nested
    def age(self, c):
        birth, on = (x for x in c[1:] if not isinstance(x, Token))
        return n.Age(birth, on, span=self._span(c))

    @_nested
    def deadline(self, c):
        period = next(x for x in c[1:] if not isinstance(x, Token))
        if not isinstance(period, n.DateAfter):
            self._error(period.span, "`due(…)` / `期限(…)` takes a period counted forward: "
                                     "`due(X after 15 calendar days)` / `期限(X 后 15 日)`")
        return n.Deadline(period.base, period.amount, period.unit, span=self._span(c))

    @_nested
    def term_number(self, c):
        return n.TermNumber(next(x for x in c[1:] if not isinstance(x, Token)), span=self._span(c))

    def count(self, c):
        return n.Count(c[1], span=self._span(c))

    @_nested
    def year_of(self, c):
        return n.YearOf(next(x for x in c[1:] if not isinstance(x, Token)), span=self._span(c))

    @_nested
    def quantifier(self, c):
        kind = {"COUNT_OF": "count"}.get(c[0].type, c[0].type.lower())
        return n.Quantifier(kind, self._name(c[1]), c[3], c[5], span=self._span(c))

    @_nested
    def or_expr(self, c):
        return n.Or(tuple(x for x in c if not _is(x, "OR")), span=self._span(c))

    @_nested
    def and_expr(self, c):
        return n.And(tuple(x for x in c if not _is(x, "AND")), span=self._span(c))

    @_nested
    def paren(self, c):
        # The parenthesised expression itself: parentheses only count toward MAX_NESTING, as every
        # other level does (8,000 of them once slipped past the limit to the formatter).
        return next(x for x in c if not isinstance(x, Token))

    @_nested
    def not_(self, c):
        return n.Not(c[1], span=self._span(c))

    @_nested
    def compare(self, c):
        op = str(c[1])
        return n.Compare(_CMP.get(op, op), c[0], c[2], span=self._span(c))

    @_nested
    def member(self, c):
        return n.Member(c[0], c[2], False, span=self._span(c))

    @_nested
    def not_member(self, c):
        return n.Member(c[0], c[2], True, span=self._span(c))

    @_nested
    def has(self, c):
        return n.Has(c[0], c[2], span=self._span(c))

    @_nested
    def has_any(self, c):
        return n.HasAny(c[0], c[2], span=self._span(c))

    @_nested
    def is_known(self, c):
        return n.IsKnown(c[0], False, span=self._span(c))

    @_nested
    def is_unknown(self, c):
        return n.IsKnown(c[0], True, span=self._span(c))

    @_nested
    def is_empty(self, c):
        return n.IsEmpty(c[0], False, span=self._span(c))

    @_nested
    def not_empty(self, c):
        return n.IsEmpty(c[0], True, span=self._span(c))

    def expired(self, c):
        return n.Expired(span=self._span(c))

    def dismissed(self, c):
        return n.Dismissed(span=self._span(c))

    def as_of(self, c):
        return n.AsOf(span=self._span(c))

    def last_day(self, c):
        return n.LastDay(span=self._span(c))

    def dismissal_day(self, c):
        return n.DismissalDay(span=self._span(c))

    @_nested
    def violates(self, c):
        return n.Violates(c[1], span=self._span(c))

    @_nested
    def satisfies(self, c):
        return n.Satisfies(c[1], span=self._span(c))

    def also_citing(self, c):
        return n.AlsoCiting(tuple(x for x in c if isinstance(x, n.ArticleRef)), span=self._span(c))

    def article_ref(self, c):
        chapter = self._chapter_number(c[0]) if len(c) == 2 else None
        m = self._article_ref(c[-1])
        return n.ArticleRef(m.article, m.item, chapter, m.paragraph, m.sub, m.last, span=self._span(c))

    def path(self, c):
        # After a dot only a name can follow, so a keyword there is unambiguous
        # (`decision.status`); the first part is a section and must be a name.
        token = c[0]
        first, *rest = parts = str(token).split(".")
        # `结论.状态` reads the decision in invariants although `结论` also starts a conclusion rule
        # (no keyword matches before `.name`: keywords.pattern); the checker allows it only there.
        if first in keywords() and first not in DECISION_HEADS:
            self._error(token, f"`{first}` is a keyword and cannot be used as a name")
        for part in parts:
            if part[:1] == "第" and _MARKER.match(part):
                self._error(token, f"`{part}` is an article, chapter or paragraph marker, "
                                   "not a name: it cannot be part of a path")
        return n.Path((first, *rest), span=self._tspan(token))

    def set_lit(self, c):
        return tuple(c)

    def value(self, c):
        token = c[0]
        name = kw.value_of(str(token)) if token.type in _VALUED else self._name(token)
        return n.Name(name, span=self._span(c))

    def true(self, c):
        return n.Literal(True, span=self._span(c))

    def false(self, c):
        return n.Literal(False, span=self._span(c))

    def number(self, c):
        return n.Literal(self._decimal(c[0]), span=self._span(c))

    def _decimal(self, token: Token) -> int | Fraction:
        """A number written in an expression: a whole number as ``_int`` reads one, or with a decimal
        part (``89.5``), read exactly (a ``Fraction``; ``90.0`` is the whole number 90). Each part has
        at most ``MAX_NUMBER_DIGITS`` digits."""
        whole, _, decimals = str(token).partition(".")
        if not decimals:
            return self._int(token)
        if not str(token).isascii():
            self._error(token, f"write numbers with the digits 0-9, not `{str(token)[:20]}`")
        if len(whole) > MAX_NUMBER_DIGITS or len(decimals) > MAX_NUMBER_DIGITS:
            self._error(token, f"a number with more than {MAX_NUMBER_DIGITS} digits before or after its point "
                               "is surely a mistake")
        value = Fraction(str(token))
        return value.numerator if value.denominator == 1 else value

    def date(self, c):
        return n.Literal(self._date(c[0]), span=self._span(c))

    def string(self, c):
        return n.Literal(_unescape(str(c[0])[1:-1]) if str(c[0]).startswith('"') else str(c[0])[1:-1],
                         span=self._span(c))

    def _date(self, token: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self._error(token, f"`{token}` is not a real date")


class BuildContext:
    """What a rule kind's builders (``RuleKind.syntax``) use while the parser reduces their grammar
    rules: each builder is called as ``build(context, children)``."""

    def __init__(self, builder: _Builder):
        self._builder = builder

    def span(self, children) -> n.Span:
        """From the first positioned child's start to the last one's end."""
        return self._builder._span(children)

    def int(self, token: Token) -> int:
        """A whole number written in the rules (ASCII digits, at most ``MAX_NUMBER_DIGITS``)."""
        return self._builder._int(token)

    def name(self, token: Token) -> str:
        """A name the rules give (never a keyword)."""
        return self._builder._name(token)

    @staticmethod
    def value(token: Token) -> str:
        """What a keyword spelling stands for (``自然解聘`` → ``automatic``, ``个工作日`` → ``working_days``)."""
        return kw.value_of(str(token))

    @staticmethod
    def is_token(x, kind: str | None = None) -> bool:
        """Whether a child is a token (of terminal ``kind``, if given) rather than a built node."""
        return isinstance(x, Token) and (kind is None or x.type == kind)

    def error(self, where, message: str):
        """Refuse the rule file: a ``PolicySyntaxError`` at a token or span."""
        self._builder._error(where, message)


class _Text:
    __slots__ = ("value", "span")

    def __init__(self, value, span):
        self.value, self.span = value, span


class _Default:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _is_rule(x) -> bool:
    return type(x) in questions.RULE_NODES


def _evolve(node, **changes):
    return attrs.evolve(node, **changes)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


_ESCAPE = re.compile(r"\\(.)")


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), raw)

