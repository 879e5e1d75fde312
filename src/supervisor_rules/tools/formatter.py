"""One canonical layout for rule files (``supervisor-rules fmt``).

The formatter works on the token stream of the real parser (the contextual
lexer, so a keyword after a dot is the name it is there), with comments
recovered from the gaps between tokens, and on the parse tree only for *where
lines start*. Nothing here lists the language's rules one by one: which nodes
hold lines of their own (a block's children), which are inline (expressions,
types, text — computed from the grammar), and where a long line may break
(before a clause keyword, ``and`` / ``or``, after a comma) are general rules,
so a construct added to the grammar later is laid out sensibly without
touching this file. A top-level construct this module does not know (an
``invariant``, say) is a top-level block like an article.

The layout:

- the header keyword at column 0, its fields indented 2;
- one blank line before every top-level block (declaration, chapter, article,
  invariant), none between consecutive imports;
- declarations: ``facts x "label" {`` with one field (or enum value, ending
  in a comma) per line indented 2, and ``}`` on its own line;
- chapter and article headings at column 0; paragraphs and items indented 2
  under their article, a paragraph's items 2 under it, sub-items 2 under their
  item; each rule on its own line, 2 deeper than its provision;
- a line longer than 100 columns (CJK characters count 2) breaks before a
  clause keyword (``when`` / ``当``, ``under``, ``then`` …), then before the
  outermost ``or`` / ``或``, then ``and`` / ``且``, then after commas; the
  continuation lines are indented 4 more; a duty with several clauses puts
  each clause on its own continuation line;
- provision text is kept verbatim; adjacent strings go one per line, aligned
  under the first;
- comments stay: a comment on its own line stays on its own line, at the
  indentation of what follows; one at the end of a line stays there. Blank
  lines the author left between lines are kept (at most one).

Keywords keep the author's language unless ``lang`` is ``"zh"`` or ``"en"``:
then every keyword, and the structural markers (``article 3`` ↔ the Chinese
heading with its numeral), is written in that language. The spellings, and
which one is written, come from the keyword table (``lang/keywords.py``).

Every result is checked: parsing it must give the same AST as the input
(spans aside), or ``FormatError`` is raised and nothing is written.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

import lark
from lark import Token, Tree

from supervisor_rules.lang import keywords as kw
from supervisor_rules.lang import parser
from supervisor_rules.lang import refs
from supervisor_rules.errors import RulesError, display_width
from supervisor_rules.lang.numerals import parse_number, to_chinese

__all__ = ["WIDTH", "FormatError", "format_text", "is_formatted"]

#: Longest line, in terminal columns (a CJK character takes two).
WIDTH = 100
#: Indentation of a nested block (a rule under its provision, a field in its block).
STEP = 2
#: Extra indentation of a continuation line.
CONT = 4

_FILL = 1000  # break level of a comma: fill lines greedily, after every other kind of break
_LANGS = ("zh", "en")

# Nodes whose children (other than inline ones) each start a line of their own.
_BLOCKS = frozenset({"start", "header", "article", "paragraph", "item", "sub_item", "record_decl", "facts_decl",
                     "enum_body"})
# Top-level nodes that are single lines, not blocks; any other top-level node is a block.
_TOP_LINES = frozenset({"import_", "chapter", "enum_decl"})
_MARKERS = frozenset({"CHAPTER", "ARTICLE", "PARAGRAPH", "ITEM"})
# Tokens that are the language's words (translated with ``lang``); a marker is one too, so
# that a heading counts as a keyword where lines may break.
_KEYWORD_TYPES = frozenset(kw.terminals()) | _MARKERS

_NO_SPACE_BEFORE = frozenset({",", ".", ")", "]", "}", ":", "："})
_NO_SPACE_AFTER = frozenset({"(", "[", ".", "{"})
# `= unknown` (a record field's default) is a name in English and the keyword `未知` in Chinese.
_UNKNOWN = {"en": "unknown", "zh": "未知"}


class FormatError(RulesError):
    """The formatter would have changed what a file means (a bug: please report it)."""


# --------------------------------------------------------------------------- grammar knowledge
@functools.cache
def _inline_rules() -> frozenset[str]:
    """Tree nodes that never start a line: expressions, types, text (from the grammar)."""
    lk = parser.tree_parser()
    by_origin: dict[str, list] = {}
    for rule in lk.rules:
        by_origin.setdefault(rule.origin.name, []).append(rule)
    names: set[str] = {"text", "default", "empty_list", "duty_bearer"}  # a duty's bearer stays on its line
    stack, seen = ["expr", "type_expr"], set()
    while stack:
        origin = stack.pop()
        if origin in seen or origin in _BLOCKS:
            continue
        seen.add(origin)
        names.add(origin)
        for rule in by_origin.get(origin, ()):
            if rule.alias:
                names.add(str(rule.alias))
            stack.extend(s.name for s in rule.expansion if not s.is_term)
    return frozenset(names)


@functools.cache
def _calls() -> frozenset[str]:
    """Keywords written like a function, their arguments in parentheses right after them (`min(a, b)`,
    `周岁(…)`): the terminals a grammar rule follows with `(` (from the grammar)."""
    lk = parser.tree_parser()
    paren = {t.name for t in lk.terminals if t.pattern.type == "str" and t.pattern.value == "("}
    out = set()
    for rule in lk.rules:
        symbols = rule.expansion
        for a, b in zip(symbols, symbols[1:]):
            if a.is_term and b.is_term and b.name in paren and a.name in _KEYWORD_TYPES:
                out.add(a.name)
    return frozenset(out)


def _translate_keyword(text: str, lang: str | None, previous: str | None) -> str | None:
    """The token's text in ``lang`` (None: drop the token); as written (space-normalised) otherwise."""
    written = " ".join(text.split())
    entry = kw.lookup(written)
    if lang is None or entry is None or kw.language_of(written) == lang:
        return written  # the author's spelling stays when it is already in that language
    candidates = entry.spellings(lang)
    if not candidates:
        # Only an optional word can have no spelling in a language (决定): it goes.
        return None if entry.category == kw.MODIFIER else written
    choice = candidates[0]
    if previous == "1" and choice.endswith("s") and choice[:-1] in candidates:
        choice = choice[:-1]  # 1 year, 1 working day
    return choice


_CN = "零〇一二三四五六七八九十百"


def _number_in(text: str) -> int | None:
    try:
        return parse_number(text)
    except ValueError:
        return None


def _chinese(number: int) -> str | None:
    try:
        return to_chinese(number)
    except ValueError:
        return None


def _translate_marker(terminal: str, text: str, lang: str | None) -> str:
    """Structural markers: white space normalised, and numbered in ``lang``'s way."""
    compact = " ".join(text.split())
    if terminal == "ITEM":
        inner = re.sub(r"\s+", "", compact[1:-1])
        compact = compact[0] + inner + compact[-1]
        number = _number_in(inner)
        if lang == "en" and number is not None:
            return f"({number})"
        if lang == "zh" and number is not None and not re.fullmatch(f"[{_CN}]+", inner):
            chinese = _chinese(number)
            return f"（{chinese}）" if chinese else compact
        return compact
    if terminal == "ARTICLE":
        return _translate_article(compact, lang)
    word, mark = {"CHAPTER": ("chapter", "章"), "PARAGRAPH": ("paragraph", "款")}[terminal]
    if lang is None:
        return compact
    zh = re.fullmatch(rf"第([{_CN}]+){mark}", compact)
    en = re.fullmatch(rf"{word} (\d+)", compact)
    if lang == "en" and zh:
        number = _number_in(zh.group(1))
        return compact if number is None else f"{word} {number}"
    if lang == "zh" and en:
        number = _chinese(int(en.group(1)))
        return compact if number is None else f"第{number}{mark}"
    return compact


def _translate_article(compact: str, lang: str | None) -> str:
    """An article marker (any provision, ``lang/refs.py``): in its own language, white space
    normalised (``article 12 paragraph 2 (1)-(3)``, ``第十条第（一）项至第（三）项``); with ``lang``, in
    that language. A number Chinese cannot spell (past 999) leaves the marker as written."""
    try:
        marker = refs.parse_marker(compact)
    except ValueError:
        return compact
    if compact.startswith("第"):
        return refs.render(marker, "en") if lang == "en" else _zh_spacing(compact)
    if lang == "zh":
        try:
            return refs.render(marker, "zh")
        except ValueError:
            pass
    return refs.render(marker, "en")


def _zh_spacing(compact: str) -> str:
    """A Chinese marker as written, without white space around 至."""
    return re.sub(r"\s*至\s*", "至", compact)


# --------------------------------------------------------------------------- tokens and comments
@dataclass
class _Comment:
    text: str
    blank_before: bool


@dataclass
class _Atom:
    type: str
    text: str
    lead: list[_Comment] = field(default_factory=list)  # own-line comments just before
    trail: str | None = None  # a comment at the end of its line
    blank_before: bool = False  # a blank line right before it (after its own-line comments)
    level: int | None = None  # an optional break before it: lower breaks first
    force: tuple | None = None  # a forced break before it: ("cont",) or ("align", atom)
    keep: bool = True
    unary: bool = False  # a unary minus: written against its operand (`-2`)
    grouping: bool = False  # a `(` that groups an operand after a call keyword (`due (x after 3 months) after …`)


@dataclass
class _Line:
    indent: int
    top: bool = False
    closing: bool = False
    first_child: bool = False
    after_import: bool = False


def _full_width_punctuation(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF" and unicodedata.category(ch).startswith("P")


def _space(a: _Atom, b: _Atom) -> str:
    if b.text in _NO_SPACE_BEFORE or a.text in _NO_SPACE_AFTER or a.unary:
        return ""
    if b.text == "(" and a.type in _calls() and not b.grouping:
        return ""
    if a.type != "STRING" and a.text and _full_width_punctuation(a.text[-1]):
        return ""  # （一）"…", 1、"…": full-width punctuation carries its own space
    return " "


def _join(atoms: list[_Atom]) -> str:
    out = []
    for i, atom in enumerate(atoms):
        if i:
            out.append(_space(atoms[i - 1], atom))
        out.append(atom.text)
    return "".join(out)


def _fits(atoms: list[_Atom], indent: int) -> bool:
    return indent + display_width(_join(atoms)) <= WIDTH


class _Formatter:
    def __init__(self, text: str, lang: str | None):
        self.text = text
        self.lang = lang
        interactive = parser.tree_parser().parse_interactive(text)
        self.tokens: list[Token] = list(interactive.iter_parse())
        self.tree: Tree = interactive.feed_eof()
        self.by_start = {t.start_pos: i for i, t in enumerate(self.tokens)}
        self.by_end = {t.end_pos: i for i, t in enumerate(self.tokens)}
        self.atoms: list[_Atom] = []
        self.extra: dict[int, list[_Atom]] = {}  # atoms inserted after a token
        self.tail: list[_Comment] = []  # own-line comments after the last token
        self.lines: dict[int, _Line] = {}
        self._read_tokens()

    # ---------------------------------------------------------------- reading
    def _read_tokens(self) -> None:
        previous_end, previous_text = 0, None
        for i, token in enumerate(self.tokens):
            lead, blank = self._gap(self.text[previous_end:token.start_pos], i)
            text = self._token_text(token, previous_text)
            atom = _Atom(token.type, text or "", lead, None, blank, keep=text is not None)
            self.atoms.append(atom)
            previous_end, previous_text = token.end_pos, str(token)
        self.tail, _ = self._gap(self.text[previous_end:], len(self.tokens))

    def _gap(self, gap: str, index: int) -> tuple[list[_Comment], bool]:
        """Own-line comments in a gap before token ``index``; a trailing one goes to the token before."""
        comments, position = [], 0
        for match in re.finditer(r"#[^\n]*", gap):
            before = gap[position:match.start()]
            text = match.group().rstrip()
            if index > 0 and position == 0 and "\n" not in before:
                self.atoms[index - 1].trail = text
            else:
                comments.append(_Comment(text, before.count("\n") >= 2))
            position = match.end()
        return comments, gap[position:].count("\n") >= 2

    def _token_text(self, token: Token, previous: str | None) -> str | None:
        kind, text = token.type, str(token)
        if previous == "=" and self.lang is not None and (kind == "IS_UNKNOWN" or (kind == "NAME" and text == "unknown")):
            return _UNKNOWN[self.lang]  # only a default: a comparison's right side is never `is unknown`
        if kind in _MARKERS:
            return _translate_marker(kind, text, self.lang)
        if kind in _KEYWORD_TYPES:
            return _translate_keyword(text, self.lang, previous)
        return text

    # ---------------------------------------------------------------- structure
    def _first(self, node: Tree) -> int | None:
        if getattr(node.meta, "empty", True):
            return None
        return self.by_start.get(node.meta.start_pos)

    def _last(self, node: Tree) -> int | None:
        if getattr(node.meta, "empty", True):
            return None
        return self.by_end.get(node.meta.end_pos)

    def _start_line(self, node: Tree, line: _Line, block: bool) -> None:
        first = self._first(node)
        if first is None:
            return
        self.lines.setdefault(first, line)
        self._clauses(node, block)

    def _clauses(self, node: Tree, block: bool) -> None:
        """Where a statement may (or must) break: before a clause keyword or clause."""
        inline, keywords = _inline_rules(), _KEYWORD_TYPES
        kids = node.children
        clauses = [c for c in kids if isinstance(c, Tree) and c.data not in inline]
        forced = not block and len(clauses) >= 2
        content = False  # something other than keywords came before
        for j, kid in enumerate(kids):
            if isinstance(kid, Token):
                index = self.by_start.get(kid.start_pos)
                is_keyword = kid.type in keywords
                if (j and is_keyword and content and j + 1 < len(kids) and isinstance(kids[j + 1], Tree)
                        and index is not None):
                    self.atoms[index].level = 1
                content = content or not is_keyword
                continue
            first = self._first(kid)
            if j and kid.data not in inline and not block and first is not None:
                if forced:
                    self.atoms[first].force = ("clause",)
                elif content:
                    self.atoms[first].level = 1
            content = True

    def _walk(self, node: Tree, indent: int, top_level: bool = False) -> None:
        data = node.data
        inline = _inline_rules()
        block = data in _BLOCKS or (top_level and data not in _TOP_LINES)
        if data == "text":
            self._align_strings(node)
        elif data == "set_lit":
            self._trailing_comma(node, want=False)
        elif data == "enum_body":
            self._trailing_comma(node, want=True)
        elif data == "neg":
            first = self._first(node)
            if first is not None:
                self.atoms[first].unary = True
        elif data == "duty_bearer":
            self._bearer(node)
        self._grouping(node)
        previous = None
        child_lines = 0
        for kid in node.children:
            if not isinstance(kid, Tree) or self._first(kid) is None:
                continue
            if data == "start":
                after_import = previous == "import_" and kid.data == "import_"
                self._start_line(kid, _Line(0, top=True, after_import=after_import), kid.data in _BLOCKS)
                self._walk(kid, 0, top_level=True)
                previous = kid.data
            elif block and kid.data not in inline:
                self._start_line(kid, _Line(indent + STEP, first_child=child_lines == 0), kid.data in _BLOCKS)
                child_lines += 1
                self._walk(kid, indent + STEP)
            else:
                self._walk(kid, indent)
        if block and data != "start" and child_lines:
            # The block's own closing brace (not one closing a set in its last rule).
            last = self._last(node)
            trees = [k for k in node.children if isinstance(k, Tree) and self._last(k) is not None]
            inner = self._last(trees[-1]) if trees else None
            if last is not None and str(self.tokens[last]) == "}" and (inner is None or inner < last):
                self.lines.setdefault(last, _Line(indent, closing=True))

    def _grouping(self, node: Tree) -> None:
        """A call keyword (``due``) followed by an operand of its own rule that opens with `(`: that `(`
        groups the operand (a duty's deadline counted from a parenthesised date), so it keeps its space."""
        kids = node.children
        for kid, after in zip(kids, kids[1:]):
            if isinstance(kid, Token) and kid.type in _calls() and isinstance(after, Tree):
                index, first = self.by_start.get(kid.start_pos), self._first(after)
                if index is not None and first == index + 1 and str(self.tokens[first]) == "(":
                    self.atoms[first].grouping = True

    def _align_strings(self, node: Tree) -> None:
        strings = [self.by_start[t.start_pos] for t in node.children
                   if isinstance(t, Token) and t.start_pos in self.by_start]
        for index in strings[1:]:
            self.atoms[index].force = ("align", self.atoms[strings[0]])

    def _bearer(self, node: Tree) -> None:
        """A duty's bearer is `by ACTOR` in English: 由 is `decided by` in a recusal, `by` here."""
        first = self._first(node)
        written = " ".join(str(self.tokens[first]).split()) if first is not None else ""
        if first is not None and self.lang == "en" and kw.language_of(written) != "en":
            self.atoms[first].text = "by"

    def _trailing_comma(self, node: Tree, want: bool) -> None:
        last = self._last(node)
        if last is None or last < 1 or str(self.tokens[last]) != "}":
            return
        before = last - 1
        has = str(self.tokens[before]) == ","
        if has and not want:
            self.atoms[before].keep = False
        elif want and not has:
            previous = self.atoms[before]
            self.extra[before] = [_Atom("COMMA", ",", trail=previous.trail)]
            previous.trail = None

    # ---------------------------------------------------------------- layout
    def _keep_comments_of_dropped_tokens(self) -> None:
        """A dropped token's comments go to its neighbours, in order."""
        previous, carry = None, []
        for i, atom in enumerate(self.atoms):
            for current in (atom, *self.extra.get(i, ())):
                if current.keep:
                    current.lead[:0], carry = carry, []
                    previous = current
                    continue
                carry += current.lead
                if current.trail is not None:
                    if previous is not None and previous.trail is None and not carry:
                        previous.trail = current.trail
                    else:
                        carry.append(_Comment(current.trail, False))
                current.lead, current.trail = [], None
        if carry:
            self.tail[:0] = carry

    def format(self) -> str:
        self._walk(self.tree, 0)
        self._keep_comments_of_dropped_tokens()
        out: list[str] = []
        starts = sorted(self.lines)
        if not starts and self.atoms:
            starts = [0]
            self.lines[0] = _Line(0)
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(self.atoms)
            atoms = []
            for i in range(start, end):
                if self.atoms[i].keep:
                    atoms.append(self.atoms[i])
                atoms.extend(self.extra.get(i, ()))
            if not atoms:
                continue
            self._emit_line(out, self.lines[start], self.atoms[start], atoms, first=n == 0)
        for comment in self.tail:
            if out and comment.blank_before:
                _blank(out)
            out.append(comment.text)
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n" if out else ""

    def _emit_line(self, out: list[str], line: _Line, head: _Atom, atoms: list[_Atom], first: bool) -> None:
        if line.top:
            need_blank = not first and not line.after_import
        elif line.closing or line.first_child:
            need_blank = False
        else:
            need_blank = head.lead[0].blank_before if head.lead else head.blank_before
        comment_indent = line.indent + STEP if line.closing else line.indent
        for k, comment in enumerate(head.lead):
            if (k == 0 and need_blank) or (k and comment.blank_before):
                _blank(out)
            out.append(" " * comment_indent + comment.text)
        if (head.lead and head.blank_before) or (not head.lead and need_blank):
            _blank(out)
        self._layout(out, atoms, line.indent)

    def _layout(self, out: list[str], atoms: list[_Atom], indent: int) -> None:
        self._set_levels(atoms)
        chunks: list[tuple[list[_Atom], tuple | None]] = []
        for k, atom in enumerate(atoms):
            brk = None
            if k:
                if atom.force:
                    brk = atom.force
                elif atom.lead or atoms[k - 1].trail is not None:
                    brk = ("cont",)
            if k == 0 or brk:
                chunks.append(([], brk))
            chunks[-1][0].append(atom)
        columns: dict[int, int] = {}
        for chunk, brk in chunks:
            if brk is None:
                first = indent
            elif brk[0] == "align":
                first = columns.get(id(brk[1]), indent + CONT)
            elif brk[0] == "clause":
                first = indent + STEP
            else:
                first = indent + CONT
            if brk is not None:
                for comment in chunk[0].lead:
                    out.append(" " * first + comment.text)
            for line_indent, line_atoms in _emit(chunk, first, indent + CONT):
                # Built in parts, the column kept as it grows: measuring the whole line at each atom
                # made a long line quadratic.
                parts, width = [" " * line_indent], line_indent
                for i, atom in enumerate(line_atoms):
                    if i:
                        space = _space(line_atoms[i - 1], atom)
                        parts.append(space)
                        width += len(space)
                    columns[id(atom)] = width
                    parts.append(atom.text)
                    width += display_width(atom.text)
                text = "".join(parts)
                if line_atoms[-1].trail is not None:
                    text += "  " + line_atoms[-1].trail
                out.append(text.rstrip())

    @staticmethod
    def _set_levels(atoms: list[_Atom]) -> None:
        depth = 0
        for k, atom in enumerate(atoms):
            if atom.type == "AND" or atom.type == "OR":
                atom.level = min(atom.level or _FILL, 2 + 2 * depth + (atom.type == "AND"))
            if k and atoms[k - 1].text == "," and atom.level is None:
                atom.level = _FILL
            if atom.text == "(":
                depth += 1
            elif atom.text == ")":
                depth = max(depth - 1, 0)


def _blank(out: list[str]) -> None:
    if out and out[-1] != "":
        out.append("")


def _emit(atoms: list[_Atom], indent: int, cont: int) -> list[tuple[int, list[_Atom]]]:
    """Lines for ``atoms``: as one line if it fits, else broken at the lowest break level."""
    if _fits(atoms, indent):
        return [(indent, atoms)]
    levels = [a.level for a in atoms[1:] if a.level is not None]
    if not levels:
        return [(indent, atoms)]
    low = min(levels)
    if low >= _FILL:
        return _fill(atoms, indent, indent + 2 * CONT)
    pieces: list[list[_Atom]] = [[atoms[0]]]
    for atom in atoms[1:]:
        if atom.level == low:
            pieces.append([atom])
        else:
            pieces[-1].append(atom)
    # The first operand's own breaks go deeper than the operators that follow it, so an inner `且`
    # never lines up with an outer `或` (a clause's head keeps `cont`, which is deeper than the clause).
    step = STEP if low == 1 else None
    lines = _emit(pieces[0], indent, cont if step else cont + CONT)
    # A clause (`when …`, `then …`) goes 2 deeper than its statement, a
    # continued condition (`and …`, `or …`) 4 deeper than the line it continues.
    for piece in pieces[1:]:
        at = indent + step if step else cont
        lines += _emit(piece, at, at + CONT)
    return lines


def _fill(atoms: list[_Atom], indent: int, cont: int) -> list[tuple[int, list[_Atom]]]:
    """Greedy filling at commas: as many items on a line as fit."""
    lines: list[tuple[int, list[_Atom]]] = []
    current, current_indent = [atoms[0]], indent
    i = 1
    while i < len(atoms):
        j = i + 1
        while j < len(atoms) and atoms[j].level is None:
            j += 1
        segment = atoms[i:j]
        if atoms[i].level is not None and not _fits(current + segment, current_indent):
            lines.append((current_indent, current))
            current, current_indent = list(segment), cont
        else:
            current += segment
        i = j
    lines.append((current_indent, current))
    return lines


# --------------------------------------------------------------------------- entry points
def format_text(text: str, *, lang: str | None = None, source: str = "<string>") -> str:
    """``text`` in the canonical layout (keywords in ``lang`` if given: ``"zh"`` or ``"en"``).

    Raises ``PolicySyntaxError`` (with every problem) if the text does not parse,
    and ``FormatError`` if the result would not mean the same (never expected).
    """
    if lang not in (None, *_LANGS):
        raise ValueError(f"lang must be one of {_LANGS} or None, not {lang!r}")
    original = parser.parse_module(text, source)
    body = text.lstrip("\ufeff")
    try:
        result = _Formatter(body, lang).format()
    except lark.exceptions.LarkError as exc:  # parse_module accepted it, so this is a bug
        raise FormatError(f"{source}: cannot format: {exc}") from None
    try:
        formatted = parser.parse_module(result, source)
    except RulesError as exc:
        raise FormatError(f"{source}: formatting produced text that does not parse (a bug):\n{exc}") from None
    if formatted != original:
        raise FormatError(f"{source}: formatting would change the meaning of the file (a bug); left as it was")
    return result


def is_formatted(text: str, *, lang: str | None = None, source: str = "<string>") -> bool:
    return format_text(text, lang=lang, source=source) == text
