"""Rosters: cases with ids, read from JSON Lines or CSV, and decisions written as CSV or text lines.

Shared by the batch (``eval POLICY --batch FILE``, ``tools/batch.py``) and ``upcoming``
(``tools/upcoming.py``); docs/embedding.md, "Rosters", is the user's account.

- **ids**: a record's top-level ``"id"`` (a string or a number; in CSV, the ``id`` column, always a
  string) decides nothing; ``split_id`` takes it off the case, and the batch copies it to the record's
  decision or error line as its first key.
- **CSV in**: the first row names the columns: ``id``, ``as_of`` and dotted facts
  (``person.honest``, ``appointment.start``). A cell is typed by the fact's declared type
  (``cell_value``): booleans ``true/false/是/否/1/0``, numbers, dates and enum codes as written, a
  list of values separated by ``;`` (or a JSON array), a record or a list of records as JSON; an empty
  cell is a fact not given, and a section none of whose cells is given is absent.
- **CSV and text out**: ``columns_problem`` checks ``--columns`` against the policy's decision schema;
  ``column_text`` reads a dotted path out of a decision's JSON (over a list: each entry's, joined
  with ``;``); ``text_line`` is one readable line per case, in Chinese or English.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import IO, Any

import attrs

from supervisor_rules.contracts import case as case_module
from supervisor_rules.contracts.decision import TEXT_WORDS
from supervisor_rules.errors import CaseError
from supervisor_rules.lang.checker import BOOL, DATE, NUMBER, TEXT, EnumT, ListT, RecordT, suggest

#: The longest id kept (characters): an id names a record, it is no place for data.
MAX_ID_CHARS = 200
#: The list separator in a CSV cell (and in CSV output).
LIST_SEPARATOR = ";"
#: The columns ``--format csv`` writes unless ``--columns`` says otherwise.
DEFAULT_COLUMNS = ("id", "as_of", "status", "eligibility.result", "term.last_day", "grounds.citation.ref",
                   "obligations.duty", "obligations.due", "obligations.state", "error")
#: Columns that are not paths into the decision: the record's id, and its error (for a bad record).
OWN_COLUMNS = ("id", "error", "line")

_TRUE = frozenset({"true", "是", "1"})
_FALSE = frozenset({"false", "否", "0"})
_INTEGER = re.compile(r"[+-]?[0-9]{1,16}\Z")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?\Z")
_NO_ID = object()


# ------------------------------------------------------------------ ids
def split_id(case: dict) -> tuple[Any, dict]:
    """(the case's id, or ``NO_ID``; the case without it). Raises ``CaseError`` for an id that is
    neither a string nor a number (or a string of more than ``MAX_ID_CHARS``)."""
    if "id" not in case:
        return _NO_ID, case
    ident = case["id"]
    rest = {k: v for k, v in case.items() if k != "id"}
    if isinstance(ident, str):
        if len(ident) > MAX_ID_CHARS:
            raise CaseError([("id", f"an id of {len(ident)} characters is over the limit of {MAX_ID_CHARS}")])
        return ident, rest
    if isinstance(ident, (int, float)) and not isinstance(ident, bool) and case_module.number_problem(ident) is None:
        return ident, rest
    kind = "a boolean" if isinstance(ident, bool) else "null" if ident is None else type(ident).__name__
    raise CaseError([("id", f"expected a string or a number, got {kind}")])


NO_ID = _NO_ID


# ------------------------------------------------------------------ CSV in
@attrs.frozen
class Row:
    """One CSV record: the line it starts on, its cells (undecodable bytes kept as surrogates)."""

    line: int
    cells: tuple[str, ...]

    @property
    def size(self) -> int:
        return sum(len(c) for c in self.cells) + len(self.cells)


class HeaderError(ValueError):
    """A CSV header the policy cannot read (an unknown or repeated column): a usage error."""


def csv_rows(stream: IO[str]) -> tuple[tuple[str, ...], Iterator[Row]]:
    """(the header, the records after it) of CSV text read from ``stream`` one record at a time. Blank
    lines are skipped; a record that CSV cannot parse (or longer than a case may be) is a Row of no
    cells, which the batch reports as a bad record."""
    csv.field_size_limit(case_module.MAX_CASE_BYTES)
    reader = csv.reader(stream, strict=True)
    header: tuple[str, ...] = ()
    for cells in reader:
        if any(c.strip() for c in cells):
            header = tuple(c.strip().lstrip("\ufeff").strip() for c in cells)
            break

    def records() -> Iterator[Row]:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Row(start, ("\x00csv", " ".join(str(exc).split())))
                continue
            if any(c.strip() for c in cells):
                yield Row(start, tuple(cells))
    return header, records()


def field_types(policy) -> dict[str, Any]:
    """``section.fact`` → its declared type, for a policy or a family (a fact any version declares;
    the latest version's type where they differ)."""
    versions = getattr(policy, "versions", None) or (policy,)
    out: dict[str, Any] = {}
    for version in reversed(versions):
        for name, section in version.sections.items():
            for fact, info in section.fields.items():
                out.setdefault(f"{name}.{fact}", info.type)
    return out


class CsvCases:
    """Turns a CSV header and its records into cases, typing each cell by the policy's declarations."""

    def __init__(self, header: tuple[str, ...], types: Mapping[str, Any]):
        if not header:
            raise HeaderError("the CSV file has no header row naming its columns")
        seen: set[str] = set()
        for number, name in enumerate(header, 1):
            if name in seen:
                raise HeaderError(f"column {number} `{case_module.shown(name)}` is named twice")
            seen.add(name)
            if name in ("id", "as_of") or name in types:
                continue
            raise HeaderError(f"column {number} `{case_module.shown(name)}` is not a fact of this policy"
                              + suggest(name, [*types, "id", "as_of"])
                              + "; columns are id, as_of and dotted facts such as person.honest")
        self.header = header
        self.types = dict(types)

    def case(self, cells: tuple[str, ...]) -> tuple[Any, dict]:
        """(the record's id, or ``NO_ID``; its case). Raises ``CaseError`` listing every cell that cannot
        be read (and the id, where the record has one, rides on the error as ``.record_id``)."""
        ident: Any = _NO_ID
        if cells[:1] == ("\x00csv",):
            raise CaseError([("", f"not a CSV record: {cells[1]}")])
        if len(cells) > len(self.header):
            raise CaseError([("", f"{len(cells)} cells, but the header names {len(self.header)} columns")])
        problems: list = []
        case: dict = {}
        for name, text in zip(self.header, cells):
            if any("\udc80" <= ch <= "\udcff" for ch in text):
                problems.append((name, "the cell is not valid UTF-8"))
                continue
            if name == "id":
                if text.strip():
                    ident = text.strip()
                continue
            if not text.strip():
                continue  # an empty cell: not given
            if name == "as_of":
                case["as_of"] = text.strip()
                continue
            section, fact = name.split(".", 1)
            value = cell_value(self.types[name], text, name, problems)
            if value is not None:
                case.setdefault(section, {})[fact] = value
        if problems:
            error = CaseError(problems)
            error.record_id = ident  # type: ignore[attr-defined]
            raise error
        return ident, case


def cell_value(ftype, text: str, path: str, problems: list):
    """A CSV cell's text as the JSON value the case format has for ``ftype``; None (and a problem) where
    it cannot be read. Dates, enum codes and texts go on as written: the case's validation checks them."""
    if isinstance(ftype, RecordT) or (isinstance(ftype, ListT) and isinstance(ftype.element, (RecordT, ListT))):
        return _json_cell(text, path, problems)
    if isinstance(ftype, ListT):
        if text.lstrip().startswith("["):
            return _json_cell(text, path, problems)
        items = [item.strip() for item in text.split(LIST_SEPARATOR)]
        out = []
        for i, item in enumerate(i for i in items if i):
            value = cell_value(ftype.element, item, f"{path}[{i}]", problems)
            out.append(value)
        return out
    if ftype == TEXT:
        return text
    stripped = text.strip()
    if ftype == BOOL:
        lowered = stripped.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        problems.append((path, f'expected a boolean (true/false, 是/否, 1/0), got "{case_module.shown(stripped)}"'))
        return None
    if ftype == NUMBER:
        if _INTEGER.match(stripped):
            return int(stripped)
        if _DECIMAL.match(stripped):
            value = float(stripped)
            if math.isfinite(value):
                return value
        problems.append((path, f'expected a number, got "{case_module.shown(stripped)}"'))
        return None
    if ftype == DATE or isinstance(ftype, EnumT):
        return stripped
    return stripped


def _json_cell(text: str, path: str, problems: list):
    try:
        return case_module.loads(text)
    except (ValueError, RecursionError) as exc:
        problems.append((path, f"the cell is not JSON ({case_module.json_problem(exc)}); a record or a list "
                               f"of records is written as JSON in its cell"))
        return None


# ------------------------------------------------------------------ CSV and text out
def columns_problem(columns: tuple[str, ...], schema: dict) -> str | None:
    """What is wrong with ``columns`` for decisions of ``schema`` (the policy's decision schema), or None."""
    if not columns:
        return "--columns names no column"
    for column in columns:
        if column in OWN_COLUMNS:
            continue
        node: Any = schema
        for part in column.split("."):
            found = _property(schema, node, part)
            if found is None:
                return (f"unknown column `{case_module.shown(column)}`: not a path into the decision "
                        f"(e.g. {', '.join(DEFAULT_COLUMNS[1:5])}; lists give each entry's value: obligations.due)")
            node = found
    return None


def _property(root: dict, node: Any, name: str) -> Any:
    """The schema of ``name`` in the object ``node`` describes (through $ref, anyOf and arrays)."""
    stack, seen = [node], 0
    while stack and seen < 200:
        seen += 1
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        ref = item.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for key in ref[2:].split("/"):
                target = target.get(key, {}) if isinstance(target, dict) else {}
            stack.append(target)
        for key in ("anyOf", "oneOf", "allOf"):
            stack.extend(item.get(key, ()))
        if "items" in item:
            stack.append(item["items"])
        properties = item.get("properties")
        if isinstance(properties, dict) and name in properties:
            return properties[name]
    return None


def column_text(data: Mapping, column: str) -> str:
    """The text of one column for a decision's JSON ``data``: a dotted path, read through lists
    (each entry's value), lists joined with ``;``, an object as compact JSON, null as empty."""
    return _cell(_path(data, column.split(".")))


def _path(value: Any, parts: list[str]) -> Any:
    if not parts:
        return value
    if isinstance(value, list):
        return [_path(v, parts) for v in value]
    if isinstance(value, Mapping):
        return _path(value.get(parts[0]), parts[1:])
    return None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_cell(v) for v in _flat(value) if v is not None)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _flat(values: list) -> Iterator[Any]:
    for v in values:
        if isinstance(v, list):
            yield from _flat(v)
        else:
            yield v


def csv_line(cells: list[str]) -> str:
    """One CSV record (``\\r\\n``-ended, as RFC 4180 and spreadsheets have it)."""
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()


WORDS = {
    "zh": {"error": "错误", "eligibility": "资格", "term_ends": "聘期届满", "next_due": "下一期限", "sep": "；",
           "colon": "：", "line": "第 {} 行", "paren": "（{}）"},
    "en": {"error": "error", "eligibility": "eligibility", "term_ends": "term ends", "next_due": "next due",
           "sep": "; ", "colon": ": ", "line": "line {}", "paren": " ({})"},
}


def who(ident: Any, line: int, lang: str) -> str:
    """How a text line names its record: the id, else its line in the input."""
    return WORDS[lang]["line"].format(line) if ident is _NO_ID else str(ident)


def text_line(data: Mapping, ident: Any, line: int, lang: str, values: Mapping[str, str] | None = None) -> str:
    """One line for a decision's JSON ``data``: who, status, eligibility, the term's last day and the
    next duty falling due (the earliest due date of a duty owed or overdue). ``values``: the rule file's
    labels of codes (``Policy.text_labels.values``), for Chinese."""
    w, t = WORDS[lang], TEXT_WORDS[lang]
    zh = lang == "zh"

    def named(code: str) -> str:
        return (values or {}).get(code) or code if zh else code

    status = str(data.get("status"))
    parts = [t["status_values"].get(status, status)]
    eligibility = str((data.get("eligibility") or {}).get("result"))
    if eligibility != "not_applicable":
        parts.append(f"{w['eligibility']} {t['eligibility_values'].get(eligibility, eligibility)}")
    term = data.get("term") or {}
    if term.get("last_day"):
        parts.append(f"{w['term_ends']} {term['last_day']}")
    due = sorted((o["due"], o["duty"], o["state"]) for o in data.get("obligations") or ()
                 if o.get("due") and o.get("state") in ("owed", "overdue"))
    if due:
        day, duty, state = due[0]
        parts.append(f"{w['next_due']} {day} {named(duty)}{w['paren'].format(t['state'].get(state, state))}")
    return who(ident, line, lang) + w["colon"] + w["sep"].join(parts)


def error_text(ident: Any, line: int, lang: str, message: str, problems: list) -> str:
    """A bad record's text line."""
    w = WORDS[lang]
    shown = "; ".join(f"{p['path']}: {p['message']}" if p.get("path") else str(p.get("message", ""))
                      for p in problems)
    return f"{who(ident, line, lang)}{w['colon']}{w['error']} {message}" + (f" — {shown}" if shown else "")


def error_cell(message: str, problems: list) -> str:
    """A bad record's ``error`` column."""
    return message + "".join(f"; {p['path']}: {p['message']}" if p.get("path") else f"; {p.get('message', '')}"
                             for p in problems)
