"""``supervisor-rules test [POLICY...]``: run a policy's test file and report coverage by provision.

``POLICY`` is a shipped policy's id, a rule file (its tests are the
``.tests.yaml`` file next to it), a test file itself, or ``-``: a test file on
standard input (it names its policy with ``policy:``). Without one, the
``*.rules`` files of the working folder that have a ``*.tests.yaml`` beside
them are tested (and when there are none, it says so: exit 2). ``--format
junit`` writes a JUnit XML report for CI systems. Exit 0 when every test passes (and coverage reaches
``--coverage-min``), 1 when a test fails or coverage falls short, 2 for a usage
error or input that cannot be read (a missing or malformed test file, an
invalid policy).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import attrs

import supervisor_rules as sr
# Output helpers shared by every command.
from supervisor_rules.cli.output import (Progress, diagnostics_format as _format, out as _out, read_stdin,
                                         unknown_policy, utf8 as _utf8)
from supervisor_rules.tools import policytests as pt
from supervisor_rules.errors import Diagnostic, display_width
from supervisor_rules.policy import FAMILY_SUFFIX

PROG = "supervisor-rules"
FORMATS = ("text", "json", "github", "sarif", "junit")
STDIN = "-"
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def register(commands, options) -> None:
    p = commands.add_parser(
        "test", help="run policy tests (.tests.yaml) and report coverage by provision",
        description="Run each policy's test file (POLICY.tests.yaml next to its rule file), show every failure "
                    "as expected against actual with its citations, and report which articles and items the "
                    "tests exercised and whether each of their conditions was seen both true and false. "
                    "Exit 0 clean, 1 failures or coverage below --coverage-min, 2 usage error or unreadable "
                    "input.")
    p.add_argument("policies", nargs="*", metavar="POLICY",
                   help="a shipped policy id, a rule file, a .tests.yaml file or - (a test file on standard input, "
                        "naming its policy); default: the *.rules files here with a *.tests.yaml beside them")
    p.add_argument("--coverage-min", dest="coverage_min", type=_percent, metavar="PCT",
                   help="fail when a policy's provision coverage is below PCT percent")
    p.add_argument("--calendar", default=None, metavar="FILE",
                   help="add or replace working-day data: a JSON file of years with their holidays and "
                        "adjusted working days (docs/dates.md)")
    options.output(p, FORMATS)
    p.set_defaults(handler=run)


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage (0-100), got {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"expected a percentage between 0 and 100, got {text!r}")
    return value


def _display(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


# ------------------------------------------------------------------ targets
def _shipped() -> list[str]:
    try:
        return list(sr.builtin_policy_ids())
    except Exception:  # noqa: BLE001 - an installation without policies
        return []


def _resolve(name: str) -> tuple[object, "str | pt.TestFile"]:
    """(policy, tests path or the test file read from standard input) for one POLICY argument; raises RulesError / TestFileError when it cannot."""
    from supervisor_rules.resources import policies_dir

    if name == STDIN:
        file = pt.parse_tests(read_stdin(), "<stdin>")
        if not file.policy:
            raise pt.TestFileError([Diagnostic("<stdin>", 1, 1, "a test file on standard input names its policy "
                                                            "with `policy:` (a shipped id or a rule file's path)",
                                               code="test-file")])
        return sr.resolve_policy(file.policy), file
    if name.endswith(pt.TESTS_SUFFIX):
        tests = Path(name)
        stem = tests.name[: -len(pt.TESTS_SUFFIX)]
        rules = tests.with_name(stem + ".rules")
        if os.path.isfile(rules):  # False, not OSError, for a name too long
            return sr.load_policy(rules), str(tests)
        family = tests.with_name(stem + FAMILY_SUFFIX)
        if os.path.isfile(family):
            return sr.load_policy(family), str(tests)
        # a test file elsewhere names its policy: a shipped id, or a rule or family file beside it
        file = pt.load_tests(tests)
        if file.policy:
            return sr.resolve_policy(_beside(tests, file.policy)), str(tests)
        raise pt.TestFileError([Diagnostic(str(tests), 1, 1, f"no rule file {rules.name} next to the test file, "
                                                             f"and it names no `policy:`", code="test-file")])
    path = Path(name)
    if os.path.exists(path) or name.endswith(".rules") or "/" in name or os.sep in name:
        return sr.load_policy(path), str(pt.tests_path_for(path))
    if name in _shipped():
        return sr.builtin_policy(name), str(policies_dir() / f"{name}{pt.TESTS_SUFFIX}")
    raise sr.RulesError(unknown_policy(name, _shipped()))


def _beside(tests: Path, named: str) -> str:
    """A test file's ``policy:``: a file's path is read from the test file's folder."""
    if named.endswith((".rules", FAMILY_SUFFIX)) and not os.path.isabs(named):
        return str(tests.parent / named)
    return named


def _names(file: pt.TestFile, policy) -> bool:
    """Whether a test file's ``policy:`` names ``policy``: its id, or (a path) its file."""
    if file.policy == policy.id:
        return True
    if not file.policy.endswith((".rules", FAMILY_SUFFIX)):
        return False
    try:
        return os.path.samefile(_beside(Path(file.path), file.policy), policy.source)
    except (OSError, ValueError):
        return False


def _errors_of(name: str, exc: Exception) -> list[Diagnostic]:
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics:
        return list(diagnostics)
    return [Diagnostic(name, 1, 1, " ".join(str(exc).split()) or type(exc).__name__, code="test-file")]


# ------------------------------------------------------------------ the command
def _here() -> list[str]:
    """The rule files (``*.rules``) of the working folder that have a ``*.tests.yaml`` beside them."""
    try:
        names = sorted(os.listdir("."))
    except OSError:
        return []
    return [name for name in names if name.endswith(".rules") and os.path.isfile(name)
            and os.path.isfile(pt.tests_path_for(name))]


def run(args) -> int:
    fmt = _format(args)
    names = args.policies or _here()
    if not names:
        sys.stderr.write(f"{PROG}: error: no *.rules file in this folder ({os.getcwd()}) has a *{pt.TESTS_SUFFIX} "
                         f"beside it; name the policies to test (a rule file, a test file or a shipped id: "
                         f"{', '.join(_shipped())})\n")
        return EXIT_USAGE
    if names.count(STDIN) > 1:
        sys.stderr.write(f"{PROG}: error: standard input (-) can be given once\n")
        return EXIT_USAGE
    calendar = None
    if getattr(args, "calendar", None) is not None:
        from supervisor_rules.dates.workdays import CalendarFileError, load_calendar

        try:
            calendar = load_calendar(args.calendar)
        except CalendarFileError as exc:
            sys.stderr.write(f"{PROG}: error: --calendar: {' '.join(str(exc).split())}\n")
            return EXIT_USAGE
    runs: list[pt.RunResult] = []
    errors: list[Diagnostic] = []
    progress = Progress(len(names))
    for name in names:
        progress.step(f"testing {name}")
        try:
            policy, tests = _resolve(name)
            if calendar is not None:
                policy = policy.with_calendar(calendar)
            file = tests if isinstance(tests, pt.TestFile) else pt.load_tests(tests)
        except (sr.RulesError, OSError) as exc:
            errors.extend(_errors_of(name, exc))
            continue
        if file.policy is not None and not _names(file, policy):
            errors.append(Diagnostic(file.path, 1, 1, f"test file is for policy `{file.policy}`, "
                                                      f"but {name} is `{policy.id}`", "error",
                                     file.source_line(1), 1, "test-file"))
            continue
        runs.append(pt.run_tests(policy, file))
    progress.close()

    minimum = args.coverage_min
    short = [r for r in runs if minimum is not None and r.coverage.percent + 1e-9 < minimum]
    failed = any(not r.passed for r in runs)
    status = EXIT_USAGE if errors else EXIT_FINDINGS if (failed or short) else EXIT_OK

    if fmt == "json":
        _out(json.dumps(_json(runs, errors, minimum, status), ensure_ascii=not _utf8(sys.stdout), indent=2))
    elif fmt == "junit":
        from supervisor_rules.tools import reporting

        _out(reporting.junit_xml(_suites(runs, errors, minimum)))
    elif fmt in ("github", "sarif"):
        diagnostics = list(errors)
        for r in runs:
            diagnostics.extend(pt.diagnostics(r))
            if minimum is not None:
                diagnostics.extend(pt.coverage_diagnostics(r, minimum))
        try:
            from supervisor_rules.tools import reporting
        except ImportError:
            sys.stderr.write(f"{PROG}: error: --format {fmt} needs supervisor_rules.tools.reporting\n")
            return EXIT_USAGE
        # paths relative to the working directory where they lie under it (as CI annotations want)
        diagnostics = [attrs.evolve(d, source=_display(d.source)) for d in diagnostics]
        text = reporting.render(diagnostics, fmt)
        if text:
            _out(text)
    else:
        _text(runs, errors, minimum)
    return status


# ------------------------------------------------------------------ JUnit
def _suites(runs, errors, minimum) -> list:
    """The runs as JUnit test suites: one per policy, a test case per test (named by the test's name,
    its class the policy's id), a failure with the expected and actual fields; a file that cannot be
    used, a suite with one erroring case; coverage below ``--coverage-min``, a failing case."""
    from supervisor_rules.tools.reporting import JUnitCase, JUnitSuite

    suites = []
    for r in runs:
        cites = pt.citation_index(r.policy)
        cases = []
        for result in r.results:
            failure = None
            if not result.passed:
                lines = [f"why: {result.test.why}"] if result.test.why else []
                if result.error:
                    lines.append(result.error)
                for m in result.mismatches:
                    actual = "(absent)" if m.kind == "missing" else pt.show(m.actual, cites)
                    lines.append(f"{m.path or 'decision'}: expected {pt.show(m.expected, cites)}, actual {actual}")
                failure = "\n".join(lines)
            cases.append(JUnitCase(result.test.name, r.policy.id, _display(r.file.path), result.test.line,
                                   failure=failure, message=(failure or "").split("\n")[0] or None))
        if minimum is not None:
            short = r.coverage.percent + 1e-9 < minimum
            text = f"provision coverage {r.coverage.percent:.1f}% (minimum {minimum:g}%)"
            cases.append(JUnitCase("coverage", r.policy.id, _display(r.file.path), 1,
                                   failure=text if short else None, message=text if short else None))
        suites.append(JUnitSuite(f"{r.policy.id} ({_display(r.file.path)})", tuple(cases)))
    for d in errors:
        suites.append(JUnitSuite(_display(d.source), (JUnitCase("read the test file", "", _display(d.source), d.line,
                                                                 error=d.message, message=d.message),)))
    return suites


# ------------------------------------------------------------------ JSON
def _json(runs, errors, minimum, status) -> dict:
    out = []
    for r in runs:
        cites = pt.citation_index(r.policy)
        results = []
        for result in r.results:
            line, column = result.position
            entry = {"name": result.test.name, "line": result.test.line, "passed": result.passed}
            if not result.passed:
                entry["at"] = {"line": line, "column": column}
                entry["why"] = result.test.why
                entry["error"] = result.error
                entry["mismatches"] = [{
                    "path": m.path, "kind": m.kind, "expected": m.expected, "actual": m.actual,
                    "expected_shown": pt.show(m.expected, cites),
                    "actual_shown": None if m.kind == "missing" else pt.show(m.actual, cites),
                    "message": m.message} for m in result.mismatches]
            results.append(entry)
        out.append({"policy": r.policy.id, "source": r.policy.source, "tests_file": r.file.path,
                    "tests": len(r.results), "passed": len(r.results) - len(r.failures),
                    "failed": len(r.failures), "results": results, "coverage": r.coverage.to_dict(),
                    "coverage_ok": minimum is None or r.coverage.percent + 1e-9 >= minimum})
    return {"ok": status == EXIT_OK, "exit": status, "coverage_min": minimum, "policies": out,
            "errors": [d.to_dict() for d in errors]}


# ------------------------------------------------------------------ text
def _pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def _text(runs, errors, minimum) -> None:
    for d in errors:
        sys.stderr.write(d.render() + "\n")
    for r in runs:
        cites = pt.citation_index(r.policy)
        where = _display(r.file.path)
        passed = len(r.results) - len(r.failures)
        _out(f"{r.policy.id}: {where}: {len(r.results)} tests, {passed} passed"
             + (f", {len(r.failures)} failed" if r.failures else ""))
        for result in r.failures:
            line, column = result.position
            _out("")
            _out(f"FAIL {where}:{line}:{column}: {result.test.name}")
            if result.test.why:
                _out(f"  why: {result.test.why}")
            if result.error:
                _out(f"  {result.error}")
            for m in result.mismatches:
                _out(f"  {m.path or 'decision'}:")
                _out(f"    expected: {pt.show(m.expected, cites)}")
                _out(f"    actual:   {'(absent)' if m.kind == 'missing' else pt.show(m.actual, cites)}")
        if r.failures:
            _out("")
        _coverage_table(r, minimum)
        _out("")
    if len(runs) > 1 or errors:
        total = sum(len(r.results) for r in runs)
        failed = sum(len(r.failures) for r in runs)
        figures = ", ".join(f"{r.policy.id} {r.coverage.percent:.1f}%" for r in runs)
        _out(f"{len(runs)} polic{'y' if len(runs) == 1 else 'ies'}: {total} tests, {total - failed} passed"
             + (f", {failed} failed" if failed else "") + (f"; coverage {figures}" if runs else "")
             + (f" (minimum {minimum:g}%)" if minimum is not None else "")
             + (f"; {len(errors)} unreadable input(s)" if errors else ""))


def _coverage_table(r: pt.RunResult, minimum) -> None:
    cov = r.coverage
    counts = cov.counts()
    verdict = ""
    if minimum is not None:
        verdict = "  OK" if cov.percent + 1e-9 >= minimum else f"  BELOW --coverage-min {minimum:g}%"
    _out(f"Coverage by provision: {cov.covered}/{cov.total} provisions covered ({cov.percent:.1f}%); "
         f"rules {counts['rules_both_ways']}/{counts['rules']} and conditions "
         f"{counts['conditions_both_ways']}/{counts['conditions']} seen both true and false{verdict}")
    ref_width = max((len(p.citation.ref) for p in cov.provisions), default=4)
    cite_width = max((display_width(p.citation.cite) for p in cov.provisions), default=8)
    version = None
    for p in cov.provisions:
        if p.version is not None and p.version != version:  # a family: each version's provisions apart
            version = p.version
            mine = next(c for c in cov.by_version if c.policy.id == version)
            _out(f"  {version}: {mine.covered}/{mine.total} provisions covered ({mine.percent:.1f}%)")
        parts = []
        for rule in p.rules:
            yes, no = pt.SIDES.get(rule.kind, ("true", "false"))
            sides = [side for side, seen in ((yes, rule.true), (no, rule.false)) if seen]
            text = f"{rule.kind}: " + (" + ".join(sides) if sides else "only unknown" if rule.unknown
                                       else "never reached")
            if rule.conditions:
                both = sum(1 for c in rule.conditions if c.both)
                text += f", conditions {both}/{len(rule.conditions)}"
            parts.append(text)
        mark = {"covered": "covered", "partial": "PARTIAL", "not exercised": "MISSING"}[p.state]
        _out(f"  {mark:<8} {p.citation.ref:<{ref_width}}  {_pad(p.citation.cite, cite_width)}  {'; '.join(parts)}")
        if p.state == "partial":
            for gap in p.gaps():
                _out(f"  {'':<8} {'':<{ref_width}}  {'':<{cite_width}}  - {gap}")
