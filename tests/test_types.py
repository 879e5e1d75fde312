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
              "explain/reasons", "explain/conclusions", "explain/changes", "cli/output", "tools/reporting",
              "pytest_plugin", "lsp/positions", "lsp/analysis", "lsp/textmate")


@pytest.mark.slow
def test_typed_core_is_mypy_clean():
    files = [str(SRC / "supervisor_rules" / f"{name}.py") for name in TYPED_CORE]
    out, err, status = mypy_api.run(["--ignore-missing-imports", "--follow-imports=silent", "--no-incremental",
                                     "--no-error-summary", *files])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 0 and not errors, "\n".join(errors) or err


def test_the_package_ships_py_typed():
    assert (SRC / "supervisor_rules" / "py.typed").is_file()


def test_the_public_api_is_annotated():
    """Every function and public method of what ``supervisor_rules`` exports says its parameters' and
    return's types (PEP 561: a typed package's face is annotated)."""
    import inspect

    import supervisor_rules as sr

    missing = []

    def check(name: str, fn) -> None:
        try:
            signature = inspect.signature(fn)
        except (TypeError, ValueError):
            return
        for parameter in signature.parameters.values():
            if parameter.name in ("self", "cls") or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            if parameter.annotation is inspect.Parameter.empty:
                missing.append(f"{name}({parameter.name})")
        if signature.return_annotation is inspect.Signature.empty and not name.endswith("__init__"):
            missing.append(f"{name} -> ?")

    for export in sr.__all__:
        obj = getattr(sr, export)
        if inspect.isfunction(obj):
            check(export, obj)
        elif inspect.isclass(obj) and obj.__module__.startswith("supervisor_rules"):
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr not in ("__init__",):
                    continue
                fn = member.fget if isinstance(member, property) else getattr(member, "func", member)
                if inspect.isfunction(fn) and fn.__module__.startswith("supervisor_rules") \
                        and not fn.__qualname__.startswith(("Policy.__attrs", "_")):
                    check(f"{export}.{attr}", fn)
    assert not missing, ", ".join(missing)
