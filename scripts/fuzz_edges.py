#!/usr/bin/env python3
"""Fuzz every entry point at its edges: tracebacks, hangs and memory, input by input.

``scripts/fuzz_frontend.py`` holds the front end to positioned diagnostics; this
script is the wider, cruder net. Each *family* feeds one entry point hostile
input, and every input must end in one of the documented ways:

========== ==================================================================
family     entry point and what is thrown at it
========== ==================================================================
evaluate   ``Policy.evaluate`` / ``evaluate_with`` / ``evaluate_many`` /
           ``read_case`` on valid cases (``supervisor_rules.testing.sample_cases``)
           mutated: wrong types, huge ints, NaN/inf, lone surrogates, unknown and
           non-str keys, bad dates, deep / long / huge values; the decision is
           then rendered (``to_dict``, ``explain``, ``to_text``)
api_types  every public function called with arguments of the wrong type
parse      ``parse_policy`` on mutated shipped rule texts (byte/char flips,
           deletions, duplications, 5,000-digit numbers, deep parentheses, NUL,
           control and bidi characters, long names, unterminated strings, CRLF,
           BOM, hostile imports: absolute, ``..``, symlink loops, directories,
           cycles, chains, invalid UTF-8, oversized files)
load       ``load_policy`` / ``check_paths`` / ``resolve_policy`` on temp files of
           mutated *bytes* (invalid UTF-8, UTF-16, overlong forms, truncation)
format     ``tools.formatter.format_text`` on the same mutants, ``lang`` None/zh/en
tests_yaml ``tools.policytests.parse_tests`` (and ``load_tests`` / ``run_tests``)
           on hostile YAML: alias bombs, deep nesting, huge ints, tabs, binary,
           tags, merge keys, duplicate keys, several documents
batch      ``cli.main(["eval", ID, "--batch", FILE, ...])`` on temp files of
           hostile JSON Lines, with ``--jobs`` values (real worker processes for
           inputs of more than one 64 KiB block)
cli        ``cli.main(argv)`` with random commands, flags and values (huge
           numbers, ``--as-of`` edge dates, missing files, directories,
           ``--format`` / ``--examples`` / ``--jobs`` / ``--coverage-min`` values,
           ``-`` with hostile standard input); ``fmt`` only ever sees temp copies
calendar   ``WorkdayCalendar.from_mapping`` on hostile mappings, then the
           calendar's methods and an evaluation that counts working days on it
========== ==================================================================

Input *i* of family *F* is generated from ``random.Random(f"{seed}:{F}:{i}")``
alone, so ``--family F --index i`` rebuilds and reruns exactly that input.

Outcomes: ``ok`` (a result, a ``RulesError``, a documented exception of that
entry point — ``ValueError`` from ``from_mapping`` —, ``SystemExit`` or an exit
status in 0..2 with no "Traceback" on standard error); ``traceback`` (anything
else, or ``FormatError``, which the formatter documents as never expected);
``hang`` (more than ``--time-limit`` CPU seconds, or three times that of wall
time, via ``signal.setitimer``; the exception is raised inside the call).
Inputs of 64 KiB or more run under ``tracemalloc``: the peak of what the call
allocates, per MB of input, is reported per family and per size band.

    PYTHONPATH=src python scripts/fuzz_edges.py --count 100000 --jobs 2 --json report.json
    PYTHONPATH=src python scripts/fuzz_edges.py --family batch --count 500 --seed 3
    PYTHONPATH=src python scripts/fuzz_edges.py --family evaluate --index 1234   # rerun one input

Exit status 1 if any input ended in a traceback or a hang. See docs/fuzzing.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import io
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
import traceback
import types
from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
try:
    import supervisor_rules as sr
except ImportError:  # a checkout run without PYTHONPATH=src
    sys.path.insert(0, str(ROOT / "src"))
    import supervisor_rules as sr

from supervisor_rules import cli, testing  # noqa: E402
from supervisor_rules.dates.workdays import MissingCalendarYear, WorkdayCalendar, default_calendar  # noqa: E402
from supervisor_rules.tools import formatter, policytests  # noqa: E402

POLICIES = ROOT / "policies"
RULE_SOURCES = ("wuhan.rules", "guangxi.rules", "common.rules")
POLICY_IDS = ("wuhan", "guangxi")
#: Inputs at least this large run under tracemalloc.
BIG = 64 * 1024
#: Size bands of the memory report (bytes of input).
BANDS = ((BIG, 256 * 1024, "64K-256K"), (256 * 1024, 1 << 20, "256K-1M"), (1 << 20, 4 << 20, "1M-4M"),
         (4 << 20, 1 << 62, ">=4M"))
DEFAULT_LIMIT = 10.0
#: Failures kept per family in the report (all are counted).
KEEP = 20


# =========================================================================== the harness
class Hang(BaseException):
    """Raised by the timer inside the call: a BaseException, so no ``except Exception`` swallows it."""


def _on_timer(signum, frame):
    raise Hang(signum)


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise ``Hang`` inside the block after ``seconds`` of CPU time (``ITIMER_PROF``: a busy machine
    does not count) or ``3 * seconds`` of wall time (``ITIMER_REAL``: a wait that burns nothing, such as
    a blocked read or a stuck worker process, does). Main thread, POSIX only; elsewhere no limit."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old_prof = signal.signal(signal.SIGPROF, _on_timer)
    old_alrm = signal.signal(signal.SIGALRM, _on_timer)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, 3 * seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, old_prof)
        signal.signal(signal.SIGALRM, old_alrm)


@dataclasses.dataclass
class Input:
    """One generated input: ``call()`` runs it; exceptions in ``allowed`` are a documented end."""

    call: Callable[[], object]
    size: int
    desc: str
    allowed: tuple = (sr.RulesError,)
    #: exceptions that count as failures even though they are in ``allowed`` (FormatError)
    forbidden: tuple = ()


@dataclasses.dataclass
class Result:
    kind: str  # ok | traceback | hang
    seconds: float
    size: int
    peak: int | None = None  # bytes, for inputs >= BIG
    detail: str = ""


def signature(detail: str) -> str:
    """The exception and the innermost frame in supervisor_rules: what tells failures apart."""
    lines = [line for line in detail.strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else "?"
    frame = ""
    for line in lines:
        s = line.strip()
        if s.startswith("File ") and "supervisor_rules" in s:
            try:
                path = s.split('"')[1]
                lineno = s.split("line ")[1].split(",")[0]
                func = s.rsplit(" in ", 1)[1]
                frame = f" at {Path(path).name}:{lineno} in {func}"
            except IndexError:
                pass
    return (last[:160] + frame) if last else "?"


def run_input(inp: Input, limit: float) -> Result:
    """Run one input under the time limit (and tracemalloc if it is large); classify the end."""
    big = inp.size >= BIG
    peak = None
    start = time.perf_counter()
    if big:
        tracemalloc.start()
        tracemalloc.reset_peak()
    try:
        with time_limit(limit):
            value = inp.call()
        kind, detail = "ok", ""
        if isinstance(value, CliRun):
            kind, detail = value.verdict()
    except Hang:
        kind, detail = "hang", f"no answer within {limit:g} s of CPU time ({3 * limit:g} s of wall time)"
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        kind, detail = ("ok", "") if 0 <= code <= 2 else ("traceback", f"SystemExit({exc.code!r})")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - the point
        if isinstance(exc, inp.allowed) and not isinstance(exc, inp.forbidden):
            kind, detail = "ok", ""
            try:  # the error must at least be showable
                str(exc)
                for d in getattr(exc, "diagnostics", None) or ():
                    d.render()
            except Exception:  # noqa: BLE001
                kind, detail = "traceback", "the error cannot be shown:\n" + traceback.format_exc()
        else:
            kind, detail = "traceback", "".join(traceback.format_exception(exc))
    finally:
        if big:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return Result(kind, time.perf_counter() - start, inp.size, peak, detail)


@dataclasses.dataclass
class FamilyTally:
    inputs: int = 0
    ok: int = 0
    tracebacks: int = 0
    hangs: int = 0
    worst_seconds: float = 0.0
    worst_seconds_index: int = -1
    big_inputs: int = 0
    largest_mb: float = 0.0
    worst_mb_per_mb: float = 0.0
    worst_mem_index: int = -1
    worst_peak_mb: float = 0.0
    bands: dict = dataclasses.field(default_factory=dict)  # band -> [count, worst MB per MB]
    failures: list = dataclasses.field(default_factory=list)
    signatures: dict = dataclasses.field(default_factory=dict)

    def add(self, index: int, result: Result, inp_desc: str, family: str, seed: int) -> None:
        self.inputs += 1
        if result.kind == "ok":
            self.ok += 1
        elif result.kind == "hang":
            self.hangs += 1
        else:
            self.tracebacks += 1
        if result.seconds > self.worst_seconds:
            self.worst_seconds, self.worst_seconds_index = result.seconds, index
        if result.peak is not None:
            mb_in = result.size / 1e6
            ratio = (result.peak / 1e6) / mb_in
            self.big_inputs += 1
            self.largest_mb = max(self.largest_mb, mb_in)
            self.worst_peak_mb = max(self.worst_peak_mb, result.peak / 1e6)
            if ratio > self.worst_mb_per_mb:
                self.worst_mb_per_mb, self.worst_mem_index = ratio, index
            for lo, hi, name in BANDS:
                if lo <= result.size < hi:
                    band = self.bands.setdefault(name, [0, 0.0])
                    band[0] += 1
                    band[1] = max(band[1], ratio)
        if result.kind != "ok":
            sig = signature(result.detail) if result.kind == "traceback" else "hang"
            self.signatures[sig] = self.signatures.get(sig, 0) + 1
            if len(self.failures) < KEEP or self.signatures[sig] == 1:
                self.failures.append({"family": family, "index": index, "kind": result.kind, "signature": sig,
                                      "seconds": round(result.seconds, 3), "size": result.size,
                                      "input": inp_desc[:2000], "detail": result.detail[-4000:],
                                      "rerun": f"python scripts/fuzz_edges.py --family {family} --seed {seed} "
                                               f"--index {index}"})

    def merge(self, other: "FamilyTally") -> None:
        self.inputs += other.inputs
        self.ok += other.ok
        self.tracebacks += other.tracebacks
        self.hangs += other.hangs
        if other.worst_seconds > self.worst_seconds:
            self.worst_seconds, self.worst_seconds_index = other.worst_seconds, other.worst_seconds_index
        self.big_inputs += other.big_inputs
        self.largest_mb = max(self.largest_mb, other.largest_mb)
        self.worst_peak_mb = max(self.worst_peak_mb, other.worst_peak_mb)
        if other.worst_mb_per_mb > self.worst_mb_per_mb:
            self.worst_mb_per_mb, self.worst_mem_index = other.worst_mb_per_mb, other.worst_mem_index
        for name, (count, ratio) in other.bands.items():
            band = self.bands.setdefault(name, [0, 0.0])
            band[0] += count
            band[1] = max(band[1], ratio)
        for sig, n in other.signatures.items():
            self.signatures[sig] = self.signatures.get(sig, 0) + n
        self.failures.extend(other.failures)
        self.failures.sort(key=lambda f: f["index"])

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "FamilyTally":
        return cls(**data)


# =========================================================================== shared material
class Context:
    """What the generators of one process share: policies, sample cases, texts and a temp folder."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.policies = {pid: sr.builtin_policy(pid) for pid in POLICY_IDS}
        self.pool = {pid: testing.sample_cases(p, 96, seed=0) for pid, p in self.policies.items()}
        self.texts = {name: (POLICIES / name).read_text(encoding="utf-8") for name in RULE_SOURCES}
        self.yaml = {pid: (POLICIES / f"{pid}.tests.yaml").read_text(encoding="utf-8") for pid in POLICY_IDS}
        self.yaml_tests = {pid: _split_tests(text) for pid, text in self.yaml.items()}
        self.calendar = default_calendar()
        self.calendar_map = self.calendar.to_mapping()
        # The folder policies are parsed against: copies of the shipped files plus hostile neighbours.
        self.pdir = workdir / "policies"
        self.pdir.mkdir(exist_ok=True)
        for name in ("wuhan.rules", "guangxi.rules", "common.rules", "wuhan.tests.yaml", "guangxi.tests.yaml"):
            shutil.copy(POLICIES / name, self.pdir / name)
        self._hostile_neighbours()
        self.files = workdir / "files"
        self.files.mkdir(exist_ok=True)
        self.stdout_path = workdir / "stdout.bin"

    def _hostile_neighbours(self) -> None:
        d = self.pdir
        with contextlib.suppress(OSError):
            os.symlink("loop.rules", d / "loop.rules")  # a symlink loop
            os.symlink("loop_b.rules", d / "loop_a.rules")
            os.symlink("loop_a.rules", d / "loop_b.rules")
            os.symlink("/etc/hostname", d / "outside.rules")  # a symlink out of the folder
            os.symlink("missing-target.rules", d / "dangling.rules")
        (d / "dir.rules").mkdir(exist_ok=True)
        (d / "bad_utf8.rules").write_bytes(b'enum x { a }\n# \xff\xfe\xc0\xaf \xed\xa0\x80\n')
        (d / "utf16.rules").write_bytes('enum x { a }\n'.encode("utf-16"))
        (d / "empty.rules").write_bytes(b"")
        (d / "cycle_a.rules").write_text('import "cycle_b.rules"\nenum ca { x }\n', encoding="utf-8")
        (d / "cycle_b.rules").write_text('import "cycle_a.rules"\nenum cb { y }\n', encoding="utf-8")
        (d / "self.rules").write_text('import "self.rules"\n', encoding="utf-8")
        (d / "broken.rules").write_text('enum { ( "unterminated\n', encoding="utf-8")
        for k in range(40):  # a chain past MAX_IMPORTS
            (d / f"chain{k}.rules").write_text(f'import "chain{k + 1}.rules"\nenum chain_e{k} {{ v{k} }}\n',
                                                encoding="utf-8")
        (d / "chain40.rules").write_text("", encoding="utf-8")
        sub = d / "sub"
        sub.mkdir(exist_ok=True)
        (sub / "up.rules").write_text('import "../common.rules"\n', encoding="utf-8")
        # Larger than parser.MAX_SOURCE_BYTES (4 MiB), sparse where the file system allows.
        with open(d / "huge.rules", "wb") as f:
            f.truncate(4 * 1024 * 1024 + 17)

    def case(self, rng: random.Random) -> tuple[str, int, dict]:
        pid = rng.choice(POLICY_IDS)
        j = rng.randrange(len(self.pool[pid]))
        return pid, j, _copy_case(self.pool[pid][j])


def _split_tests(text: str) -> tuple[str, list[str]]:
    head, _, rest = text.partition("\ntests:\n")
    chunks = rest.split("\n  - name:")
    items = [("  - name:" + c if i else c) for i, c in enumerate(chunks)]
    return head + "\ntests:\n", [c for c in items if c.strip()]


def _copy_case(value):
    if isinstance(value, Mapping):
        return {k: _copy_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_case(v) for v in value]
    return value


def approx_size(value, cap: int = 1 << 28) -> int:
    """About how many bytes ``value`` takes as JSON (iterative: deep values are fine)."""
    total, stack, seen = 0, [value], 0
    while stack and total < cap:
        v = stack.pop()
        seen += 1
        if isinstance(v, (str, bytes, bytearray)):
            total += len(v) + 2
        elif isinstance(v, Mapping):
            total += 2
            try:
                for k, item in v.items():
                    stack.append(k)
                    stack.append(item)
            except Exception:  # noqa: BLE001 - a hostile mapping
                pass
        elif isinstance(v, (list, tuple, set, frozenset)):
            total += 2 + len(v)
            stack.extend(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            total += max(1, v.bit_length() * 30103 // 100000 + 1)
        else:
            total += 8
    return total


def lab(value) -> str:
    """A label for a key or a path step that never fails (huge ints, odd objects)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        return f"<{value.bit_length()}-bit int>"
    try:
        return short(repr(value) if not isinstance(value, str) else value, 60)
    except Exception:  # noqa: BLE001
        return f"<{type(value).__name__}>"


def short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# =========================================================================== hostile values
CHARS = ["\0", "\x01", "\x07", "\x08", "\t", "\x0b", "\x0c", "\r", "\x1b", "\x7f", "\x85", "\xa0", "\u2028",
         "\u2029", "\u202e", "\u202d", "\u2066", "\u2069", "\u200b", "\u200f", "\u061c", "\ufeff", "\ufffd",
         "\uffff", "\ud800", "\udfff", "\udcff", "\U0010ffff", "\U0001f600", "\u3000", "（", "）", "“", "”", "「",
         "」", "#", '"', "\\", "{", "}", "(", ")", "[", "]", ":", "：", ",", "，", "=", ".", "。", "é", "e\u0301",
         "\u0300", "\n", " ", "\u00ad", "\ue000", "𠀀"]

BAD_DATES = ["2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "0000-01-01", "0001-01-01", "9999-12-31",
             "1899-12-31", "1900-01-01", "2999-12-31", "3000-01-01", "2024-1-1", "２０２４-01-01", "2024-01-01T00:00",
             "20240101", "+2024-01-01", " 2024-01-01", "2024-01-01\n", "2024-01-01\x00", "2024/01/01", "",
             "2024-W01-1", "2024-001", "99999-01-01", "-2024-01-01", "2024-02-29", "2000-02-29", "1900-02-29",
             "2024-01-0\ud800", "٢٠٢٤-٠١-٠١"]


def hostile_date(rng: random.Random):
    r = rng.random()
    if r < 0.6:
        d = rng.choice(BAD_DATES)
        return d, repr(d)
    options = [(dt.date.min, "dt.date.min"), (dt.date.max, "dt.date.max"), (dt.date(1900, 1, 1), "dt.date(1900,1,1)"),
               (dt.date(2999, 12, 31), "dt.date(2999,12,31)"), (dt.datetime(2024, 1, 1, 12), "dt.datetime(2024,1,1,12)"),
               (20240101, "20240101"), (2024.0, "2024.0"), (None, "None"), (["2024-01-01"], "['2024-01-01']"),
               (b"2024-01-01", "b'2024-01-01'"), (dt.time(1, 2), "dt.time(1,2)"), (math.nan, "nan")]
    return rng.choice(options)


def huge_int(rng: random.Random):
    n = rng.choice([19, 20, 64, 309, 400, 4300, 4301, 5000])
    sign = rng.choice([1, -1])
    return sign * 10 ** n, f"{'-' if sign < 0 else ''}10**{n}"


def deep(rng: random.Random, kind: str | None = None, n: int | None = None):
    n = n or rng.choice([50, 200, 1000, 5000, 100_000])
    kind = kind or rng.choice(["list", "dict"])
    v: object = True
    for _ in range(n):
        v = [v] if kind == "list" else {"k": v}
    return v, f"<{kind} nested {n} deep>"


def hostile_scalar(rng: random.Random):
    options = [
        lambda: (None, "None"), lambda: (True, "True"), lambda: (False, "False"), lambda: (0, "0"), lambda: (-1, "-1"),
        lambda: (1, "1"), lambda: huge_int(rng), lambda: (math.nan, "nan"), lambda: (math.inf, "inf"),
        lambda: (-math.inf, "-inf"), lambda: (-0.0, "-0.0"), lambda: (1e308, "1e308"), lambda: (5e-324, "5e-324"),
        lambda: (0.5, "0.5"), lambda: ("", "''"), lambda: ("true", "'true'"), lambda: ("yes", "'yes'"),
        lambda: ("\ud800", "'\\ud800'"), lambda: ("a\x00b", "'a\\x00b'"), lambda: ("\u202eabc", "'\\u202eabc'"),
        lambda: ("\ufeff", "'\\ufeff'"), lambda: (rng.choice(CHARS) * rng.randint(1, 50), "<hostile chars>"),
        lambda: hostile_date(rng), lambda: (b"\xff\xfe", "b'\\xff\\xfe'"), lambda: (bytearray(b"x"), "bytearray(b'x')"),
        lambda: (object(), "object()"), lambda: (Decimal("NaN"), "Decimal('NaN')"), lambda: (Decimal("1e999999"), "Decimal('1e999999')"),
        lambda: (1j, "1j"), lambda: (set(), "set()"), lambda: (frozenset({1}), "frozenset({1})"),
        lambda: ((), "()"), lambda: ((1, 2), "(1, 2)"), lambda: ([], "[]"), lambda: ({}, "{}"),
        lambda: ([None], "[None]"), lambda: ({"": None}, "{'': None}"), lambda: (range(3), "range(3)"),
        lambda: (type, "type"), lambda: (print, "print"), lambda: (..., "Ellipsis"),
        lambda: (types.MappingProxyType({}), "MappingProxyType({})"), lambda: (OrderedDict(), "OrderedDict()"),
        lambda: ("x" * rng.choice([41, 1000, 60_000]), "'x' * N"), lambda: (Path("x"), "Path('x')"),
    ]
    return rng.choice(options)()


def hostile_value(rng: random.Random):
    r = rng.random()
    if r < 0.8:
        return hostile_scalar(rng)
    if r < 0.9:
        v, label = hostile_scalar(rng)
        n = rng.choice([1, 2, 3, 10, 10_000, 10_001])
        return [v] * n, f"[{label}] * {n}"
    if r < 0.96:
        return deep(rng)
    k, kl = hostile_key(rng)
    v, vl = hostile_scalar(rng)
    return {k: v}, f"{{{kl}: {vl}}}"


def hostile_key(rng: random.Random):
    options = [("", "''"), ("\ud800", "'\\ud800'"), ("a\x00", "'a\\x00'"), ("x" * 10_000, "'x'*10000"),
               ("as_of ", "'as_of '"), ("AS_OF", "'AS_OF'"), ("person\u200b", "'person\\u200b'"),
               ("__proto__", "'__proto__'"), ("constructor", "'constructor'"), ("person.honest", "'person.honest'"),
               ("ｐｅｒｓｏｎ", "'ｐｅｒｓｏｎ'"), (1, "1"), (None, "None"), (True, "True"), ((1, 2), "(1, 2)"),
               (b"person", "b'person'"), (1.5, "1.5"), (math.nan, "nan"), (10 ** 5000, "10**5000"),
               (frozenset(), "frozenset()"), ("\u202e", "'\\u202e'"), ("policy", "'policy'"), ("facts", "'facts'")]
    return rng.choice(options)


# =========================================================================== family: evaluate
def _paths(value, prefix=()):
    """Every (container, key) path of a case, walking at most three levels."""
    out = []
    stack = [(value, prefix)]
    while stack:
        v, p = stack.pop()
        if len(p) >= 4:
            continue
        if isinstance(v, dict):
            for k, item in v.items():
                out.append((v, k, p + (k,)))
                stack.append((item, p + (k,)))
        elif isinstance(v, list):
            for k, item in enumerate(v):
                out.append((v, k, p + (k,)))
                stack.append((item, p + (k,)))
    return out


def _mutate_case(rng: random.Random, case: dict, notes: list) -> object:
    for _ in range(rng.randint(1, 4)):
        paths = _paths(case)
        op = rng.random()
        if op < 0.5 and paths:
            container, key, p = rng.choice(paths)
            v, label = hostile_value(rng)
            container[key] = v
            notes.append(f"set {'.'.join(map(lab, p))} = {label}")
        elif op < 0.65:
            dicts = [case] + [c[k] for c, k, _ in paths if isinstance(c[k], dict)]
            target = rng.choice(dicts)
            k, kl = hostile_key(rng)
            v, vl = hostile_value(rng)
            target[k] = v
            notes.append(f"add key {kl} = {vl}")
        elif op < 0.75 and paths:
            container, key, p = rng.choice(paths)
            if isinstance(container, dict):
                del container[key]
                notes.append(f"delete {'.'.join(map(lab, p))}")
        elif op < 0.9:
            v, label = hostile_date(rng)
            case["as_of"] = v
            notes.append(f"as_of = {label}")
        else:
            section = rng.choice(["person", "appointment", "conduct", "activity", "report", "Person", "persn"])
            v, label = hostile_value(rng)
            case[section] = v
            notes.append(f"section {section} = {label}")
    r = rng.random()
    if r < 0.03:
        v, label = hostile_value(rng)
        notes.append(f"the whole case = {label}")
        return v
    if r < 0.05:
        notes.append("case wrapped in MappingProxyType")
        return types.MappingProxyType(case)
    if r < 0.07:
        notes.append("case as an OrderedDict")
        return OrderedDict(case)
    return case


def _large_case(rng: random.Random, case: dict, notes: list) -> dict:
    kind = rng.choice(["text", "list", "keys", "deep", "key"])
    n = rng.choice([70_000, 300_000, 1_200_000, 4_500_000])
    if kind == "text":
        section = case.setdefault("appointment", {}) if isinstance(case.get("appointment"), dict) else {}
        case["appointment"] = section
        section["recommended_by"] = rng.choice(["x", "监", "\ud800", "\u202e"]) * n
        notes.append(f"appointment.recommended_by = <{n}-char text>")
    elif kind == "list":
        m = max(10_001, n // 8)
        section = case.get("conduct") if isinstance(case.get("conduct"), dict) else {}
        case["conduct"] = section
        section["violations"] = [rng.choice(["x", "fraud", None, 1])] * m
        notes.append(f"conduct.violations = <list of {m}>")
    elif kind == "keys":
        m = n // 12
        section = case.get("person") if isinstance(case.get("person"), dict) else {}
        case["person"] = section
        for k in range(m):
            section[f"unknown_{k}"] = k
        notes.append(f"person gets {m} unknown keys")
    elif kind == "deep":
        v, label = deep(rng, n=n // 4)
        case["person"] = v
        notes.append(f"person = {label}")
    else:
        case["x" * n] = True
        notes.append(f"an unknown section named {n} x's")
    return case


def gen_evaluate(rng: random.Random, ctx: Context) -> Input:
    pid, j, case = ctx.case(rng)
    policy = ctx.policies[pid]
    notes = [f"case = testing.sample_cases(sr.builtin_policy({pid!r}), 96, seed=0)[{j}]"]
    if rng.random() < 0.02:
        case = _large_case(rng, case, notes)
    case = _mutate_case(rng, case, notes)
    as_of, as_label = (None, "None")
    if rng.random() < 0.25:
        as_of, as_label = hostile_date(rng) if rng.random() < 0.8 else ("2024-01-10", "'2024-01-10'")
    how = rng.random()
    backend = rng.choice(["generated", "interpreter", "reference", "", "GENERATED", None, 1])

    def call():
        if how < 0.7:
            d = policy.evaluate(case, as_of=as_of)
        elif how < 0.82:
            d = policy.evaluate_with(backend, case, as_of=as_of)
        elif how < 0.94:
            ds = list(policy.evaluate_many([case, case] if how < 0.88 else (c for c in [case]), as_of=as_of))
            d = ds[-1]
        else:
            return policy.read_case(case, as_of)
        json.dumps(d.to_dict(), ensure_ascii=False)
        d.explain()
        return d.to_text(explain=True)

    call_desc = ("evaluate" if how < 0.7 else f"evaluate_with({backend!r})" if how < 0.82
                 else "evaluate_many" if how < 0.94 else "read_case")
    desc = "; ".join(notes) + f"; policy.{call_desc}(case, as_of={as_label}) then to_dict/explain/to_text"
    return Input(call, approx_size(case), desc)


# =========================================================================== family: api_types
class _Str(str):
    pass


def type_value(rng: random.Random, ctx: Context):
    options = [
        (None, "None"), (0, "0"), (-1, "-1"), (1.5, "1.5"), (math.nan, "nan"), (math.inf, "inf"), (True, "True"),
        (b"wuhan", "b'wuhan'"), (bytearray(b"x"), "bytearray(b'x')"), (memoryview(b"x"), "memoryview(b'x')"),
        ([], "[]"), (["wuhan"], "['wuhan']"), ([1, None], "[1, None]"), ({}, "{}"), ({"a": 1}, "{'a': 1}"),
        (set(), "set()"), (frozenset({"wuhan"}), "frozenset({'wuhan'})"), (object(), "object()"),
        (Path("wuhan"), "Path('wuhan')"), ("a\0b", "'a\\0b'"), ("\ud800", "'\\ud800'"), ("", "''"),
        ("\udcff.rules", "'\\udcff.rules'"), ("x" * 5000, "'x'*5000"), ("x" * 300 + ".rules", "'x'*300+'.rules'"),
        (10 ** 100, "10**100"), (10 ** 5000, "10**5000"), (dt.date(2024, 1, 1), "dt.date(2024,1,1)"),
        (dt.datetime(2024, 1, 1, 1), "dt.datetime(2024,1,1,1)"), (ctx.policies["wuhan"], "sr.builtin_policy('wuhan')"),
        (ctx.calendar, "default_calendar()"), (..., "Ellipsis"), (int, "int"), (print, "print"), (1j, "1j"),
        (Decimal("1"), "Decimal('1')"), (_Str("wuhan"), "_Str('wuhan')"), (("wuhan",), "('wuhan',)"),
        (range(3), "range(3)"), (types.MappingProxyType({}), "MappingProxyType({})"), (".", "'.'"), ("/", "'/'"),
        (str(ctx.pdir), "'<tmp>/policies'"), (str(ctx.pdir / "dir.rules"), "'<tmp>/dir.rules'"),
        (str(ctx.pdir / "loop.rules"), "'<tmp>/loop.rules'"), (str(ctx.pdir / "huge.rules"), "'<tmp>/huge.rules'"),
        (str(ctx.pdir / "bad_utf8.rules"), "'<tmp>/bad_utf8.rules'"), ("nonexistent.rules", "'nonexistent.rules'"),
        ("wuhan.tests.yaml", "'wuhan.tests.yaml'"), ("../wuhan", "'../wuhan'"), ("Wuhan", "'Wuhan'"),
        (str(ctx.pdir / ("n" * 300 + ".rules")), "'<tmp>/' + 'n'*300 + '.rules'"),
    ]
    if rng.random() < 0.1:
        return (x for x in ["wuhan", 1]), "<generator of 'wuhan', 1>"
    return rng.choice(options)


def _targets(ctx: Context):
    p = ctx.policies["wuhan"]
    text = ctx.texts["wuhan.rules"]
    good_case = ctx.pool["wuhan"][0]
    mapping = {"source": "x", "years": [2027], "holidays": ["2027-01-01"], "adjusted_workdays": []}
    yaml_text = "policy: wuhan\ntests: []\n"
    return [
        ("parse_policy", sr.parse_policy, [text, "fuzz.rules"], {"base_dir": str(ctx.pdir), "calendar": None}, ()),
        ("load_policy", sr.load_policy, [str(ctx.pdir / "wuhan.rules")], {"calendar": None}, ()),
        ("builtin_policy", sr.builtin_policy, ["wuhan"], {"calendar": None}, ()),
        ("resolve_policy", sr.resolve_policy, ["wuhan"], {}, ()),
        ("check_paths", sr.check_paths, [["wuhan"]], {}, ()),
        ("Policy.evaluate", p.evaluate, [good_case], {"as_of": None}, ()),
        ("Policy.evaluate_many", lambda *a, **k: list(p.evaluate_many(*a, **k)), [[good_case]], {"as_of": None}, ()),
        ("Policy.evaluate_with", p.evaluate_with, ["interpreter", good_case], {"as_of": None}, ()),
        ("Policy.read_case", p.read_case, [good_case, None], {}, ()),
        ("Policy.with_calendar", p.with_calendar, [ctx.calendar], {}, ()),
        ("format_text", formatter.format_text, [text], {"lang": None, "source": "<string>"}, ("lang",)),
        ("is_formatted", formatter.is_formatted, [text], {"lang": None, "source": "<string>"}, ("lang",)),
        ("parse_tests", policytests.parse_tests, [yaml_text, "<tests>"], {}, ()),
        ("load_tests", policytests.load_tests, [str(ctx.pdir / "wuhan.tests.yaml")], {}, ()),
        ("run_tests", policytests.run_tests, [p, policytests.parse_tests(yaml_text)], {"backend": "generated"}, ()),
        ("WorkdayCalendar.from_mapping", WorkdayCalendar.from_mapping, [mapping], {}, ("*",)),
        ("cli.main", None, [["schema", "wuhan"]], {}, ()),
    ]


def gen_api_types(rng: random.Random, ctx: Context) -> Input:
    name, fn, args, kwargs, value_error_ok = rng.choice(_targets(ctx))
    args, kwargs = list(args), dict(kwargs)
    slots = [("arg", i) for i in range(len(args))] + [("kw", k) for k in kwargs]
    changed, labels = set(), []
    for _ in range(1 if rng.random() < 0.8 else 2):
        where, key = rng.choice(slots)
        v, label = type_value(rng, ctx)
        if name == "cli.main":
            # argv is a sequence of str: give it every shape of one (a str, a tuple, a generator, odd strs)
            v, label = rng.choice([("schema", "'schema'"), (("schema", "wuhan"), "('schema', 'wuhan')"),
                                   ((x for x in ["schema", "wuhan"]), "<generator>"), ([], "[]"),
                                   (["\ud800"], "['\\ud800']"), (["schema", "a\0b"], "['schema', 'a\\0b']"),
                                   (["schema", "x" * 5000], "['schema', 'x'*5000]"),
                                   (["eval", "wuhan", "\udcff"], "['eval', 'wuhan', '\\udcff']"),
                                   ([_Str("schema"), _Str("wuhan")], "[_Str('schema'), _Str('wuhan')]")])
        if where == "arg":
            args[key] = v
        else:
            kwargs[key] = v
        changed.add(key)
        labels.append(f"{key if where == 'kw' else 'arg' + str(key)}={label}")
    allowed: tuple = (sr.RulesError,)
    if "*" in value_error_ok or changed & set(value_error_ok):
        allowed += (ValueError,)  # documented: from_mapping and format_text's lang raise ValueError

    def call():
        if name == "cli.main":
            return cli_call(ctx, args[0])
        return fn(*args, **kwargs)

    return Input(call, 64, f"{name} with {', '.join(labels)}", allowed)


# =========================================================================== families: parse / load / format
HOSTILE_IMPORTS = ['import "/etc/passwd.rules"', 'import "../common.rules"', 'import "../../x.rules"',
                   'import "loop.rules"', 'import "loop_a.rules"', 'import "dir.rules"', 'import "outside.rules"',
                   'import "dangling.rules"', 'import "bad_utf8.rules"', 'import "utf16.rules"',
                   'import "empty.rules"', 'import "cycle_a.rules"', 'import "self.rules"', 'import "fuzz.rules"',
                   'import "broken.rules"', 'import "chain0.rules"', 'import "huge.rules"', 'import "sub/up.rules"',
                   'import "wuhan.rules"', 'import "~/x.rules"', 'import "C:\\\\x.rules"', 'import "\\\\srv\\\\x.rules"',
                   'import "' + "n" * 5000 + '.rules"', 'import "' + "d/" * 3000 + 'x.rules"',
                   'import "a\\u0000.rules"', 'import "a\0.rules"', 'import "common.rules"', 'import "COMMON.rules"',
                   'import "common.rules "', 'import ""', 'import "."', 'import "common"', '引用 "../common.rules"',
                   '引用 "loop.rules"', 'import "common.rules"\n' * 40, 'import "\ud800.rules"',
                   'import "./././common.rules"', 'import "sub/../common.rules"']


def hostile_token(rng: random.Random) -> tuple[str, str]:
    r = rng.randrange(14)
    if r == 0:
        n = rng.choice([10, 19, 100, 4300, 4301, 5000])
        return "9" * n, f"'9'*{n}"
    if r == 1:
        n = rng.choice([50, 99, 100, 101, 1000, 5000, 50_000])
        inner = rng.choice(["person.honest", "true", "", "1"])
        closing = ")" * n if rng.random() < 0.7 else ""
        return "(" * n + inner + closing, f"'('*{n} + {inner!r} + {'closing' if closing else 'unclosed'}"
    if r == 2:
        n = rng.choice([50, 101, 1000, 20_000])
        word = rng.choice(["not ", "非 ", "- ", "[", "{", "and ", "或 "])
        return word * n + "person.honest", f"{word!r}*{n} + 'person.honest'"
    if r == 3:
        c = rng.choice(CHARS)
        n = rng.choice([1, 1, 2, 10, 1000])
        return c * n, f"{c!r}*{n}"
    if r == 4:
        n = rng.choice([100, 1000, 10_000, 70_000])
        c = rng.choice(["a", "甲", "_", "é", "ａ"])
        return c * n, f"{c!r}*{n}"
    if r == 5:
        t = rng.choice(['"abc', '"', '「abc', '"\\', '"""', "'x", '"a\nb"', '"\\u', '"\\x', '」', '"' + "x" * 10_000])
        return t, repr(short(t, 40))
    if r == 6:
        t = rng.choice(HOSTILE_IMPORTS)
        return "\n" + t + "\n", repr(short(t, 60))
    if r == 7:
        t = rng.choice(BAD_DATES[:12])
        return t, repr(t)
    if r == 8:
        t = rng.choice(["第" + "一" * 1000 + "条", "article 99999999999", "第九千九百九十九条", "chapter 0", "第零章",
                        "article -1", "(" + "9" * 500 + ")", "第（" + "一" * 300 + "）项", "paragraph 4294967296",
                        "第一条第一条第一条", "article 1(1)(1)(1)", "１２３", "一百万亿亿", "0x1F", "1e999", "1_000"])
        return t, repr(short(t, 40))
    if r == 9:
        t = rng.choice(["policy x", "办法 x", "facts person {", "事实", "enum e {", "}", "{", "record r {",
                        "invariant", "when", "当", "require", "unless", "within 10 working days", "#", "//", "/*"])
        return t, repr(t)
    if r == 10:
        n = rng.choice([100, 1000, 5000])
        return "  " * n + "x", f"indent {2 * n}"
    if r == 11:
        return "\t", "'\\t'"
    if r == 12:
        return rng.choice(["\r", "\r\n", "\n\r", "\x85", "\u2028"]), "<line break>"
    t = "".join(rng.choice(CHARS) for _ in range(rng.randint(1, 8)))
    return t, repr(t)


def mutate_text(rng: random.Random, text: str, notes: list, *, allow_large: bool = True) -> str:
    if allow_large and rng.random() < 0.015:
        kind = rng.choice(["repeat", "ident", "over", "lines"])
        if kind == "repeat":
            target = rng.choice([80_000, 400_000, 1_500_000])
            body = text[text.find("\n第") if "\n第" in text else 0:]
            text = text + body * max(1, target // max(1, len(body)))
            notes.append(f"articles repeated to {len(text)} chars")
        elif kind == "ident":
            n = rng.choice([70_000, 500_000, 2_000_000])
            pos = rng.randrange(len(text) + 1)
            text = text[:pos] + "a" * n + text[pos:]
            notes.append(f"{n} 'a's at {pos}")
        elif kind == "over":
            text = text + "#" * (4 * 1024 * 1024 + 10) + "\n"
            notes.append("a comment past 4 MiB")
        else:
            text = text + "\n" * rng.choice([70_000, 1_000_000])
            notes.append("many blank lines")
        return text
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(12)
        n = len(text)
        pos = rng.randrange(n + 1)
        if op == 0 and n:
            c = rng.choice(CHARS) if rng.random() < 0.7 else chr(rng.randrange(0x20, 0x3000))
            text = text[:pos] + c + text[pos + 1:]
            notes.append(f"char at {pos} -> {c!r}")
        elif op == 1 and n:
            k = rng.choice([1, 1, 2, 5, 20, 200, 2000])
            text = text[:pos] + text[pos + k:]
            notes.append(f"delete {k} at {pos}")
        elif op == 2 and n:
            k = rng.choice([1, 5, 30, 300, 3000])
            text = text[:pos] + text[pos:pos + k] + text[pos:]
            notes.append(f"duplicate {k} at {pos}")
        elif op in (3, 4, 5):
            # hostile tokens mostly at a token boundary, so that the parser gets past them
            spaces = [i for i in range(max(0, pos - 200), min(n, pos + 200)) if text[i] in " \n"]
            if spaces and rng.random() < 0.8:
                pos = rng.choice(spaces) + 1
            tok, label = hostile_token(rng)
            text = text[:pos] + tok + " " + text[pos:]
            notes.append(f"insert {label} at {pos}")
        elif op == 6:
            text = text.replace("\n", rng.choice(["\r\n", "\r"]))
            notes.append("line ends -> CRLF/CR")
        elif op == 7:
            text = rng.choice(["\ufeff", "\ufeff\ufeff", "\u200b", "\0"]) + text
            notes.append("BOM/ZWSP/NUL prefix")
        elif op == 8 and n:
            text = text[:pos]
            notes.append(f"truncate at {pos}")
        elif op == 9:
            lines = text.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            what = rng.randrange(3)
            if what == 0:
                del lines[i]
            elif what == 1:
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
            notes.append(f"line op {what} on {i},{j}")
        elif op == 10:
            text = text.replace("  ", rng.choice(["\t", "\u3000", " \t", "   "]), rng.randint(1, 50))
            notes.append("indentation changed")
        else:
            t = rng.choice(HOSTILE_IMPORTS)
            i = text.find("\n\n", text.find("引用") if "引用" in text else 0)
            text = text[:i + 1] + t + "\n" + text[i + 1:] if i >= 0 else t + "\n" + text
            notes.append(f"import line {short(t, 60)!r}")
    return text


def source_text(rng: random.Random, ctx: Context, notes: list) -> str:
    name = rng.choices(RULE_SOURCES, weights=(5, 5, 1))[0]
    text = ctx.texts[name]
    if name != "common.rules" and rng.random() < 0.4:
        # a window: the header and facts, then a slice of the articles (cheaper, and mutations reach the checker)
        cut = text.find("\n第")
        cut = cut if cut > 0 else len(text) // 3
        start = rng.randrange(cut, len(text))
        start = text.find("\n第", start)
        start = start if start > 0 else cut
        end = text.find("\n第", start + 1 + rng.randrange(1, 3000))
        text = text[:cut] + text[start:end if end > 0 else len(text)]
        notes.append(f"window of {name}: [:{cut}] + [{start}:{end}]")
    else:
        notes.append(f"whole {name}")
    return text


def gen_parse(rng: random.Random, ctx: Context) -> Input:
    notes: list = []
    text = mutate_text(rng, source_text(rng, ctx, notes), notes)
    base = str(ctx.pdir)
    size = len(text.encode("utf-8", "surrogatepass"))
    return Input(lambda: sr.parse_policy(text, "fuzz.rules", base_dir=base), size,
                 f"sr.parse_policy(text, 'fuzz.rules', base_dir=<policies copy>); text = {'; '.join(notes)}")


def mutate_bytes(rng: random.Random, data: bytes, notes: list) -> bytes:
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(8)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            b = rng.choice([0x80, 0xbf, 0xc0, 0xc1, 0xe0, 0xed, 0xf4, 0xf5, 0xfe, 0xff, 0x00])
            data = data[:pos] + bytes([b]) + data[pos + 1:]
            notes.append(f"byte at {pos} -> {b:#x}")
        elif op == 1 and data:
            data = bytes(x ^ (1 << rng.randrange(8)) if i == pos else x for i, x in enumerate(data))
            notes.append(f"bit flip at {pos}")
        elif op == 2:
            seq = rng.choice([b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe4\xb8", b"\xff\xfe", b"\x00",
                              b"\xef\xbb\xbf", b"\r", b"\xe2\x80\xae"])
            data = data[:pos] + seq + data[pos:]
            notes.append(f"insert {seq!r} at {pos}")
        elif op == 3 and data:
            data = data[:pos]
            notes.append(f"truncate at {pos}")
        elif op == 4:
            data = b"\xef\xbb\xbf" + data
            notes.append("UTF-8 BOM")
        elif op == 5:
            data = data.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-16-le", "utf-32", "gb18030"]),
                                                         "replace")
            notes.append("re-encoded")
        elif op == 6:
            data = data.replace(b"\n", b"\r\n")
            notes.append("CRLF")
        else:
            data = data.decode("utf-8", "replace").encode("latin-1", "replace")
            notes.append("latin-1")
    return data


def gen_load(rng: random.Random, ctx: Context, index: int = 0) -> Input:
    notes: list = []
    text = source_text(rng, ctx, notes)
    if rng.random() < 0.5:
        text = mutate_text(rng, text, notes)
    data = mutate_bytes(rng, text.encode("utf-8", "surrogatepass"), notes)
    how = rng.random()
    path = ctx.pdir / f"fuzz{index}.rules"

    def call():
        path.write_bytes(data)
        try:
            if how < 0.6:
                return sr.load_policy(path)
            if how < 0.85:
                return sr.check_paths([str(path), "wuhan", str(ctx.pdir / "dir.rules"), str(ctx.pdir / "loop.rules")])
            return sr.resolve_policy(str(path))
        finally:
            path.unlink()

    what = "load_policy" if how < 0.6 else "check_paths" if how < 0.85 else "resolve_policy"
    return Input(call, len(data), f"sr.{what}(<tmp file>) with bytes = {'; '.join(notes)}")


def gen_format(rng: random.Random, ctx: Context) -> Input:
    notes: list = []
    text = mutate_text(rng, source_text(rng, ctx, notes), notes) if rng.random() < 0.85 else \
        source_text(rng, ctx, notes)
    lang = rng.choice([None, None, "zh", "en"])
    size = len(text.encode("utf-8", "surrogatepass"))
    return Input(lambda: formatter.format_text(text, lang=lang), size,
                 f"formatter.format_text(text, lang={lang!r}); text = {'; '.join(notes)}",
                 allowed=(sr.RulesError,), forbidden=(formatter.FormatError,))


# =========================================================================== family: tests_yaml
YAML_BITS = [
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    "x: !!python/object/apply:os.system ['echo pwned']\n", "x: !!binary aGVsbG8=\n", "x: !!set {a, b}\n",
    "x: !!timestamp 2024-01-01\n", "x: !!float .nan\n", "x: !custom tag\n", "x: .inf\n", "x: -.inf\n", "x: 0x1F\n",
    "x: 0o17\n", "x: 1_000\n", "x: 2024-01-01 10:00:00\n", "x: ~\n", "? [a, b]\n: c\n", "<<: {a: 1}\n",
    "---\n", "...\n", "%YAML 1.1\n---\n", "%TAG ! tag:x,2000:\n---\n", "x: |\n  a\n  b\n", "x: >-\n  a\n",
    "x: 'unterminated\n", 'x: "\\ud800"\n', 'x: "\\x00"\n', "x: *undefined\n", "&a x: 1\n", "x: [1, 2\n",
    "x: {a: 1\n", "\t- x\n", "x:\ty\n", "- - - - x\n", "x: 1\nx: 2\n", "policy: wuhan\npolicy: guangxi\n",
    "tests: !!map {}\n", "%YAML 9.9\n---\n",
]


def yaml_token(rng: random.Random) -> tuple[str, str]:
    r = rng.randrange(8)
    if r == 0:
        n = rng.choice([18, 19, 100, 4300, 5000])
        return "9" * n, f"'9'*{n}"
    if r == 1:
        n = rng.choice([150, 199, 200, 201, 1000, 30_000])
        b = rng.choice(["[", "{a: ", "{"])
        close = {"[": "]", "{a: ": "}", "{": "}"}[b]
        return b * n + "x" + close * n, f"{b!r}*{n} + 'x' + closing"
    if r == 2:
        n = rng.choice([150, 201, 1000])
        return "".join("\n" + "  " * k + "- " for k in range(n)) + "x", f"block sequence {n} deep"
    if r == 3:
        b = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))).decode("latin-1")
        return b, "<random bytes as latin-1>"
    if r == 4:
        c = rng.choice(CHARS)
        return c * rng.choice([1, 3, 100]), repr(c)
    if r == 5:
        return rng.choice(YAML_BITS), "<yaml construct>"
    if r == 6:
        v = rng.choice(["null", "true", "[]", "{}", "''", "\"\"", ".nan", "-1", "2024-02-30", "'2024-02-30'", "*a",
                        "&a b", "!!str 1", "1e999", "0b101", "yes", "no", "on", "~", "[null]", "{case: {}}"])
        return v, repr(v)
    return "\t", "'\\t'"


def gen_tests_yaml(rng: random.Random, ctx: Context, index: int = 0) -> Input:
    pid = rng.choice(POLICY_IDS)
    head, items = ctx.yaml_tests[pid]
    k = rng.randint(0, 3)
    start = rng.randrange(len(items))
    chosen = items[start:start + k]
    text = head + "\n".join(chosen) + "\n"
    notes = [f"{pid}.tests.yaml head + tests[{start}:{start + k}]"]
    if rng.random() < 0.015:
        n = rng.choice([70_000, 600_000, 3_000_000])
        text = text.replace('name: "', 'name: "' + "x" * n, 1) if chosen else text + "# " + "x" * n + "\n"
        notes.append(f"{n}-char string")
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        lines = text.split("\n")
        if r < 0.45:
            i = rng.randrange(len(lines))
            tok, label = yaml_token(rng)
            line = lines[i]
            if ":" in line and rng.random() < 0.7:
                key = line.split(":", 1)[0]
                lines[i] = key + ": " + tok
            else:
                p = rng.randrange(len(line) + 1)
                lines[i] = line[:p] + tok + line[p:]
            notes.append(f"line {i}: {label}")
        elif r < 0.6:
            tok, label = yaml_token(rng)
            lines.insert(rng.randrange(len(lines) + 1), tok)
            notes.append(f"insert line {label}")
        elif r < 0.7:
            i = rng.randrange(len(lines))
            del lines[i]
            notes.append(f"delete line {i}")
        elif r < 0.8:
            lines = [ln.replace("  ", "\t", 1) if rng.random() < 0.2 else ln for ln in lines]
            notes.append("tabs")
        elif r < 0.88:
            text2 = "\n".join(lines)
            p = rng.randrange(len(text2) + 1)
            lines = text2[:p].split("\n")
            notes.append(f"truncate at {p}")
        elif r < 0.95:
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            notes.append(f"duplicate line {i}")
        else:
            v = rng.choice(["", "[]", "- a\n- b", "42", "~", "---\n---", "policy: [wuhan]", "policy: wuhan\ntests: 5",
                            "policy: wuhan\ntests:\n  - 5", "policy: wuhan\ntests:\n  - {}", "\ufeffpolicy: wuhan"])
            lines = v.split("\n")
            notes.append(f"whole text {v!r}")
        text = "\n".join(lines)
    how = rng.random()
    path = ctx.files / f"t{index}.tests.yaml"

    def call():
        if how < 0.15:
            data = text.encode("utf-8", "surrogatepass")
            if rng_bytes < 0.3:
                data = data[: len(data) // 2] + b"\xff" + data[len(data) // 2:]
            elif rng_bytes < 0.5:
                data = text.encode("utf-16", "surrogatepass")
            path.write_bytes(data)
            try:
                tf = policytests.load_tests(path)
            finally:
                path.unlink()
        else:
            tf = policytests.parse_tests(text, "fuzz.tests.yaml")
        if how > 0.6:
            result = policytests.run_tests(ctx.policies[pid], tf)
            policytests.diagnostics(result)
        return tf

    rng_bytes = rng.random()
    what = "load_tests(<tmp file>)" if how < 0.15 else "parse_tests(text)"
    size = len(text.encode("utf-8", "surrogatepass"))
    return Input(call, size, f"policytests.{what}{' then run_tests' if how > 0.6 else ''}; text = {'; '.join(notes)}")


# =========================================================================== CLI capture
@dataclasses.dataclass
class CliRun:
    status: object
    stdout_size: int
    stderr: str

    def verdict(self) -> tuple[str, str]:
        if not isinstance(self.status, int) or isinstance(self.status, bool) or not 0 <= self.status <= 2:
            return "traceback", f"exit status {self.status!r}\n{self.stderr[-3000:]}"
        if "Traceback" in self.stderr:
            return "traceback", self.stderr[-4000:]
        return "ok", ""


@contextlib.contextmanager
def captured(ctx: Context, stdin: bytes):
    """Standard input from ``stdin``; standard output to a file (not memory: a batch's output can be
    large, and must not count as the engine's memory); standard error to memory."""
    saved = sys.stdin, sys.stdout, sys.stderr
    out_file = open(ctx.stdout_path, "w+b")  # noqa: SIM115
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out_file, encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    ctx._captured = (out_file, sys.stdout, sys.stderr)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        ctx._stderr_bytes = sys.stderr.buffer.getvalue()
        ctx._stdout_size = out_file.tell()
        with contextlib.suppress(Exception):
            sys.stdout.detach()
        out_file.close()
        sys.stdin, sys.stdout, sys.stderr = saved


def cli_call(ctx: Context, argv: list, stdin: bytes = b"") -> CliRun:
    with captured(ctx, stdin):
        status = cli.main(argv)
    return CliRun(status, ctx._stdout_size, ctx._stderr_bytes.decode("utf-8", "replace"))


# =========================================================================== family: batch
def batch_line(rng: random.Random, ctx: Context, pid: str) -> tuple[bytes, str]:
    r = rng.random()
    j = rng.randrange(len(ctx.pool[pid]))
    good = json.dumps(ctx.pool[pid][j], ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    if r < 0.3:
        return good, f"pool[{j}]"
    if r < 0.45:
        p = rng.randrange(len(good) + 1)
        return good[:p], f"pool[{j}][:{p}]"
    if r < 0.55:
        data = bytearray(good)
        p = rng.randrange(len(data))
        data[p] = rng.choice(b'\x00\x80\xff\xc0{}[]",:\\ ')
        return bytes(data), f"pool[{j}] byte {p} changed"
    if r < 0.65:
        case = _copy_case(ctx.pool[pid][j])
        notes: list = []
        case = _mutate_case(rng, case, notes)
        try:
            return json.dumps(case, default=str, ensure_ascii=False).encode("utf-8", "surrogatepass"), \
                f"pool[{j}] mutated: {'; '.join(notes)}"
        except (ValueError, TypeError, RecursionError):
            return good, f"pool[{j}]"
    n = rng.choice([10, 1000, 5000, 100_000])
    options = [
        (b"[" * n + b"]" * n, f"'['*{n}"), (b'{"a":' * n + b"1" + b"}" * n, f"'{{\"a\":'*{n}"),
        (b'{"as_of": 1' + b"0" * rng.choice([4300, 5000]) + b"}", "5000-digit int"),
        (b'{"as_of": 1e999999}', "1e999999"), (b'{"as_of": NaN}', "NaN"), (b'{"as_of": -Infinity}', "-Infinity"),
        (b'{"as_of": "2024-01-01", "as_of": "2024-01-02"}', "duplicate key"),
        (b'{"as_of": "\\ud800"}', "lone surrogate escape"), (b'{"\\ud800": 1}', "surrogate key"),
        (b'{"as_of": "\xff"}', "raw 0xff"), (b"\xef\xbb\xbf" + good, "BOM + case"), (b"\x00", "NUL"),
        (b"", "empty"), (b"   \t ", "blanks"), (b"\r", "CR"), (b"null", "null"), (b"[]", "[]"), (b"1", "1"),
        (b'"x"', "string"), (b"true", "true"), (good + b" " + good, "two cases on a line"),
        (good + b"\r", "case + CR"), (b"{", "{"), (b"}", "}"), (b"\x1e" + good, "RS + case"),
        (b'{"as_of": "9999-12-31"}', "far as_of"), (b'{"as_of": "2024-01-10", "person": ' + b"[" * 100 + b"]" * 100 + b"}",
                                                     "deep section"),
        (good.replace(b"true", b"\"true\"", 1), "true as string"), (good.replace(b": ", b":\x0c ", 3), "form feeds"),
        ("{\"as_of\": \"２０２４-01-10\"}".encode(), "full-width date"), (b"\xe2\x80\xa8", "U+2028"),
    ]
    return rng.choice(options)


JOBS_VALUES = ["1", "1", "2", "0", "auto", "256", "257", "-1", "1e3", "99999999999", "", "２", "3"]


def gen_batch(rng: random.Random, ctx: Context, index: int = 0) -> Input:
    pid = rng.choice(POLICY_IDS)
    lines, labels = [], []
    large = rng.random() < 0.02
    for _ in range(rng.randint(1, 12)):
        line, label = batch_line(rng, ctx, pid)
        lines.append(line)
        labels.append(label)
    if large:
        target = rng.choice([150_000, 700_000, 3_000_000])
        good = json.dumps(ctx.pool[pid][0]).encode()
        filler = [good, b'{"as_of": "x"}', b"", b"[" * 5000] + ([b"x" * 200_000] if rng.random() < 0.3 else [])
        total = sum(len(x) for x in lines)
        while total < target:
            line = rng.choice(filler)
            lines.append(line)
            total += len(line) + 1
        labels.append(f"... filled to {target} bytes")
    if rng.random() < 0.003:
        lines.append(b'{"as_of": "' + b"x" * (16 * 1024 * 1024 + 10) + b'"}')
        labels.append("a line past MAX_CASE_BYTES")
    end = rng.choice([b"\n", b"\n", b"\r\n", b"\r"])
    data = end.join(lines) + (end if rng.random() < 0.8 else b"")
    argv = ["eval", pid if rng.random() < 0.9 else str(ctx.pdir / f"{pid}.rules"), "--batch"]
    path = ctx.files / f"b{index}.jsonl"
    use_stdin = rng.random() < 0.1
    argv.append("-" if use_stdin else str(path))
    if rng.random() < 0.4 or large:
        argv += ["--jobs", rng.choice(JOBS_VALUES if not large else ["2", "2", "auto", "1"])]
    if rng.random() < 0.3:
        argv.append("--no-explanation")
    if rng.random() < 0.2:
        argv += ["--as-of", rng.choice(["2024-01-10", "1900-01-01", "2999-12-31", "2024-02-29", "2023-02-29",
                                        "0001-01-01", "x"])]
    if rng.random() < 0.3:
        argv += ["--format", rng.choice(["json", "text", "xml"])]
    if rng.random() < 0.05:
        argv.append(rng.choice(["case.json", "--explain", "--examples", "-"]))

    def call():
        if not use_stdin:
            path.write_bytes(data)
        try:
            return cli_call(ctx, argv, data if use_stdin else b"")
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    shown_argv = [a if a != str(path) else "<file>" for a in argv]
    return Input(call, len(data), f"cli.main({shown_argv}) with lines: {short('; '.join(labels), 1500)}")


# =========================================================================== family: cli
AS_OF = ["2024-01-10", "1900-01-01", "2999-12-31", "1899-12-31", "3000-01-01", "2024-02-29", "2023-02-29", "0000-00-00",
         "9999-99-99", "２０２４-01-01", "2024-1-1", "", "x" * 1000, "2024-01-10T00:00", "-1", "20240110"]
FORMATS = ["text", "json", "github", "sarif", "xml", "", "JSON"]
COUNTS = ["0", "1", "3", "10", "-1", "1000001", "1e3", "1" + "0" * 50, "", "٣", "1_0", " 5", "0x10", "nan",
          "9" * 5000]
PERCENT = ["100", "0", "-5", "101", "nan", "inf", "1e309", "50.5", "", "50%", "%", "-0", "1e-400", "9" * 400]


def _case_file(rng: random.Random, ctx: Context, index: int, made: list) -> str:
    r = rng.random()
    if r < 0.45:
        pid, j, case = ctx.case(rng)
        notes: list = []
        if rng.random() < 0.5:
            case = _mutate_case(rng, case, notes)
        try:
            data = json.dumps(case, default=str).encode("utf-8", "surrogatepass")
        except (ValueError, TypeError, RecursionError):
            data = b"{}"
    elif r < 0.7:
        data, _ = batch_line(rng, ctx, rng.choice(POLICY_IDS))
    elif r < 0.8:
        return rng.choice(["missing.json", str(ctx.files), "-", str(ctx.pdir / "loop.rules"), "", "\udcff.json"])
    else:
        data = rng.choice([b"", b"{}", b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00", b"[" * 100_000, b'{"as_of": "2024-01-10"}',
                           b"{" * 3 + b"\x00"])
    path = ctx.files / f"c{index}_{len(made)}.json"
    made.append((path, data))
    return str(path)


def _policy_arg(rng: random.Random, ctx: Context, index: int, made: list) -> str:
    r = rng.random()
    if r < 0.5:
        return rng.choice(POLICY_IDS)
    if r < 0.6:
        return str(ctx.pdir / rng.choice(["wuhan.rules", "guangxi.rules", "common.rules"]))
    if r < 0.8:
        return rng.choice(["missing.rules", "missing", str(ctx.files), str(ctx.pdir / "dir.rules"),
                           str(ctx.pdir / "loop.rules"), str(ctx.pdir / "huge.rules"), str(ctx.pdir / "bad_utf8.rules"),
                           str(ctx.pdir / "utf16.rules"), str(ctx.pdir / "empty.rules"), str(ctx.pdir / "cycle_a.rules"),
                           str(ctx.pdir / "chain0.rules"), "-", "", "\udcff", "Wuhan", "wuhan.rules", "n" * 5000,
                           str(ctx.pdir / "wuhan.tests.yaml"), "/", "..", "wu\x00han"])
    notes: list = []
    text = mutate_text(rng, source_text(rng, ctx, notes), notes, allow_large=False)
    path = ctx.pdir / f"p{index}_{len(made)}.rules"
    made.append((path, text.encode("utf-8", "surrogatepass")))
    if rng.random() < 0.3:  # with a test file next to it, for `test`
        yaml_text = ctx.yaml_tests[rng.choice(POLICY_IDS)]
        body = yaml_text[0] + "\n".join(yaml_text[1][:rng.randint(0, 2)])
        if rng.random() < 0.5:
            tok, _ = yaml_token(rng)
            body += "\n" + tok
        made.append((policytests.tests_path_for(path), body.encode("utf-8", "surrogatepass")))
    return str(path)


def gen_cli(rng: random.Random, ctx: Context, index: int = 0) -> Input:
    made: list = []
    argv: list[str] = []
    stdin = b""
    if rng.random() < 0.2:
        argv += rng.choice([["--format", rng.choice(FORMATS)], ["--as-of", rng.choice(AS_OF)], ["--version"],
                            ["--help"], ["-h"], ["--bogus"], ["--format"]])
    command = rng.choices(["eval", "check", "test", "fmt", "diff", "schema", "bogus", "", "--help", "EVAL"],
                          weights=(8, 5, 4, 5, 4, 3, 1, 1, 1, 1))[0]
    argv.append(command)
    if command == "eval":
        argv.append(_policy_arg(rng, ctx, index, made))
        if rng.random() < 0.9:
            case = _case_file(rng, ctx, index, made)
            argv.append(case)
            if case == "-":
                stdin, _ = batch_line(rng, ctx, rng.choice(POLICY_IDS))
        if rng.random() < 0.2:
            argv.append("--explain")
        if rng.random() < 0.1:
            argv += ["--jobs", rng.choice(JOBS_VALUES)]
    elif command == "check":
        for _ in range(rng.randint(1, 3)):
            argv.append(_policy_arg(rng, ctx, index, made))
        argv += ["--examples", rng.choice(COUNTS[:4])] if rng.random() < 0.8 else \
            (["--examples", rng.choice(COUNTS)] if rng.random() < 0.9 else [])
    elif command == "test":
        for _ in range(rng.randint(0, 2)):
            argv.append(_policy_arg(rng, ctx, index, made))
        if rng.random() < 0.5:
            argv += ["--coverage-min", rng.choice(PERCENT)]
    elif command == "fmt":
        # fmt rewrites files in place: it only ever sees temp copies, or standard input
        for _ in range(rng.randint(1, 2)):
            if rng.random() < 0.25:
                argv.append("-")
                notes: list = []
                stdin = mutate_text(rng, source_text(rng, ctx, notes), notes, allow_large=False).encode(
                    "utf-8", "surrogatepass")
            else:
                notes = []
                text = mutate_text(rng, source_text(rng, ctx, notes), notes, allow_large=False) \
                    if rng.random() < 0.7 else source_text(rng, ctx, notes)
                path = ctx.files / f"f{index}_{len(made)}.rules"
                made.append((path, text.encode("utf-8", "surrogatepass")))
                argv.append(str(path))
        if rng.random() < 0.05:
            argv.append(rng.choice([str(ctx.files / "missing.rules"), str(ctx.files)]))
        for flag in ("--check", "--diff"):
            if rng.random() < 0.4:
                argv.append(flag)
        if rng.random() < 0.3:
            argv += ["--lang", rng.choice(["zh", "en", "fr", ""])]
    elif command == "diff":
        argv.append(_policy_arg(rng, ctx, index, made))
        argv.append(_policy_arg(rng, ctx, index, made))
        argv += ["--examples", rng.choice(COUNTS[:4])] if rng.random() < 0.85 else ["--examples", rng.choice(COUNTS)]
        if rng.random() < 0.3:
            argv.append(rng.choice(["--allow-behaviour-change", "--allow-behavior-change"]))
    elif command == "schema":
        argv.append(_policy_arg(rng, ctx, index, made))
    else:
        argv += [rng.choice(["x", "wuhan", "-"]) for _ in range(rng.randint(0, 2))]
    if rng.random() < 0.4:
        argv += ["--format", rng.choice(FORMATS)]
    if rng.random() < 0.2:
        argv += ["--as-of", rng.choice(AS_OF)]
    if rng.random() < 0.05:
        argv.insert(rng.randrange(len(argv) + 1), rng.choice(["--", "-", "--jobs", "--examples", "-x", "--as-of=",
                                                              "--format=json", "\ud800", "x" * 10_000]))

    def call():
        for path, data in made:
            path.write_bytes(data)
        try:
            return cli_call(ctx, argv, stdin)
        finally:
            for path, _ in made:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    size = sum(len(a) for a in argv) + sum(len(d) for _, d in made) + len(stdin)
    tmp = str(ctx.workdir)
    shown_argv = [short(a.replace(tmp, "<tmp>"), 200) for a in argv]
    return Input(call, size, f"cli.main({shown_argv}); stdin {len(stdin)} bytes")


# =========================================================================== family: calendar
def gen_calendar(rng: random.Random, ctx: Context) -> Input:
    full = ctx.calendar_map
    years = sorted(rng.sample(full["years"], rng.randint(1, 3)))
    data: dict = {"source": "fuzz", "years": list(years),
                  "holidays": [d for d in full["holidays"] if int(d[:4]) in years],
                  "adjusted_workdays": [d for d in full["adjusted_workdays"] if int(d[:4]) in years]}
    notes = [f"years {years} of default_calendar().to_mapping()"]
    if rng.random() < 0.02:
        n = rng.choice([10_000, 60_000, 250_000])
        data["years"] = list(range(1, 10_000))
        data["holidays"] = [f"{1 + k % 9998:04d}-01-{1 + k % 28:02d}" for k in range(n)]
        notes.append(f"9,999 years and {n} holidays")
    for _ in range(rng.randint(1, 3)):
        r = rng.random()
        key = rng.choice(["source", "years", "holidays", "adjusted_workdays"])
        if r < 0.2:
            v, label = hostile_value(rng)
            data[key] = v
            notes.append(f"{key} = {label}")
        elif r < 0.45 and isinstance(data.get(key), list) and data[key]:
            i = rng.randrange(len(data[key]))
            v, label = (hostile_date(rng) if key != "years" else
                        rng.choice([huge_int(rng), (0, "0"), (-1, "-1"), (10_000, "10000"), (9999, "9999"),
                                    (1, "1"), (True, "True"), (2024.0, "2024.0"), ("2024", "'2024'"), (None, "None")]))
            data[key][i] = v
            notes.append(f"{key}[{i}] = {label}")
        elif r < 0.55:
            data.pop(key, None)
            notes.append(f"delete {key}")
        elif r < 0.65:
            k, kl = hostile_key(rng)
            data[k] = 1
            notes.append(f"add key {kl}")
        elif r < 0.75 and data.get("holidays") and isinstance(data.get("adjusted_workdays"), list) and \
                isinstance(data["holidays"], list):
            data["adjusted_workdays"].append(data["holidays"][0])
            notes.append("a holiday also an adjusted workday")
        elif r < 0.85 and isinstance(data.get(key), list):
            data[key] = data[key] * 2
            notes.append(f"{key} duplicated")
        else:
            data["years"] = rng.choice([[9999], [1], [1, 9999], [], [2024, 2024], list(range(2020, 2030))])
            data["holidays"], data["adjusted_workdays"] = [], []
            if rng.random() < 0.5:
                data["holidays"] = [f"{data['years'][-1]:04d}-12-31"] if data["years"] else []
            notes.append(f"years = {data['years']}")
    wrap = rng.random()
    if wrap < 0.05:
        data = types.MappingProxyType(data)
        notes.append("as MappingProxyType")
    starts = [(dt.date(2024, 1, 1), "2024-01-01"), (dt.date.max, "dt.date.max"), (dt.date.min, "dt.date.min"),
              (dt.date(9999, 12, 24), "9999-12-24"), (dt.date(1, 1, 1), "0001-01-01")]
    start, start_label = rng.choice(starts)
    n, n_label = rng.choice([(0, "0"), (1, "1"), (7, "7"), (400, "400"), (-1, "-1"), huge_int(rng), (1.5, "1.5"),
                             (True, "True"), ("3", "'3'")])
    pid, j, case = ctx.case(rng)
    step = rng.random()

    def call():
        cal = WorkdayCalendar.from_mapping(data)  # documented: ValueError on any bad input
        cal.to_mapping()
        try:
            if step < 0.3:
                cal.add_working_days(start, n)
            elif step < 0.5:
                cal.is_workday(start)
            elif step < 0.7:
                default_calendar().extended(cal.holidays, cal.adjusted_workdays, cal.years, source="x")
        except (TypeError, ValueError, MissingCalendarYear):  # the documented ends of these methods
            pass
        policy = ctx.policies[pid].with_calendar(cal)
        d = policy.evaluate(case)
        return d.to_dict()

    what = ("add_working_days" if step < 0.3 else "is_workday" if step < 0.5 else "extended" if step < 0.7 else "-")
    return Input(call, approx_size(data), f"WorkdayCalendar.from_mapping(data); data: {'; '.join(notes)}; then "
                                          f"{what}({start_label}, {n_label}); evaluate pool[{pid}][{j}] on it",
                 allowed=(sr.RulesError, ValueError))


# =========================================================================== families and the run
@dataclasses.dataclass
class Family:
    generate: Callable  # (rng, ctx[, index]) -> Input
    weight: float
    wants_index: bool = False


FAMILIES: dict[str, Family] = {
    "evaluate": Family(gen_evaluate, 26),
    "api_types": Family(gen_api_types, 10),
    "parse": Family(gen_parse, 16),
    "load": Family(gen_load, 6, True),
    "format": Family(gen_format, 8),
    "tests_yaml": Family(gen_tests_yaml, 12, True),
    "batch": Family(gen_batch, 8, True),
    "cli": Family(gen_cli, 7, True),
    "calendar": Family(gen_calendar, 7),
}


def make_input(family: str, index: int, seed: int, ctx: Context, families: Mapping[str, Family] | None = None) -> Input:
    fam = (families or FAMILIES)[family]
    rng = random.Random(f"{seed}:{family}:{index}")
    return fam.generate(rng, ctx, index) if fam.wants_index else fam.generate(rng, ctx)


def allocate(count: int, families: Mapping[str, Family]) -> dict[str, int]:
    """``count`` inputs spread over the families by weight (each gets at least one)."""
    names = list(families)
    total = sum(families[n].weight for n in names)
    counts = {n: max(1, int(count * families[n].weight / total)) for n in names}
    diff = count - sum(counts.values())
    heaviest = max(names, key=lambda n: families[n].weight)
    counts[heaviest] = max(1, counts[heaviest] + diff)
    return counts


def tasks_for(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Every (family, index), interleaved so that each slice gets a mix of families."""
    out = []
    order = list(counts)
    cursors = {n: 0 for n in order}
    total = sum(counts.values())
    # stride scheduling: each family advances in proportion to its count
    for _ in range(total):
        best = min((n for n in order if cursors[n] < counts[n]), key=lambda n: (cursors[n] + 0.5) / counts[n])
        out.append((best, cursors[best]))
        cursors[best] += 1
    return out


def run_slice(tasks: list, seed: int, limit: float, workdir: Path, families: Mapping[str, Family] | None = None,
              progress: Callable[[int], None] | None = None, current=None) -> dict[str, FamilyTally]:
    ctx = Context(workdir)
    fams = families or FAMILIES
    tallies = {name: FamilyTally() for name in dict.fromkeys(f for f, _ in tasks)}
    names = list(fams)
    for n, (family, index) in enumerate(tasks):
        if current is not None:
            current[0], current[1] = names.index(family), index
        try:
            inp = make_input(family, index, seed, ctx, fams)
        except Exception:  # noqa: BLE001 - a generator bug is the harness's, but must not go unseen
            result = Result("traceback", 0.0, 0, None, "generator failed:\n" + traceback.format_exc())
            tallies[family].add(index, result, "<generator failed>", family, seed)
            continue
        result = run_input(inp, limit)
        tallies[family].add(index, result, inp.desc, family, seed)
        del inp
        if progress is not None:
            progress(n + 1)
    return tallies


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _child(k: int, tasks: list, seed: int, limit: float, workdir: str, conn, current, families) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops its children
    started = time.perf_counter()

    def progress(n: int) -> None:
        if n % 5000 == 0:
            print(f"  [slice {k}] {n}/{len(tasks)} inputs, {time.perf_counter() - started:.0f} s", file=sys.__stderr__,
                  flush=True)

    try:
        tallies = run_slice(tasks, seed, limit, Path(workdir), families, progress, current)
        conn.send({name: t.to_json() for name, t in tallies.items()})
    except BaseException:  # noqa: BLE001
        conn.send({"__error__": traceback.format_exc()})
    finally:
        conn.close()


def run_campaign(count: int, seed: int = 0, jobs: int = 1, limit: float = DEFAULT_LIMIT,
                 families: Mapping[str, Family] | None = None, only: str | None = None) -> dict:
    """Run ``count`` inputs in ``jobs`` processes; the report as a dict."""
    fams = dict(families or FAMILIES)
    if only is not None:
        fams = {only: fams[only]}
    counts = allocate(count, fams)
    tasks = tasks_for(counts)
    jobs = max(1, min(jobs, os.cpu_count() or 1, len(tasks)))
    started = time.perf_counter()
    tallies = {name: FamilyTally() for name in fams}
    crashes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fuzz_edges-") as tmp:
        if jobs == 1:
            for name, t in run_slice(tasks, seed, limit, Path(tmp) / "w0", fams).items():
                tallies[name].merge(t)
        else:
            import multiprocessing

            mp = multiprocessing.get_context("fork")
            children = []
            try:
                for k in range(jobs):
                    ours, theirs = mp.Pipe(duplex=False)
                    current = mp.Array("q", [-1, -1], lock=False)
                    proc = mp.Process(target=_child, args=(k, tasks[k::jobs], seed, limit, str(Path(tmp) / f"w{k}"),
                                                           theirs, current, fams), name=f"fuzz_edges slice {k}")
                    proc.start()
                    theirs.close()
                    children.append((proc, ours, current))
                for k, (proc, conn, current) in enumerate(children):
                    try:
                        data = conn.recv()
                    except EOFError:
                        proc.join()
                        names = list(fams)
                        fam = names[current[0]] if current[0] >= 0 else "?"
                        crashes.append(f"slice {k} died (exit code {proc.exitcode}) on {fam} input {current[1]}")
                        if fam in tallies:
                            tallies[fam].add(current[1], Result("traceback", 0.0, 0, None,
                                                                f"the process died: exit code {proc.exitcode}"),
                                             "<see rerun>", fam, seed)
                        continue
                    if "__error__" in data:
                        crashes.append(f"slice {k} failed:\n{data['__error__']}")
                        continue
                    for name, t in data.items():
                        tallies[name].merge(FamilyTally.from_json(t))
                    proc.join()
            finally:
                for proc, conn, _ in children:
                    if proc.is_alive():
                        proc.terminate()
                    proc.join(5)
                    if proc.is_alive():
                        proc.kill()
                        proc.join()
                    conn.close()
    wall = time.perf_counter() - started
    return {
        "seed": seed, "count": sum(t.inputs for t in tallies.values()), "jobs": jobs, "time_limit": limit,
        "wall_seconds": round(wall, 1), "date": dt.date.today().isoformat(),
        "python": sys.version.split()[0], "crashes": crashes,
        "families": {name: t.to_json() for name, t in tallies.items()},
    }


def totals(report: dict) -> tuple[int, int, int]:
    fams = report["families"].values()
    return (sum(f["inputs"] for f in fams), sum(f["tracebacks"] for f in fams) + len(report["crashes"]),
            sum(f["hangs"] for f in fams))


def render(report: dict) -> str:
    out = [f"fuzz_edges: seed {report['seed']}, {report['count']} inputs, {report['jobs']} process(es), "
           f"limit {report['time_limit']:g} s CPU per input, wall {report['wall_seconds']} s", ""]
    head = f"{'family':<11} {'inputs':>7} {'ok':>7} {'tracebacks':>10} {'hangs':>5} {'worst s':>8} " \
           f"{'>=64K':>6} {'max MB in':>9} {'peak MB':>8} {'worst MB/MB':>11}"
    out += [head, "-" * len(head)]
    for name, f in report["families"].items():
        ratio = f"{f['worst_mb_per_mb']:.1f}" if f["big_inputs"] else "-"
        out.append(f"{name:<11} {f['inputs']:>7} {f['ok']:>7} {f['tracebacks']:>10} {f['hangs']:>5} "
                   f"{f['worst_seconds']:>8.2f} {f['big_inputs']:>6} {f['largest_mb']:>9.2f} {f['worst_peak_mb']:>8.1f} "
                   f"{ratio:>11}")
    n, tb, hangs = totals(report)
    out += ["-" * len(head), f"{'total':<11} {n:>7} {n - tb - hangs:>7} {tb:>10} {hangs:>5}", ""]
    band_names = [b[2] for b in BANDS]
    out.append("worst peak MB per MB of input, by input size: " + ", ".join(band_names))
    for name, f in report["families"].items():
        if f["bands"]:
            cells = [f"{f['bands'][b][1]:.1f} (n={f['bands'][b][0]})" if b in f["bands"] else "-" for b in band_names]
            out.append(f"  {name:<11} " + "  ".join(f"{c:>14}" for c in cells))
    for crash in report["crashes"]:
        out += ["", f"CRASH: {crash}"]
    for name, f in report["families"].items():
        for sig, count in f["signatures"].items():
            out += ["", f"[{name}] {count} x {sig}"]
        for fail in f["failures"]:
            out += ["", f"--- {fail['kind']} in {name} #{fail['index']} ({fail['seconds']} s, {fail['size']} bytes)",
                    f"input:  {fail['input']}", f"rerun:  {fail['rerun']}", fail["detail"].rstrip()]
    out += ["", "result: " + ("OK (0 tracebacks, 0 hangs)" if tb == 0 and hangs == 0
                              else f"FAILED ({tb} tracebacks, {hangs} hangs)")]
    return "\n".join(out)


def rerun_one(family: str, index: int, seed: int, limit: float) -> int:
    with tempfile.TemporaryDirectory(prefix="fuzz_edges-") as tmp:
        ctx = Context(Path(tmp))
        inp = make_input(family, index, seed, ctx)
        print(f"input:  {inp.desc}\nsize:   {inp.size} bytes")
        result = run_input(inp, limit)
        print(f"result: {result.kind} in {result.seconds:.3f} s"
              + (f", peak {result.peak / 1e6:.1f} MB" if result.peak is not None else ""))
        if result.detail:
            print(result.detail)
    return 0 if result.kind == "ok" else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Fuzz every entry point of supervisor_rules at its edges.")
    ap.add_argument("--count", type=int, default=100_000, help="inputs in all, spread over the families")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="processes (capped by the CPU count)")
    ap.add_argument("--json", metavar="REPORT", help="also write the report as JSON")
    ap.add_argument("--family", choices=sorted(FAMILIES), help="only this family")
    ap.add_argument("--index", type=int, help="with --family: rebuild and rerun input INDEX alone")
    ap.add_argument("--time-limit", type=float, default=DEFAULT_LIMIT,
                    help="CPU seconds per input before it counts as a hang (3x that of wall time)")
    args = ap.parse_args(argv)
    if args.index is not None:
        if args.family is None:
            ap.error("--index needs --family")
        return rerun_one(args.family, args.index, args.seed, args.time_limit)
    report = run_campaign(args.count, args.seed, args.jobs, args.time_limit, only=args.family)
    print(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    _, tb, hangs = totals(report)
    return 1 if tb or hangs else 0


if __name__ == "__main__":
    sys.exit(main())
