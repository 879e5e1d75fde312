"""Case validation and JSON Schema, both derived from the policy's own fact declarations.

``validate`` turns a case (JSON-like dict) into flat facts for the runtime:
``{"section.fact": True, ...}``; open-world facts that are not given are
absent (unknown), closed-world facts take their declared default. Every
problem is collected with its JSON path; nothing is half-validated.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any, Callable, Mapping

from supervisor_rules.lang.checker import BOOL, DATE, NUMBER, TEXT, EnumT, ListT, RecordT, Section, suggest
from supervisor_rules.errors import CaseError, CaseProblem

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
#: Dates a case may carry: wide enough for any appointment, narrow enough that
#: term arithmetic (up to 100-year terms) never leaves the calendar.
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
#: The same dates for JSON Schema, whose patterns are ECMA-262 regexes: real calendar dates of the
#: years 1900-2999 (29 February only in leap years: 1900 is none, 2000, 2400 and 2800 are), so that a
#: validator without format checks refuses what the engine refuses.
_SCHEMA_DATE = {"type": "string", "format": "date", "pattern": (
    "^(?:(?:19|2[0-9])[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:(?:19|2[0-9])(?:0[48]|[2468][048]|[13579][26])|2000|2400|2800)-02-29)$")}
MAX_LIST = 10_000
#: The largest magnitude of a number in a case: scores, amounts and counts are far smaller, and below
#: 2**53 every whole number is exact in a JSON reader's double.
MAX_NUMBER = 10**15
#: The largest case's JSON text, in bytes (a batch line, a case file): a case is a few KB, and this
#: bounds what one input can make the engine read and hold.
MAX_CASE_BYTES = 16 * 1024 * 1024


def too_large(size: int | None = None) -> str:
    """The message for a case's text of ``size`` bytes (None: a stream, read no further than the
    limit), over ``MAX_CASE_BYTES``."""
    shown = f"{size:,} bytes" if size is not None else f"more than {MAX_CASE_BYTES:,} bytes"
    return f"too large ({shown}; a case is at most {MAX_CASE_BYTES:,})"


def shown(text: str, limit: int = 60) -> str:
    """``text`` as a message may echo it: at most ``limit`` characters (a bad value may be megabytes)."""
    if not isinstance(text, str):  # a key from Python may be anything, an int of 5,000 digits among them
        try:
            text = str(text)
        except ValueError:
            text = f"<{type(text).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: "Did you mean" is worked out for the first this many problems of a case only: each costs a fuzzy
#: match, and a case of 300,000 unknown keys once took 15 s for suggestions nobody reads.
MAX_SUGGESTIONS = 20


def _suggest(name, candidates, problems: list, prefix: str = "") -> str:
    """`` (did you mean `x`?)`` for a misspelt name among the first problems; "" for the rest and for a
    key that is not text."""
    if not isinstance(name, str) or len(problems) >= MAX_SUGGESTIONS:
        return ""
    return suggest(prefix + name, candidates)


def problem(problems: list, path: str, code: str, message: str, message_zh: str = "") -> None:
    """Add one problem to ``problems``: its JSON path, its code (``errors.CASE_PROBLEM_CODES``) and its
    message in English and Chinese."""
    problems.append(CaseProblem(path, code, message, message_zh))


_KIND_ZH = {"null": "null", "a boolean": "布尔值", "a number": "数值", "a string": "字符串", "a list": "列表",
            "an object": "对象"}


def _zh(hint: str) -> str:
    """A suggestion `` (did you mean `x`?)`` in Chinese."""
    return hint.replace(" (did you mean ", "（是否应为 ").replace("?)", "？）") if hint else ""


def _kind_zh(value) -> str:
    kind = _kind(value)
    return _KIND_ZH.get(kind, kind)


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 40 else "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


class DuplicateKey(ValueError):
    """A JSON object that gives one key twice: which value was meant is not for the engine to guess."""


def _unique_keys(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(f'duplicate key "{shown(key)}"')
            seen.add(key)
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def loads(text: str):
    """A case's JSON text as Python values (``json.loads``), refusing an object that repeats a key."""
    return _DECODER.decode(text)


def json_problem(exc: Exception) -> str | None:
    """What ``json.loads`` failing with ``exc`` says about a case's JSON text, in one line (None: not
    a JSON problem). Besides syntax: nesting past the recursion limit, a number too long to convert."""
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "invalid JSON: nested too deeply"
    if isinstance(exc, ValueError):
        return f"invalid JSON: {' '.join(str(exc).split())}"
    return None


def parse_date(value, path: str, problems: list) -> dt.date | None:
    if isinstance(value, dt.datetime):
        problem(problems, path, "date", "expected a date (YYYY-MM-DD), got a date and time",
                "应为日期（YYYY-MM-DD），给出的是日期加时间")
        return None
    if isinstance(value, dt.date):
        parsed = value
    elif not isinstance(value, str) or not _DATE.match(value):
        problem(problems, path, "date", f"expected a date (YYYY-MM-DD), got {_kind(value)}",
                f"应为日期（YYYY-MM-DD），给出的是{_kind_zh(value)}")
        return None
    else:
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            problem(problems, path, "date", f"{value} is not a real date", f"{value} 不是真实存在的日期")
            return None
    if not MIN_DATE <= parsed <= MAX_DATE:
        problem(problems, path, "range",
                f"{parsed.isoformat()} is out of range ({MIN_DATE.isoformat()} to {MAX_DATE.isoformat()})",
                f"{parsed.isoformat()} 超出范围（{MIN_DATE.isoformat()} 至 {MAX_DATE.isoformat()}）")
        return None
    return parsed


def number_problem(value) -> str | None:
    """What is wrong with ``value`` as a case's number, or None: booleans are no numbers, NaN and the
    infinities are refused, and so is a magnitude over ``MAX_NUMBER``."""
    found = _number_problem(value)
    return None if found is None else found[1]


def _number_problem(value) -> tuple[str, str, str] | None:
    """(code, message, Chinese message) of what is wrong with ``value`` as a case's number, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "type", f"expected a number, got {_kind(value)}", f"应为数值，给出的是{_kind_zh(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return ("not_a_number", f"expected a number, got {value!r} (NaN and infinities are not numbers a case may hold)",
                f"应为数值，给出的是 {value!r}（NaN 与无穷大不是案件可用的数值）")
    if abs(value) > MAX_NUMBER:
        return ("range", f"{shown(repr(value))} is out of range (a number is at most 10^15 in size)",
                f"{shown(repr(value))} 超出范围（数值的绝对值至多为 10^15）")
    return None


def _value(ftype, value, path: str, problems: list):
    """Validate one value against a declared type; returns the runtime value or None."""
    if ftype == NUMBER:
        found = _number_problem(value)
        if found is None:
            return value
        problem(problems, path, *found)
    elif ftype == BOOL:
        if isinstance(value, bool):
            return value
        problem(problems, path, "type", f"expected a boolean, got {_kind(value)}", f"应为布尔值，给出的是{_kind_zh(value)}")
    elif ftype == DATE:
        return parse_date(value, path, problems)
    elif ftype == TEXT:
        if isinstance(value, str):
            return value
        problem(problems, path, "type", f"expected a string, got {_kind(value)}", f"应为字符串，给出的是{_kind_zh(value)}")
    elif isinstance(ftype, EnumT):
        if isinstance(value, str) and value in ftype.values:
            return value
        if isinstance(value, str):
            hint = _suggest(value, ftype.values, problems)
            problem(problems, path, "enum", f'"{shown(value)}" is not one of {", ".join(ftype.values)}{hint}',
                    f'"{shown(value)}" 不是以下取值之一：{"、".join(ftype.values)}{_zh(hint)}')
        else:
            problem(problems, path, "type", f"expected one of {', '.join(ftype.values)}, got {_kind(value)}",
                    f"应为以下取值之一：{'、'.join(ftype.values)}，给出的是{_kind_zh(value)}")
    elif isinstance(ftype, ListT):
        if not isinstance(value, (list, tuple)):
            problem(problems, path, "type", f"expected a list, got {_kind(value)}", f"应为列表，给出的是{_kind_zh(value)}")
            return None
        if len(value) > MAX_LIST:
            problem(problems, path, "too_large", f"a list of {len(value)} entries is over the limit of {MAX_LIST}",
                    f"列表有 {len(value)} 项，超出上限 {MAX_LIST}")
            return None
        before = len(problems)
        items = [_value(ftype.element, item, f"{path}[{i}]", problems) for i, item in enumerate(value)]
        return tuple(items) if len(problems) == before else None
    elif isinstance(ftype, RecordT):
        return _record(ftype, value, path, problems)
    return None


def _record(record: RecordT, value, path: str, problems: list):
    if not isinstance(value, Mapping):
        problem(problems, path, "type", f"expected an object, got {_kind(value)}", f"应为对象，给出的是{_kind_zh(value)}")
        return None
    out = {}
    for key, item in value.items():
        info = record.fields.get(key)
        if info is None:
            hint = _suggest(key, record.fields, problems)
            problem(problems, f"{path}.{shown(key)}", "unknown_key", f"unknown field{hint}", f"未声明的字段{_zh(hint)}")
            continue
        if item is not None:
            out[key] = _value(info.type, item, f"{path}.{key}", problems)
    for name, info in record.fields.items():
        if name not in out:
            if info.closed:
                out[name] = info.default
            elif info.optional:
                continue  # `= unknown`: left out, it is unknown
            else:
                problem(problems, f"{path}.{name}", "required",
                        "required field is missing (a record's field with no default in the rule "
                        "file must be given in every entry)",
                        "缺少必填字段（规则文件中没有默认值的记录字段，每一项都必须给出）")
    return out


def closed_world_defaults(sections: Mapping[str, Section]) -> dict[str, Any]:
    """Facts that take their declared default when not given (event records). Computed once per policy."""
    return {f"{name}.{fname}": info.default for name, section in sections.items()
            for fname, info in section.fields.items() if info.closed}


def fact_keys(sections: Mapping[str, Section]) -> tuple[str, ...]:
    """Every declared fact's key (``section.fact``), in declaration order: the order of the values a fused
    evaluator returns (``codegen.generate(fused=True)``)."""
    return tuple(f"{name}.{fname}" for name, section in sections.items() for fname in section.fields)


def facts_of(keys: tuple[str, ...], values: tuple, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The facts ``validate`` gives for a case whose facts ``keys`` hold ``values`` (None: not given;
    a closed-world fact's value already its default where not given)."""
    facts = dict(defaults)
    for key, value in zip(keys, values):
        if value is not None:
            facts[key] = value
    return facts


def validate(sections: Mapping[str, Section], case, as_of: dt.date | None = None, defaults=None):
    """(facts, present sections, as_of) for a valid case; raises ``CaseError`` listing every problem."""
    if defaults is not None:  # the fast path (below): the policy's generated check, for plain valid cases
        entry = _PLANS.get(id(sections))
        check = entry[1] if entry is not None and entry[0] is sections else fast_validator(sections)
        if check is not None:
            checked = check(case, as_of, defaults)
            if checked is not None:
                return checked
    return _validate(sections, case, as_of, defaults)


def _validate(sections: Mapping[str, Section], case, as_of: dt.date | None, defaults):
    """The thorough path: every problem, with its path and a suggestion."""
    problems: list[CaseProblem] = []
    if not isinstance(case, Mapping):
        raise CaseError([CaseProblem("", "type", f"a case is a JSON object, got {_kind(case)}",
                                     f"案件应为 JSON 对象，给出的是{_kind_zh(case)}")])
    facts: dict[str, Any] = {}
    present: set[str] = set()
    for key, value in case.items():
        if key == "as_of":
            continue
        section = sections.get(key)
        if section is None:
            hint = _suggest(key, [*sections, 'as_of'], problems)
            problem(problems, shown(key), "unknown_key",
                    f"unknown section{hint}; this policy's case has: as_of, {', '.join(sections)}",
                    f"未声明的事实段{_zh(hint)}；本办法的案件包含：as_of、{'、'.join(sections)}")
            continue
        if value is None:
            continue
        if not isinstance(value, Mapping):
            problem(problems, key, "type", f"expected an object, got {_kind(value)}", f"应为对象，给出的是{_kind_zh(value)}")
            continue
        present.add(key)
        for name, item in value.items():
            info = section.fields.get(name)
            if info is None:
                dotted = [f"{key}.{f}" for f in section.fields]
                hint = _suggest(name, dotted, problems, prefix=f'{key}.')
                problem(problems, f"{key}.{shown(name)}", "unknown_key", f"unknown fact{hint}", f"未声明的事实{_zh(hint)}")
                continue
            if item is None:
                continue  # null means not given
            facts[f"{key}.{name}"] = _value(info.type, item, f"{key}.{name}", problems)
    if as_of is None:
        if "as_of" not in case:
            problem(problems, "as_of", "required", "required: the day the decision is about (YYYY-MM-DD)",
                    "必填：决定所针对的日期（YYYY-MM-DD）")
        else:
            as_of = parse_date(case["as_of"], "as_of", problems)
    if problems:
        raise CaseError(problems)
    # Closed-world facts (event records) default to what their declaration says.
    merged = dict(closed_world_defaults(sections) if defaults is None else defaults)
    merged.update(facts)
    return merged, frozenset(present), as_of


# ------------------------------------------------------------------ the fast path
# Most cases are valid, and plain JSON: dicts, lists, str, bool. For those, a
# per-policy plan checks each value with a few identity and membership tests
# and builds the same facts as ``_validate``. Anything else — a problem, a
# ``Mapping`` that is not a dict, a ``date`` object, a type the plan does not
# know — makes the plan return None, and ``_validate`` decides (and explains).
# The plan is generated code (codegen.validator, built from the checks below);
# this module never imports the generator: the policy layer installs it
# (``use_fast_validators``).
#: What a fast-path check returns for a value it does not accept.
BAD = object()
#: Date text → date, for the dates cases repeat (bounded); the generated validator reads it too.
DATES: dict[str, dt.date] = {}
_MAX_DATES = 100_000


def check_date(value):
    """A case's date text → the date (cached in ``DATES``), or ``BAD``."""
    if type(value) is not str:
        return BAD
    found = DATES.get(value)
    if found is None:
        problems: list = []
        found = parse_date(value, "", problems)
        if problems:
            return BAD
        if len(DATES) >= _MAX_DATES:
            DATES.clear()
        DATES[value] = found
    return found


def check_text(value):
    """A case's text value as is, or ``BAD``."""
    return value if type(value) is str else BAD


def check_number(value):
    """A case's number as is, or ``BAD``."""
    if (type(value) is int or type(value) is float) and number_problem(value) is None:
        return value
    return BAD


def value_check(ftype):
    """A function value → runtime value (or ``BAD``) for one declared type; None means bool (tested inline)."""
    if ftype == BOOL:
        return None
    if ftype == NUMBER:
        return check_number
    if ftype == DATE:
        return check_date
    if ftype == TEXT:
        return check_text
    if isinstance(ftype, EnumT):
        values = frozenset(ftype.values)

        def check_enum(value):
            return value if type(value) is str and value in values else BAD
        check_enum.enum_values = values
        return check_enum
    if isinstance(ftype, ListT):
        return _list_check(ftype.element)
    if isinstance(ftype, RecordT):
        return _record_check(ftype)
    raise Unplanned(ftype)


class Unplanned(Exception):
    """A declared type the fast path does not cover: such policies always take ``_validate``."""


def _list_check(element):
    check = value_check(element)
    if isinstance(element, EnumT):
        values = frozenset(element.values)

        def check_enums(value):
            if type(value) is not list and type(value) is not tuple or len(value) > MAX_LIST:
                return BAD
            for item in value:
                if type(item) is not str or item not in values:
                    return BAD
            return tuple(value)
        return check_enums

    def check_list(value):
        if type(value) is not list and type(value) is not tuple or len(value) > MAX_LIST:
            return BAD
        if check is None:
            for item in value:
                if item is not True and item is not False:
                    return BAD
            return tuple(value)
        out = []
        for item in value:
            item = check(item)
            if item is BAD:
                return BAD
            out.append(item)
        return tuple(out)
    return check_list


def _record_check(record: RecordT):
    fields = {name: value_check(info.type) for name, info in record.fields.items()}
    required = tuple(name for name, info in record.fields.items() if not info.closed and not info.optional)
    closed = tuple((name, info.default) for name, info in record.fields.items() if info.closed)

    def check_record(value):
        if type(value) is not dict:
            return BAD
        out = {}
        for key, item in value.items():
            if key not in fields:
                return BAD
            if item is None:
                continue
            check = fields[key]
            if check is None:
                if item is not True and item is not False:
                    return BAD
            else:
                item = check(item)
                if item is BAD:
                    return BAD
            out[key] = item
        for name in required:
            if name not in out:
                return BAD
        for name, default in closed:
            if name not in out:
                out[name] = default
        return out
    return check_record


_PLANS: dict[int, tuple] = {}  # id(sections) → (sections, generated validator or None); bounded
_make_validator: Callable[[Mapping[str, Section]], Callable | None] | None = None


def use_fast_validators(make: Callable[[Mapping[str, Section]], Callable | None]) -> None:
    """Install ``make(sections)`` → the generated fast-path validator of those sections, or None
    (``codegen.validator``); until then every case takes the thorough path."""
    global _make_validator
    _make_validator = make
    _PLANS.clear()


def fast_validator(sections: Mapping[str, Section]):
    """The generated fast-path validator of ``sections`` (cached), or None where there is none: it
    returns the case's facts for a plain valid case and None whenever ``validate`` must look."""
    entry = _PLANS.get(id(sections))
    if entry is not None and entry[0] is sections:
        return entry[1]
    make = _make_validator
    check = make(sections) if make is not None else None
    if len(_PLANS) >= 64:
        _PLANS.clear()
    _PLANS[id(sections)] = (sections, check)
    return check


# ------------------------------------------------------------------ JSON Schema
def _nullable(schema: dict) -> dict:
    """A fact may be null: validation reads null as "not given"."""
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def _schema_of(ftype, label: str | None) -> dict:
    if ftype == BOOL:
        out: dict = {"type": "boolean"}
    elif ftype == DATE:
        out = dict(_SCHEMA_DATE)
    elif ftype == TEXT:
        out = {"type": "string"}
    elif ftype == NUMBER:
        out = {"type": "number", "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER}
    elif isinstance(ftype, EnumT):
        out = {"type": "string", "enum": list(ftype.values)}
    elif isinstance(ftype, ListT):
        out = {"type": "array", "items": _schema_of(ftype.element, None), "maxItems": MAX_LIST}
    elif isinstance(ftype, RecordT):
        # A null field is one not given: a closed-world field then takes its default, an open one is missing.
        out = {"type": "object", "additionalProperties": False,
               "properties": {k: _nullable(_schema_of(f.type, f.label)) if f.closed or f.optional
                              else _schema_of(f.type, f.label) for k, f in ftype.fields.items()},
               "required": [k for k, f in ftype.fields.items() if not f.closed and not f.optional]}
    else:
        out = {}
    if label:
        out["description"] = label
    return out


def json_schema(policy_id: str, title: str | None, sections: Mapping[str, Section]) -> dict:
    """The case format of one policy as JSON Schema (draft 2020-12)."""
    properties: dict = {"as_of": {**_SCHEMA_DATE,
                                  "description": "the day the decision is about"}}
    for name, section in sections.items():
        fields = {}
        for fname, info in section.fields.items():
            schema = _nullable(_schema_of(info.type, info.label))
            if info.closed:
                schema["default"] = list(info.default) if isinstance(info.default, tuple) else info.default
            fields[fname] = schema
        properties[name] = {"type": ["object", "null"], "additionalProperties": False, "properties": fields}
        if section.label:
            properties[name]["description"] = section.label
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"supervisor-rules:{policy_id}:case",
            "title": f"Case for {title or policy_id}", "type": "object", "additionalProperties": False,
            "required": ["as_of"], "properties": properties}
