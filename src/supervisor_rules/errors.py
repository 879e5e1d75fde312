"""The one error hierarchy of supervisor-rules.

``RulesError`` ⊃ ``PolicyError`` ⊃ ``PolicySyntaxError``, and ``RulesError`` ⊃
``CaseError``. Nothing else (no Lark, KeyError or TypeError) reaches callers.
"""

from __future__ import annotations

import unicodedata

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
    code: str = "policy"  # a stable rule id for machine-readable reports (e.g. SARIF ruleId)

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

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
        }


class RulesError(Exception):
    """Base of every error supervisor-rules raises on purpose. Every one pickles (a process pool
    hands them back to its caller) with all its attributes, whatever its constructor takes."""

    def __reduce__(self):
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
        diagnostic = Diagnostic(source, line, column, message, "error", source_line, length)
        super().__init__([diagnostic])


class CaseError(RulesError):
    """An invalid case: every problem, each with its JSON path."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{path}: {message}" if path else message for path, message in self.problems))

    def to_dict(self) -> dict:
        return {"error": "invalid case", "problems": [{"path": p, "message": m} for p, m in self.problems]}
