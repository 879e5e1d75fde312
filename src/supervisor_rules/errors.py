"""The one error hierarchy of supervisor-rules.

``RulesError`` ⊃ ``PolicyError`` ⊃ ``PolicySyntaxError``, and ``RulesError`` ⊃
``CaseError``. Nothing else (no Lark, KeyError or TypeError) reaches callers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import attrs


def display_width(text: str) -> int:
    """Terminal columns taken by ``text``: CJK wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_WINDOW = 60

# Control characters (ESC starts a terminal escape sequence) and the bidirectional overrides that make
# text read other than it is: a terminal must see neither from a rule file.
_UNSAFE = dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F),
                         *range(0x2066, 0x206A)], "\ufffd")


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: each control character but tab and newline shown as
    U+FFFD (one column, so a caret under the line still points at the right place)."""
    return text.translate(_UNSAFE)


# --------------------------------------------------------------------------- diagnostic families
#: The stable rule ids of diagnostics (SARIF ``ruleId``, GitHub annotation titles, ``--format json``'s
#: ``code``), one per family of messages, each with what it means in English and Chinese. A diagnostic
#: made without a code gets the family its message belongs to (``diagnostic_code``); the tools that
#: make their own (``fmt``, ``test``, ``invariant``, …) name theirs. The ids never change meaning;
#: a new family gets a new id. docs/case-errors.md lists them.
DIAGNOSTIC_CODES: dict[str, tuple[str, str]] = {
    "syntax": ("The rule file does not parse: an unexpected token or character.", "规则文件无法解析：出现意外的符号或字符。"),
    "read": ("A file cannot be read: missing, unreadable, not UTF-8 or too large.", "文件无法读取：不存在、不可读、非 UTF-8 或过大。"),
    "import": ("An `import` cannot be resolved or loaded.", "`导入` 无法解析或加载。"),
    "header": ("The policy header: missing, incomplete or with inconsistent dates.", "办法头部缺失、不完整或日期矛盾。"),
    "family": ("A family file (`*.family`): its lines, versions or selectors.", "版本族文件（`*.family`）的行、版本或选择器有误。"),
    "duplicate": ("A name, value, rule or number declared or listed twice.", "名称、取值、规则或编号重复声明。"),
    "unknown-name": ("A type, section, fact, field, value or decision part that is not declared.", "引用了未声明的类型、事实段、事实、字段、取值或决定项。"),
    "type": ("An expression or declaration of the wrong type.", "表达式或声明的类型不符。"),
    "numbering": ("Articles, paragraphs or items numbered out of order, twice or with gaps.", "条、款、项的编号缺漏、重复或顺序错乱。"),
    "reference": ("A cross-reference to an article, chapter or provision that does not exist.", "交叉引用的条、章或条款不存在。"),
    "structure": ("A rule, provision or definition that is incomplete or misplaced.", "规则、条款或定义不完整或位置不当。"),
    "order": ("A rule reads what is decided only later (or only invariants may read).", "规则读取了之后才决定的内容（或只有不变式才能读取的内容）。"),
    "cycle": ("Definitions that refer to each other in a cycle.", "定义之间循环引用。"),
    "limit": ("A value or rule beyond the language's limits (docs/limits.md).", "数值或规则超出语言限制（见 docs/limits.md）。"),
    "unreachable": ("A rule or invariant whose condition is always false.", "规则或不变式的条件恒为假，永远不会适用。"),
    "unused": ("A fact or definition declared but never used.", "声明了但从未使用的事实或定义。"),
    "no-rules": ("An article or provision without rules that is not marked `text only`.", "没有规则且未标为 `仅文本` 的条款。"),
    "invariant": ("An invariant with a counterexample.", "不变式存在反例。"),
    "invariant-unexercised": ("An invariant that no example case reached.", "没有任何样例触及的不变式。"),
    "invariant-unproved": ("An invariant `check --prove` could not prove (an unsupported construct, a timeout, a "
                           "translator the engine contradicts).", "`check --prove` 未能证明的不变式（不支持的写法、超时，或翻译与引擎不一致）。"),
    "fmt": ("A rule file that is not in the canonical layout of `supervisor-rules fmt`.", "规则文件不符合 `supervisor-rules fmt` 的规范格式。"),
    "test": ("A policy test case whose decision differs from what it expects.", "规则测试的决定与预期不符。"),
    "test-file": ("A policy test file (`*.tests.yaml`) that cannot be read or is malformed.", "规则测试文件（`*.tests.yaml`）无法读取或格式有误。"),
    "test-coverage": ("Provision coverage of the policy tests below `--coverage-min`.", "规则测试的条款覆盖率低于 `--coverage-min`。"),
}

# First match wins: the families a message belongs to, by what it says.
_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((code, re.compile(pattern)) for code, pattern in (
    ("read", r"^cannot read|not valid UTF-8|contains a NUL byte|^(?:rule )?(?:text|source) must be a str|"
             r"expected a str or Path|is too large|^too large"),
    ("import", r"^cannot import|imported file|folder to import from|^this file is a vocabulary"),
    ("family", r"family|^version `|selector|composite version|^cannot use version"),
    ("cycle", r"\bcycle\b"),
    ("limit", r"nodes .*levels|levels deep|surely a mistake|^more than \d|at most 1,000|count at most|"
              r"at least one (?:and at most|day|year)"),
    ("duplicate", r"\btwice\b|already declared|already prohibited|already names|is declared once|has one `|"
                  r"names a section of facts|a definition needs a name of its own"),
    ("numbering", r"numbers start at|must be numbered in order|is out of order"),
    ("unused", r"but no rule uses it"),
    ("unreachable", r"can never (?:apply|be tested)"),
    ("no-rules", r"has no rules|`text only` cannot also"),
    ("header", r"header|^the policy is (?:repealed|valid until)|\btitle\b"),
    ("order", r"reads the decision|cannot be used in|needs a `[^`]+` rule|needs a .* rule in the policy|"
              r"but the policy has no"),
    ("reference", r"^article \S+ (?:paragraph \d+ )?(?:does not exist|is in chapter|is not in any chapter)|"
                  r"\(\S+\) (?:no|names no)"),
    ("unknown-name", r"^unknown |has no field|is not a value of|^the decision has no|is not the renewal's record"),
    ("type", r"expected a condition|, not |is (?:a |an )?(?:bool|number|date|text|list|enum)|cannot compare|"
             r"needs a bool|needs a list|takes a date|a condition|compared with|fact on the left|tests a list|"
             r"do not mix|is a list of records|record fields are|can only be used as"),
    ("syntax", r"^unexpected |is a keyword|^syntax error|; expected "),
))


def diagnostic_code(message: str) -> str:
    """The family (a key of ``DIAGNOSTIC_CODES``) of a rule-file diagnostic saying ``message``;
    ``structure`` (a rule or provision incomplete or misplaced) when it is of none of the others."""
    for code, pattern in _FAMILIES:
        if pattern.search(message):
            return code
    return "structure"


@attrs.frozen
class Diagnostic:
    """One problem in a rule file, positioned at ``source:line:column`` (1-based)."""

    source: str
    line: int
    column: int
    message: str
    severity: str = "error"  # "error" | "warning"
    source_line: str | None = None
    length: int = 1
    # A stable rule id for machine-readable reports (SARIF ruleId): a key of DIAGNOSTIC_CODES. Left
    # out, it is the family of the message (``diagnostic_code``).
    code: str = attrs.field(default=attrs.Factory(lambda self: diagnostic_code(self.message), takes_self=True))

    def header(self) -> str:
        return printable(f"{self.source}:{self.line}:{self.column}: {self.severity}: {self.message}")

    def render(self) -> str:
        """The cel-python / rustc style: the header, the source line, a caret under the spot."""
        if self.source_line is None:
            return self.header()
        line = printable(self.source_line.rstrip("\n").replace("\t", " "))
        column = self.column
        if len(line) > _WINDOW * 2:
            # Show a window around the spot, not a 20,000-character line.
            left = max(column - 1 - _WINDOW, 0)
            shown = line[left: column - 1 + _WINDOW]
            line = ("…" if left else "") + shown + ("…" if column - 1 + _WINDOW < len(line) else "")
            column = column - left + (1 if left else 0)
        prefix = line[: max(column - 1, 0)]
        marked = line[max(column - 1, 0): max(column - 1, 0) + max(self.length, 1)]
        pad = " " * display_width(prefix)
        carets = "^" * max(display_width(marked), 1)
        gutter = f"{self.line:>5} | "
        return f"{self.header()}\n{gutter}{line}\n{' ' * len(gutter)}{pad}{carets}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
            "code": self.code,
        }


class RulesError(Exception):
    """Base of every error supervisor-rules raises on purpose. Every one pickles (a process pool
    hands them back to its caller) with all its attributes, whatever its constructor takes."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_error, (type(self), self.args, self.__dict__)


def _rebuild_error(cls: type[RulesError], args: tuple, state: dict) -> RulesError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class PolicyError(RulesError):
    """A rule file that cannot be used: every problem found, each positioned."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], message: str | None = None):
        self.diagnostics = tuple(diagnostics)
        super().__init__(message or "\n".join(d.render() for d in self.diagnostics))


class PolicySyntaxError(PolicyError):
    """A rule file that does not parse. ``str()`` shows the line with a caret."""

    def __init__(self, source: str, line: int, column: int, text: str, expected: tuple[str, ...],
                 message: str, source_line: str | None = None, length: int = 1):
        self.source = source
        self.line = line
        self.column = column
        self.text = text
        self.expected = tuple(expected)
        family = diagnostic_code(message)  # a file that cannot be read is not a syntax error
        diagnostic = Diagnostic(source, line, column, message, "error", source_line, length,
                                family if family in ("read", "import", "limit") else "syntax")
        super().__init__([diagnostic])


#: The stable codes of a case's problems, one per family of messages, each with what it means in
#: English and Chinese (docs/case-errors.md lists them with examples).
CASE_PROBLEM_CODES: dict[str, tuple[str, str]] = {
    "type": ("A value of the wrong JSON type (a string for a boolean, a list for an object, …).",
             "取值的 JSON 类型不符（例如应为布尔值却给了字符串）。"),
    "unknown_key": ("A section, fact or record field the policy does not declare.", "办法未声明的事实段、事实或记录字段。"),
    "required": ("Something the case must give is missing (as_of, a record's field).", "案件缺少必须提供的内容（as_of、记录字段）。"),
    "date": ("Not a date as YYYY-MM-DD, or not a real calendar date.", "不是 YYYY-MM-DD 格式的日期，或不是真实存在的日期。"),
    "enum": ("A text that is not one of the declared values.", "文本不是所声明的取值之一。"),
    "range": ("A date or number outside the range a case may hold.", "日期或数值超出案件允许的范围。"),
    "too_large": ("A list, or the case's text, over its size limit.", "列表或案件文本超出大小限制。"),
    "not_a_number": ("NaN or an infinity where a number belongs.", "数值处给了 NaN 或无穷大。"),
    "invalid": ("A problem of no other family (an argument that is not a case).", "其他问题（例如参数不是案件）。"),
}


class CaseProblem(NamedTuple):
    """One problem of a case: where (``path``, a JSON path; "" the case itself), what (``message``, in
    English; ``message_zh`` in Chinese) and its family (``code``, a key of ``CASE_PROBLEM_CODES``)."""

    path: str
    code: str
    message: str
    message_zh: str = ""

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` (``en`` | ``zh``); Chinese falls back to the code's description."""
        if lang == "zh":
            return self.message_zh or f"{CASE_PROBLEM_CODES.get(self.code, CASE_PROBLEM_CODES['invalid'])[1]}（{self.message}）"
        return self.message

    def to_dict(self, lang: str = "en") -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.text(lang)}


# A problem given as a bare (path, message) pair (the form before codes): its code, by what it says.
_CASE_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((code, re.compile(pattern)) for code, pattern in (
    ("too_large", r"over the limit|too large"),
    ("range", r"out of range"),
    ("not_a_number", r"NaN|infinit"),
    ("date", r"expected a date|not a real date"),
    ("enum", r"is not one of|expected one of"),
    ("unknown_key", r"^unknown "),
    ("required", r"^required|is missing"),
    ("type", r"^expected |must be a JSON object|is a JSON object"),
))


def case_problem_code(message: str) -> str:
    """The code of a case problem saying ``message`` (for problems made without one)."""
    for code, pattern in _CASE_FAMILIES:
        if pattern.search(message):
            return code
    return "invalid"


def _as_problem(item: CaseProblem | tuple[str, str] | tuple[str, str, str] | Any) -> CaseProblem:
    if isinstance(item, CaseProblem):
        return item
    if isinstance(item, Mapping):
        message = str(item.get("message", ""))
        return CaseProblem(str(item.get("path", "")), str(item.get("code") or case_problem_code(message)), message,
                           str(item.get("message_zh", "")))
    path, message, *rest = item
    code = rest[0] if rest else case_problem_code(str(message))
    return CaseProblem(str(path), str(code), str(message), str(rest[1]) if len(rest) > 1 else "")


class CaseError(RulesError):
    """An invalid case: every problem (a ``CaseProblem``), each with its JSON path, its stable code and
    its message. ``problems`` may be given as ``CaseProblem``s or as ``(path, message)`` pairs (whose code
    is then worked out from the message)."""

    def __init__(self, problems: Iterable[CaseProblem | tuple[str, str] | tuple[str, str, str]]):
        self.problems: tuple[CaseProblem, ...] = tuple(_as_problem(p) for p in problems)
        super().__init__("\n".join(f"{p.path}: {p.message}" if p.path else p.message for p in self.problems))

    @property
    def codes(self) -> tuple[str, ...]:
        """Each problem's code, in order."""
        return tuple(p.code for p in self.problems)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """``{"error": "invalid case", "problems": [{"path", "code", "message"}, …]}``; the messages in
        ``lang`` (``en`` | ``zh``)."""
        return {"error": "invalid case", "problems": [p.to_dict(lang) for p in self.problems]}
