"""Positions: the project counts 1-based lines and columns in code points (Python ``str`` indices);
LSP counts 0-based lines and characters in code units of the encoding agreed at ``initialize`` —
UTF-16 unless the client offers another. Chinese (the Basic Multilingual Plane) is one UTF-16 unit a
character; a character outside it (an emoji, a rare character of CJK Extension B such as 𠀀) is one
code point but two UTF-16 units (and four UTF-8 bytes), so every conversion goes through here.
"""

from __future__ import annotations

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def _width(ch: str, encoding: str) -> int:
    code = ord(ch)
    if encoding == UTF32:
        return 1
    if encoding == UTF8:
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    return 2 if code > 0xFFFF else 1


def units(text: str, encoding: str = UTF16) -> int:
    """How many code units of ``encoding`` ``text`` takes."""
    if encoding == UTF32:
        return len(text)
    return sum(_width(ch, encoding) for ch in text)


def to_units(line: str, column: int, encoding: str = UTF16) -> int:
    """The offset in code units of code-point index ``column`` (0-based) of ``line``; past the end: its length."""
    return units(line[:max(0, min(column, len(line)))], encoding)


def from_units(line: str, offset: int, encoding: str = UTF16) -> int:
    """The code-point index (0-based) of the code-unit ``offset`` in ``line``. An offset inside a
    character (half a surrogate pair) is taken to that character's start; past the end: the length."""
    count = 0
    for index, ch in enumerate(line):
        width = _width(ch, encoding)
        if count + width > offset:
            return index
        count += width
    return len(line)


def lines_of(text: str) -> list[str]:
    """The lines of ``text`` as the parser counts them (at ``\\n``), each without a ``\\r`` ending."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def end_of(text: str, encoding: str = UTF16) -> tuple[int, int]:
    """The LSP position (0-based line, code units) of the end of ``text``."""
    lines = text.split("\n")
    return len(lines) - 1, units(lines[-1], encoding)
