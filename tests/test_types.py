"""mypy over the typed core: the AST, errors, calendar arithmetic, case validation, the checker,
decisions and the ``Policy`` seam. A module joins the list once it is clean; the list only grows."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api as mypy_api  # the test extra (constraints/test.txt)


SRC = Path(__file__).resolve().parent.parent / "src"
TYPED_CORE = ("__init__", "errors", "policy", "lang/nodes", "lang/numerals", "lang/checker", "dates/periods",
              "dates/workdays", "dates/ages", "dates/deadlines", "contracts/decision", "contracts/case", "lang/keywords", "engine/__init__",
              "questions/__init__", "questions/base", "engine/reference",
              "questions/eligibility", "questions/term", "questions/status", "questions/violations",
              "questions/recusal", "questions/obligations", "questions/report", "questions/findings",
              "questions/notices", "contracts/reasons", "contracts/decision_schema", "explain/__init__",
              "explain/reasons", "explain/conclusions", "explain/changes")


@pytest.mark.slow
def test_typed_core_is_mypy_clean():
    files = [str(SRC / "supervisor_rules" / f"{name}.py") for name in TYPED_CORE]
    out, err, status = mypy_api.run(["--ignore-missing-imports", "--follow-imports=silent", "--no-incremental",
                                     "--no-error-summary", *files])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 0 and not errors, "\n".join(errors) or err
