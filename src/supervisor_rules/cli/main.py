"""The ``supervisor-rules`` command line (INTERFACE.md, "Command line").

Commands::

    supervisor-rules check FILE...                 # 0 clean, 1 problems, 2 usage error
    supervisor-rules eval POLICY CASE              # 0 decided, 2 invalid policy or case
    supervisor-rules eval POLICY --batch CASES.jsonl   # 0, or 1 if any line was bad
    supervisor-rules schema POLICY [--decision]    # 0

``POLICY`` is a path to a rule file or the id of a shipped policy (see
``builtin_policy_ids()``). ``CASE`` is a JSON file, or ``-`` for standard input.

Options: ``--format text|json`` (for ``eval``, text when standard output is a
terminal and JSON otherwise; the commands that report diagnostics print text
unless ``--format`` says otherwise), ``--as-of DATE`` (overrides the case's ``as_of``) and, for ``eval``,
``--explain`` (adds the reasons to text output; ``--all`` the whole trace too) and ``--lang zh|en`` (its language, default zh); with ``--batch``, ``--jobs N``
(worker processes, output in input order) and ``--no-explanation`` (opt-in:
decisions without their trace, which is not DECISION.md's full format), ``--input-format
jsonl|csv``, ``--format json|csv|text`` and ``--columns``; ``--calendar FILE`` (working-day data
added or replaced, INTERFACE.md).
A flag that does not apply to the command (or to the other flags given) is a
usage error (exit 2), never ignored. ``supervisor-rules completion bash|zsh``
prints a shell completion script made from this parser.

Bad input never produces a traceback: rule-file problems, invalid cases,
unreadable files and malformed JSON all end in a message and an exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import importlib
import pkgutil
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

import supervisor_rules as sr
from supervisor_rules.contracts.case import MAX_CASE_BYTES, MAX_DATE, MIN_DATE, json_problem, too_large
from supervisor_rules.contracts.case import loads as case_loads
from supervisor_rules.cli.output import (Progress, color as _color, diagnostics_format as _diagnostics_format,
                                         format_of as _format_of, out as _out, paint_severity as _paint,
                                         read_stdin as _read_stdin, unknown_policy as _unknown_policy, utf8 as _utf8)
from supervisor_rules.errors import Diagnostic

PROG = "supervisor-rules"

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


# --------------------------------------------------------------------------- helpers
def _version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("supervisor-rules")
    except (ImportError, PackageNotFoundError):  # running from a bare source tree
        return getattr(sr, "__version__", "unknown")


def _iso_date(text: str) -> dt.date:
    """``--as-of`` values: strict ``YYYY-MM-DD``, a real calendar date."""
    if not _ISO_DATE.match(text):
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a real calendar date") from None
    if not MIN_DATE <= day <= MAX_DATE:  # the case format's range: every line of a batch would fail
        raise argparse.ArgumentTypeError(f"{text} is out of range ({MIN_DATE} to {MAX_DATE})")
    return day


def _examples(text: str) -> int:
    """``check --examples`` values: a count of cases from 0 (no search) to 1,000,000."""
    count = int(text) if text.isascii() and text.isdigit() and len(text) <= 7 else -1
    if not 0 <= count <= 1_000_000:
        raise argparse.ArgumentTypeError(f"expected 0 to 1000000 examples, got {text[:40]!r}")
    return count


def _dumps(obj: Any, *, indent: int | None = 2) -> str:
    # Chinese stays readable where the stream can carry it; \u escapes elsewhere
    # (still valid JSON, never a UnicodeEncodeError).
    return json.dumps(obj, ensure_ascii=not _utf8(sys.stdout), indent=indent)


def _err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")


def _fail(message: str) -> int:
    """A one-line error on standard error; exit status 2."""
    _err(f"{PROG}: error: {message}")
    return EXIT_USAGE


def _oneline(text: object) -> str:
    return " ".join(str(text).split())


def _os_message(exc: OSError) -> str:
    return exc.strerror or _oneline(exc) or type(exc).__name__


def _policy_error_payload(name: str, exc: sr.RulesError) -> dict:
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics:
        return {"error": "invalid policy", "policy": name,
                "diagnostics": [d.to_dict() for d in diagnostics]}
    return {"error": "invalid policy", "policy": name, "message": _oneline(exc)}


def _report_policy_error(name: str, exc: sr.RulesError, fmt: str) -> int:
    if fmt == "json":
        _out(_dumps(_policy_error_payload(name, exc)))
        return EXIT_USAGE
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics:
        _err(f"{PROG}: error: invalid policy {name}")
        for d in diagnostics:
            _err(d.header())
    else:
        _err(f"{PROG}: error: invalid policy {name}: {_oneline(exc)}")
    return EXIT_USAGE


def _load(name: str, fmt: str) -> tuple[Any, int | None]:
    """Resolve ``POLICY``; on failure report it and return the exit status."""
    if not os.path.exists(name) and name not in _shipped_ids():
        message = _unknown_policy(name, _shipped_ids())
        if fmt == "json":
            _out(_dumps({"error": message, "policy": name}))
            return None, EXIT_USAGE
        return None, _fail(message)
    try:
        return sr.resolve_policy(name), None
    except sr.RulesError as exc:
        return None, _report_policy_error(name, exc, fmt)
    except OSError as exc:
        if fmt == "json":
            _out(_dumps({"error": f"cannot read policy {name}: {_os_message(exc)}", "policy": name}))
            return None, EXIT_USAGE
        return None, _fail(f"cannot read policy {name}: {_os_message(exc)}")


def _not_an_object(value: object) -> sr.CaseError:
    kind = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)
    return sr.CaseError([("", f"a case must be a JSON object, got {kind}", "type")])


def _problem_lines(exc: sr.CaseError, lang: str = "en") -> list[str]:
    return [f"{p.path}: {p.text(lang)} [{p.code}]" if p.path else f"{p.text(lang)} [{p.code}]" for p in exc.problems]


# --------------------------------------------------------------------------- check
def _records(text: str) -> int:
    """``--records``: entries per list in a proof, 1 to ``prove.MAX_RECORDS``."""
    from supervisor_rules.tools.prove import MAX_RECORDS

    if not text.isdigit() or not 1 <= int(text) <= MAX_RECORDS:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_RECORDS} records per list, got {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    """``--timeout``: seconds per solver question, 1 to ``prove.MAX_TIMEOUT``."""
    from supervisor_rules.tools.prove import MAX_TIMEOUT

    if not text.isdigit() or not 1 <= int(text) <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_TIMEOUT} seconds, got {text!r}")
    return float(text)


def prove_options(p: argparse.ArgumentParser, prove_help: str, per: str) -> None:
    """``--prove`` (``prove_help`` says what it proves), and the bounds of the proof, ``--records`` and
    ``--timeout`` (seconds per ``per``): for ``check`` and ``diff``."""
    p.add_argument("--prove", action="store_true", help=prove_help)
    p.add_argument("--records", type=_records, default=None, metavar="K",
                   help="with --prove: entries per list in the proof (default: 2, or more where the policy "
                        "compares a count with a larger number; at most 6)")
    p.add_argument("--timeout", type=_seconds, default=60, metavar="S",
                   help=f"with --prove: seconds the solver may spend per {per} (default 60)")


def _cmd_check(args: argparse.Namespace) -> int:
    fmt = _diagnostics_format(args)
    if args.files.count("-") > 1:
        return _fail("standard input (-) can be given once")
    stdin_text: str | None = None
    if "-" in args.files:
        try:
            stdin_text = _read_stdin()
        except UnicodeDecodeError:
            return _fail("standard input is not valid UTF-8")
        except OSError as exc:
            return _fail(f"cannot read standard input: {_os_message(exc)}")
    names = [name if name == "-" else _rule_file(name) for name in args.files]
    diagnostics: list[Diagnostic] = []
    seen: set[tuple] = set()
    readable: list[str] = []
    # File by file, in the order given, so each file's problems stay together;
    # a problem in a shared import (common.rules) is reported once.
    for name in names:
        for d in (sr.check_text(stdin_text or "", STDIN_SOURCE) if name == "-" else _check_one(name)):
            key = (d.source, d.line, d.column, d.severity, d.message)
            if key not in seen:
                seen.add(key)
                diagnostics.append(d)
        if name == "-" or not any(d.message.startswith("cannot read ") and _same_file(d.source, name)
                                  for d in diagnostics):
            readable.append(name)
    # Invariants are searched only in files that check clean: a broken file's
    # decisions mean nothing yet.
    invariant_lines: list[str] = []
    invariant_entries: list[dict] = []
    if args.prove:
        from supervisor_rules.tools import prove

        if not prove.available():
            return _fail("--prove needs z3: pip install 'supervisor-rules[prove]' / --prove 需要 z3")
    if args.examples > 0 or args.prove:
        progress = Progress(len(readable))
        for name in readable:
            progress.step(f"searching the invariants of {_source_of(name)}")
            if any(_same_file(d.source, _source_of(name)) and d.severity == "error" for d in diagnostics):
                continue
            try:
                loaded = _load_checked(name, stdin_text)
            except (sr.RulesError, OSError):
                continue  # a vocabulary file, or problems already reported
            from supervisor_rules.tools.invariants import invariant_check, result_entry

            # A family's invariants are its versions', and each composite's (the rules a selector takes
            # from an older version must keep the newer version's invariants too).
            targets = ([(v.id, v) for v in loaded.versions] + list(loaded.composites)
                       if isinstance(loaded, sr.Family) else [(loaded.id, loaded)])
            for label, policy in targets:
                # A composite's invariants are searched over the cases it decides (an older term for
                # an older appointment), not over every case.
                decides = (functools.partial(_decided_by, loaded, policy) if label != policy.id else None)
                if args.examples > 0:
                    lines, found, pairs = invariant_check(policy, args.examples, decides)
                else:  # --prove alone: no search, each invariant's entry carries its proof
                    from supervisor_rules.tools.invariants import InvariantResult

                    lines, found, pairs = [], [], [(InvariantResult(inv, 0), None) for inv in policy.invariants]
                invariant_lines.extend(f"{label}: {line}" for line in lines)
                if label != policy.id:  # a composite: its failures are not the version's own
                    renamed = {id(d): attrs.evolve(d, message=f"{label}: {d.message}") for d in found}
                    found = [renamed[id(d)] for d in found]
                    pairs = [(r, renamed[id(d)] if d is not None else None) for r, d in pairs]
                entries = [result_entry(r, args.examples, d, label) for r, d in pairs]
                if args.prove:
                    found += _prove(policy, label, entries, invariant_lines, args, composite=label != policy.id)
                diagnostics.extend(found)
                invariant_entries.extend(entries)
        progress.close()
    # Warnings are problems too: `check` exits 0 only for clean files, so CI
    # notices a rule that can never fire or an article nobody encoded. A file
    # that cannot be read is unusable input (2), like every other command's.
    failed = EXIT_USAGE if len(readable) < len(names) else EXIT_PROBLEMS if diagnostics else EXIT_OK

    if fmt in ("github", "sarif"):
        from supervisor_rules.tools import reporting

        rendered = reporting.render(diagnostics, fmt, ensure_ascii=not _utf8(sys.stdout))
        if rendered:
            _out(rendered)
        return failed

    if fmt == "json":
        # the diagnostics, then one entry per invariant (its own diagnostic, if any, with the search's result)
        from supervisor_rules.tools.invariants import DIAGNOSTIC_CODES

        _out(_dumps([d.to_dict() for d in diagnostics if d.code not in DIAGNOSTIC_CODES] + invariant_entries))
        return failed

    paint = _color()
    for d in diagnostics:
        _out(_paint(d.render(), d.severity) if paint else d.render())
    for name in readable:
        summary = _check_summary(name, diagnostics, stdin_text)
        if summary:
            _out(summary)
    for line in invariant_lines:
        _out(line)
    return failed


def _prove(policy, label: str, entries: list[dict], lines: list[str], args, composite: bool) -> list[Diagnostic]:
    """``check --prove``: each invariant proved within bounds, or refuted by a counterexample the engine
    confirms, or said not proved (why). Adds ``proof`` to each JSON entry and a line per invariant; returns
    the diagnostics: a refutation the search missed (error), a proof not reached (warning)."""
    from supervisor_rules.tools import prove

    by_name = {entry["invariant"]["name"]: entry for entry in entries}
    found: list[Diagnostic] = []
    spans = {inv.name: inv.span for inv in policy.invariants}
    if composite:  # a composite decides only some cases: its proof is not made (the search stands)
        for name, entry in by_name.items():
            entry["invariant"]["proof"] = {"result": "not_proved", "why": "a family's composite is searched only"}
            lines.append(f"{label}: invariant {name}: not proved 未证明 (a composite of a family is searched only / "
                         f"版本组合只做搜索)")
        return found
    for proof in prove.prove_invariants(policy, records=args.records, timeout=args.timeout):
        entry = by_name.get(proof.name)
        span = spans[proof.name]
        record = {"result": proof.result, "bounds": proof.bounds.to_dict(), "seconds": round(proof.seconds, 3),
                  "why": proof.why, "counterexample": proof.counterexample}
        if entry is not None:
            entry["invariant"]["proof"] = record
            if proof.result == "proved":
                entry["invariant"]["result"] = "proved"
                entry["invariant"]["bounds"] = {**entry["invariant"]["bounds"], **proof.bounds.to_dict()}
            elif proof.result == "violated":
                entry["invariant"]["result"] = "violated"
                entry["invariant"]["counterexample"] = entry["invariant"]["counterexample"] or proof.counterexample
                entry["invariant"]["decision"] = entry["invariant"]["decision"] or proof.decision
        case = json.dumps(proof.counterexample, ensure_ascii=False, sort_keys=True)
        if proof.result == "proved":
            lines.append(f"{label}: invariant {proof.name}: PROVED 已证明 ({proof.bounds.words()}; "
                         f"{proof.seconds:.1f} s)")
        elif proof.result == "violated":
            lines.append(f"{label}: invariant {proof.name}: REFUTED 被反驳 by a counterexample (see above)")
            if entry is None or entry["severity"] != "error":
                d = Diagnostic(span.source, span.line, span.column,
                               f"invariant `{proof.name}` is violated (proof search / 证明反例): "
                               f"counterexample: {case}", "error", None, len(proof.name), "invariant")
                found.append(d)
                if entry is not None:
                    entry.update({k: v for k, v in d.to_dict().items() if k != "code"})
        else:
            lines.append(f"{label}: invariant {proof.name}: not proved 未证明: {proof.why}")
            d = Diagnostic(span.source, span.line, span.column,
                           f"invariant `{proof.name}` is not proved 未证明: {proof.why}", "warning", None,
                           len(proof.name), "invariant-unproved")
            found.append(d)
            if entry is not None and entry["severity"] == "info":  # its entry carries the warning
                entry.update({k: v for k, v in d.to_dict().items() if k != "code"})
                entry["code"] = "invariant-unproved"
    return found


STDIN_SOURCE = "<stdin>"


def _source_of(name: str) -> str:
    return STDIN_SOURCE if name == "-" else name


def _load_checked(name: str, stdin_text: str | None):
    """The policy of a file ``check`` was given (``-``: the text read from standard input)."""
    if name == "-":
        return sr.parse_policy(stdin_text or "", source=STDIN_SOURCE)
    return sr.load_policy(name)


def _check_one(name: str) -> list[Diagnostic]:
    try:
        with open(name, "rb"):
            pass
    except ValueError:  # a NUL or a lone surrogate: no file has that name
        return [Diagnostic("<arguments>", 1, 1, f"cannot read {ascii(name)[1:-1][:80]}: no file can have that name")]
    except OSError as exc:
        return [Diagnostic(name, 1, 1, f"cannot read {name}: {_os_message(exc)}")]
    try:
        return list(sr.check_paths([name]))
    except sr.RulesError as exc:  # check_paths reports problems; it should not raise them
        return list(getattr(exc, "diagnostics", ())) or [Diagnostic(name, 1, 1, _oneline(exc))]
    except OSError as exc:
        return [Diagnostic(getattr(exc, "filename", None) or name, 1, 1, f"cannot read: {_os_message(exc)}")]


def _rule_file(name: str) -> str:
    """``check`` takes files; a shipped policy's id (with no such file here) means its file."""
    if os.path.exists(name):
        return name
    if name not in _shipped_ids():
        return name
    from supervisor_rules.resources import policies_dir

    try:
        path = policies_dir() / f"{name}.rules"
    except FileNotFoundError:
        return name
    return str(path) if os.path.isfile(path) else name


def _decided_by(family, policy, case) -> bool:
    """Whether ``family`` decides ``case`` by ``policy`` (one of its composites); a case no version
    takes (not valid for the version its ``as_of`` chooses) is decided by none."""
    try:
        return family.select(case)[0] is policy
    except sr.RulesError:
        return False


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):  # ValueError: a NUL or a lone surrogate in a name
        return a == b or Path(a) == Path(b)


def _check_summary(name: str, diagnostics: Sequence[Diagnostic], stdin_text: str | None = None) -> str | None:
    """``ID: ok (N articles)`` for a file without errors; None otherwise."""
    mine = [d for d in diagnostics if _same_file(d.source, _source_of(name))]
    if any(d.severity == "error" for d in mine):
        return None
    warnings = sum(1 for d in mine if d.severity != "error")
    note = f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
    try:
        policy = _load_checked(name, stdin_text)
    except sr.RulesError:
        # Its problems were reported above (e.g. in an imported file), or it is
        # a vocabulary module without a policy header, which is fine on its own.
        if any(d.severity == "error" for d in diagnostics):
            return None
        return f"{_source_of(name)}: ok{note}"
    except OSError:
        return None
    if isinstance(policy, sr.Family):
        listed = ", ".join(v.id for v in policy.versions)
        composites = policy.composites
        made = (f"; {len(composites)} composite{'s' if len(composites) != 1 else ''}: "
                + ", ".join(name for name, _ in composites)) if composites else ""
        return (f"{policy.id}: ok (a family of {len(policy.versions)} version{'s' if len(policy.versions) != 1 else ''}: "
                f"{listed}{made}{note})")
    count = len(policy.articles)
    return f"{policy.id}: ok ({count} article{'s' if count != 1 else ''}{note})"


# --------------------------------------------------------------------------- eval
class _CaseTooLarge(Exception):
    pass


def _read_case_text(name: str) -> str:
    """The case's text, read no further than ``MAX_CASE_BYTES`` (and one byte to know it is more)."""
    limit = MAX_CASE_BYTES + 1
    if name == "-":
        stream = sys.stdin
        buffer = getattr(stream, "buffer", None)
        data = buffer.read(limit) if buffer is not None else stream.read(limit).encode("utf-8", "surrogatepass")
    else:
        with open(name, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_CASE_BYTES:
                raise _CaseTooLarge(too_large(size))
            data = f.read(limit)
    if len(data) > MAX_CASE_BYTES:
        raise _CaseTooLarge(too_large())
    return data.decode("utf-8-sig")


def _eval_flags(args: argparse.Namespace) -> str | None:
    """What is wrong with the combination of ``eval``'s flags (a flag that does not apply), or None."""
    batch = args.batch is not None
    if args.explain and getattr(args, "no_explanation", False):
        return "--explain adds the reasons to text output; --no-explanation leaves them out: give one"
    if args.explain and batch:
        return "--explain adds the reasons to one decision's text output; it does not apply to --batch (JSON Lines)"
    if getattr(args, "no_explanation", False) and not batch:
        return "--no-explanation applies to --batch only (one case's JSON always has its explanation)"
    if hasattr(args, "jobs") and not batch:
        return "--jobs applies to --batch only"
    if args.explain and getattr(args, "format", None) == "json":
        return "--explain adds the reasons to text output; the JSON decision has them under `explanation`"
    return None


def _cmd_eval(args: argparse.Namespace) -> int:
    problem = _eval_flags(args)
    if problem is not None:
        return _fail(problem)
    lang = getattr(args, "lang", None)
    if (lang is not None or args.explain) and getattr(args, "format", None) is None and args.batch is None:
        args.format = "text"  # a language (or the reasons) asked for is text asked for
    # A batch writes JSON lines unless asked otherwise, on a terminal too.
    fmt = (getattr(args, "format", None) or "json") if args.batch is not None else _format_of(args)
    if lang is not None and fmt != "text":
        return _fail("--lang chooses the language of text output; it does not apply to JSON output"
                     + (" or --batch without --format text" if args.batch is not None else ""))
    if getattr(args, "all_rules", False) and (not args.explain or fmt != "text" or args.batch is not None):
        return _fail("--all lists every rule the evaluation met under the reasons: it needs --explain and text output")
    if args.batch is None:
        for given, flag in ((fmt == "csv", "--format csv"), (args.columns is not None, "--columns"),
                            (args.input_format is not None, "--input-format")):
            if given:
                return _fail(f"{flag} is for --batch: it does not apply to a single case")
    if args.columns is not None and fmt != "csv":
        return _fail("--columns chooses the columns of CSV output: it needs --format csv")
    if not os.path.exists(args.policy) and args.policy not in _shipped_ids():
        return _load(args.policy, fmt)[1] or EXIT_USAGE  # an unknown policy first, with a suggestion
    if args.batch is not None:
        return _cmd_batch(args)
    if args.case is None:
        return _fail("eval needs a CASE file (or - for standard input), or --batch CASES.jsonl")

    source = "<stdin>" if args.case == "-" else args.case
    try:
        text = _read_case_text(args.case)
    except OSError as exc:
        return _case_failure(fmt, f"cannot read case {source}: {_os_message(exc)}")
    except UnicodeDecodeError:
        return _case_failure(fmt, f"case {source} is not valid UTF-8")
    except _CaseTooLarge as exc:
        return _case_failure(fmt, f"case {source} is {exc}")
    try:
        case = case_loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        return _case_failure(fmt, f"case {source}: {json_problem(exc)}")

    policy, status = _load(args.policy, fmt)
    if policy is None:
        return status
    policy, status = _with_calendar_file(policy, args)
    if policy is None:
        return status

    try:
        if not isinstance(case, dict):
            raise _not_an_object(case)
        decision = policy.evaluate(case, as_of=args.as_of)
    except sr.CaseError as exc:
        if fmt == "json":
            payload = exc.to_dict()
            payload.setdefault("case", source)
            _out(_dumps(payload))
        else:
            _err(f"{PROG}: error: invalid case {source}:")
            for line in _problem_lines(exc, lang or "en"):
                _err(f"  {line}")
        return EXIT_USAGE
    except sr.RulesError as exc:
        return _case_failure(fmt, f"cannot evaluate {source}: {_oneline(exc)}")

    if fmt == "json":
        _out(_dumps(decision.to_dict()))
    else:
        _out(decision.to_text(explain=args.explain, lang=lang or "zh", labels=policy.text_labels,
                              all=args.all_rules))
    return EXIT_OK


def _case_failure(fmt: str, message: str) -> int:
    if fmt == "json":
        _out(_dumps({"error": message, "problems": []}))
        return EXIT_USAGE
    return _fail(message)


# --------------------------------------------------------------------------- batch
@contextlib.contextmanager
def _batch_lines(name: str) -> Iterator[IO]:
    """The input, to be read a line or a block at a time (memory stays flat however long the file):
    binary where it can be, so lines are decoded (and checked) one by one."""
    if name == "-":
        yield getattr(sys.stdin, "buffer", sys.stdin)
        return
    with open(name, "rb") as f:
        yield f


def _jobs(text: str) -> int:
    """``--jobs`` values: a count of processes (at most ``batch.MAX_JOBS``); ``0`` or ``auto``, one per
    CPU. The batch starts no more than the CPUs and the input's blocks can use."""
    from supervisor_rules.tools.batch import MAX_JOBS, usable_cpus

    if text == "auto":
        return usable_cpus()
    count = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else -1
    if count < 0 or count > MAX_JOBS:
        raise argparse.ArgumentTypeError(f"expected a number of processes from 0 to {MAX_JOBS}, or auto, "
                                         f"got {text[:40]!r}")
    return count or usable_cpus()


def _with_calendar_file(policy: Any, args: argparse.Namespace) -> tuple[Any, int | None]:
    """``policy`` counting working days on ``--calendar FILE`` where one is given (the default calendar
    with the file's years added or replaced); a file that cannot be used is a usage error (exit 2)."""
    name = getattr(args, "calendar", None)
    if name is None:
        return policy, None
    from supervisor_rules.dates.workdays import CalendarFileError, load_calendar

    try:
        return policy.with_calendar(load_calendar(name)), None
    except CalendarFileError as exc:
        return None, _fail(f"--calendar: {_oneline(exc)}")


@contextlib.contextmanager
def _csv_text(name: str) -> Iterator[IO[str]]:
    """A CSV input as text, read a record at a time; bytes that are not UTF-8 kept as surrogates (the
    record that holds them is refused, the run goes on)."""
    import io

    if name == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:
            yield sys.stdin
            return
        stream = io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="surrogateescape", newline="")
        try:
            yield stream
        finally:
            stream.detach()
        return
    with open(name, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        yield f


def _cmd_batch(args: argparse.Namespace) -> int:
    if args.case is not None:
        return _fail("give either CASE or --batch CASES.jsonl, not both")
    fmt = getattr(args, "format", None) or "json"
    from supervisor_rules.tools import batch, roster

    columns = roster.DEFAULT_COLUMNS
    if args.columns is not None:
        columns = tuple(c.strip() for c in args.columns.split(",") if c.strip())
    policy, status = _load(args.policy, "json" if fmt == "json" else "text")
    if policy is None:
        return status
    if fmt == "csv":
        problem = roster.columns_problem(columns, policy.decision_schema())
        if problem is not None:
            return _fail(f"--columns: {problem}")
    policy, status = _with_calendar_file(policy, args)
    if policy is None:
        return status
    calendar = None  # what a worker that loads the policy by name must count on
    if args.calendar is not None:
        calendar = policy.versions[0].calendar if isinstance(policy, sr.Family) else policy.calendar
    output = batch.Output(fmt, columns, getattr(args, "lang", None) or "zh")
    csv_input = (args.input_format or ("csv" if args.batch.lower().endswith(".csv") else "jsonl")) == "csv"

    ascii_only = not _utf8(sys.stdout)
    # Output as bytes, the same as json.dumps(decision.to_dict(), ...) written through stdout would be.
    write, flush = batch.sink(sys.stdout, ascii_only)
    jobs = getattr(args, "jobs", 1)
    tally: dict[str, int] = {}
    try:
        with (_csv_text(args.batch) if csv_input else _batch_lines(args.batch)) as source:
            header = None
            if csv_input:
                header, source = roster.csv_rows(source)
                try:
                    roster.CsvCases(header, roster.field_types(policy))
                except roster.HeaderError as exc:
                    return _fail(f"{'<stdin>' if args.batch == '-' else args.batch}: {exc}")
            if fmt == "csv":
                write(roster.csv_line(list(columns)).encode("utf-8"))
            explain = not getattr(args, "no_explanation", False)
            if jobs > 1 and batch.PARALLEL:
                bad = batch.run_parallel(policy, args.policy, args.as_of, ascii_only, jobs, source, write, flush,
                                         explain, output=output, csv_header=header,
                                         calendar=calendar, tally=tally)
            else:
                decider = batch.Decider(policy, args.as_of, ascii_only, explain, output, header)
                bad = batch.run(decider, source, write, flush,
                                line_buffered=getattr(sys.stdout, "line_buffering", False) is True)
                tally = decider.take_tally()
    except batch.WorkerFailed as exc:
        flush()
        return _fail(f"a worker process failed: {str(exc).strip()}")
    except (OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        flush()
        where = "<stdin>" if args.batch == "-" else args.batch
        reason = "not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else _os_message(exc)
        return _fail(f"cannot read {where}: {reason}")
    if tally or bad:  # an empty input: nothing to sum up
        _err(batch_summary(tally, bad))
    return EXIT_PROBLEMS if bad else EXIT_OK


def batch_summary(tally: dict[str, int], bad: int) -> str:
    """The batch's last line on standard error, in Chinese with the English beside it:
    ``已决定 123 件（在聘 120，已解聘 3），错误 2 件 / decided 123 (active 120, dismissed 3), errors 2``."""
    from supervisor_rules.contracts.decision import TEXT_WORDS

    order = [s for s in ("active", "dismissed", "not_appointed", "unknown") if s in tally]
    order += sorted(s for s in tally if s not in order)
    decided = sum(tally.values())
    zh_words, en_words = TEXT_WORDS["zh"]["status_values"], TEXT_WORDS["en"]["status_values"]
    zh = "，".join(f"{zh_words.get(s, s)} {tally[s]}" for s in order)
    en = ", ".join(f"{en_words.get(s, s)} {tally[s]}" for s in order)
    return (f"已决定 {decided} 件" + (f"（{zh}）" if zh else "") + f"，错误 {bad} 件"
            + f" / decided {decided}" + (f" ({en})" if en else "") + f", errors {bad}")


# --------------------------------------------------------------------------- schema
def _cmd_schema(args: argparse.Namespace) -> int:
    fmt = _format_of(args)  # of the errors: a JSON Schema is JSON whatever --format says
    policy, status = _load(args.policy, fmt)
    if policy is None:
        return status
    # A JSON Schema is JSON whatever --format says.
    _out(_dumps(policy.decision_schema() if args.decision else policy.schema()))
    return EXIT_OK


# --------------------------------------------------------------------------- completion
def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]], dict[str, list[str]]]:
    """(top-level options, each command's options, each option's choices) of ``parser``."""
    top: list[str] = []
    commands: dict[str, list[str]] = {}
    choices: dict[str, list[str]] = {}
    for action in parser._actions:  # noqa: SLF001 - argparse offers no public walk of its options
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, sub in action.choices.items():
                options = []
                for sub_action in sub._actions:  # noqa: SLF001
                    options.extend(sub_action.option_strings)
                    if sub_action.option_strings and sub_action.choices:
                        for option in sub_action.option_strings:
                            choices.setdefault(option, [str(c) for c in sub_action.choices])
                commands[name] = options
        else:
            top.extend(action.option_strings)
            if action.option_strings and action.choices:
                for option in action.option_strings:
                    choices.setdefault(option, [str(c) for c in action.choices])
    return top, commands, choices


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """A bash or zsh completion script for ``parser``: commands, each command's options, the choices of
    options that have them, shipped policy ids and file names elsewhere."""
    top, commands, choices = _words(parser)
    shipped = " ".join(_shipped_ids())
    cases = "\n".join(f'        {name}) opts="{" ".join(options)}" ;;' for name, options in commands.items())
    values = "\n".join(f'        {option}) COMPREPLY=($(compgen -W "{" ".join(words)}" -- "$cur")); return ;;'
                       for option, words in choices.items() if option.startswith("-"))
    script = f"""# {PROG} completion for bash (generated by `{PROG} completion bash`)
_supervisor_rules() {{
    local cur prev cmd opts i
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            -*) ;;
            *) cmd="${{COMP_WORDS[i]}}"; break ;;
        esac
    done
    case "$prev" in
{values}
    esac
    if [[ -z "$cmd" ]]; then
        COMPREPLY=($(compgen -W "{" ".join(commands)} {" ".join(top)}" -- "$cur"))
        return
    fi
    case "$cmd" in
{cases}
        *) opts="" ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ "$cmd" == completion ]]; then
        COMPREPLY=($(compgen -W "bash zsh" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "{shipped}" -- "$cur") $(compgen -f -- "$cur"))
    fi
}}
complete -o filenames -F _supervisor_rules {PROG}
"""
    if shell == "zsh":
        return (f"# {PROG} completion for zsh (generated by `{PROG} completion zsh`)\n"
                "autoload -U +X bashcompinit && bashcompinit\n" + script.split("\n", 1)[1])
    return script


def _cmd_completion(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    _out(completion_script(parser, args.shell))
    return EXIT_OK


# --------------------------------------------------------------------------- parser
def _shipped_ids() -> list[str]:
    try:
        return list(sr.builtin_policy_ids())
    except Exception:  # noqa: BLE001 - help and messages must never fail
        return []


def _shipped() -> str:
    return ", ".join(_shipped_ids())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check rule files and decide cases under the policies on medical-insurance "
                    "social supervisors (医疗保障社会监督员).",
        epilog=f"POLICY is a rule file or the id of a shipped policy ({_shipped()}).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")

    # Options are accepted before or after the command; after it they win.
    def output_options(p: argparse.ArgumentParser, *, top: bool) -> None:
        default = None if top else argparse.SUPPRESS
        p.add_argument("--format", choices=("text", "json"), default=default,
                       help="output format (default: text on a terminal, json otherwise)")

    def date_option(p: argparse.ArgumentParser, *, top: bool) -> None:
        default = None if top else argparse.SUPPRESS
        p.add_argument("--as-of", dest="as_of", type=_iso_date, metavar="DATE", default=default,
                       help="decide as of DATE (YYYY-MM-DD) instead of the case's as_of")
        if not top:
            p.set_defaults(takes_as_of=True)

    output_options(parser, top=True)
    date_option(parser, top=True)

    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser("check", help="parse and statically check rule files",
                                description="Parse and statically check rule files; report every problem "
                                            "as FILE:LINE:COL. Exit 0 clean, 1 problems found, 2 usage error.")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--examples", type=_examples, default=300, metavar="N",
                       help="cases tried per file when searching for counterexamples to its invariants "
                            "(default 300; 0 skips the search)")
    prove_options(check, "also prove each invariant with z3 for every case within bounds (dates in the "
                         "calendar's years, at most --records entries per list), or refute it with a "
                         "counterexample the engine confirms (needs the `prove` extra)", per="invariant")
    check.add_argument("--format", choices=("text", "json", "github", "sarif"), default=argparse.SUPPRESS,
                       help="output format: text, json, github (workflow annotations) or sarif (SARIF 2.1.0) "
                            "(default: text, on a terminal or not)")
    check.set_defaults(handler=_cmd_check)

    from supervisor_rules.tools.roster import DEFAULT_COLUMNS

    evaluate = commands.add_parser("eval", help="decide a case (or a JSON Lines batch of cases)",
                                   description="Decide one case (exit 0 decided, 2 invalid policy or case), "
                                               "or every line of a JSON Lines file with --batch "
                                               "(exit 0, or 1 if any line was bad).")
    evaluate.add_argument("policy", metavar="POLICY")
    evaluate.add_argument("case", nargs="?", metavar="CASE", help="a JSON file, or - for standard input")
    evaluate.add_argument("--batch", metavar="CASES.jsonl",
                          help="decide each line of a JSON Lines file (- for standard input); "
                               "writes one JSON decision per line")
    evaluate.add_argument("--jobs", type=_jobs, default=argparse.SUPPRESS, metavar="N",
                          help="with --batch: decide in N worker processes (0 or auto: one per CPU; "
                               "default 1, this process; POSIX systems only, elsewhere always this process); "
                               "the output keeps the input's order")
    evaluate.add_argument("--no-explanation", action="store_true",
                          help="with --batch: leave each decision's explanation (the trace) out, which is "
                               "faster but no longer DECISION.md's full format")
    evaluate.add_argument("--explain", action="store_true",
                          help="add the reasons to text output: why each conclusion is what it is, what would "
                               "change it, what to ask next")
    evaluate.add_argument("--all", action="store_true", dest="all_rules",
                          help="with --explain: also every rule the evaluation met, fired or not (the trace)")
    evaluate.add_argument("--lang", choices=("zh", "en"), default=None,
                          help="the language of text output: zh (default) or en; asks for text output")
    evaluate.add_argument("--input-format", dest="input_format", choices=("jsonl", "csv"), default=None,
                          help="with --batch: the input's format (default: csv for a file ending .csv, else jsonl)")
    evaluate.add_argument("--columns", default=None, metavar="COL,...",
                          help="with --batch --format csv: the columns, dotted paths into the decision "
                               f"(default: {','.join(DEFAULT_COLUMNS)})")
    evaluate.add_argument("--calendar", default=None, metavar="FILE",
                          help="add or replace working-day data: a JSON file of years with their holidays and "
                               "adjusted working days (docs/dates.md)")
    evaluate.add_argument("--format", choices=("text", "json", "csv"), default=argparse.SUPPRESS,
                          help="output format (default: text on a terminal, json otherwise; with --batch, json); "
                               "csv only with --batch")
    date_option(evaluate, top=False)
    evaluate.set_defaults(handler=_cmd_eval)

    schema = commands.add_parser("schema", help="print the JSON Schema of a policy's case format (or decision)",
                                 description="Print the JSON Schema of the policy's case format, or with "
                                             "--decision of its decisions.")
    schema.add_argument("policy", metavar="POLICY")
    schema.add_argument("--decision", action="store_true",
                        help="the schema of the policy's decisions (eval's JSON) instead of its cases")
    output_options(schema, top=False)
    schema.set_defaults(handler=_cmd_schema)

    completion = commands.add_parser("completion", help="print a shell completion script (bash or zsh)",
                                     description="Print a completion script for bash or zsh, made from this "
                                                 "command line's own options. Install it with, e.g., "
                                                 "`supervisor-rules completion bash > "
                                                 "~/.local/share/bash-completion/completions/supervisor-rules` "
                                                 "or `eval \"$(supervisor-rules completion zsh)\"` in ~/.zshrc.")
    completion.add_argument("shell", choices=("bash", "zsh"))
    completion.set_defaults(handler=functools.partial(_cmd_completion, parser))

    # Commands beyond INTERFACE.md's four live in supervisor_rules.cli.commands, one module each.
    from supervisor_rules.cli import commands as extra

    options = Options(
        output=lambda p, formats=("text", "json"): p.add_argument(
            "--format", choices=formats, default=argparse.SUPPRESS,
            help=f"output format: {', '.join(formats)} (default: text, on a terminal or not)"),
        as_of=lambda p: date_option(p, top=False), prove=prove_options)
    for info in sorted(pkgutil.iter_modules(extra.__path__), key=lambda m: m.name):
        importlib.import_module(f"{extra.__name__}.{info.name}").register(commands, options)
    return parser


class Options:
    """Shared option helpers handed to command modules."""

    def __init__(self, output, as_of, prove):
        self.output = output
        self.as_of = as_of
        self.prove = prove


def _prepare_streams() -> None:
    # Never die with UnicodeEncodeError: not on a terminal that cannot show Chinese, and not on a lone
    # surrogate that a case's JSON (`"\ud800"`) or a file name may carry, which no encoding writes.
    # Escaped as `\ud800`, it is also what JSON output should say.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (AttributeError, ValueError, OSError):
                pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (never raises SystemExit)."""
    _prepare_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help and --version (0)
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    if getattr(args, "as_of", None) is not None and not getattr(args, "takes_as_of", False):
        return _fail(f"--as-of applies to eval only, not to {args.command}")
    try:
        return args.handler(args)
    except sr.RulesError as exc:  # a command's last resort: a message, never a traceback
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`… | head`): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
