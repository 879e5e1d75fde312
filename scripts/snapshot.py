"""Record what the engine and the command line answer, to show a refactor changed nothing.

    python scripts/snapshot.py cases CASES.jsonl        # once: draw a fixed corpus of cases
    python scripts/snapshot.py record CASES.jsonl OUT.json   # on each commit to compare
    python scripts/snapshot.py compare BEFORE.json AFTER.json

`record` evaluates every case under every shipped policy (the decision's JSON
and its text with the explanation, or the CaseError's problems) and runs a set
of commands (check, test, fmt --check, diff, schema, eval) on the shipped
policies and the error gallery, keeping stdout, stderr and the exit code. It
uses only the public API and the `supervisor-rules` command, so the same file
runs on any commit. `compare` lists every key whose answer differs.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def draw_cases(out: str, per_policy: int = 1500) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    import supervisor_rules as sr
    from supervisor_rules import testing

    lines = []
    for pid in sr.builtin_policy_ids():
        policy = sr.builtin_policy(pid)
        drawn: list = []  # noqa: B023 (collect runs before the loop moves on)

        @settings(max_examples=per_policy, derandomize=True, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), deadline=None)
        @given(testing.cases(policy))
        def collect(case):
            drawn.append(case)

        collect()
        lines += [json.dumps({"policy": pid, "case": c}, ensure_ascii=False, default=str) for c in drawn]
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} cases in {out}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _commands() -> list[list[str]]:
    gallery = sorted((ROOT / "tests" / "gallery").glob("*.rules"))
    policies = [str(ROOT / "policies" / f"{p}.rules") for p in ("wuhan", "guangxi")]
    runs = [["check", *policies], ["check", "--format", "json", *policies], ["test", *policies],
            ["test", "--format", "json", *policies], ["fmt", "--check", *policies], ["schema", "wuhan"],
            ["schema", "guangxi"], ["diff", "wuhan", "guangxi", "--examples", "200"],
            ["diff", "wuhan", "guangxi", "--examples", "200", "--format", "json"]]
    runs += [["check", str(g)] for g in gallery]
    runs += [["check", "--format", "json", str(g)] for g in gallery]
    runs += [["fmt", str(p)] for p in policies]
    return runs


def record(cases_file: str, out: str) -> None:
    import supervisor_rules as sr

    result: dict[str, str] = {}
    policies = {pid: sr.builtin_policy(pid) for pid in sr.builtin_policy_ids()}
    for number, line in enumerate(Path(cases_file).read_text(encoding="utf-8").splitlines()):
        item = json.loads(line)
        for pid, policy in policies.items():
            key = f"case {number} ({item['policy']}) under {pid}"
            try:
                decision = policy.evaluate(item["case"])
            except sr.CaseError as exc:
                result[key] = "CaseError " + json.dumps([list(p) for p in exc.problems], ensure_ascii=False)
                continue
            result[key] = json.dumps(decision.to_dict(), ensure_ascii=False, sort_keys=True, default=str)
            result[key + " text"] = _digest(decision.to_text(explain=True))
    exe = [sys.executable, "-m", "supervisor_rules"]
    for argv in _commands():
        done = subprocess.run(exe + argv, capture_output=True, text=True, cwd=ROOT, timeout=600)
        shown = [a.replace(str(ROOT) + "/", "") for a in argv]
        result["$ " + " ".join(shown)] = json.dumps(
            {"rc": done.returncode, "out": done.stdout.replace(str(ROOT) + "/", ""),
             "err": done.stderr.replace(str(ROOT) + "/", "")}, ensure_ascii=False)
    Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"{len(result)} answers in {out}")


def compare(before: str, after: str) -> int:
    a = json.loads(Path(before).read_text(encoding="utf-8"))
    b = json.loads(Path(after).read_text(encoding="utf-8"))
    differ = [k for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]
    for key in differ[:50]:
        print(f"differs: {key}\n  before: {str(a.get(key))[:300]}\n  after:  {str(b.get(key))[:300]}")
    print(f"{len(a)} answers before, {len(b)} after, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    verb, *args = sys.argv[1:]
    if verb == "cases":
        draw_cases(*args)
    elif verb == "record":
        record(*args)
    elif verb == "compare":
        sys.exit(compare(*args))
    else:
        sys.exit(__doc__)
