"""Writing the command line's output: shared by ``cli`` and the modules in ``commands``."""

from __future__ import annotations

import argparse
import sys
from typing import IO


def utf8(stream: IO[str]) -> bool:
    """Whether ``stream`` encodes UTF-8 (so Chinese may be written as is, not as ``\\u`` escapes)."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    return encoding in ("utf-8", "utf8", "utf-8-sig")


def out(text: str) -> None:
    """Write ``text`` to standard output as one or more whole lines (a final newline is added if missing)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def format_of(args: argparse.Namespace) -> str:
    """The output format: ``--format`` if given, else text on a terminal and json otherwise."""
    if args.format:
        return args.format
    try:
        return "text" if sys.stdout.isatty() else "json"
    except (AttributeError, ValueError):  # a closed or exotic stream
        return "json"
