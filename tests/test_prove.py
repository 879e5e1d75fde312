"""``--prove``: invariants proved or refuted (counterexample re-checked by the engine), policies proved
equivalent or told apart by a witness both engines confirm."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import z3  # noqa: F401,E402 - the test extra installs the `prove` extra: a missing one fails, never skips

import supervisor_rules as sr  # noqa: E402
from supervisor_rules.tools import invariants as inv_module  # noqa: E402
from supervisor_rules.tools.prove import prove_equivalent, prove_invariants  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
FALSE = """
不变式 false_last_day "错误"
  依据 第五条
  当 appointment.start 已知
  则 结论.届满日 != 2026-03-01
"""


def _wuhan(tmp_path: Path, *edits: tuple[str, str], append: str = "", name: str = "wuhan.rules") -> Path:
    shutil.copy(POLICIES / "common.rules", tmp_path / "common.rules")
    text = (POLICIES / "wuhan.rules").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text + append, encoding="utf-8")
    return path


@pytest.mark.parametrize("policy_id", ["wuhan", "guangxi"])
def test_shipped_invariants_are_proved(policy_id):
    results = prove_invariants(sr.builtin_policy(policy_id))
    assert results and {r.result for r in results} == {"proved"}, [(r.name, r.why) for r in results]


@pytest.mark.slow
def test_third_policy_invariants_are_proved():
    results = prove_invariants(sr.load_policy(ROOT / "examples" / "policies" / "lanjiang-2025.rules"))
    assert results and {r.result for r in results} == {"proved"}, [(r.name, r.why) for r in results]


def test_false_invariant_refuted_with_an_engine_checked_counterexample(tmp_path):
    policy = sr.load_policy(_wuhan(tmp_path, append=FALSE))
    (result,) = prove_invariants(policy, names={"false_last_day"})
    assert result.result == "violated"
    case = result.counterexample
    assert case["appointment"] == {"start": "2023-03-01"}  # shrunk: no renewal
    decision = policy.evaluate(case)
    assert decision.term.last_day.isoformat() == "2026-03-01"
    compiled = [inv for inv in policy.invariants if inv.name == "false_last_day"]
    assert inv_module.violated(policy, compiled, case)[0]


def test_check_prove_cli(cli, tmp_path):
    code, out, err = cli("check", "--prove", "--examples", "0", "--format", "json", _wuhan(tmp_path, append=FALSE))
    assert code == 1, err
    entries = {e["invariant"]["name"]: e["invariant"] for e in json.loads(out) if "invariant" in e}
    assert entries["false_last_day"]["result"] == "violated"
    assert entries["false_last_day"]["counterexample"]["appointment"]["start"] == "2023-03-01"
    assert entries["natural_dismissal"]["result"] == "proved"
    assert entries["natural_dismissal"]["bounds"]["records_per_list"] == 2


def test_equivalent_rewrite_is_proved_equivalent(tmp_path):
    # `a <= b` rewritten `not (a > b)`, and a conjunction reordered: the same decisions for every case.
    path = _wuhan(tmp_path, ("当 appointment.start <= 基准日 且 appointment.certificate_issued = 假",
                             "当 appointment.certificate_issued = 假 且 非 (appointment.start > 基准日)"))
    proof = prove_equivalent(sr.builtin_policy("wuhan"), sr.load_policy(path))
    assert proof.equivalent, [(f.field, f.result, f.why) for f in proof.fields if f.result != "equal"]


def test_different_mutant_refuted_with_a_witness(tmp_path):
    path = _wuhan(tmp_path, ("期限 conduct.information_changed_on 后 7 个工作日",
                             "期限 conduct.information_changed_on 后 5 个工作日"))
    old, new = sr.builtin_policy("wuhan"), sr.load_policy(path)
    proof = prove_equivalent(old, new)
    assert not proof.equivalent and proof.witnesses
    for field in proof.witnesses:
        a, b = old.evaluate(field.witness), new.evaluate(field.witness)
        assert a.to_dict()["obligations"] != b.to_dict()["obligations"]


@pytest.mark.slow
def test_diff_prove_cli_exit_codes(cli, tmp_path):
    same = _wuhan(tmp_path, ("当 appointment.start <= 基准日 且 appointment.certificate_issued = 假",
                             "当 appointment.certificate_issued = 假 且 非 (appointment.start > 基准日)"))
    code, out, err = cli("diff", "wuhan", same, "--prove", "--examples", "50", "--format", "json")
    payload = json.loads(out)
    assert code == 0, payload["exit"]
    assert payload["proof"]["equivalent"] is True


def test_proved_invariants_hold_on_random_cases():
    from hypothesis import HealthCheck, given, settings

    from supervisor_rules import testing

    policy = sr.builtin_policy("wuhan")
    proved = [inv for inv, r in zip(policy.invariants, prove_invariants(policy)) if r.result == "proved"]
    assert proved

    @settings(max_examples=150, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(testing.cases(policy))
    def never_violated(case):
        assert not inv_module.violated(policy, proved, case)[0]

    never_violated()


def _translated(policy):
    """A policy's symbolic decision, with a solver holding its constraints."""
    import z3

    from supervisor_rules.tools import prove
    from supervisor_rules.tools.prove import symbolic as sym

    bounds = prove.bounds_for([policy], prove.records_needed(policy))
    checked = policy.compiled.checked
    strings = sym.Interner()
    symcase = sym.SymCase(checked.sections, bounds.first, bounds.last, bounds.records, strings,
                          births=sym.births(checked), born_from=bounds.born_from)
    decider = sym.Decider(policy, symcase, sym.Tables(bounds.first, prove._horizon(bounds), lambda: policy.calendar,
                                                      bounds.born_from))
    solver = z3.Solver()
    solver.add(*symcase.constraints, *decider.assumptions)
    return symcase, decider, solver, strings


def _pinned(policy, translated, case: dict):
    """The translator's decision of one concrete case: the symbolic case pinned to it, solved, read back."""
    import datetime as dt

    import z3

    from supervisor_rules.tools.prove import symbolic as sym

    symcase, decider, solver, strings = translated
    facts, sections, as_of = policy.read_case(case)

    def pin(value, given) -> list:
        if given is None:
            return [z3.Not(value.k)] if not isinstance(value, sym.SymList) else [z3.Not(value.k)]
        if isinstance(value, sym.SymList):
            out = [value.k, value.length == len(given)]
            for item, entry in zip(value.items, given):
                if isinstance(item, dict):
                    for field, v in item.items():
                        out += pin(v, entry.get(field))
                else:
                    out += pin(item, entry)
            return out
        if value.kind == "date":
            return [value.k, value.v == given.toordinal()]
        if value.kind == "enum":
            return [value.k, value.v == value.enum.values.index(given)]
        if value.kind == "bool":
            return [value.k, value.v == z3.BoolVal(given)]
        if value.kind == "number":
            return [value.k, value.v == z3.RealVal(str(given))]
        return [value.k, value.v == z3.StringVal(given)]

    solver.push()
    try:
        solver.add(symcase.as_of == as_of.toordinal())
        for name, present in symcase.present.items():
            solver.add(present == (name in sections))
        for key, value in symcase.facts.items():
            solver.add(*pin(value, facts.get(key)))
        if solver.check() != z3.sat:
            return None  # outside the bounds (or the assumption): nothing to compare
        model = solver.model()
    finally:
        solver.pop()
    out = decider.out

    def name(term) -> str | None:
        return strings.name(model.eval(term, model_completion=True).as_long())

    last = out["term.last_day"]
    return {
        "status": name(out["status"]),
        "eligibility": name(out["eligibility.result"]),
        "recusal": name(out["recusal"][0]),
        "report": name(out["report.result"]),
        "last_day": (dt.date.fromordinal(model.eval(last.v).as_long())
                     if z3.is_true(model.eval(last.k, model_completion=True)) else None),
        "obligations": {c for c, t in out["obligations"].items() if z3.is_true(model.eval(t, model_completion=True))},
        "violations": {c for c, t in out["violations"].items() if z3.is_true(model.eval(t, model_completion=True))},
        "findings": {c for c, es in out["findings"].items()
                     if any(z3.is_true(model.eval(e[0], model_completion=True)) for e in es)},
        "missing": {k for k, t in out["missing_facts"].items() if z3.is_true(model.eval(t, model_completion=True))},
    }


@pytest.mark.parametrize("source", ["wuhan", "guangxi", pytest.param("examples/policies/lanjiang-2025.rules",
                                                                     marks=pytest.mark.slow)])
def test_translator_agrees_with_the_engine_on_random_cases(source):
    """The symbolic decision, pinned to a concrete case, is the engine's decision of it."""
    from hypothesis import HealthCheck, given, settings

    from supervisor_rules import testing

    policy = sr.load_policy(ROOT / source) if "/" in source else sr.builtin_policy(source)
    translated = _translated(policy)
    compared = []

    @settings(max_examples=100, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(testing.cases(policy))
    def agrees(case):
        got = _pinned(policy, translated, case)
        if got is None:
            return
        compared.append(case)
        d = policy.evaluate(case)
        assert got == {
            "status": str(d.status), "eligibility": str(d.eligibility.result), "recusal": str(d.recusal.result),
            "report": str(d.report.result), "last_day": d.term.last_day if d.term else None,
            "obligations": {o.duty for o in d.obligations}, "violations": {v.code for v in d.violations},
            "findings": {f.code for f in d.findings}, "missing": set(d.missing_facts)}, case

    agrees()
    # and the cases on the policy's boundaries (a term's last day, a deadline's due day, each ± 1 day)
    from supervisor_rules.tools import boundaries

    for case in boundaries.seeds([policy], limit=80, invariants=True).cases:
        agrees.hypothesis.inner_test(case)
    assert len(compared) >= 10  # the drawn cases within the bounds (dates in the calendar, lists of at most K)


def test_prove_usage_errors(cli):
    code, out, err = cli("check", "--prove", "--records", "9", "wuhan")
    assert code == 2 and "records" in err
    code, out, err = cli("diff", "--prove", "--timeout", "0", "wuhan", "guangxi")
    assert code == 2 and "seconds" in err
    family = str(ROOT / "examples" / "policies" / "lanjiang.family")
    code, out, err = cli("diff", "--prove", family, family)
    assert code == 2 and "families" in err


def test_unsupported_construct_is_not_proved(tmp_path):
    # division is not translated: the invariant reading it is "not proved", never "proved"
    path = _wuhan(tmp_path, append="""
不变式 halves "除法"
  依据 第五条
  当 appointment.start 已知
  则 计数 r 取自 appointment.renewals 满足 (r.consent) / 2 <= 1
""")
    (result,) = prove_invariants(sr.load_policy(path), names={"halves"})
    assert result.result == "not_proved" and "unsupported construct" in result.why and "wuhan.rules" in result.why


def test_families_diff_unchanged_by_prove_options(cli):
    family = str(ROOT / "examples" / "policies" / "lanjiang.family")
    for fmt in ("text", "json"):
        code, out, err = cli("diff", family, family, "--examples", "5", "--format", fmt)
        assert code == 0, err


def test_check_prove_json_unproved_entry(cli, tmp_path):
    path = _wuhan(tmp_path, append="""
不变式 halves "除法"
  依据 第五条
  当 appointment.start 已知
  则 计数 r 取自 appointment.renewals 满足 (r.consent) / 2 <= 1
""")
    code, out, err = cli("check", "--prove", "--examples", "0", "--format", "json", path)
    assert code == 1, err
    entries = [e for e in json.loads(out) if e.get("invariant", {}).get("name") == "halves"]
    assert len(entries) == 1 and entries[0]["code"] == "invariant-unproved" and entries[0]["severity"] == "warning"
    assert entries[0]["invariant"]["proof"]["result"] == "not_proved"
