"""``--prove``: invariants proved or refuted (counterexample re-checked by the engine), policies proved
equivalent or told apart by a witness both engines confirm."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("z3")
pytest.importorskip("hypothesis")

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
