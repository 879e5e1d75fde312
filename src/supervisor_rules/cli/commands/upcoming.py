"""``supervisor-rules upcoming POLICY ROSTER --within 60d``: terms ending, duties falling due or
overdue and missing calendar years across a roster, in date order (``tools/upcoming.py``).

``ROSTER`` is JSON Lines or CSV (``.csv``, or ``--input-format csv``) of cases with ids (``-``:
standard input). Text by default (Chinese; ``--lang en``), or ``--format json|csv``. A record that
cannot be decided is reported (on standard error for text and CSV, under ``errors`` in JSON) and the
run goes on. Exit 0, or 1 if a record was bad; 2 for a usage error (a bad ``--within``, an unknown
policy, an unreadable roster or calendar file, a CSV header naming no fact of the policy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys

import supervisor_rules as sr
from supervisor_rules.cli.output import out as _out
from supervisor_rules.dates.workdays import CalendarFileError, load_calendar
from supervisor_rules.tools import batch, roster
from supervisor_rules.tools import upcoming as up

PROG = "supervisor-rules"
EXIT_OK, EXIT_BAD_RECORD, EXIT_USAGE = 0, 1, 2


def register(commands, options) -> None:
    p = commands.add_parser(
        "upcoming", help="terms ending, duties falling due and missing calendar years across a roster",
        description="For each case of a roster (JSON Lines or CSV with ids), list what falls in [as_of, "
                    "as_of + WITHIN] or is already overdue: terms ending with no renewal recorded, duties "
                    "falling due or overdue, years the working-day calendar lacks, in date order. Exit 0, "
                    "1 if a record was bad, 2 usage error.")
    p.add_argument("policy", metavar="POLICY")
    p.add_argument("roster", metavar="ROSTER", help="a JSON Lines or CSV file of cases with ids (- for standard input)")
    p.add_argument("--within", required=True, type=_within, metavar="WINDOW",
                   help="the window after each case's as_of: 60d, 8w, 3m or 1y")
    p.add_argument("--input-format", dest="input_format", choices=("jsonl", "csv"), default=None,
                   help="the roster's format (default: csv for a file ending .csv, else jsonl)")
    p.add_argument("--lang", choices=("zh", "en"), default=None,
                   help="the language of the descriptions: zh (default) or en")
    p.add_argument("--calendar", default=None, metavar="FILE",
                   help="add or replace working-day data: a JSON file of years with their holidays and "
                        "adjusted working days (docs/dates.md)")
    p.add_argument("--format", choices=("text", "json", "csv"), default=argparse.SUPPRESS,
                   help="output format: text (default), json or csv")
    options.as_of(p)
    p.set_defaults(handler=run)


def _within(text: str) -> str:
    """``--within`` values: checked here, so a bad one is a usage error before anything is read."""
    try:
        up.window_end(dt.date(2000, 1, 1), text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip().lower()


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG} upcoming: error: {message}\n")
    return EXIT_USAGE


def run(args) -> int:
    fmt = getattr(args, "format", None) or "text"
    lang = args.lang or "zh"
    try:
        policy = sr.resolve_policy(args.policy)
    except sr.PolicyError as exc:
        return _fail(f"invalid policy {args.policy}: " + "; ".join(d.header() for d in exc.diagnostics))
    except (sr.RulesError, OSError) as exc:
        return _fail(f"cannot load policy {args.policy}: {' '.join(str(exc).split())}")
    if args.calendar is not None:
        try:
            policy = policy.with_calendar(load_calendar(args.calendar))
        except CalendarFileError as exc:
            return _fail(f"--calendar: {' '.join(str(exc).split())}")
    where = "<stdin>" if args.roster == "-" else args.roster
    csv_input = (args.input_format or ("csv" if args.roster.lower().endswith(".csv") else "jsonl")) == "csv"
    try:
        stream = _open(args.roster, csv_input)
    except OSError as exc:
        return _fail(f"cannot read {where}: {exc.strerror or exc}")
    try:
        with stream:
            if csv_input:
                header, rows = roster.csv_rows(stream)
                try:
                    roster.CsvCases(header, roster.field_types(policy))
                except roster.HeaderError as exc:
                    return _fail(f"{where}: {exc}")
                records = up.csv_records(header, rows, policy)
            else:
                records = up.roster_records(batch.lines_of(stream))
            events, bad = up.upcoming(policy, records, args.within, args.as_of)
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else (getattr(exc, "strerror", None) or exc)
        return _fail(f"cannot read {where}: {reason}")
    values = policy.text_labels.values
    if fmt == "json":
        _out(up.json_document(events, bad, args.within, lang, values))
    elif fmt == "csv":
        sys.stdout.write(roster.csv_line(list(up.CSV_COLUMNS)))
        for event in events:
            sys.stdout.write(roster.csv_line(up.csv_cells(event, lang, values)))
    else:
        for event in events:
            _out(up.text_line(event, lang, values))
        if not events:
            _out("窗口内没有到期事项" if lang == "zh" else "nothing falls due in the window")
    if fmt != "json":
        for record in bad:
            problems = list(record.problems)
            sys.stderr.write(f"{where}:{record.line}: " + roster.error_text(record.ident, record.line, lang,
                                                                            record.error, problems) + "\n")
    return EXIT_BAD_RECORD if bad else EXIT_OK


def _open(name: str, csv_input: bool):
    if name == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if csv_input:
            if buffer is None:
                return _Borrowed(sys.stdin)
            return _Detaching(io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="surrogateescape", newline=""))
        return _Borrowed(buffer if buffer is not None else sys.stdin)
    if csv_input:
        return open(name, encoding="utf-8-sig", errors="surrogateescape", newline="")
    return open(name, "rb")


class _Borrowed:
    """Standard input, used and not closed."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self.stream

    def __exit__(self, *exc) -> None:
        return None


class _Detaching(_Borrowed):
    """A text layer over standard input's buffer, detached (not closing the buffer) when done."""

    def __exit__(self, *exc) -> None:
        self.stream.detach()
