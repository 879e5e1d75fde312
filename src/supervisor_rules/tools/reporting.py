"""Diagnostics for people and for CI: ``--format text|json|github|sarif``.

``render(diagnostics, fmt)`` is the one place that turns ``errors.Diagnostic``
objects into output, for every command that reports findings (``check``,
``test``, ``fmt --check``):

- ``text``: ``FILE:LINE:COL: error: message``, the source line and a caret
  under the spot (CJK characters take two columns);
- ``json``: a JSON array of ``Diagnostic.to_dict()``;
- ``github``: GitHub Actions workflow commands
  (``::error file=…,line=…,col=…,title=…::message``), one per line, which the
  runner turns into annotations on the pull request;
- ``sarif``: one SARIF 2.1.0 log (a single run; one rule per family of
  messages: the diagnostics' codes, ``errors.DIAGNOSTIC_CODES``, each with its
  description in English and, as ``fullDescription``, Chinese), for GitHub code
  scanning and other SARIF viewers.

``junit_xml(suites)`` writes policy test results (``test --format junit``) as
a JUnit XML report, for CI systems without pytest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import attrs

from supervisor_rules.errors import DIAGNOSTIC_CODES, Diagnostic

__all__ = ["FORMATS", "JUnitCase", "JUnitSuite", "SARIF_SCHEMA", "SARIF_VERSION", "junit_xml", "render", "sarif_log"]

FORMATS = ("text", "json", "github", "sarif")
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

# What each diagnostic code means, for SARIF's rule descriptions (English, Chinese). A code not
# listed there is described by its name.
_RULE_DESCRIPTIONS = DIAGNOSTIC_CODES
_GITHUB_LEVELS = {"error": "error", "warning": "warning"}
_SARIF_LEVELS = {"error": "error", "warning": "warning"}


def render(diagnostics: Iterable[Diagnostic], fmt: str, *, tool: str = "supervisor-rules",
           ensure_ascii: bool = False) -> str:
    """``diagnostics`` in ``fmt`` (one of ``FORMATS``), as one string (no trailing newline)."""
    diagnostics = list(diagnostics)
    if fmt == "text":
        return "\n".join(d.render() for d in diagnostics)
    if fmt == "json":
        return json.dumps([d.to_dict() for d in diagnostics], ensure_ascii=ensure_ascii, indent=2)
    if fmt == "github":
        return "\n".join(_github(d) for d in diagnostics)
    if fmt == "sarif":
        return json.dumps(sarif_log(diagnostics, tool=tool), ensure_ascii=ensure_ascii, indent=2)
    raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")


# --------------------------------------------------------------------------- github
def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(d: Diagnostic) -> str:
    level = _GITHUB_LEVELS.get(d.severity, "notice")
    properties = [f"file={_escape_property(_posix(d.source))}", f"line={max(d.line, 1)}", f"col={max(d.column, 1)}"]
    properties.append(f"title={_escape_property(f'supervisor-rules {d.code}')}")
    return f"::{level} {','.join(properties)}::{_escape_data(d.message)}"


def _posix(path: str) -> str:
    return path.replace(os.sep, "/") if os.sep != "/" else path


# --------------------------------------------------------------------------- sarif
def _version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("supervisor-rules")
    except (ImportError, PackageNotFoundError):
        from supervisor_rules import __version__

        return __version__


def _artifact(source: str) -> dict:
    """A SARIF artifactLocation: a relative URI against %SRCROOT%, or a file URI."""
    path = Path(source)
    if path.is_absolute():
        try:
            return {"uri": path.as_uri()}
        except ValueError:
            pass
    posix = PurePosixPath(_posix(source)).as_posix()
    location = {"uri": quote(os.fsencode(posix), safe="/")}  # bytes: a surrogate-escaped name quotes as its bytes
    if not source.startswith("<"):
        location["uriBaseId"] = "%SRCROOT%"
    return location


def sarif_log(diagnostics: Iterable[Diagnostic], *, tool: str = "supervisor-rules") -> dict:
    """A SARIF 2.1.0 log (as a dict) with one run holding ``diagnostics``."""
    diagnostics = list(diagnostics)
    codes: list[str] = []
    for d in diagnostics:
        if d.code not in codes:
            codes.append(d.code)
    rules = [{"id": code,
              "name": "".join(part.capitalize() for part in code.replace("_", "-").split("-")) or code,
              "shortDescription": {"text": _RULE_DESCRIPTIONS.get(code, (f"supervisor-rules diagnostic `{code}`.",))[0]},
              **({"fullDescription": {"text": f"{_RULE_DESCRIPTIONS[code][0]} {_RULE_DESCRIPTIONS[code][1]}"}}
                 if code in _RULE_DESCRIPTIONS else {})}
             for code in codes]
    results = []
    for d in diagnostics:
        line, column = max(d.line, 1), max(d.column, 1)
        region = {"startLine": line, "startColumn": column, "endLine": line, "endColumn": column + max(d.length, 1)}
        results.append({
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code),
            "level": _SARIF_LEVELS.get(d.severity, "note"),
            "message": {"text": d.message},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(d.source), "region": region}}],
        })
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": tool, "version": _version(), "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


# --------------------------------------------------------------------------- junit
@attrs.frozen
class JUnitCase:
    """One test case of a JUnit report: passed, failed (``failure``: the details) or in error (``error``)."""

    name: str
    classname: str
    file: str
    line: int
    failure: str | None = None
    error: str | None = None
    message: str | None = None
    time: float = 0.0


@attrs.frozen
class JUnitSuite:
    name: str
    cases: tuple[JUnitCase, ...]


def junit_xml(suites: Iterable[JUnitSuite]) -> str:
    """A JUnit XML report (the ``<testsuites>`` form Jenkins, GitLab and most CI systems read) of
    ``suites``: counts of tests, failures and errors on every suite and on the whole."""
    from xml.etree import ElementTree as ET

    suites = list(suites)
    root = ET.Element("testsuites", name="supervisor-rules")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in suites:
        counts = {"tests": len(suite.cases), "failures": sum(1 for c in suite.cases if c.failure is not None),
                  "errors": sum(1 for c in suite.cases if c.error is not None)}
        node = ET.SubElement(root, "testsuite", {"name": suite.name, "skipped": "0", "time": "0",
                                                 **{k: str(v) for k, v in counts.items()}})
        for key, value in counts.items():
            totals[key] += value
        for case in suite.cases:
            item = ET.SubElement(node, "testcase", name=case.name, classname=case.classname, file=case.file,
                                 line=str(case.line), time=f"{case.time:.3f}")
            for kind, text in (("failure", case.failure), ("error", case.error)):
                if text is not None:
                    element = ET.SubElement(item, kind, message=_xml_safe(case.message or text.split("\n")[0]),
                                            type=kind)
                    element.text = _xml_safe(text)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


_XML_UNSAFE = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF], "\ufffd")


def _xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry at all (control characters, lone surrogates)."""
    text = text.translate(_XML_UNSAFE)
    return text.encode("utf-8", "replace").decode("utf-8") if any("\ud800" <= ch <= "\udfff" for ch in text) else text
