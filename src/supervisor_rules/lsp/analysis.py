"""What an editor asks of a rule file, answered on plain text with no LSP library.

``Analysis`` takes one document's text (and a way to read the files it imports) and answers:
diagnostics (the checker's, with their codes), hover, definition, completion, the outline and
formatting. Every place it returns is 0-based, with columns in code points (``str`` indices); the
server (``lsp.server``) turns them into LSP's UTF-16 positions with ``lsp.positions``.

It reuses the front end: ``policy.check_text`` for the problems, ``lang.parser.parse_module`` for the
nodes with their spans, ``lang.keywords`` for both languages' spellings, ``tools.formatter`` for
formatting. Nothing here knows a policy: every name comes from the rule files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from supervisor_rules import policy
from supervisor_rules.errors import PolicyError, RulesError
from supervisor_rules.lang import keywords as kw
from supervisor_rules.lang import nodes as n
from supervisor_rules.lang import parser, refs
from supervisor_rules.lang.numerals import cite_number
from supervisor_rules.lsp.positions import lines_of
from supervisor_rules.tools import formatter

#: A document larger than this is not analysed (one diagnostic says so): the server checks the whole
#: text on every change, and a rule file is tens of kilobytes.
MAX_DOCUMENT_BYTES = 1_048_576

SOURCE = "supervisor-rules"

# A string or a comment, left to right (an unterminated string runs to the end of the line).
_MASK = re.compile(r'"(?:[^"\\\n]|\\.)*"?|「[^」\n]*」?|#[^\n]*')
_NAME = r"[^\W\d]\w*"
_TRAILING_WORD = re.compile(r"\w*$")
_SECTION_DOT = re.compile(rf"(?<![\w.])(?P<section>{_NAME})\.(?P<word>\w*)$")


def _value_operators() -> str:
    words = [s for t in ("IN", "NOT_IN", "HAS", "HAS_ANY") for s in kw.spellings(t)]
    words.sort(key=len, reverse=True)
    alternatives = ["[ \\t]+".join(re.escape(w) for w in word.split(" ")) for word in words]
    return "|".join(["!=", "=", *alternatives])


# `PATH = v`, `PATH 属于 {a, b`, `PATH has any of {a, `: an enum value is wanted at the end.
_VALUE_WANTED = re.compile(rf"(?P<path>{_NAME}(?:\.{_NAME})+)\s*(?:{_value_operators()})\s*"
                           rf"(?:\{{(?:[^{{}}]*,)?\s*)?\w*$")


@attrs.frozen
class Range:
    """A range in one file: 0-based lines, columns in code points, the end exclusive. ``path`` is the
    file (None: the document being analysed)."""

    line: int
    column: int
    end_line: int
    end_column: int
    path: str | None = None


@attrs.frozen
class Problem:
    """A diagnostic of the document, ready for LSP but for its columns (code points)."""

    range: Range
    message: str
    severity: str  # "error" | "warning"
    code: str
    related: tuple[tuple[str, int, int, str, str], ...] = ()  # (file, line, column, its line's text, message)


@attrs.frozen
class Completion:
    label: str
    kind: str  # keyword | fact | field | section | value | article | definition | type
    detail: str = ""
    documentation: str = ""
    sort: str = ""


@attrs.frozen
class Symbol:
    name: str
    detail: str
    kind: str  # chapter | article | paragraph | item | subitem | header | facts | enum | record | definition | invariant
    range: Range
    selection: Range
    children: tuple["Symbol", ...] = ()


@attrs.frozen
class _Fact:
    section: n.FactsDecl
    field: n.FieldDecl
    path: str | None


# ------------------------------------------------------------------ parsing, with what it imports
@functools.lru_cache(maxsize=16)  # the versions typed lately, and the files they import
def _parse(text: str, source: str) -> n.Module | None:
    """The module of ``text``, or None if it does not parse (the diagnostics say why)."""
    try:
        return parser.parse_module(text, source)
    except (RulesError, RecursionError, ValueError):
        return None


def read_file(path: Path) -> str | None:
    """A file's text as UTF-8, or None if it cannot be read or is over the size limit."""
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _span_range(span: n.Span, path: str | None = None) -> Range:
    return Range(span.line - 1, span.column - 1, span.end_line - 1, span.end_column - 1, path)


def _inside(span: n.Span, line: int, column: int) -> bool:
    """Whether the 1-based (line, column) is in the span (its end included: a cursor just after a word)."""
    if span.line <= 0:
        return False
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def _children(node: Any) -> Iterator[Any]:
    for field in attrs.fields(type(node)):
        if field.name == "span":
            continue
        value = getattr(node, field.name)
        if isinstance(value, (tuple, list)):
            yield from (v for v in value if attrs.has(type(v)))
        elif attrs.has(type(value)):
            yield value


def _walk(root: Any) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """Every node below ``root`` with its ancestors (nearest last), depth first, parents first."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(root, ())]
    while stack:
        node, parents = stack.pop()
        yield node, parents
        below = (*parents, node)
        stack.extend((child, below) for child in reversed(list(_children(node))))


def _short(text: str | None, width: int = 40) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _spelled(terminal: str) -> str:
    """``中文 english`` for a keyword terminal, as hovers show a type."""
    row = kw.by_terminal(terminal)[0]
    return " ".join(x for x in (row.zh[:1] + row.en[:1]))


_TYPE_TERMINALS = {n.BoolType: "BOOL", n.DateType: "DATE_TYPE", n.NumberType: "NUMBER_TYPE", n.TextType: "TEXT_TYPE"}


class Analysis:
    """One version of one document: its module (if it parses), the files it imports, and the answers.

    ``reader`` reads an imported file (the server gives the editor's unsaved text of an open file
    before the disk's); ``fallback`` is the module of the last version that parsed, used for the
    names completion offers while the text is broken.
    """

    def __init__(self, text: str, path: Path | None, source: str, *,
                 reader: Callable[[Path], str | None] = read_file, fallback: n.Module | None = None):
        self.text = text
        self.path = path
        self.source = source
        self.too_large = len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES
        self.lines = lines_of(text)
        self.module = None if self.too_large else _parse(text, source)
        self.texts: dict[str, str] = {}  # the imported files read: path → text
        self.imported: list[tuple[str, n.Module]] = []
        known = self.module or fallback
        if known is not None and not self.too_large:
            self._read_imports(known, reader)
        self._index(known)

    # -------------------------------------------------------------- the model
    def _read_imports(self, root: n.Module, reader: Callable[[Path], str | None]) -> None:
        folder = self.path.parent if self.path is not None else None
        queue: list[tuple[n.Module, Path | None]] = [(root, folder)]
        seen: set[Path] = set()
        while queue and len(seen) < policy.MAX_IMPORTS:
            module, base = queue.pop(0)
            for imp in module.imports:
                if base is None or not imp.path.endswith(".rules") or Path(imp.path).is_absolute():
                    continue
                try:
                    target = (base / imp.path).resolve()
                except (OSError, RuntimeError, ValueError):
                    continue
                if target in seen or len(seen) >= policy.MAX_IMPORTS:
                    continue
                seen.add(target)
                data = reader(target)
                sub = _parse(data, str(target)) if data is not None else None
                if sub is None or data is None:
                    continue
                self.texts[str(target)] = data
                self.imported.append((str(target), sub))
                queue.append((sub, target.parent))

    def _index(self, root: n.Module | None) -> None:
        self.facts: dict[str, _Fact] = {}
        self.sections: dict[str, tuple[n.FactsDecl, str | None]] = {}
        self.enums: dict[str, tuple[n.EnumDecl, str | None]] = {}
        self.records: dict[str, tuple[n.RecordDecl, str | None]] = {}
        self.definitions: dict[str, tuple[n.Definition, str | None]] = {}
        self.articles: dict[int, n.Article] = {}
        modules: list[tuple[str | None, n.Module]] = [(None, root)] if root is not None else []
        for path, module in [*modules, *self.imported]:
            for facts in module.facts:
                self.sections.setdefault(facts.section, (facts, path))
                for field in facts.fields:
                    self.facts.setdefault(f"{facts.section}.{field.name}", _Fact(facts, field, path))
            for enum in module.enums:
                self.enums.setdefault(enum.name, (enum, path))
            for record in module.records:
                self.records.setdefault(record.name, (record, path))
            for definition in module.definitions:
                self.definitions.setdefault(definition.name, (definition, path))
        if root is not None:
            self.articles = {a.number: a for a in root.articles}

    def _values_of(self, type_: Any) -> tuple[tuple[n.EnumValue, ...], str, str | None] | None:
        """An enum type's values, its name and the file declaring it; None if it is no enum."""
        if isinstance(type_, n.ListType):
            type_ = type_.element
        if isinstance(type_, n.InlineEnum):
            return type_.values, "", None
        if isinstance(type_, n.NamedType) and type_.name in self.enums:
            enum, path = self.enums[type_.name]
            return enum.values, enum.name, path
        return None

    def _record_field(self, source: Any, name: str) -> tuple[n.FieldDecl, str | None] | None:
        """The field ``name`` of the records a list fact holds (``any r in LIST where r.NAME``)."""
        if not isinstance(source, n.Path):
            return None
        fact = self.facts.get(source.dotted)
        element = fact.field.type.element if fact and isinstance(fact.field.type, n.ListType) else None
        if isinstance(element, n.NamedType) and element.name in self.records:
            record, path = self.records[element.name]
            for field in record.fields:
                if field.name == name:
                    return field, path
        return None

    def _field_of(self, path: n.Path, parents: tuple[Any, ...]) -> tuple[n.FieldDecl, str | None, str] | None:
        """The declaration a path names: (field, its file, its section or record's words)."""
        parts = path.parts
        if len(parts) >= 2 and f"{parts[0]}.{parts[1]}" in self.facts:
            fact = self.facts[f"{parts[0]}.{parts[1]}"]
            return fact.field, fact.path, f"{fact.section.section}" + (f" {fact.section.label}" if fact.section.label else "")
        if len(parts) == 2:
            for parent in reversed(parents):  # a quantifier's or a per-entry rule's entry
                if getattr(parent, "var", None) == parts[0]:
                    found = self._record_field(getattr(parent, "source", None), parts[1])
                    if found is not None:
                        return found[0], found[1], parts[0]
            for record, where in self.records.values():  # the text is half typed: any record's field
                for field in record.fields:
                    if field.name == parts[1]:
                        return field, where, record.name
        return None

    @functools.cached_property
    def _by_line(self) -> dict[int, list[tuple[Any, tuple[Any, ...]]]]:
        """The nodes a position can name (paths, names, references, imports, types, values, a definition's
        name), by each 1-based line they stand on, in walk order (an inner node after its parent)."""
        out: dict[int, list[tuple[Any, tuple[Any, ...]]]] = {}
        if self.module is None:
            return out
        wanted = (n.Path, n.Name, n.ArticleRef, n.Import, n.NamedType, n.EnumValue, n.FieldDecl)
        for node, parents in _walk(self.module):
            if isinstance(node, n.Definition) and node.name_span.line > 0:
                node, parents = n.Name(node.name, span=node.name_span), (*parents, node)
            elif not isinstance(node, wanted) or node.span.line <= 0:
                continue
            for line in range(node.span.line, node.span.end_line + 1):
                out.setdefault(line, []).append((node, parents))
        return out

    def _node_at(self, line: int, column: int) -> tuple[Any, tuple[Any, ...]] | None:
        """The innermost node of interest at a 0-based (line, code-point column), with its ancestors."""
        found = None
        for node, parents in self._by_line.get(line + 1, ()):
            if _inside(node.span, line + 1, column + 1):
                found = (node, parents)
        return found

    def _enum_value(self, name: n.Name, parents: tuple[Any, ...]) -> tuple[n.EnumValue, str, str | None] | None:
        """The declared value a bare name stands for, by the fact it is compared with where possible."""
        parent = parents[-1] if parents else None
        operand = None
        if isinstance(parent, (n.Member, n.Has, n.HasAny)):
            operand = parent.operand
        elif isinstance(parent, n.Compare):
            operand = parent.left if parent.right is name else parent.right
        if isinstance(operand, n.Path):
            field = self._field_of(operand, parents)
            values = self._values_of(field[0].type) if field else None
            if values is not None:
                for value in values[0]:
                    if value.name == name.name:
                        return value, values[1], values[2] if values[1] else field[1] if field else None
        for enum, path in self.enums.values():
            for value in enum.values:
                if value.name == name.name:
                    return value, enum.name, path
        return None

    def _provision(self, ref: n.ArticleRef) -> Any:
        """The article, paragraph, item or sub-item a reference names, or None."""
        article = self.articles.get(ref.article)
        if article is None:
            return None
        target: Any = article
        if ref.paragraph is not None and ref.paragraph != 1:
            target = next((p for p in article.paragraphs if p.number == ref.paragraph), None)
        if target is not None and ref.item is not None:
            target = next((i for i in target.items if i.number == ref.item), None)
            if target is not None and ref.sub is not None:
                target = next((s for s in target.subitems if s.number == ref.sub), None)
        return target

    # -------------------------------------------------------------- diagnostics
    def diagnostics(self, base_dir: Path | None) -> list[Problem]:
        """The checker's problems in this document, positioned; a problem in an imported file is shown
        at the import that brings it in."""
        if self.too_large:
            size = len(self.text.encode("utf-8", "surrogatepass"))
            return [Problem(Range(0, 0, 0, len(self.lines[0])),
                            f"文件过大（{size:,} 字节，上限 {MAX_DOCUMENT_BYTES:,} 字节），不做检查 / the document is "
                            f"{size:,} bytes, over the editor limit of {MAX_DOCUMENT_BYTES:,}: not checked", "error", "limit")]
        try:
            found = policy.check_text(self.text, self.source, base_dir=base_dir)
        except (RulesError, RecursionError, ValueError, OSError) as exc:
            return [Problem(Range(0, 0, 0, 0), f"无法检查 / cannot check: {' '.join(str(exc).split())[:300]}",
                            "error", "read")]
        out = []
        for d in found:
            if d.source == self.source:
                line = max(d.line - 1, 0)
                start = max(d.column - 1, 0)
                text = self.lines[line] if line < len(self.lines) else ""
                end = min(start + max(d.length, 1), max(len(text), start + 1))
                out.append(Problem(Range(line, start, line, end), d.message, d.severity, d.code))
            else:
                where = self._import_range(d.source)
                out.append(Problem(where, f"{d.source}:{d.line}:{d.column}: {d.message}", d.severity, d.code,
                                   ((d.source, d.line - 1, d.column - 1, d.source_line or "", d.message),)))
        return out

    def _import_range(self, source: str) -> Range:
        """Where the import that brings in ``source`` (directly or not) is written; else the first line."""
        imports = self.module.imports if self.module is not None else ()
        try:
            wanted = Path(source).resolve()
        except (OSError, RuntimeError, ValueError):
            wanted = None
        folder = self.path.parent if self.path is not None else None
        for imp in imports:
            try:
                if folder is not None and (folder / imp.path).resolve() == wanted:
                    return _span_range(imp.span)
            except (OSError, RuntimeError, ValueError):
                continue
        if imports:
            return _span_range(imports[0].span)
        return Range(0, 0, 0, len(self.lines[0]))

    # -------------------------------------------------------------- hover
    def hover(self, line: int, column: int) -> tuple[str, Range] | None:
        """Markdown for what is at the 0-based (line, code-point column), and the range it is about."""
        if self.too_large:
            return None
        keyword = self._keyword_hover(line, column)  # a keyword is never part of a name: it goes first
        if keyword is not None:
            return keyword
        found = self._node_at(line, column)
        if found is not None:
            node, parents = found
            text = self._describe(node, parents)
            if text is not None:
                return text, _span_range(node.span)
        return None

    def _describe(self, node: Any, parents: tuple[Any, ...]) -> str | None:
        if isinstance(node, n.Path):
            field = self._field_of(node, parents)
            if field is not None:
                return self._describe_field(node.dotted, *field)
            if node.parts[0] in self.sections:
                return self._describe_section(node.parts[0])
            return None
        if isinstance(node, n.Name):
            if node.name in self.definitions:
                definition = self.definitions[node.name][0]
                return f"**{definition.name}** — {definition.label}\n\n定义 definition"
            value = self._enum_value(node, parents)
            if value is not None:
                enum = self.enums.get(value[1], (None, None))[0]
                owner = f"枚举 enum `{value[1]}`" + (f" {enum.label}" if enum and enum.label else "") if value[1] else "枚举 enum"
                return f"**{value[0].name}**" + (f" — {value[0].label}" if value[0].label else "") + f"\n\n{owner}"
            if node.name in self.sections:
                return self._describe_section(node.name)
            return None
        if isinstance(node, n.ArticleRef):
            return self._describe_ref(node)
        if isinstance(node, n.NamedType):
            if node.name in self.enums:
                enum = self.enums[node.name][0]
                values = "\n".join(f"- `{v.name}`" + (f" {v.label}" if v.label else "") for v in enum.values[:30])
                return f"**{enum.name}**" + (f" — {enum.label}" if enum.label else "") + f"\n\n枚举 enum\n\n{values}"
            if node.name in self.records:
                record = self.records[node.name][0]
                fields = "\n".join(f"- `{f.name}`" + (f" {f.label}" if f.label else "") for f in record.fields[:30])
                return f"**{record.name}**" + (f" — {record.label}" if record.label else "") + f"\n\n记录 record\n\n{fields}"
            return None
        if isinstance(node, n.FieldDecl):
            declared_in = parents[-1] if parents else None
            if isinstance(declared_in, n.FactsDecl):
                section = declared_in.section + (f" {declared_in.label}" if declared_in.label else "")
                return self._describe_field(f"{declared_in.section}.{node.name}", node, None, section)
            if isinstance(declared_in, n.RecordDecl):
                return self._describe_field(node.name, node, None, f"{_spelled('RECORD')} `{declared_in.name}`")
            return None
        if isinstance(node, n.Import):
            return f"引用 import `{node.path}`"
        if isinstance(node, n.EnumValue):
            return f"**{node.name}**" + (f" — {node.label}" if node.label else "")
        return None

    def _describe_section(self, name: str) -> str:
        facts = self.sections[name][0]
        return f"**{name}**" + (f" — {facts.label}" if facts.label else "") + "\n\n事实段 section of facts"

    def _type_words(self, type_: Any) -> str:
        if isinstance(type_, n.ListType):
            return f"{_spelled('LIST_OF')} {self._type_words(type_.element)}"
        if isinstance(type_, n.InlineEnum):
            return f"{_spelled('ENUM')} {{{', '.join(v.name for v in type_.values)}}}"
        if isinstance(type_, n.NamedType):
            if type_.name in self.enums:
                enum = self.enums[type_.name][0]
                return f"{_spelled('ENUM')} `{type_.name}`" + (f" {enum.label}" if enum.label else "")
            if type_.name in self.records:
                return f"{_spelled('RECORD')} `{type_.name}`"
            return f"`{type_.name}`"
        terminal = _TYPE_TERMINALS.get(type(type_))
        return _spelled(terminal) if terminal else "?"

    def _describe_field(self, dotted: str, field: n.FieldDecl, path: str | None, owner: str) -> str:
        lines = [f"**{dotted}**" + (f" — {field.label}" if field.label else ""),
                 f"类型 type: {self._type_words(field.type)}"]
        if field.default is None:
            lines.append("开放世界：未给出即未知 / open-world: absent means unknown")
        elif field.default == n.UNKNOWN_DEFAULT:
            lines.append("可省略，省略即未知 / may be left out: then unknown")
        else:
            lines.append(f"封闭世界：未给出取默认值 `{self._default_words(field.default)}` / closed-world: absent "
                         f"means the default")
        lines.append(f"属于 in: {owner}" + (f" ({Path(path).name})" if path else ""))
        return "\n\n".join(lines)

    @staticmethod
    def _default_words(default: Any) -> str:
        if default is True or default is False:
            return _spelled("TRUE" if default else "FALSE")
        if isinstance(default, tuple):
            return "[" + ", ".join(str(v) for v in default) + "]"
        return str(default)

    def _describe_ref(self, ref: n.ArticleRef) -> str:
        target = self._provision(ref)
        title = f"**{ref.cite}** ({ref.english})"
        if target is None:
            return f"{title}\n\n本文件中没有该条款 / no such provision in this file"
        article = self.articles[ref.article]
        parts = [title]
        if target is not article and article.text:
            parts.append(f"{refs.cite(article.number, None, None)}：{article.text}")
        if getattr(target, "text", None):
            parts.append(target.text)
        if target is article:
            for item in article.items[:20]:
                if item.text:
                    parts.append(f"（{cite_number(item.number)}）{item.text}")
        return "\n\n".join(parts)

    def _keyword_hover(self, line: int, column: int) -> tuple[str, Range] | None:
        if line >= len(self.lines):
            return None
        found = keyword_at(self.lines[line], column)
        if found is None:
            return None
        start, end, row = found
        written = self.lines[line][start:end]
        lang = kw.language_of(written)
        other = row.en if lang == kw.ZH else row.zh
        other_words = " / ".join(f"`{s}`" for s in other) if other else "—"
        label = "English" if lang == kw.ZH else "中文"
        text = (f"**{written}** — 关键字 keyword\n\n{label}: {other_words}\n\n类别 category: {row.category} · "
                f"用于 used in: {row.used_in}")
        return text, Range(line, start, line, end)

    # -------------------------------------------------------------- definition
    def definition(self, line: int, column: int) -> Range | None:
        """Where what is at the position is declared: a fact's field, an enum value, an enum or
        record, a definition, the article a reference names, the file an import names."""
        found = self._node_at(line, column)
        if found is None:
            return None
        node, parents = found
        if isinstance(node, n.Path):
            field = self._field_of(node, parents)
            if field is not None:
                return _span_range(field[0].span, field[1])
            if node.parts[0] in self.sections:
                facts, path = self.sections[node.parts[0]]
                return _span_range(facts.span, path)
        elif isinstance(node, n.Name):
            if node.name in self.definitions:
                definition, path = self.definitions[node.name]
                return _span_range(definition.name_span if definition.name_span.line > 0 else definition.span, path)
            value = self._enum_value(node, parents)
            if value is not None:
                return _span_range(value[0].span, value[2])
            if node.name in self.sections:
                facts, path = self.sections[node.name]
                return _span_range(facts.span, path)
        elif isinstance(node, n.ArticleRef):
            target = self._provision(node)
            if target is not None:
                return _span_range(target.span)
        elif isinstance(node, n.NamedType):
            for table in (self.enums, self.records):
                if node.name in table:
                    decl, path = table[node.name]
                    return _span_range(decl.span, path)
        elif isinstance(node, n.Import) and self.path is not None:
            try:
                target_path = (self.path.parent / node.path).resolve()
            except (OSError, RuntimeError, ValueError):
                return None
            if target_path.is_file():
                return Range(0, 0, 0, 0, str(target_path))
        return None

    # -------------------------------------------------------------- completion
    def completions(self, line: int, column: int) -> tuple[int, list[Completion]]:
        """What may be written at the position, and the column from which it replaces what is typed:
        enum values after ``=`` / ``属于`` / ``has`` on an enum fact; a section's facts after
        ``section.``; else keywords in both languages, fact paths, sections, definitions, types and
        article references."""
        if self.too_large or line >= len(self.lines):
            return column, []
        before = _masked(self.lines[line])[:column]
        trailing = _TRAILING_WORD.search(before)  # what the completion replaces: the word being typed
        typed = trailing.start() if trailing is not None else column
        wanted = _VALUE_WANTED.search(before)
        if wanted is not None:
            values = self._values_for_path(wanted["path"])
            if values is not None:
                return typed, [Completion(v.name, "value", v.label or "", sort=f"0{i:04}") for i, v in enumerate(values)]
        dotted = _SECTION_DOT.search(before)
        if dotted is not None and dotted["section"] in self.sections:
            section = dotted["section"]
            return typed, [Completion(fact.field.name, "field", fact.field.label or "", self._type_words(fact.field.type),
                                      f"0{i:04}")
                           for i, fact in enumerate(f for name, f in self.facts.items() if name.split(".")[0] == section)]
        out: list[Completion] = []
        for dotted_name, fact in self.facts.items():
            out.append(Completion(dotted_name, "fact", fact.field.label or "", self._type_words(fact.field.type),
                                  "1" + dotted_name))
        for name, (facts, _) in self.sections.items():
            out.append(Completion(name, "section", facts.label or "", sort="2" + name))
        for name, (definition, _) in self.definitions.items():
            out.append(Completion(name, "definition", definition.label, sort="2" + name))
        for name, (enum, _) in self.enums.items():
            out.append(Completion(name, "type", f"{_spelled('ENUM')} {enum.label or ''}".strip(), sort="3" + name))
        for name, (record, _) in self.records.items():
            out.append(Completion(name, "type", f"{_spelled('RECORD')} {record.label or ''}".strip(), sort="3" + name))
        out += self._article_completions()
        for row in kw.KEYWORDS:
            for lang, spellings_ in ((kw.ZH, row.zh), (kw.EN, row.en)):
                other = row.en if lang == kw.ZH else row.zh
                for spelling in spellings_:
                    detail = ("English: " if lang == kw.ZH else "中文：") + (" / ".join(other) or "—")
                    out.append(Completion(spelling, "keyword", detail, f"{row.category} · {row.used_in}",
                                          "5" + spelling))
        return typed, out

    def _values_for_path(self, dotted: str) -> tuple[n.EnumValue, ...] | None:
        parts = tuple(dotted.split("."))
        field = self._field_of(n.Path(parts), ())
        values = self._values_of(field[0].type) if field else None
        return values[0] if values else None

    def _article_completions(self) -> list[Completion]:
        out = []
        for article in self.articles.values():
            provisions: list[tuple[int | None, int | None, str | None]] = [(None, None, article.text)]
            provisions += [(None, i.number, i.text) for i in article.items]
            for each in article.paragraphs:
                provisions.append((each.number, None, each.text))
                provisions += [(each.number, i.number, i.text) for i in each.items]
            for paragraph, item, text in provisions:
                marker = refs.Marker(article.number, paragraph, item)
                key = f"4{article.number:06}{paragraph or 0:03}{item or 0:03}"
                for lang in ("zh", "en"):
                    try:
                        label = refs.render(marker, lang)
                    except ValueError:
                        continue
                    out.append(Completion(label, "article", _short(text), text or "", key + lang))
        return out

    # -------------------------------------------------------------- outline
    def symbols(self) -> list[Symbol]:
        """The outline: the header and declarations, then chapters → articles → paragraphs → items →
        sub-items (articles outside any chapter at the top)."""
        module = self.module
        if module is None:
            return []
        out: list[Symbol] = []
        if module.header is not None:
            out.append(self._symbol(module.header.span, module.header.id, module.header.title, "header"))
        for facts in module.facts:
            out.append(self._symbol(facts.span, facts.section, facts.label, "facts"))
        for enum in module.enums:
            out.append(self._symbol(enum.span, enum.name, enum.label, "enum"))
        for record in module.records:
            out.append(self._symbol(record.span, record.name, record.label, "record"))
        for definition in module.definitions:
            out.append(self._symbol(definition.span, definition.name, definition.label, "definition"))
        chapters = {c.number: c for c in module.chapters}
        in_chapter: dict[int, list[Symbol]] = {}
        for article in module.articles:
            symbol = self._article_symbol(article)
            if article.chapter is not None and article.chapter in chapters:
                in_chapter.setdefault(article.chapter, []).append(symbol)
            else:
                out.append(symbol)
        for chapter in module.chapters:
            children = tuple(in_chapter.get(chapter.number, ()))
            head = self._symbol(chapter.span, f"第{cite_number(chapter.number)}章", chapter.text, "chapter")
            end = children[-1].range if children else head.range
            whole = Range(head.range.line, head.range.column, end.end_line, end.end_column)
            out.append(attrs.evolve(head, range=whole, children=children))
        for invariant in module.invariants:
            out.append(self._symbol(invariant.span, invariant.name, invariant.text, "invariant"))
        out.sort(key=lambda s: (s.range.line, s.range.column))
        return out

    def _article_symbol(self, article: n.Article) -> Symbol:
        def items(paragraph: int | None, entries: tuple[n.Item, ...]) -> list[Symbol]:
            return [attrs.evolve(
                self._symbol(i.span, refs.cite(article.number, paragraph, i.number), i.text, "item"),
                children=tuple(self._symbol(s.span, refs.cite(article.number, paragraph, i.number, s.number),
                                            s.text, "subitem") for s in i.subitems))
                for i in entries]

        children = items(None, article.items)
        for paragraph in article.paragraphs:
            children.append(attrs.evolve(
                self._symbol(paragraph.span, refs.cite(article.number, paragraph.number, None), paragraph.text,
                             "paragraph"),
                children=tuple(items(paragraph.number, paragraph.items))))
        return attrs.evolve(self._symbol(article.span, refs.cite(article.number, None, None), article.text, "article"),
                            children=tuple(children))

    def _symbol(self, span: n.Span, name: str, detail: str | None, kind: str) -> Symbol:
        whole = _span_range(span)
        first = self.lines[whole.line] if 0 <= whole.line < len(self.lines) else ""
        stop = first.find('"', whole.column)
        stop = len(first.rstrip()) if stop < 0 else len(first[:stop].rstrip())
        if whole.end_line == whole.line:
            stop = min(stop, whole.end_column)
        selection = Range(whole.line, whole.column, whole.line, max(stop, whole.column))
        return Symbol(name, _short(detail), kind, whole, selection)

    # -------------------------------------------------------------- formatting
    def formatted(self) -> str | None:
        """The text in the canonical layout, or None when it already is, or does not parse."""
        if self.too_large or self.module is None:
            return None
        try:
            result = formatter.format_text(self.text, source=self.source)
        except (PolicyError, formatter.FormatError, RecursionError):
            return None
        return None if result == self.text else result


# ------------------------------------------------------------------ keywords in a line
def _masked(line: str) -> str:
    """``line`` with its strings and comment blanked out (same length), so no keyword is found in them."""
    return _MASK.sub(lambda m: " " * len(m.group()), line)


@functools.cache
def _keyword_pattern() -> re.Pattern[str]:
    words = sorted(kw.spellings(), key=len, reverse=True)
    alternatives = "|".join("[ \\t]+".join(re.escape(w) for w in word.split(" ")) for word in words)
    return re.compile(rf"(?<![^\W\d])(?:{alternatives})(?!\w|\.[^\W\d])")


def keyword_at(line: str, column: int) -> tuple[int, int, kw.Keyword] | None:
    """The keyword spelling around code-point ``column`` of ``line`` (outside strings and comments):
    (start, end, its row of the keyword table), or None."""
    masked = _masked(line)
    for match in _keyword_pattern().finditer(masked):
        if match.start() <= column <= match.end() and (match.start() < column or column == match.start()):
            row = kw.lookup(match.group())
            if row is not None:
                return match.start(), match.end(), row
        if match.start() > column:
            break
    return None
