"""A per-user cache of parsed rule files: the first load of a policy in a new process reads its syntax tree
instead of lexing and parsing the text again.

Lexing is what a fresh process pays most for: Lark's contextual lexer compiles one regular expression per
parser state it meets (some sixty for a shipped policy), so the first parse costs several times a warm one.
A file parsed once is kept as its pickled ``nodes.Module`` beside the grammar cache
(``$XDG_CACHE_HOME/supervisor-rules``, else ``~/.cache/supervisor-rules``), under a key that hashes the
file's text and name, the grammar, Lark's version and the source of the front end that builds the nodes
(``lang/`` and ``questions/``): a change to any of them misses, never reads a stale tree. Only files that
parse are cached; a syntax error is found afresh every time. The cache holds at most ``MAX_ENTRIES`` files
of at most ``MAX_ENTRY_BYTES`` each (the oldest go first), is written atomically, and any failure to read or
write it falls back to parsing — it can make loading faster, never different.
``SUPERVISOR_RULES_NO_CACHE=1`` turns it off (and the grammar cache with it).

The cache is as trusted as the grammar cache Lark keeps in the same folder: both are pickles, readable and
writable by the user only (the folder is made with mode 0700).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import lark

from supervisor_rules.resources import grammar_path

#: At most this many parsed files are kept; storing one more removes the least recently used.
MAX_ENTRIES = 256
#: A parsed file whose pickle is larger than this is not kept (a huge generated policy).
MAX_ENTRY_BYTES = 16 * 1024 * 1024

_PREFIX = "parsed-"


def folder() -> Path | None:
    """The per-user cache folder (made if missing), or None when caching is off or impossible."""
    if os.environ.get("SUPERVISOR_RULES_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "supervisor-rules"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return path


@functools.cache
def _front_end_digest() -> str:
    """What the syntax tree depends on besides the text: the grammar, Lark, and the code that builds nodes."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(lark.__version__.encode())
    for path in [grammar_path(), *sorted([*package.glob("lang/*.py"), *package.glob("questions/*.py")])]:
        try:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            digest.update(b"unreadable " + path.name.encode())
    return digest.hexdigest()


def _entry(text: str, source: str) -> Path | None:
    where = folder()
    if where is None:
        return None
    key = hashlib.sha256(b"\0".join((_front_end_digest().encode(), source.encode("utf-8", "surrogatepass"),
                                     text.encode("utf-8", "surrogatepass")))).hexdigest()
    return where / f"{_PREFIX}{key[:32]}.pickle"


def load(text: str, source: str):
    """The cached ``nodes.Module`` of ``text`` named ``source``, or None."""
    path = _entry(text, source)
    if path is None:
        return None
    try:
        data = path.read_bytes()
        module = pickle.loads(data)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError,
            IndexError, KeyError, MemoryError):
        return None
    try:
        os.utime(path)  # recently used: kept when the cache is pruned
    except OSError:
        pass
    return module


def store(text: str, source: str, module) -> None:
    """Keep ``module`` (parsed from ``text`` named ``source``); silently does nothing if it cannot."""
    path = _entry(text, source)
    if path is None:
        return
    try:
        data = pickle.dumps(module, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, MemoryError):
        return
    if len(data) > MAX_ENTRY_BYTES:
        return
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".parsed-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
    except OSError:
        return
    _prune(path.parent)


def _prune(where: Path) -> None:
    try:
        entries = [(entry.stat().st_mtime, entry) for entry in where.glob(f"{_PREFIX}*.pickle")]
    except OSError:
        return
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort()
    for _, old in entries[:len(entries) - MAX_ENTRIES]:
        try:
            old.unlink()
        except OSError:
            pass  # another process's prune got there first
