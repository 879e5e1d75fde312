"""What an explanation costs and weighs (issue 12): per case, ``evaluate`` alone (the baseline, measured
in the same rounds), plus each part of ``to_dict()`` (the open questions, the reason trees with their verified
``would_change_if``), plus ``to_dict()`` (reason trees, verified
``would_change_if`` and ``open_questions``), plus ``explain()`` (the Chinese text); and the JSON's size
as the command line writes it (compact UTF-8).

    python benchmarks/explanations.py [--cases 1000] [--rounds 5]

CPU time of this process, garbage collection off while a timer runs, medians over rounds; the figures
go to docs/performance.md ("Explanations").
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if (HERE.parent / "src" / "supervisor_rules").is_dir():
    sys.path.insert(0, str(HERE.parent / "src"))

import supervisor_rules as sr  # noqa: E402
from workload import workload  # noqa: E402


def _timed(run, cases) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        run(cases)
        return (time.process_time() - start) / len(cases) * 1e6
    finally:
        gc.enable()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases per city (default 1000)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cases = workload(args.cases * 2, seed=2020)
    ways = {
        "evaluate": lambda p, cs: [p.evaluate(c) for c in cs],
        "+ to_dict(explanation=False, open_questions=False)": lambda p, cs: [
            p.evaluate(c).to_dict(explanation=False, open_questions=False) for c in cs],
        "+ .open_questions": lambda p, cs: [p.evaluate(c).open_questions for c in cs],
        "+ .explanation (reason trees, verified would_change_if)": lambda p, cs: [p.evaluate(c).explanation
                                                                                  for c in cs],
        "+ to_dict(explanation=False)": lambda p, cs: [p.evaluate(c).to_dict(explanation=False) for c in cs],
        "+ to_dict()": lambda p, cs: [p.evaluate(c).to_dict() for c in cs],
        "+ explain()": lambda p, cs: [p.evaluate(c).explain() for c in cs],
    }
    print(f"Python {sys.version.split()[0]}, {args.cases} cases per city, {args.rounds} rounds, CPU µs per case (median)")
    for city in ("wuhan", "guangxi"):
        policy = sr.builtin_policy(city)
        some = cases[city][:args.cases]
        for case in some[:50]:
            policy.evaluate(case).to_dict()  # warm: generated code, the explainer's closures
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for name, way in ways.items():
                times[name].append(_timed(lambda cs, way=way: way(policy, cs), some))
        base = statistics.median(times["evaluate"])
        print(f"\n{city}")
        print("| | µs per case | × evaluate |\n|---|---:|---:|")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"| {name} | {median:.1f} | {median / base:.2f} |")
        sizes, shares, evaluations, leans = [], [], [], []
        for case in some:
            decision = policy.evaluate(case)
            # As the command line writes it (compact, UTF-8)
            whole = len(json.dumps(decision.to_dict(), ensure_ascii=False, separators=(",", ":")).encode())
            lean = len(json.dumps(decision.to_dict(explanation=False), ensure_ascii=False,
                                  separators=(",", ":")).encode())
            leans.append(lean)
            sizes.append(whole)
            shares.append((whole - lean) / whole)
            evaluations.append(len(decision.explanation) and sum(1 for r in decision.explanation
                                                                 for _ in r.would_change_if))
        sizes.sort()
        print(f"JSON bytes: median {sizes[len(sizes) // 2]:,}, 90th percentile {sizes[int(len(sizes) * 0.9)]:,}, "
              f"max {sizes[-1]:,}; explanation's share (median) {statistics.median(shares):.0%}; "
              f"changes listed per decision (mean) {statistics.mean(evaluations):.1f}; "
              f"without the explanation: median {statistics.median(leans):,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
