"""A gallery of broken rule files and the exact messages ``check`` gives for them.

Each ``tests/gallery/NAME.rules`` has a ``NAME.expected``: the standard output
of ``supervisor-rules check NAME.rules --format text`` run in that folder. A
change to any message shows up here as a diff of what the author would read.

After an intended change of wording, regenerate the snapshots and review the diff:

    UPDATE_SNAPSHOTS=1 python -m pytest tests/test_gallery.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from supervisor_rules import cli
from supervisor_rules.errors import display_width

GALLERY = Path(__file__).resolve().parent / "gallery"
CASES = sorted(GALLERY.glob("*.rules"))
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def check_output(capsys, monkeypatch, path: Path) -> tuple[int, str, str]:
    monkeypatch.chdir(path.parent)
    code = cli.main(["check", path.name, "--format", "text"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_gallery_has_twenty_files_or_more():
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_snapshot(capsys, monkeypatch, path):
    code, out, err = check_output(capsys, monkeypatch, path)
    expected_path = path.with_suffix(".expected")
    if UPDATE:
        expected_path.write_text(out, encoding="utf-8")
    assert expected_path.exists(), f"no snapshot for {path.name}: run with UPDATE_SNAPSHOTS=1"
    assert out == expected_path.read_text(encoding="utf-8")
    assert code == 1, "every file in the gallery is broken: check must fail"
    assert err == "" and "Traceback" not in out


# Families (docs/language.md, "Families of versions"): each broken family file beside the versions it lists.
FAMILIES = sorted((GALLERY / "families").glob("*.family"))


@pytest.mark.parametrize("path", FAMILIES, ids=lambda p: p.stem)
def test_family_snapshot(capsys, monkeypatch, path):
    test_snapshot(capsys, monkeypatch, path)


def test_no_snapshot_without_its_rule_file():
    orphans = [p.name for p in GALLERY.glob("*.expected") if not p.with_suffix(".rules").exists()]
    assert orphans == []


_HEADER = re.compile(r"^(?P<source>[^\s:]+\.rules):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning): ")


def _diagnostics(text: str):
    """(header match, source line, caret line) for each rendered diagnostic with a source line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = _HEADER.match(line)
        if match and i + 2 < len(lines) and re.match(r"^\s*\d+ \| ", lines[i + 1]):
            yield match, lines[i + 1], lines[i + 2]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_carets_stand_under_the_spot_in_terminal_columns(path):
    expected = path.with_suffix(".expected")
    assert expected.exists(), f"{expected.name} is missing: regenerate with UPDATE_SNAPSHOTS=1"
    for match, source, carets in _diagnostics(expected.read_text(encoding="utf-8")):
        gutter = source.index("| ") + 2
        shown = source[gutter:]
        column = int(match["column"])
        if shown.startswith("…"):
            continue  # a window into a long line: the column no longer indexes what is shown
        pad = len(carets) - len(carets.lstrip(" ")) - gutter
        assert pad == display_width(shown[: column - 1]), (match.group(0), source, carets)
        assert set(carets.strip()) == {"^"}


def test_carets_under_chinese_text_count_two_columns_per_character():
    text = (GALLERY / "cjk_caret.expected").read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "unknown fact" in line)
    source, carets = lines[at + 1], lines[at + 2]
    # `须 ` is three columns wide on a terminal; the caret run covers `人员.诚实` (9 columns).
    assert carets.index("^") - source.index("须") == 3
    assert carets.strip() == "^" * 9


@pytest.mark.parametrize("name, at_least", [("several_syntax_errors", 3), ("unknown_fact", 2),
                                            ("type_mismatch", 3), ("duplicate_declaration", 2)])
def test_every_problem_in_a_file_is_reported(name, at_least):
    text = (GALLERY / f"{name}.expected").read_text(encoding="utf-8")
    errors = [line for line in text.splitlines() if ": error: " in line and _HEADER.match(line)]
    assert len(errors) >= at_least


@pytest.mark.parametrize("name, suggestion", [
    ("typo_keyword_en", "did you mean `require`?"),
    ("typo_keyword_zh_close", "did you mean `包含任一`?"),
    ("unknown_fact", "did you mean `person.honest`?"),
    ("unknown_section", "did you mean `person`?"),
    ("unknown_enum_value", "did you mean `open`?"),
    ("enum_value_in_set", "did you mean `medicine`?"),
    ("cjk_caret", "did you mean `人员.诚信`?"),
])
def test_did_you_mean(name, suggestion):
    assert suggestion in (GALLERY / f"{name}.expected").read_text(encoding="utf-8")


def test_expected_tokens_are_named_in_words_not_terminal_names():
    from supervisor_rules.lang import parser

    names = {t.name for t in parser._lark().terminals} | {"$END"}
    terminals = re.compile(r"(?<![\w$])(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
                           + r")(?!\w)")
    for expected in GALLERY.glob("*.expected"):
        for line in expected.read_text(encoding="utf-8").splitlines():
            if _HEADER.match(line):
                message = line.split(": ", 2)[-1]
                assert not terminals.search(message), (expected.name, line)
