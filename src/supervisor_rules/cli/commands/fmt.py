"""``supervisor-rules fmt``: rewrite rule files in the one canonical layout.

    supervisor-rules fmt FILE...            # rewrite in place (only files that change)
    supervisor-rules fmt --check FILE...    # write nothing; exit 1 if a file would change
    supervisor-rules fmt --diff FILE...     # write nothing; print a unified diff
    supervisor-rules fmt --lang en FILE...  # also write every keyword in English (or zh)
    supervisor-rules fmt - < in.rules       # standard input to standard output

Exit status: 0 done (or, with ``--check``, nothing would change); 1 with
``--check``, some file would change; 2 usage error, or a file that cannot be
read or does not parse (its problems are reported; ``check`` says more).

``--format`` (text, json, github, sarif) chooses how findings and errors are
reported; ``--diff`` prints a patch, so it goes with text only.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile

from supervisor_rules.tools import formatter, reporting
from supervisor_rules.cli.output import diagnostics_format as format_of
from supervisor_rules.errors import Diagnostic, PolicyError

FORMATS = reporting.FORMATS
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
STDIN = "-"


def register(commands, options) -> None:
    p = commands.add_parser(
        "fmt", help="rewrite rule files in the canonical layout",
        description="Rewrite rule files in the one canonical layout (comments and provision text are kept). "
                    "Exit 0 done, 1 with --check when a file would change, 2 usage error or a file that "
                    "cannot be read or parsed.")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="rule files; - formats standard input to standard output")
    p.add_argument("--check", action="store_true",
                   help="write nothing; report each file that would change and exit 1 if any would")
    p.add_argument("--diff", action="store_true", help="write nothing; print a unified diff of the changes")
    p.add_argument("--lang", choices=("zh", "en"),
                   help="write every keyword (and article, chapter, paragraph and item marker) in this language")
    options.output(p, FORMATS)
    p.set_defaults(handler=run)


def _format_of(args: argparse.Namespace) -> str:
    if getattr(args, "format", None) is None and args.diff:
        return "text"  # a patch is text
    return format_of(args)


def _read(name: str) -> str:
    if name == STDIN:
        buffer = getattr(sys.stdin, "buffer", None)
        data = buffer.read() if buffer is not None else sys.stdin.read().encode("utf-8")
    else:
        with open(name, "rb") as f:
            data = f.read()
    return data.decode("utf-8")


def _write(name: str, text: str) -> None:
    """Replace the file's contents, keeping its permissions: atomically, through a symbolic link to
    the file it names (the link stays a link); a file with other hard links is rewritten in place,
    since a replacement would leave the other names holding the old text."""
    name = os.path.realpath(name)
    if os.stat(name).st_nlink > 1:
        with open(name, "r+b") as f:
            f.write(text.encode("utf-8"))
            f.truncate()
        return
    folder = os.path.dirname(name)
    fd, temporary = tempfile.mkstemp(prefix=".fmt-", suffix=".rules", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        try:
            os.chmod(temporary, os.stat(name).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(temporary, name)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _first_difference(old: str, new: str) -> tuple[int, str | None]:
    """The first line of ``old`` that formatting changes (1-based), and its text."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, (a, b) in enumerate(zip(old_lines, new_lines), 1):
        if a != b:
            return number, a
    if len(old_lines) != len(new_lines):
        number = min(len(old_lines), len(new_lines)) + 1
        return min(number, max(len(old_lines), 1)), (old_lines[number - 1] if number <= len(old_lines) else None)
    return 1, old_lines[0] if old_lines else None  # only line endings, a BOM or the final newline differ


def _cannot_read(name: str, message: str) -> Diagnostic:
    return Diagnostic("<stdin>" if name == STDIN else name, 1, 1, message, code="fmt")


def run(args: argparse.Namespace) -> int:
    fmt = _format_of(args)
    if args.diff and fmt != "text":
        sys.stderr.write(f"supervisor-rules fmt: error: --diff prints a patch; it goes with --format text, not {fmt}\n")
        return EXIT_USAGE
    if args.files.count(STDIN) > 1:
        sys.stderr.write("supervisor-rules fmt: error: standard input (-) can be given once\n")
        return EXIT_USAGE
    errors: list[Diagnostic] = []
    findings: list[Diagnostic] = []
    changed: list[str] = []
    unchanged = 0
    for name in args.files:
        source = "<stdin>" if name == STDIN else name
        try:
            text = _read(name)
        except OSError as exc:
            errors.append(_cannot_read(name, f"cannot read {source}: {exc.strerror or exc}"))
            continue
        except UnicodeDecodeError:
            errors.append(_cannot_read(name, f"{source} is not valid UTF-8"))
            continue
        except ValueError:  # a NUL or a lone surrogate in the name: no file can have it
            errors.append(_cannot_read(name, f"cannot read {ascii(name)[1:-1][:80]}: no file can have that name"))
            continue
        try:
            result = formatter.format_text(text, lang=args.lang, source=source)
        except PolicyError as exc:
            errors.extend(exc.diagnostics)
            continue
        except formatter.FormatError as exc:
            errors.append(_cannot_read(name, str(exc)))
            continue
        if name == STDIN and not (args.check or args.diff):
            sys.stdout.write(result)
            continue
        if result == text:
            unchanged += 1
            continue
        changed.append(source)
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                text.splitlines(keepends=True), result.splitlines(keepends=True),
                fromfile=source, tofile=f"{source} (formatted)"))
        if args.check:
            line, source_line = _first_difference(text, result)
            findings.append(Diagnostic(source, line, 1, "not in the canonical layout; `supervisor-rules fmt` "
                                       "would rewrite the file from here", "error", source_line, code="fmt"))
        elif not args.diff:
            try:
                _write(name, result)
            except OSError as exc:
                errors.append(_cannot_read(name, f"cannot write {source}: {exc.strerror or exc}"))
                changed.pop()
                continue
            sys.stderr.write(f"reformatted {source}\n")

    ascii_only = (getattr(sys.stdout, "encoding", None) or "").lower().replace("_", "-") not in ("utf-8", "utf8")
    if fmt == "text":
        if findings:
            # With --diff the patch is the output; the findings go to standard error.
            stream = sys.stderr if args.diff else sys.stdout
            stream.write(reporting.render(findings, "text") + "\n")
        if errors:
            sys.stderr.write(reporting.render(errors, "text") + "\n")
    elif args.check or errors:
        rendered = reporting.render([*errors, *findings], fmt, ensure_ascii=ascii_only)
        if rendered:
            sys.stdout.write(rendered + "\n")
    if fmt == "text" and not (len(args.files) == 1 and args.files[0] == STDIN and not (args.check or args.diff)):
        verb = "would be reformatted" if (args.check or args.diff) else "reformatted"
        summary = [f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}"] if changed else []
        if unchanged:
            summary.append(f"{unchanged} file{'s' if unchanged != 1 else ''} left unchanged")
        if errors:
            failed = len({d.source for d in errors})
            summary.append(f"{failed} file{'s' if failed != 1 else ''} could not be formatted")
        if summary:
            sys.stderr.write(", ".join(summary) + ".\n")
    if errors:
        return EXIT_USAGE
    return EXIT_FINDINGS if (args.check and findings) else EXIT_OK
