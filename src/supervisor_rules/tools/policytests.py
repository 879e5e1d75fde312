"""Policy tests: YAML files of cases and expected decisions, run against a policy, with provision coverage.

A test file sits next to its policy: ``city.rules`` → ``city.tests.yaml``
(docs/testing-policies.md describes the format)::

    policy: city
    tests:
      - name: "a false commitment is a mandatory ground"
        why: "the article says …"           # optional: the reasoning, for the reader
        provisions: ["9(2)"]                # optional: what the test is about
        case: {as_of: 2024-07-02, appt: {start: 2023-07-01}, conduct: {commitment_false: true}}
        expect:
          status: dismissed
          grounds: [{citation: "9(2)", effect: mandatory}]

``expect`` is matched partially (``supervisor_rules.tools.expect``): only what it says
is checked. ``run_tests`` evaluates every case, compares, and records
**coverage by provision** from each decision's trace: every rule under an
article, paragraph, item or sub-item, and every condition inside those rules,
must have been seen both true and false (a requirement met and unmet, a
prohibition violated and not, a duty arising and not, a term running and
ended, ...). Not line coverage: a provision counts only when the tests have
shown what happens on both sides of each of its conditions.

The YAML is read with YAML 1.2 scalars: only ``true``/``false`` are booleans
(``on``, ``yes``, ``no`` stay strings, so a renewal's ``on:`` key is safe), and
dates stay ISO strings as in a JSON case. Duplicate keys are errors. Every test,
and every key of its ``expect``, keeps its line, so a failure is reported at
the line of the expectation that failed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import attrs
import yaml

from supervisor_rules.lang import checker, nodes as n
from supervisor_rules import questions
from supervisor_rules.questions.base import record_scope
from supervisor_rules.lang.refs import REF
from supervisor_rules.engine import compiler, runtime
from supervisor_rules.contracts.decision import Citation, Decision
from supervisor_rules.contracts.case import shown as shortened
from supervisor_rules.errors import CaseError, Diagnostic, RulesError
from supervisor_rules.resources import path_problem
from supervisor_rules.tools.expect import Mismatch, mismatches

__all__ = [
    "Coverage", "FamilyCoverage", "PolicyTest", "ProvisionCoverage", "RunResult", "TestFile", "TestFileError", "TestResult",
    "amount_in_words", "describe_expr", "describe_rule", "laid_over", "load_tests", "parse_tests", "run_tests", "tests_path_for",
]

TESTS_SUFFIX = ".tests.yaml"
MAX_TEST_FILE_BYTES = 8 * 1024 * 1024
DECISION_KEYS = ("policy", "as_of", "eligibility", "term", "status", "grounds", "recusal", "obligations",
                 "violations", "report", "notices", "findings", "missing_facts", "open_questions", "explanation")
TEST_KEYS = ("name", "why", "provisions", "base", "case", "expect")
FILE_KEYS = ("policy", "bases", "tests")
#: How many bases one test may name.
MAX_BASES_PER_TEST = 16
_REF = REF  # a provision's compact ref: 9, 9(2), 8(1).3, 11p2, 12p2(1)


class TestFileError(RulesError):
    """A test file that cannot be read or does not have the test-file shape; every problem, positioned."""

    __test__ = False  # not a pytest class

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


# ------------------------------------------------------------------ YAML with positions
class LineDict(dict):
    """A YAML mapping that remembers where it and each of its keys stand (1-based line, column)."""

    line: int = 0
    column: int = 0
    key_positions: dict


class LineList(list):
    line: int = 0
    column: int = 0
    item_positions: list


def _loader_base():
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_loader_base()):  # type: ignore[misc]
    """SafeLoader with YAML 1.2 core scalars (true/false only, no timestamps) and positions kept."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp",
                           "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float",
                              re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
                              list("-+.0123456789"))


def _construct_mapping(loader, node, deep=False):
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(None, None, f"expected a mapping, found {node.id}",
                                                node.start_mark)
    loader.flatten_mapping(node)
    out = LineDict()
    out.line, out.column = node.start_mark.line + 1, node.start_mark.column + 1
    out.key_positions = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError("while reading a mapping", node.start_mark,
                                                    "a key must be a plain value", key_node.start_mark) from None
        if key in out:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                f"duplicate key {key!r} (first at line {out.key_positions[key][0]})", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_positions[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                  value_node.start_mark.line + 1, value_node.start_mark.column + 1)
    return out


def _construct_sequence(loader, node, deep=False):
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line, out.column = node.start_mark.line + 1, node.start_mark.column + 1
    out.item_positions = [(child.start_mark.line + 1, child.start_mark.column + 1) for child in node.value]
    return out


def _construct_number(loader, node):
    """An explicitly tagged number (``!!float .nan`` and a line break, ``!!int x``) that PyYAML cannot
    convert: an error at the node, not a ValueError."""
    base = yaml.SafeLoader.construct_yaml_float if node.tag.endswith("float") else yaml.SafeLoader.construct_yaml_int
    try:
        return base(loader, node)
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(None, None, f"cannot read this value ({exc})",
                                                node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_number)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_number)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def _plain(value):
    """LineDict/LineList → dict/list (for JSON output and for the engine)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# ------------------------------------------------------------------ the test file
@attrs.frozen
class PolicyTest:
    """One test: a case and the parts of its decision that are expected."""

    __test__ = False

    name: str
    case: dict
    expect: dict
    why: str | None = None
    provisions: tuple[str, ...] = ()
    line: int = 1
    column: int = 1
    # where each expectation stands: path keys (("grounds", 0, "citation")) → (line, column)
    positions: dict = attrs.field(factory=dict, eq=False, repr=False)


@attrs.frozen
class TestFile:
    __test__ = False

    path: str
    policy: str | None
    tests: tuple[PolicyTest, ...]
    lines: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)

    def source_line(self, line: int) -> str | None:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else None


def tests_path_for(rules_path: str | Path) -> Path:
    """Where the tests of a rule file live: ``x.rules`` → ``x.tests.yaml``, in the same folder."""
    path = Path(rules_path)
    stem = path.name[: -len(".rules")] if path.name.endswith(".rules") else path.stem
    return path.with_name(stem + TESTS_SUFFIX)


def load_tests(path: str | Path) -> TestFile:
    """Read and shape-check a test file; raises ``TestFileError`` with every problem positioned."""
    problem = path_problem(path)
    if problem is not None:
        raise TestFileError([Diagnostic("<arguments>", 1, 1, f"a test file's path: expected a str or Path, got {problem}",
                                        code="test-file")])
    source = str(path)
    try:
        size = os.path.getsize(source)
        if size > MAX_TEST_FILE_BYTES:
            raise TestFileError([Diagnostic(source, 1, 1, f"test file is too large ({size} bytes; "
                                                          f"at most {MAX_TEST_FILE_BYTES})", code="test-file")])
        data = Path(source).read_bytes()
    except OSError as exc:
        raise TestFileError([Diagnostic(source, 1, 1, f"cannot read test file: {exc.strerror or exc}",
                                        code="test-file")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TestFileError([Diagnostic(source, 1, 1, "test file is not valid UTF-8", code="test-file")]) from None
    return parse_tests(text, source)


#: Deepest YAML nesting accepted. Building the document recurses once per level
#: (in C with libyaml, where running out of stack kills the process), so deeper
#: input is refused first.
MAX_YAML_NESTING = 200


#: Longest whole number a test file may hold (digits): far past any date, count or amount, and short
#: of the 4,300 digits past which Python refuses to read an integer at all.
MAX_NUMBER_DIGITS = 18

_INTEGER = re.compile(r"[-+]?[0-9]+")


def _screen(text: str):
    """(mark, message) for the first thing the loader must not build, or None.

    Reads the event stream of PyYAML's pure-Python parser, which produces it
    without recursing and has no depth limit of its own: the C scanner's limit
    (libyaml refuses flow nesting past 1,000 in some releases) must not decide
    which message an author sees, so the project's guard runs first, the same
    whatever PyYAML release is installed. It refuses nesting past
    ``MAX_YAML_NESTING``, aliases (a few hundred bytes of them expand to
    gigabytes: a test file has no use for them) and whole numbers longer than
    ``MAX_NUMBER_DIGITS``.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_NESTING:
                return event.start_mark, f"YAML nested more than {MAX_YAML_NESTING} levels deep"
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            return event.start_mark, ("YAML aliases and merge keys (`*name`, `<<: *name`) are not allowed in a test "
                                      "file; name the shared part of the cases under `bases:` and write `base: NAME` "
                                      "in each test (its `case` is laid over the base, mapping by mapping)")
        elif (isinstance(event, yaml.ScalarEvent) and event.style is None and len(event.value) > MAX_NUMBER_DIGITS
              and _INTEGER.fullmatch(event.value)):
            return event.start_mark, f"a whole number longer than {MAX_NUMBER_DIGITS} digits"
    return None


def parse_tests(text: str, source: str = "<tests>") -> TestFile:
    """A test file from its YAML text."""
    if not isinstance(text, str) or not isinstance(source, str):
        wrong = text if not isinstance(text, str) else source
        raise RulesError(f"parse_tests takes the YAML text and its source name as str, not {type(wrong).__name__}")
    text = str(text)  # a str subclass: the C YAML reader takes only str itself
    lines = tuple(text.splitlines())

    def at(line: int, column: int, message: str, length: int = 1) -> Diagnostic:
        shown = lines[line - 1] if 0 < line <= len(lines) else None
        return Diagnostic(source, line, column, message, "error", shown, length, "test-file")

    try:
        refused = _screen(text)
        if refused is not None:
            mark, message = refused
            raise TestFileError([at(mark.line + 1, mark.column + 1, message)])
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise TestFileError([at(line, column, f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise TestFileError([at(1, 1, f"invalid YAML: {' '.join(str(exc).split())}")]) from None

    problems: list[Diagnostic] = []
    if not isinstance(document, LineDict):
        raise TestFileError([at(1, 1, "a test file is a mapping with `tests:` (a list of tests) "
                                      "and optionally `policy:`")])
    for key in document:
        if key not in FILE_KEYS:
            line, column, *_ = document.key_positions[key]
            problems.append(at(line, column, f"unknown key `{key}`{checker.suggest(str(key), FILE_KEYS)}; "
                                             f"a test file has `policy`, `bases` and `tests`", len(str(key))))
    bases: dict = {}
    raw_bases = document.get("bases")
    if raw_bases is not None:
        if not isinstance(raw_bases, LineDict):
            problems.append(at(*document.key_positions["bases"][2:], "`bases` must be a mapping of names to partial "
                                                                    "cases"))
        else:
            for base_name, base in raw_bases.items():
                if not isinstance(base_name, str) or not isinstance(base, dict):
                    bline, bcolumn, *_ = raw_bases.key_positions[base_name]
                    problems.append(at(bline, bcolumn, f"base `{base_name}` must be named by a string and be a mapping "
                                                       f"(part of a case)"))
                    continue
                bases[base_name] = _plain(base)
    policy = document.get("policy")
    if policy is not None and not isinstance(policy, str):
        line, column, vline, vcolumn = document.key_positions["policy"]
        problems.append(at(vline, vcolumn, "`policy` must be a policy id (a string)"))
        policy = None
    raw_tests = document.get("tests")
    if not isinstance(raw_tests, LineList):
        if "tests" in document:
            line, column, vline, vcolumn = document.key_positions["tests"]
            problems.append(at(vline, vcolumn, "`tests` must be a list of tests"))
        else:
            problems.append(at(1, 1, "no `tests:` list in the test file"))
        raise TestFileError(problems)

    tests: list[PolicyTest] = []
    names: dict[str, int] = {}
    for index, raw in enumerate(raw_tests):
        line, column = raw_tests.item_positions[index]
        if not isinstance(raw, LineDict):
            problems.append(at(line, column, f"test {index + 1} must be a mapping with name, case and expect"))
            continue
        test_problems: list[Diagnostic] = []
        for key in raw:
            if key not in TEST_KEYS:
                kline, kcolumn, *_ = raw.key_positions[key]
                test_problems.append(at(kline, kcolumn, f"unknown key `{key}` in a test"
                                                        f"{checker.suggest(str(key), TEST_KEYS)}; "
                                                        f"a test has {', '.join(TEST_KEYS)}", len(str(key))))

        def value_at(key: str) -> tuple[int, int]:
            _, _, vline, vcolumn = raw.key_positions[key]
            return vline, vcolumn

        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            where = value_at("name") if "name" in raw else (line, column)
            test_problems.append(at(*where, "a test needs a `name` (a non-empty string)"))
            name = f"test {index + 1}"
        elif name in names:
            test_problems.append(at(*value_at("name"), f"duplicate test name (first at line {names[name]})"))
        else:
            names[name] = value_at("name")[0]
        why = raw.get("why")
        if why is not None and not isinstance(why, str):
            test_problems.append(at(*value_at("why"), "`why` must be a string"))
        provisions = raw.get("provisions", [])
        if not isinstance(provisions, list) or not all(isinstance(p, str) for p in provisions):
            test_problems.append(at(*value_at("provisions"), "`provisions` must be a list of refs like \"9(2)\" or \"11p2\""))
            provisions = []
        base_names = raw.get("base", [])
        if isinstance(base_names, str):
            base_names = [base_names]
        if not isinstance(base_names, list) or not all(isinstance(b, str) for b in base_names) \
                or len(base_names) > MAX_BASES_PER_TEST:
            test_problems.append(at(*value_at("base"), f"`base` names a base under `bases:` (or a list of at most "
                                                       f"{MAX_BASES_PER_TEST})"))
            base_names = []
        for base_name in base_names:
            if base_name not in bases:
                test_problems.append(at(*value_at("base"), f"no base `{shortened(base_name)}` under `bases:`"
                                                           f"{checker.suggest(base_name, bases)}"))
        case = raw.get("case", {} if "base" in raw else None)
        if not isinstance(case, dict):
            where = value_at("case") if "case" in raw else (line, column)
            test_problems.append(at(*where, "a test needs a `case` (a mapping, as in a JSON case)"))
        expect = raw.get("expect")
        if not isinstance(expect, dict):
            where = value_at("expect") if "expect" in raw else (line, column)
            test_problems.append(at(*where, "a test needs an `expect` mapping (the parts of the decision "
                                            "to check)"))
        if test_problems:
            problems.extend(test_problems)
            continue
        positions: dict = {}
        _positions(expect, ("expect",), positions)
        test_line = value_at("name")[0]
        full_case: dict = {}
        for base_name in base_names:
            full_case = laid_over(full_case, bases[base_name])
        full_case = laid_over(full_case, _plain(case))
        tests.append(PolicyTest(name, full_case, _plain(expect), why, tuple(provisions),
                                test_line, value_at("name")[1], positions))
    if problems:
        raise TestFileError(problems)
    return TestFile(source, policy, tuple(tests), lines)


def laid_over(base: Mapping, case: Mapping) -> dict:
    """``case`` laid over ``base``: where both hold a mapping under a key, the two are laid over each
    other in turn; anything else in ``case`` (a value, a list, null) replaces what ``base`` has. So a
    test can change one fact of a shared base (`person: {honest: false}`) and keep the rest."""
    out = dict(base)
    for key, value in case.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = laid_over(out[key], value)
        else:
            out[key] = value
    return out


def _positions(value, path: tuple, out: dict) -> None:
    if isinstance(value, LineDict):
        out.setdefault(path, (value.line, value.column))
        for key, (line, column, *_) in value.key_positions.items():
            out[path + (key,)] = (line, column)
            _positions(value[key], path + (key,), out)
    elif isinstance(value, LineList):
        out.setdefault(path, (value.line, value.column))
        for index, (line, column) in enumerate(value.item_positions):
            out.setdefault(path + (index,), (line, column))
            _positions(value[index], path + (index,), out)


# ------------------------------------------------------------------ rules and conditions in words
def describe_expr(e) -> str:
    """An expression in the policy language's English keywords (what `check` and `diff` show)."""
    return _expr(e, 0)


_PREC = {"Or": 1, "And": 2, "Not": 3}
#: How tightly arithmetic binds, inside a test: a sum, a product, a negation.
_ARITH_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


def number_text(value) -> str:
    """A number as the language writes it: ``90``, ``89.5`` (a rule's decimals are finite)."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        digits = 0
        while (value * 10**digits).denominator != 1 and digits < 40:
            digits += 1
        text = f"{abs(value.numerator) * 10**digits // value.denominator:0{digits + 1}d}"
        return ("-" if value < 0 else "") + text[:-digits] + "." + text[-digits:]
    return str(value)


def _arith(e, outer: int) -> str:
    """An arithmetic expression, parenthesised only where the precedence needs it."""
    if isinstance(e, n.Arith):
        level = _ARITH_PREC[e.op]
        # The right operand of - and / binds tighter than a left one of the same level.
        text = f"{_arith(e.left, level)} {e.op} {_arith(e.right, level + 1)}"
        return f"({text})" if level < outer else text
    if isinstance(e, n.Neg):
        return "-" + _arith(e.operand, 3)
    return _atom(e)


def _expr(e, outer: int) -> str:
    kind = type(e).__name__
    if isinstance(e, n.Or):
        text = " or ".join(_expr(o, 1) for o in e.operands)
    elif isinstance(e, n.And):
        text = " and ".join(_expr(o, 2) for o in e.operands)
    elif isinstance(e, n.Not):
        text = "not " + _expr(e.operand, 3)
    else:
        return _atom(e)
    return f"({text})" if _PREC[kind] < outer else text


def _values(values) -> str:
    return "{" + ", ".join(v.name for v in values) + "}"


def _atom(e) -> str:
    if isinstance(e, n.Path):
        return e.dotted
    if isinstance(e, n.Name):
        return e.name
    if isinstance(e, n.Literal):
        v = e.value
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        return number_text(v)
    if isinstance(e, n.Compare):
        return f"{_arith(e.left, 0)} {e.op} {_arith(e.right, 0)}"
    if isinstance(e, (n.Arith, n.Neg)):
        return f"({_arith(e, 0)})"
    if isinstance(e, n.Extreme):
        return f"{e.op}({', '.join(_arith(o, 0) if not isinstance(o, (n.And, n.Or, n.Not)) else _expr(o, 0) for o in e.operands)})"
    if isinstance(e, n.Age):
        return f"age({_arith(e.birth, 0)}, {_arith(e.on, 0)})"
    if isinstance(e, n.YearOf):
        return f"year_of({_arith(e.operand, 0)})"
    if isinstance(e, n.Defined):
        return e.name
    if isinstance(e, n.Count):
        return f"count of {e.source.dotted}"
    if isinstance(e, n.Quantifier):
        head = "count of" if e.kind == "count" else e.kind
        condition = _atom(e.condition)
        if not isinstance(e.condition, n.Path):
            condition = f"({_expr(e.condition, 0)})"
        return f"{head} {e.var} in {e.source.dotted} where {condition}"
    if isinstance(e, n.DateBefore):
        return f"{_atom(e.base)} before {amount_in_words(e.amount, e.unit)}"
    if isinstance(e, n.Member):
        return f"{_atom(e.operand)} {'not in' if e.negated else 'in'} {_values(e.values)}"
    if isinstance(e, n.Has):
        return f"{_atom(e.operand)} has {e.value.name}"
    if isinstance(e, n.HasAny):
        return f"{_atom(e.operand)} has any of {_values(e.values)}"
    if isinstance(e, n.IsKnown):
        return f"{_atom(e.operand)} is {'unknown' if e.negated else 'known'}"
    if isinstance(e, n.IsEmpty):
        return f"{_atom(e.operand)} is {'not empty' if e.negated else 'empty'}"
    if isinstance(e, n.Expired):
        return "expired"
    if isinstance(e, n.Dismissed):
        return "dismissed"
    if isinstance(e, n.AsOf):
        return "as_of"
    if isinstance(e, n.LastDay):
        return "last day"
    if isinstance(e, n.DismissalDay):
        return "dismissal day"
    if isinstance(e, n.DateAfter):
        return f"{_atom(e.base)} after {amount_in_words(e.amount, e.unit)}"
    if isinstance(e, n.Deadline):
        return f"due({_atom(e.base)} after {amount_in_words(e.amount, e.unit)})"
    if isinstance(e, n.TermNumber):
        return f"term number({_arith(e.on, 0)})"
    if isinstance(e, (n.Violates, n.Satisfies)):
        return f"{'violates' if isinstance(e, n.Violates) else 'satisfies'} {e.ref.english}"
    if isinstance(e, (n.And, n.Or, n.Not)):
        return _expr(e, 4)
    return type(e).__name__


_UNITS = {"working_days": "working days", "days": "calendar days"}


def amount_in_words(amount: int | float, unit: str) -> str:
    """``1 year``, ``3 years``, ``1.5 years``, ``1 working day``: the unit agrees with its number."""
    words = _UNITS.get(unit, unit)
    if amount == 1 and words.endswith("s"):
        words = words[:-1]
    shown = int(amount) if float(amount).is_integer() else amount
    return f"{shown} {words}"


def describe_rule(rule) -> str:
    """One rule in words, e.g. ``term 2 years from appt.start`` (each kind's ``describe``, in its
    question module)."""
    kind = questions.kind_of(rule)  # raises for a node no question takes
    return "text only" if kind is None else kind.describe(rule, WORDS)


class Words:
    """What a rule kind's ``describe`` and ``roles`` (questions/) use to put rules in words."""

    expr = staticmethod(describe_expr)
    rule = staticmethod(describe_rule)

    @staticmethod
    def unit(unit: str) -> str:
        return _UNITS.get(unit, unit)

    @staticmethod
    def amount(amount: int | float, unit: str) -> str:
        """``1 year``, ``3 years``, ``1 working day``: the unit agrees with its number."""
        return amount_in_words(amount, unit)

    @staticmethod
    def reads(expr) -> tuple[str, ...]:
        """The dotted facts ``expr`` reads, each once, in order."""
        out: dict[str, None] = {}
        bound = {node.var for node in n.walk(expr) if isinstance(node, n.Quantifier)}  # records, not facts
        for node in n.walk(expr):
            if isinstance(node, n.Path) and node.parts[0] not in bound:
                out[node.dotted] = None
        return tuple(out)

    @staticmethod
    def atoms(expr) -> list:
        out: list = []
        collect_atoms(expr, out)
        return out

    @staticmethod
    def fact_words(condition, fact: str) -> str:
        """What a condition asks of one fact: the conjunct of it that reads the fact."""
        parts = condition.operands if isinstance(condition, n.And) else (condition,)
        for part in parts:
            if fact in Words.reads(part):
                return describe_expr(part)
        return fact


WORDS = Words()


# ------------------------------------------------------------------ coverage
# AST rule class → the kind the compiler and the trace use; how the two sides of each kind read
# ("never seen met", "never seen unmet"). Both from the registry (questions/).
RULE_KIND = {kind.node: kind.kind for kind in questions.rule_kinds()}
SIDES = {kind.kind: kind.sides for kind in questions.rule_kinds()}


def collect_atoms(expr, out: list) -> None:
    """Append to ``out`` the atomic conditions of ``expr`` (what and / or / not combine), each once, in order."""
    if isinstance(expr, (n.And, n.Or)):
        for operand in expr.operands:
            collect_atoms(operand, out)
    elif isinstance(expr, n.Not):
        collect_atoms(expr.operand, out)
    elif expr not in out:
        out.append(expr)


@attrs.define
class ConditionCoverage:
    text: str
    true: bool = False
    false: bool = False

    @property
    def both(self) -> bool:
        return self.true and self.false


@attrs.define
class RuleCoverage:
    kind: str
    text: str
    conditions: list[ConditionCoverage]
    true: bool = False
    false: bool = False
    unknown: bool = False
    needs_false: bool = True  # a duty that always arises can only be seen arising

    @property
    def exercised(self) -> bool:
        return self.true or self.false or self.unknown

    @property
    def both(self) -> bool:
        return self.true and (self.false or not self.needs_false)

    @property
    def covered(self) -> bool:
        return self.both and all(c.both for c in self.conditions)

    def gaps(self) -> list[str]:
        yes, no = SIDES.get(self.kind, ("true", "false"))
        out = []
        if not self.true:
            out.append(f"{self.kind} never seen {yes}")
        if self.needs_false and not self.false:
            out.append(f"{self.kind} never seen {no}")
        for c in self.conditions:
            missing = [w for w, seen in (("true", c.true), ("false", c.false)) if not seen]
            if missing:
                out.append(f"`{c.text}` never seen {' or '.join(missing)}")
        return out


@attrs.define
class ProvisionCoverage:
    citation: Citation
    line: int
    source: str
    rules: list[RuleCoverage]
    version: str | None = None  # in a family's coverage: the id of the version the provision is of

    @property
    def exercised(self) -> bool:
        return any(r.exercised for r in self.rules)

    @property
    def covered(self) -> bool:
        return all(r.covered for r in self.rules)

    @property
    def state(self) -> str:
        return "covered" if self.covered else "partial" if self.exercised else "not exercised"

    def gaps(self) -> list[str]:
        return [g for r in self.rules for g in r.gaps()]


class _Condition:
    """An atom, compiled once, evaluated against a case's facts."""

    __slots__ = ("cov", "fn", "renewal")

    def __init__(self, cov: ConditionCoverage, fn, renewal: str | None):
        self.cov, self.fn, self.renewal = cov, fn, renewal


class Coverage:
    """Which provisions, rules and conditions a set of decisions has exercised, and on which sides."""

    def __init__(self, policy, version: str | None = None):
        self.policy = policy
        compiled = policy.compiled
        self._compiled = compiled
        self.provisions: list[ProvisionCoverage] = []
        # (citation, kind) → [(RuleCoverage, [_Condition])]
        self._by_step: dict[tuple, list] = {}
        #: each rule (``rule_key``) → its coverage: ``FamilyCoverage`` folds a composite's coverage into
        #: the versions' by these keys
        self.by_rule: dict[tuple, RuleCoverage] = {}
        comp = compiler.ExpressionCompiler(compiled.checked)
        for provision, citation in zip(compiled.checked.provisions, compiled.citations):
            rules = []
            for rule in provision.rules:
                rule_kind = questions.kind_of(rule)
                if rule_kind is None:  # text only
                    continue
                kind = rule_kind.kind
                atoms: list = []
                for expr in rule_kind.conditions(rule):
                    collect_atoms(expr, atoms)
                # A rule naming a record (a renewal, a further renewal condition) reads its fields so.
                scope = record_scope(rule_kind, rule, compiled.checked.provisions)
                var = scope[0] if scope is not None else None
                conditions = []
                for atom in atoms:
                    fn = comp.expression(atom, renewal_var=var)
                    conditions.append(_Condition(ConditionCoverage(describe_expr(atom)), fn,
                                                 scope[1].dotted if scope is not None else None))
                cov = RuleCoverage(kind, describe_rule(rule), [c.cov for c in conditions],
                                   needs_false=rule_kind.two_sided(rule))
                rules.append(cov)
                self.by_rule[rule_key(rule)] = cov
                self._by_step.setdefault((citation, kind), []).append((cov, conditions))
            if rules:
                self.provisions.append(ProvisionCoverage(citation, provision.span.line, provision.span.source, rules,
                                                         version))

    # -------------------------------------------------------------- recording
    def record(self, case: Mapping, decision: Decision) -> None:
        """Add what one decision (evaluated from ``case``) exercised."""
        policy = self.policy
        facts, sections, _ = policy.read_case(case)
        env = runtime.Env(facts, sections, decision.as_of)
        env.calendar = lambda: policy.calendar  # a date counted in working days reads the policy's calendar
        # The derived dates as the decision shows them (`expired` and `dismissed` as before, below).
        after = runtime.derived_after(policy.compiled, decision, facts)
        env.last_day, env.dismissal_day = after["last_day"], after["dismissal_day"]
        env.term_number = after["term_number"]
        term = decision.term
        if term is None:
            env.expired = False
        elif term.last_day is not None:
            env.expired = decision.as_of > term.last_day
        else:
            env.expired = None
        status = str(decision.status)
        env.dismissed = True if status == "dismissed" else None if status == "unknown" else False
        seen_rules: set[int] = set()
        for step in decision.trace:
            if step.citation is None:
                continue
            entries = self._by_step.get((step.citation, step.rule))
            if not entries:
                continue
            value = _side(step, decision)
            for cov, conditions in entries:
                if value is True:
                    cov.true = True
                elif value is False:
                    cov.false = True
                else:
                    cov.unknown = True
                if id(cov) in seen_rules:
                    continue
                seen_rules.add(id(cov))
                for condition in conditions:
                    if condition.renewal:
                        for record in facts.get(condition.renewal) or ():
                            env.var = record
                            _mark(condition.cov, _safe(condition.fn, env))
                        env.var = {}
                    else:
                        _mark(condition.cov, _safe(condition.fn, env))

    # -------------------------------------------------------------- figures
    @property
    def total(self) -> int:
        return len(self.provisions)

    @property
    def covered(self) -> int:
        return sum(1 for p in self.provisions if p.covered)

    @property
    def exercised(self) -> int:
        return sum(1 for p in self.provisions if p.exercised)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 100.0

    def counts(self) -> dict:
        rules = [r for p in self.provisions for r in p.rules]
        conditions = [c for r in rules for c in r.conditions]
        return {"provisions": self.total, "provisions_covered": self.covered,
                "provisions_exercised": self.exercised,
                "rules": len(rules), "rules_both_ways": sum(1 for r in rules if r.both),
                "conditions": len(conditions), "conditions_both_ways": sum(1 for c in conditions if c.both)}

    def to_dict(self) -> dict:
        return {
            "percent": round(self.percent, 2),
            **self.counts(),
            "by_provision": [{
                "ref": p.citation.ref, "cite": p.citation.cite, "line": p.line, "state": p.state,
                "rules": [{"kind": r.kind, "rule": r.text, "true": r.true, "false": r.false, "unknown": r.unknown,
                           "conditions": [{"condition": c.text, "true": c.true, "false": c.false}
                                          for c in r.conditions]} for r in p.rules],
                "gaps": p.gaps(),
            } for p in self.provisions],
        }


def rule_key(rule) -> tuple:
    """What identifies a rule across the checks of its file: its kind and where it stands. Not the
    node itself: the checker writes definitions out into new nodes, so a composite's copy of a
    version's rule (checked again) is an equal rule in another object."""
    return type(rule).__name__, rule.span


class FamilyCoverage(Coverage):
    """Coverage of a family (``policy.Family``): every version's provisions, each version on its own.

    A test covers what decided its case: the provisions of the version in force on its ``as_of``, and
    of the version a selector took a kind's rules from (a composite's rules are its versions' rules,
    node for node). The figures count each version's provisions apart: a provision the versions
    share word for word is still one provision of each (docs/testing-policies.md)."""

    def __init__(self, family):
        self.policy = family
        self.by_version = [Coverage(v, v.id) for v in family.versions]
        self._vehicles: dict[int, Coverage] = {id(v): c for v, c in zip(family.versions, self.by_version)}
        self._composites: list[Coverage] = []

    def record(self, case: Mapping, decision: Decision, vehicle=None) -> None:
        """Add what one decision exercised; ``vehicle`` is what decided it (``Family.select``)."""
        if vehicle is None:
            vehicle, _ = self.policy.select(case)
        coverage = self._vehicles.get(id(vehicle))
        if coverage is None:
            coverage = self._vehicles[id(vehicle)] = Coverage(vehicle)
            self._composites.append(coverage)
        coverage.record(case, decision)

    @property
    def provisions(self) -> list[ProvisionCoverage]:  # type: ignore[override]
        owners: dict[tuple, RuleCoverage] = {}
        for coverage in self.by_version:
            owners.update(coverage.by_rule)
        for composite in self._composites:  # OR is idempotent: folding again each time is harmless
            for rule, seen in composite.by_rule.items():
                owner = owners.get(rule)
                if owner is None:
                    continue
                owner.true |= seen.true
                owner.false |= seen.false
                owner.unknown |= seen.unknown
                for mine, theirs in zip(owner.conditions, seen.conditions):
                    mine.true |= theirs.true
                    mine.false |= theirs.false
        return [p for coverage in self.by_version for p in coverage.provisions]

    def to_dict(self) -> dict:
        out = super().to_dict()
        for entry, p in zip(out["by_provision"], self.provisions):
            entry["version"] = p.version
        out["versions"] = [{"version": c.policy.id, "percent": round(c.percent, 2), **c.counts()}
                           for c in self.by_version]
        return out


def _safe(fn, env):
    try:
        return fn(env)
    except (TypeError, ValueError, KeyError, AttributeError):  # a fact of an unexpected shape: not seen
        return None


def _mark(cov: ConditionCoverage, value) -> None:
    if value is True:
        cov.true = True
    elif value is False:
        cov.false = True


def _side(step, decision: Decision):
    """A trace step's outcome as true / false / None (unknown)."""
    outcome, kind = step.outcome, step.rule
    if kind == "prohibit":
        return bool(outcome)
    if kind in ("duty", "conclusion"):  # a conclusion's outcome is its value, or False: not drawn
        return None if outcome is None else outcome is not False
    if kind == "renewal":
        return True if outcome == "valid" else False if outcome == "invalid" else None
    if kind == "term":
        if outcome is None:
            return None
        try:
            return decision.as_of <= dt.date.fromisoformat(str(outcome))
        except ValueError:
            return None
    return outcome if isinstance(outcome, bool) else None


# ------------------------------------------------------------------ running
@attrs.frozen
class TestResult:
    __test__ = False

    test: PolicyTest
    passed: bool
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None  # an invalid case, an unknown expectation, a provision that does not exist
    decision: dict | None = attrs.field(default=None, repr=False)

    @property
    def position(self) -> tuple[int, int]:
        """The line and column to report a failure at: its first failing expectation, else the test."""
        for m in self.mismatches:
            keys = ("expect",) + m.keys
            while keys:
                if keys in self.test.positions:
                    return self.test.positions[keys]
                keys = keys[:-1]
        return self.test.line, self.test.column


@attrs.frozen
class RunResult:
    policy: Any
    file: TestFile
    results: tuple[TestResult, ...]
    coverage: Coverage

    @property
    def failures(self) -> list[TestResult]:
        return [r for r in self.results if not r.passed]

    @property
    def passed(self) -> bool:
        return not self.failures


def run_tests(policy, tests: TestFile | Iterable[PolicyTest], *, backend: str = "generated") -> RunResult:
    """Run every test against ``policy`` and measure provision coverage. ``backend`` (one of
    ``policy.BACKENDS``) is what decides the cases: the conformance suite runs them on each."""
    family = hasattr(policy, "versions") and hasattr(policy, "select")  # policy.py imports this module
    if not (family or hasattr(policy, "compiled") and hasattr(policy, "evaluate_with")):
        raise RulesError(f"run_tests takes a Policy or a Family (sr.load_policy, sr.builtin_policy), not "
                         f"{type(policy).__name__}")
    if isinstance(tests, TestFile):
        file = tests
    else:
        if isinstance(tests, (str, bytes)) or not isinstance(tests, Iterable):
            raise RulesError(f"run_tests takes a TestFile (load_tests, parse_tests) or PolicyTests, "
                             f"not {type(tests).__name__}")
        given = tuple(tests)
        stray = next((t for t in given if not isinstance(t, PolicyTest)), None)
        if stray is not None:
            raise RulesError(f"run_tests takes PolicyTests, not {type(stray).__name__}")
        file = TestFile("<tests>", None, given)
    coverage = FamilyCoverage(policy) if family else Coverage(policy)
    refs = {c.ref for v in _versions(policy) for c in v.compiled.citations}
    results = []
    for test in file.tests:
        results.append(_run_one(policy, test, coverage, refs, backend))
    return RunResult(policy, file, tuple(results), coverage)


def _run_one(policy, test: PolicyTest, coverage: Coverage, refs: set[str], backend: str) -> TestResult:
    unknown = [p for p in test.provisions if p not in refs]
    if unknown:
        named = ", ".join(p + checker.suggest(p, sorted(refs)) for p in unknown)
        return TestResult(test, False, error=f"`provisions` names {named}, which "
                                             f"{'is' if len(unknown) == 1 else 'are'} not in {policy.id}")
    fields = [k for k in test.expect if k not in DECISION_KEYS]
    if fields:
        return TestResult(test, False, error="`expect` names no decision field "
                                             + ", ".join(f"`{k}`{checker.suggest(str(k), DECISION_KEYS)}"
                                                         for k in fields))
    try:
        if isinstance(coverage, FamilyCoverage):
            vehicle, notices = policy.select(test.case)
            decision = vehicle.evaluate_with(backend, test.case)
            decision = attrs.evolve(decision, notices=(*notices, *decision.notices))
        else:
            decision = policy.evaluate_with(backend, test.case)
    except CaseError as exc:
        problems = "; ".join(f"{p.path}: {p.message}" if p.path else p.message for p in exc.problems)
        return TestResult(test, False, error=f"invalid case: {problems}")
    except RulesError as exc:
        return TestResult(test, False, error=f"cannot evaluate the case: {' '.join(str(exc).split())}")
    if isinstance(coverage, FamilyCoverage):
        coverage.record(test.case, decision, vehicle)
    else:
        coverage.record(test.case, decision)
    actual = decision.to_dict()
    found = tuple(mismatches(test.expect, actual))
    return TestResult(test, not found, found, None, actual)


# ------------------------------------------------------------------ showing values with their citations
def citation_index(policy) -> dict[str, str]:
    """ref → Chinese citation (``cite``). Refs are unique (DECISION.md, "Citations"); were two provisions
    ever to share one, their citations would be joined with "/"."""
    out: dict[str, list[str]] = {}
    for c in (c for version in _versions(policy) for c in version.compiled.citations):
        out.setdefault(c.ref, [])
        if c.cite not in out[c.ref]:
            out[c.ref].append(c.cite)
    return {ref: "/".join(cites) for ref, cites in out.items()}


def _versions(policy) -> tuple:
    """A family's versions, or the policy alone."""
    return tuple(policy.versions) if hasattr(policy, "versions") else (policy,)


def show(value, cites: Mapping[str, str]) -> str:
    """A value for a reader: citations as ref and Chinese citation together, dates and codes bare."""
    if isinstance(value, dict):
        if "ref" in value and "cite" in value:
            return f"{value['ref']} {value['cite']}"
        return "{" + ", ".join(f"{k}: {show(v, cites)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v, cites) for v in value) + "]"
    if isinstance(value, str):
        if _REF.match(value) and value in cites:
            return f"{value} {cites[value]}"
        return value
    return json.dumps(value, ensure_ascii=False)


def diagnostics(run: RunResult) -> list[Diagnostic]:
    """Each failed expectation as a diagnostic at its line in the test file (for github / SARIF output)."""
    out = []
    cites = citation_index(run.policy)
    for result in run.failures:
        line, column = result.position
        if result.error:
            out.append(Diagnostic(run.file.path, result.test.line, result.test.column,
                                  f"test “{result.test.name}” failed: {result.error}", "error",
                                  run.file.source_line(result.test.line), 1, "test"))
        for m in result.mismatches:
            keys = ("expect",) + m.keys
            while keys and keys not in result.test.positions:
                keys = keys[:-1]
            mline, mcolumn = result.test.positions.get(keys, (line, column))
            message = (f"test “{result.test.name}” failed: {m.path or 'decision'}: expected "
                       f"{show(m.expected, cites)}, got {'nothing' if m.kind == 'missing' else show(m.actual, cites)}")
            out.append(Diagnostic(run.file.path, mline, mcolumn, message, "error",
                                  run.file.source_line(mline), 1, "test"))
    return out


def coverage_diagnostics(run: RunResult, minimum: float) -> list[Diagnostic]:
    """Coverage below ``minimum``: an error, and each provision not covered at its line in the rule file."""
    cov = run.coverage
    if cov.percent + 1e-9 >= minimum:
        return []
    out = [Diagnostic(run.file.path, 1, 1, f"{run.policy.id}: provision coverage {cov.percent:.1f}% is below "
                                           f"--coverage-min {minimum:g}% ({cov.covered}/{cov.total} provisions)",
                      "error", run.file.source_line(1), 1, "test-coverage")]
    lines_cache: dict[str, list[str]] = {}
    for p in cov.provisions:
        if p.covered:
            continue
        if p.source not in lines_cache:
            try:
                lines_cache[p.source] = Path(p.source).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                lines_cache[p.source] = []
        src = lines_cache[p.source]
        out.append(Diagnostic(p.source, p.line, 1,
                              (f"{p.version}: " if p.version else "")
                              + f"{p.citation.ref} {p.citation.cite} not covered by tests ({p.state}): "
                              + "; ".join(p.gaps()), "warning",
                              src[p.line - 1] if 0 < p.line <= len(src) else None, 1, "test-coverage"))
    return out
