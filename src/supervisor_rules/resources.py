"""Where the grammar and the shipped policies live.

In a built wheel they are package data (``supervisor_rules/grammars``,
``supervisor_rules/policies``); in a source checkout they are the top-level
``grammars/`` and ``policies/`` folders, which the wheel build copies in.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

#: The engine's version (pyproject.toml's): ``supervisor_rules.__version__`` and a decision's
#: ``meta.engine_version``.
VERSION = "0.1.0"


def data_dir(name: str) -> Path:
    packaged = _PACKAGE / name
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"supervisor-rules is installed without its {name}/ folder")


def grammar_path() -> Path:
    return data_dir("grammars") / "policy.lark"


def policies_dir() -> Path:
    return data_dir("policies")


def path_problem(value) -> str | None:
    """Why ``value`` cannot name a file, in words (None if it can): not a str or Path, a NUL
    character, or a character the file system's encoding cannot hold (a lone surrogate)."""
    if not isinstance(value, (str, Path)):
        return type(value).__name__
    try:
        if b"\0" in os.fsencode(value):
            return "a name holding a NUL character"
    except UnicodeEncodeError:
        return "a name holding a character no file name can (a lone surrogate)"
    return None
