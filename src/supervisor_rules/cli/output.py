"""Writing the command line's output: shared by ``cli`` and the modules in ``commands``.

The conventions (INTERFACE.md, "Output options"): diagnostics print as text
unless ``--format`` says otherwise, whether or not standard output is a
terminal (``diagnostics_format``); ``eval`` prints text on a terminal and JSON
otherwise (``format_of``). Colour only on a terminal, never with ``NO_COLOR``
set (https://no-color.org) or ``TERM=dumb``; progress only on a terminal's
standard error (``Progress``).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from typing import IO, TextIO


def utf8(stream: IO[str]) -> bool:
    """Whether ``stream`` encodes UTF-8 (so Chinese may be written as is, not as ``\\u`` escapes)."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    return encoding in ("utf-8", "utf8", "utf-8-sig")


def out(text: str) -> None:
    """Write ``text`` to standard output as one or more whole lines (a final newline is added if missing)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):  # a closed or exotic stream
        return False


def format_of(args: argparse.Namespace) -> str:
    """``eval``'s output format: ``--format`` if given, else text on a terminal and json otherwise."""
    if getattr(args, "format", None):
        return str(args.format)
    return "text" if _isatty(sys.stdout) else "json"


def diagnostics_format(args: argparse.Namespace) -> str:
    """The output format of the commands that report diagnostics (``check``, ``test``, ``fmt``, ``diff``):
    ``--format`` if given, else text, on a terminal or not (``check x.rules | cat`` prints
    ``x.rules:L:C: …``, as linters do)."""
    return str(getattr(args, "format", None) or "text")


def color(stream: TextIO | None = None) -> bool:
    """Whether to colour what goes to ``stream`` (standard output by default): a terminal, ``NO_COLOR``
    unset or empty, ``TERM`` not ``dumb``."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _isatty(sys.stdout if stream is None else stream)


_SEVERITY_COLOURS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m"}


def paint_severity(text: str, severity: str) -> str:
    """``text`` (a rendered diagnostic) with its first ``error:`` / ``warning:`` in colour."""
    start = _SEVERITY_COLOURS.get(severity)
    word = f": {severity}: "
    if start is None or word not in text:
        return text
    return text.replace(word, f": {start}{severity}\x1b[0m: ", 1)


def unknown_policy(name: str, shipped: Sequence[str]) -> str:
    """The message for a ``POLICY`` that is neither a file nor a shipped id, with a suggestion:
    ``unknown policy "NAME"; did you mean "CLOSEST"?`` (the closest shipped id by spelling)."""
    close = difflib.get_close_matches(name, list(shipped), n=1, cutoff=0.6) if len(name) <= 200 else []
    listed = ", ".join(shipped) or "none"
    if close:
        return f'unknown policy "{name}"; did you mean "{close[0]}"? (not a rule file; shipped policies: {listed})'
    return f'unknown policy "{name}": not a rule file, nor a shipped policy ({listed})'


def read_stdin() -> str:
    """All of standard input as text (UTF-8, a BOM dropped)."""
    buffer = getattr(sys.stdin, "buffer", None)
    data = buffer.read() if buffer is not None else sys.stdin.read().encode("utf-8", "surrogatepass")
    return data.decode("utf-8-sig")


class Progress:
    """``[3/12] name`` on standard error, rewritten in place, for long runs; nothing at all unless
    standard error is a terminal (so logs and pipes never see it). Use as a context manager."""

    def __init__(self, total: int, *, minimum: int = 2, stream: TextIO | None = None):
        self.stream = sys.stderr if stream is None else stream
        self.total = total
        self.shown = total >= minimum and _isatty(self.stream)
        self.done = 0

    def step(self, label: str) -> None:
        self.done += 1
        if self.shown:
            self.stream.write(f"\r\x1b[K[{self.done}/{self.total}] {label[:70]}")
            self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
