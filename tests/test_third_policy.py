"""The third regulation (examples/policies/lanjiang*): what issue 11's "done when" asks of it, in
the suite, so that CI guards it — `check` (invariants searched), `test --coverage-min 100` and
`fmt --check` pass on both versions and on the family. `check` (its invariant search at the
default budget) is behind the `slow` marker, which CI runs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANJIANG = ROOT / "examples" / "policies"
VERSIONS = [LANJIANG / "lanjiang-2021.rules", LANJIANG / "lanjiang-2025.rules"]
FAMILY = LANJIANG / "lanjiang.family"


@pytest.mark.parametrize("target", [*VERSIONS, FAMILY], ids=lambda p: p.name)
def test_its_tests_pass_and_cover_every_provision(cli, target):
    code, out, err = cli("test", target, "--coverage-min", "100", "--format", "text")
    assert code == 0, out + err
    assert "(100.0%)" in out and "FAIL" not in out


def test_it_is_formatted():
    from supervisor_rules.tools.formatter import format_text

    for path in VERSIONS:
        text = path.read_text(encoding="utf-8")
        assert format_text(text, source=str(path)) == text, path.name


@pytest.mark.slow  # the invariant search at check's default budget (a smaller one leaves some unexercised)
def test_check_is_clean_with_its_invariants(cli):
    code, out, err = cli("check", *VERSIONS, FAMILY, "--format", "text")
    assert code == 0, out + err
