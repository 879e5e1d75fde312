"""``supervisor-rules eval POLICY --batch CASES.jsonl``: one JSON decision per input line, streamed.

Each line is decided on its own: read, parsed, then validated and decided in one pass
(``Policy.evaluate``), written as the DECISION.md JSON (``decision.JsonWriter``,
bytes, no ``to_dict()``). A bad line yields ``{"error": ...}`` on its own line and
the run goes on; blank lines yield nothing.

Rosters (``tools/roster.py``): a record's top-level ``"id"`` is taken off the case and copied
as the first key of its decision or error line; the input may be CSV records (``roster.Row``,
typed by the policy's declarations) instead of JSON lines, and the output CSV rows or text
lines (``Output``). The decider counts the decisions by status (``tally``) for the summary.

Memory stays flat however long the input: lines are read a block at a time and
output is written a block at a time. With ``jobs`` > 1, blocks of lines are
decided by that many worker processes, each holding the policy (inherited when
the platform forks, else loaded by path or id), and written in input order; at
most two blocks per worker are in flight, so memory stays flat there too.
"""

from __future__ import annotations

import codecs
import datetime as dt
import itertools
import json
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import attrs

from supervisor_rules.contracts import case as case_module
from supervisor_rules.contracts.decision import JsonWriter
from supervisor_rules.errors import CaseError, RulesError
from supervisor_rules.tools import roster
from supervisor_rules.tools.roster import NO_ID, Row

#: Input read at a time (bytes, rounded up to whole lines): a block for one worker.
BLOCK = 1 << 16
#: Output gathered before it is written, in pieces (a decision is about 30: some hundreds of KB).
OUTPUT_PIECES = 1000
#: At most this many worker processes, whatever ``jobs`` asks (and never more than the CPUs).
MAX_JOBS = 256
#: Worker processes need POSIX: the outputs come back through file descriptors (``os.readv``).
PARALLEL = os.name == "posix" and hasattr(os, "readv")


@attrs.frozen
class Output:
    """What the batch writes: ``json`` lines (DECISION.md), ``csv`` rows of ``columns`` (dotted paths
    into the decision's JSON, ``roster.column_text``), or ``text`` lines in ``lang``."""

    format: str = "json"
    columns: tuple[str, ...] = roster.DEFAULT_COLUMNS
    lang: str = "zh"


class Decider:
    """Decides JSON Lines input (or CSV records, ``roster.Row``, read by ``csv_header``) under one
    policy: each record's output line, as bytes. Without ``explain``, decisions leave out their
    explanation (not DECISION.md's full format: opt-in)."""

    def __init__(self, policy, as_of: dt.date | None, ensure_ascii: bool, explain: bool = True,
                 output: Output | None = None, csv_header: tuple[str, ...] | None = None):
        # A family (``policy.Family``) chooses, for each case, the version or composite that decides it
        # (``select``), whose notices open the decision's.
        self.select = getattr(policy, "select", None)
        if self.select is None:
            self.policy = policy
        self.ensure_ascii = ensure_ascii
        self.explain = explain
        self.writer = JsonWriter(ensure_ascii)
        self.as_of, self.as_of_problems = as_of, []
        if as_of is not None:
            self.as_of = case_module.parse_date(as_of, "as_of", self.as_of_problems)
        self.output = output if output is not None else Output()
        self.cases = (roster.CsvCases(csv_header, roster.field_types(policy)) if csv_header is not None
                      else None)
        self.tally: dict[str, int] = {}  # decisions by status, since the last take_tally()
        self.needs_explanation = any(c.split(".")[0] == "explanation" for c in self.output.columns)

    def take_tally(self) -> dict[str, int]:
        """The decisions by status counted since the last call (and start counting afresh)."""
        tally, self.tally = self.tally, {}
        return tally

    def block(self, lines: Iterable[bytes | str], first: int) -> tuple[bytes, int]:
        """(the output for ``lines``, numbered from ``first``; how many of them were bad)."""
        out: list[bytes] = []
        bad = 0
        parts = self.parts
        for lineno, raw in enumerate(lines, first):
            pieces, ok = parts(raw, lineno)
            if pieces is not None:
                out += pieces
                bad += not ok
        return b"".join(out), bad

    def line(self, raw: bytes | str, lineno: int) -> tuple[bytes | None, bool]:
        """(one input line's output line, or None for a blank line; whether the line was good)."""
        pieces, ok = self.parts(raw, lineno)
        return (b"".join(pieces) if pieces is not None else None), ok

    def parts(self, raw: bytes | str | Overlong | Row, lineno: int) -> tuple[list[bytes] | None, bool]:
        """``line``, the output line in pieces (joined with others, later: one copy of the text)."""
        ident = NO_ID
        if type(raw) is Row:
            lineno = raw.line
            try:
                ident, case = self.cases.case(raw.cells)  # type: ignore[union-attr]
            except CaseError as exc:
                return self.error("invalid case", lineno, exc.to_dict()["problems"],
                                  getattr(exc, "record_id", NO_ID)), False
            return self.decide(case, lineno, ident)
        if type(raw) is bytes:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                return self.error("line is not valid UTF-8", lineno), False
        elif type(raw) is Overlong:
            return self.error(f"line is {case_module.too_large(raw.size)}", lineno), False
        else:
            line = raw
        if lineno == 1:
            line = line.lstrip("\ufeff")
        try:
            case = case_module.loads(line)
        except json.JSONDecodeError as exc:
            if not line.strip(" \t\n\r"):
                return None, True  # a blank line: JSON's own whitespace only (not U+3000, not \x1c)
            # The line number is the record's own: the column alone says where.
            return self.error(f"invalid JSON: {exc.msg} (column {exc.colno})", lineno), False
        except (ValueError, RecursionError) as exc:
            return self.error(case_module.json_problem(exc), lineno), False
        if type(case) is dict and "id" in case:
            try:
                ident, case = roster.split_id(case)
            except CaseError as exc:
                payload = exc.to_dict()
                return self.error(payload["error"], lineno, payload["problems"]), False
        return self.decide(case, lineno, ident)

    def decide(self, case: object, lineno: int, ident: object) -> tuple[list[bytes], bool]:
        """A parsed record's output line in pieces, and whether it was good."""
        try:
            if type(case) is not dict:
                raise _not_an_object(case)
            if self.as_of_problems:
                raise CaseError(list(self.as_of_problems))
            if self.select is None:
                vehicle, notices = self.policy, ()
            else:
                vehicle, notices = self.select(case, self.as_of)
            decision = vehicle.evaluate(case, as_of=self.as_of)  # one pass over the case (the fused path)
            if notices:
                decision = attrs.evolve(decision, notices=(*notices, *decision.notices))
        except CaseError as exc:
            payload = exc.to_dict()
            return self.error(payload.get("error", "invalid case"), lineno, payload.get("problems", []),
                              ident), False
        except RulesError as exc:
            return self.error(" ".join(str(exc).split()), lineno, None, ident), False
        status = str(decision.status)
        self.tally[status] = self.tally.get(status, 0) + 1
        output = self.output
        if output.format == "json":
            pieces = self.writer.decision_parts(decision, explanation=self.explain)
            if ident is not NO_ID:  # the id first: the head's "{" opens the id's object instead
                pieces[0] = b'{"id":' + self.id_text(ident) + b"," + pieces[0][1:]
            pieces.append(b"\n")
            return pieces, True
        data = decision.to_dict(explanation=self.explain and self.needs_explanation)
        if output.format == "csv":
            text = roster.csv_line([self.own(column, ident, lineno) if column in roster.OWN_COLUMNS
                                    else roster.column_text(data, column) for column in output.columns])
        else:
            text = roster.text_line(data, ident, lineno, output.lang, vehicle.text_labels.values) + "\n"
        return [text.encode("utf-8", "backslashreplace")], True

    def id_text(self, ident: object) -> bytes:
        return json.dumps(ident, ensure_ascii=self.ensure_ascii).encode("utf-8", "backslashreplace")

    @staticmethod
    def own(column: str, ident: object, lineno: int, error: str = "") -> str:
        """A CSV row's own columns: the record's id, its line, its error."""
        if column == "id":
            return "" if ident is NO_ID else str(ident)
        return str(lineno) if column == "line" else error

    def error(self, message: str, lineno: int, problems: list | None = None, ident: object = NO_ID) -> list[bytes]:
        problems = [] if problems is None else problems
        output = self.output
        if output.format == "csv":
            cell = roster.error_cell(message, problems)
            row = [self.own(c, ident, lineno, cell) if c in roster.OWN_COLUMNS else "error" if c == "status" else ""
                   for c in output.columns]
            return [roster.csv_line(row).encode("utf-8", "backslashreplace")]
        if output.format == "text":
            return [(roster.error_text(ident, lineno, output.lang, message, problems) + "\n")
                    .encode("utf-8", "backslashreplace")]
        payload: dict = {} if ident is NO_ID else {"id": ident}
        payload.update({"error": message, "line": lineno, "problems": problems})
        return [json.dumps(payload, ensure_ascii=self.ensure_ascii, separators=(",", ":"))
                .encode("utf-8", "backslashreplace"), b"\n"]


def _not_an_object(value: object) -> CaseError:
    kind = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)
    return CaseError([("", f"a case must be a JSON object, got {kind}")])


# ------------------------------------------------------------------ input and output
@attrs.frozen
class Overlong:
    """Stands in a block for a line longer than ``case.MAX_CASE_BYTES`` (``size``: its length without
    the newline): read past in pieces, never held whole; its output line says so."""

    size: int


def lines_of(stream: IO) -> Iterator:
    """The lines of ``stream`` (binary, or text) one by one, each read as soon as it is whole (a
    terminal's too); a line longer than a case may be is an ``Overlong``, read past in pieces."""
    limit = case_module.MAX_CASE_BYTES
    readline = stream.readline
    while True:
        line = readline(limit + 2)  # the longest line kept, its newline, one more to know
        if not line:
            return
        newline = b"\n" if isinstance(line, bytes) else "\n"
        if len(line) > limit and len(line.rstrip(newline)) > limit:
            length = len(line)
            del line  # the rest is read in small pieces, and dropped
            line = newline[:0]
            while not line.endswith(newline):
                line = readline(BLOCK)
                if not line:
                    break
                length += len(line)
            yield Overlong(length - line.endswith(newline))
            continue
        yield line


def read_blocks(stream: IO | Iterable) -> Iterator[list]:
    """Lists of whole lines (see ``lines_of``) of about ``BLOCK`` bytes, to the end of ``stream`` (or
    of records: CSV ``Row`` records, lines)."""
    lines = lines_of(stream) if hasattr(stream, "readline") else iter(stream)
    while True:
        block: list = []
        size = 0
        for line in lines:
            block.append(line)
            kind = type(line)
            size += BLOCK if kind is Overlong else line.size if kind is Row else len(line)
            if size >= BLOCK:
                break
        if not block:
            return
        yield block


def sink(stream: IO[str], ensure_ascii: bool) -> tuple[Callable[[bytes], Any], Callable[[], Any]]:
    """(write, flush) for output bytes on the text stream ``stream``: straight to its binary buffer
    where the text layer would have written the very same bytes, else decoded through the text layer."""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None and os.linesep == "\n" and _writes_as_is(getattr(stream, "encoding", None),
                                                                   ensure_ascii):
        stream.flush()  # whatever the text layer holds goes first
        return buffer.write, buffer.flush
    return (lambda data: stream.write(str(data, "utf-8"))), stream.flush


def _writes_as_is(encoding: str | None, ensure_ascii: bool) -> bool:
    """Whether ``encoding`` writes the writer's bytes unchanged: UTF-8 for UTF-8 output; for ASCII
    output (``ensure_ascii``), any encoding that writes ASCII as ASCII (not UTF-16, say)."""
    try:
        name = codecs.lookup(encoding or "").name
    except LookupError:
        return False
    if name == "utf-8":
        return True
    sample = '{"[]:,.-_\\ azAZ09}\n'
    try:
        return ensure_ascii and sample.encode(name) == sample.encode("ascii")
    except (UnicodeError, LookupError):
        return False


# ------------------------------------------------------------------ the run
def run(decider: Decider, source: IO | Iterable, write: Callable[[bytes], Any], flush: Callable[[], Any], *,
        line_buffered: bool = False) -> int:
    """Decide every line of ``source`` in this process; returns how many lines were bad."""
    bad = 0
    pending: list[bytes] = []
    parts = decider.parts
    lines = lines_of(source) if hasattr(source, "readline") else source  # a stream, or its lines
    for lineno, raw in enumerate(lines, 1):
        pieces, ok = parts(raw, lineno)
        if pieces is None:
            continue
        bad += not ok
        pending += pieces
        if line_buffered or len(pending) >= OUTPUT_PIECES:  # a terminal: each decision once it is made
            write(b"".join(pending))
            pending.clear()
            if line_buffered:
                flush()
    if pending:
        write(b"".join(pending))
    flush()
    return bad


def run_parallel(policy, policy_name: str, as_of: dt.date | None, ensure_ascii: bool, jobs: int,
                 source: IO | Iterable, write: Callable[[bytes], Any], flush: Callable[[], Any], explain: bool = True,
                 *, output: Output | None = None, csv_header: tuple[str, ...] | None = None, calendar=None,
                 tally: dict[str, int] | None = None) -> int:
    """Decide every line of ``source`` in up to ``jobs`` worker processes; returns how many lines were bad.

    ``source`` is a binary stream of JSON lines, or an iterable of records (CSV ``Row`` records read by
    ``csv_header``). ``output``: what to write (``Output``). ``calendar``: the working-day calendar a
    worker that loads the policy by name applies to it (``policy`` already counts on it).
    ``tally``, if given, gets the decisions counted by status.

    No more workers start than there are CPUs to run them or blocks of input to give them (five
    lines get one process, however many were asked for); with one, the lines are decided here.
    Block k of the input goes to worker k mod n (a feeder thread reads and sends them), and
    this thread takes the outputs back in the same round, so they are written in input order; at most
    two blocks per worker are in flight. A worker exits when this process ends, however it ends
    (it holds no other end of any pipe, and on Linux asks for a signal when its parent dies).
    Raises ``WorkerFailed`` if a worker cannot start or stops, and the error of reading the input."""
    import multiprocessing

    blocks = read_blocks(source)
    first = list(itertools.islice(blocks, max(1, min(jobs, MAX_JOBS, usable_cpus()))))
    jobs = len(first)
    if jobs <= 1:
        lines = itertools.chain.from_iterable(itertools.chain(first, blocks))
        decider = Decider(policy, as_of, ensure_ascii, explain, output, csv_header)
        bad = run(decider, lines, write, flush)
        _add(tally, decider.take_tally())
        return bad
    context = multiprocessing.get_context()
    forked = context.get_start_method() == "fork"
    global _PARENT_POLICY
    _PARENT_POLICY = (policy_name, policy)  # a forked worker inherits the policy: no second load
    processes, connections = [], []
    try:
        for _ in range(jobs):
            ours, theirs = context.Pipe()
            # A forked worker holds a copy of every descriptor the parent has: it closes the other
            # ends, or the parent's death would never reach it as the end of its input.
            others = (*connections, ours) if forked else ()
            process = context.Process(target=_worker, args=(theirs, policy_name, as_of, ensure_ascii, explain,
                                                            others, (output, csv_header, calendar)),
                                      daemon=True, name="supervisor-rules batch worker")
            process.start()
            theirs.close()
            processes.append(process)
            connections.append(ours)
    except BaseException:
        _stop(processes, connections)
        raise
    finally:
        _PARENT_POLICY = None
    slots = threading.Semaphore(2 * jobs)
    feeder = _Feeder(itertools.chain(first, blocks), connections, slots)
    feeder.start()
    bad = 0
    buffer = bytearray(1 << 20)  # each block's output is read into it: no bytes object per block
    try:
        index = 0
        while True:
            fd = connections[index % jobs].fileno()
            try:
                status, count, size, counted = _HEADER.unpack(_read(fd, memoryview(bytearray(_HEADER.size))))
                if len(buffer) < size:
                    buffer = bytearray(size)
                decided = _read(fd, memoryview(buffer)[:size])
                statuses = bytes(_read(fd, memoryview(bytearray(counted)))) if counted else b""
            except (EOFError, OSError):
                raise WorkerFailed(f"worker {index % jobs + 1} stopped") from None
            if status == _FINISHED:
                break
            if status == _FAILED:
                raise WorkerFailed(str(decided, "utf-8", "replace"))
            slots.release()
            write(decided)
            bad += count
            if statuses:
                _add(tally, json.loads(statuses))
            index += 1
        feeder.join()
        if feeder.error is not None:
            raise feeder.error
        flush()
    finally:
        feeder.stopped = True
        for _ in range(2 * jobs + 1):
            slots.release()  # a feeder waiting for a slot sees it should stop
        _stop(processes, connections)
    return bad


class WorkerFailed(RulesError):
    """A batch worker process could not start or stopped; the message says why."""


# Blocks go to a worker as messages of its connection (``send_bytes``), the end as an empty one. The
# outputs come back as frames written straight to the connection's descriptor and read into one buffer
# (a block's output is some hundreds of KB): a header (status, bad lines, size, size of the tally), then
# the output, then the block's decisions by status (JSON).
_DONE = b""
_HEADER = struct.Struct("<Bqqq")
_DECIDED, _FINISHED, _FAILED = 0, 1, 2


def _read(fd: int, view: memoryview) -> memoryview:
    """Fill ``view`` from ``fd``; EOFError at the end of input."""
    done, size = 0, len(view)
    while done < size:
        count = os.readv(fd, [view[done:]])
        if count == 0:
            raise EOFError
        done += count
    return view


def _write(fd: int, *parts: bytes) -> None:
    for part in parts:
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view):]


class _Feeder(threading.Thread):
    """Reads the input a block at a time and sends block k to worker k mod n, while a slot is free."""

    def __init__(self, blocks: Iterator[list], connections: list, slots):
        super().__init__(daemon=True, name="supervisor-rules batch feeder")
        self.blocks, self.connections, self.slots = blocks, connections, slots
        self.error: BaseException | None = None
        self.stopped = False

    def run(self) -> None:
        connections, blocks = self.connections, self.blocks
        index, first = 0, 1
        try:
            while True:
                try:
                    lines = next(blocks, None)
                except Exception as exc:  # reading the input failed: the main thread reports it
                    self.error = exc
                    break
                if lines is None:
                    break
                self.slots.acquire()
                if self.stopped:
                    return
                connections[index % len(connections)].send_bytes(
                    pickle.dumps((first, lines), pickle.HIGHEST_PROTOCOL))
                index += 1
                first += len(lines)
        # A worker is gone, or the main thread closed the connections while a send was under way
        # (multiprocessing then fails with TypeError, its handle being None): it knows, and reports.
        except (OSError, TypeError):
            return
        finally:
            for connection in connections:
                try:
                    connection.send_bytes(_DONE)
                except (OSError, TypeError):
                    pass


def _stop(processes: list, connections: list) -> None:
    for connection in connections:
        connection.close()
    for process in processes:
        process.join(timeout=1)
        if process.is_alive():
            process.terminate()
            process.join()


_PARENT_POLICY: tuple[str, Any] | None = None


def _inherit(policy_name: str):
    """The parent's policy, where this worker was forked from it (else None: the worker loads it)."""
    inherited = _PARENT_POLICY
    return inherited[1] if inherited is not None and inherited[0] == policy_name else None


def _add(tally: dict[str, int] | None, counts: dict[str, int]) -> None:
    if tally is not None:
        for status, count in counts.items():
            tally[status] = tally.get(status, 0) + count


def _worker(connection, policy_name: str, as_of: dt.date | None, ensure_ascii: bool, explain: bool,
            inherited: tuple = (), settings: tuple = (None, None, None)) -> None:
    """A worker process: decides the blocks it is sent, answering each with its output, until the end
    (or until the parent is gone). ``inherited``: the parent's connections a forked worker holds copies of;
    ``settings``: (``Output``, the CSV header, the calendar a policy loaded by name counts on)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    for other in inherited:
        other.close()
    _die_with_parent()
    try:
        output, csv_header, calendar = settings
        policy = _inherit(policy_name)
        if policy is None:
            from supervisor_rules.policy import resolve_policy

            policy = resolve_policy(policy_name)
            if calendar is not None:
                policy = policy.with_calendar(calendar)
        decider = Decider(policy, as_of, ensure_ascii, explain, output, csv_header)
    except Exception as exc:  # noqa: BLE001 - the parent reports it
        _answer_failure(connection, f"cannot load policy {policy_name}: {' '.join(str(exc).split())}")
        return
    fd = connection.fileno()
    while True:
        try:
            message = connection.recv_bytes()
            if message == _DONE:
                _write(fd, _HEADER.pack(_FINISHED, 0, 0, 0))
                return
            first, lines = pickle.loads(message)
        except (EOFError, OSError):
            return  # the parent is gone (it stopped early: its output closed, Ctrl-C)
        try:
            output, bad = decider.block(lines, first)
        except Exception:  # noqa: BLE001 - a bug: the parent reports it
            import traceback

            _answer_failure(connection, traceback.format_exc())
            return
        statuses = json.dumps(decider.take_tally()).encode("ascii")
        try:
            _write(fd, _HEADER.pack(_DECIDED, bad, len(output), len(statuses)), output, statuses)
        except OSError:
            return  # the parent is gone


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this process when its parent ends, even mid-block (the closed
    pipe tells a waiting worker too, but not one still deciding a block)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        parent = os.getppid()
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(0)


_PR_SET_PDEATHSIG = 1


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _answer_failure(connection, message: str) -> None:
    text = message.encode("utf-8", "replace")
    try:
        _write(connection.fileno(), _HEADER.pack(_FAILED, 0, len(text), 0), text)
    except OSError:
        pass
