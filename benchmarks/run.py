"""How fast is supervisor-rules? One command, one process, every figure in docs/performance.md.

    python benchmarks/run.py            # 20-30 minutes on a busy 2-CPU machine; --quick for a few

1. Builds a seeded workload (``workload.py``): 20,000 cases, half Wuhan, half
   Guangxi, boundary dates included.
2. Checks before timing anything: the hand-written decision (f,
   ``handwritten.py``) agrees with ``policy.evaluate`` on every case, and the
   hand-written full Wuhan decision (f2) with ``evaluate(case).to_dict(
   explanation=False, open_questions=False)`` (dict equality); the
   generated fast path agrees with the rule-by-rule interpreter (the engine's
   reference evaluation) on every case, and the fast case validation with the
   thorough one; each installed peer engine (``peers.py``, ``pip install
   '.[bench]'``, one call per case) agrees with (f)'s answer to the question it
   answers on the Wuhan cases.
3. Times, interleaved and repeated (a fresh order each round, garbage collection
   off while a timer runs, CPU time of this process so other load on the
   machine counts less):
   (a) ``policy.evaluate(case)``; (a') plus ``to_dict(explanation=False,
   open_questions=False)``, the full decision as (f2) gives it; (g)
   ``evaluate(only=…)``; (b) the same plus ``decision.explain()``; (b'') plus
   ``to_dict(open_questions=False)`` (with the explanation); (b') plus
   ``decision.to_dict()`` (the DECISION.md JSON: explanation and open questions);
   (c) ``policy.evaluate_many(cases)``; (d) ``supervisor-rules eval POLICY
   --batch CASES.jsonl`` run in this process (output to ``os.devnull``), and
   (d') the same with ``--no-explanation`` (opt-in, not DECISION.md's full
   format); (f) the hand-written minimal function, (f2) the hand-written full
   decision; and the peers. Medians per case, each as a multiple of (f), (f2)
   and (a) measured in the same rounds, with what each row computes, and issue
   16's ratios beside their targets.
   Then the batch's throughput in wall-clock time over a longer file (20,000
   lines), with ``--jobs 1`` and ``--jobs 2`` (worker processes: CPU time of
   this process alone would not count them), and the CPU time parent and
   workers spent per line.
4. Policy load (e): parse + check + compile of each shipped policy, warm (again
   in this process), in a fresh process (the grammar cache on disk) and with an
   empty grammar cache; the code generation
   that the first evaluation triggers; generated policies of 100, 1,000 and
   10,000 articles; and the batch's peak memory for a file and one four times
   as long (streaming: it should not grow).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import io
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if (HERE.parent / "src" / "supervisor_rules").is_dir():
    sys.path.insert(0, str(HERE.parent / "src"))  # a source checkout runs without installing

import supervisor_rules as sr  # noqa: E402
from supervisor_rules.contracts import case as case_module  # noqa: E402
from supervisor_rules.tools import batch  # noqa: E402
from supervisor_rules.lang import checker  # noqa: E402
from supervisor_rules import cli  # noqa: E402
from supervisor_rules.engine import codegen, compiler, runtime  # noqa: E402
from supervisor_rules import policy as policy_module  # noqa: E402
from supervisor_rules.resources import policies_dir  # noqa: E402

import bigpolicy  # noqa: E402
import handwritten  # noqa: E402
import peers  # noqa: E402
import workload  # noqa: E402

CITIES = ("wuhan", "guangxi")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ checks
def check_agreement(policies: dict, cases: dict) -> dict:
    """Every check the timings rely on; raises SystemExit on the first disagreement."""
    counts = {}
    for city in CITIES:
        policy, decide = policies[city], handwritten.DECIDE[city]
        compiled, sections, defaults = policy._compiled, policy._sections, policy._defaults
        calendar = lambda policy=policy: policy.calendar  # noqa: E731
        for number, item in enumerate(cases[city]):
            decision = policy.evaluate(item)
            if handwritten.project(decision) != decide(item):
                sys.exit(f"(f) disagrees with policy.evaluate on {city} case {number}:\n{json.dumps(item)}\n"
                         f"  engine: {handwritten.project(decision)}\n  (f):    {decide(item)}")
            if handwritten.project(policy.evaluate(item, only=("eligibility", "term", "status", "grounds"))) \
                    != handwritten.project(decision):
                sys.exit(f"evaluate(only=…) disagrees with policy.evaluate on {city} case {number}")
            facts, present, as_of = case_module.validate(sections, item, None, defaults)
            if (facts, present, as_of) != case_module._validate(sections, item, None, defaults):
                sys.exit(f"fast case validation disagrees with the thorough one on {city} case {number}")
            # evaluate's one pass (validation fused into the generated code): what it read is what the
            # thorough validation gives, and it decided (the interpreter's check below is of its decision)
            fused = runtime.fused_path(compiled)(item, None, calendar)
            if fused is None or (runtime.fused_facts(compiled, fused[3]), fused[1], fused[2]) != (facts, present, as_of):
                sys.exit(f"the fused evaluator's reading of {city} case {number} disagrees with the thorough validation")
            if fused[0] != decision:
                sys.exit(f"the fused evaluator disagrees with policy.evaluate on {city} case {number}")
            full = handwritten.FULL.get(city)
            if full is not None and full(item) != decision.to_dict(explanation=False, open_questions=False):
                sys.exit(f"(f2) disagrees with evaluate(…).to_dict(explanation=False, open_questions=False) on {city} "
                         f"case {number}:\n{json.dumps(item, ensure_ascii=False)}")
            if runtime.interpret(compiled, facts, present, as_of, calendar) != decision:
                sys.exit(f"generated code disagrees with the interpreter on {city} case {number}:\n"
                         f"{json.dumps(item)}")
        counts[city] = len(cases[city])
    return counts


def check_peers(engines: dict, cases: list, limit: int | None) -> dict:
    """Each peer's answer equals (f)'s answer to the same question on every (or the first ``limit``) Wuhan case."""
    checked = {}
    for name, (decide, _, expected) in engines.items():
        subset = cases if limit is None else cases[:limit]
        for number, item in enumerate(subset):
            if decide(item) != expected(item):
                sys.exit(f"{name} disagrees with (f) on Wuhan case {number}:\n{json.dumps(item)}\n"
                         f"  {name}: {decide(item)}\n  (f): {expected(item)}")
        checked[name] = len(subset)
        log(f"  {name}: agrees with (f) on {len(subset)} Wuhan cases")
    return checked


# ------------------------------------------------------------------ timing
class NullStdout(io.TextIOWrapper):
    """Standard output for the in-process CLI runs: encoded as UTF-8, written to os.devnull."""

    def __init__(self):
        super().__init__(open(os.devnull, "wb"), encoding="utf-8")

    def isatty(self) -> bool:
        return False


def run_cli(argv: list[str]) -> int:
    saved = sys.stdout
    sys.stdout = NullStdout()
    try:
        return cli.main(argv)
    finally:
        sys.stdout.close()
        sys.stdout = saved


def timed(fn) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        fn()
        return time.process_time() - start
    finally:
        gc.enable()


def interleave(variants: dict, rounds: int, seed: int) -> dict:
    """name → per-round seconds per case, every variant once per round, in a shuffled order."""
    rng = random.Random(seed)
    results = {name: [] for name in variants}
    names = list(variants)
    for number in range(rounds):
        rng.shuffle(names)
        for name in names:
            fn, count = variants[name][:2]
            results[name].append(timed(fn) / count)
        log(f"  round {number + 1}/{rounds}")
    return results


# What each row computes (the "computes" column), so that no ratio compares unlike work.
MINIMAL = "minimal decision (f's tuple)"
FULL = "full decision with citations"
VALIDATED = FULL + ", case validated"


def variants_for(city: str, policy, cases: list, jsonl: Path, engines: dict) -> dict:
    """name → (function timing every case once, number of cases, what it computes)."""
    decide = handwritten.DECIDE[city]
    full = handwritten.FULL.get(city)
    n = len(cases)

    def f():
        for item in cases:
            decide(item)

    def f2():
        for item in cases:
            full(item)

    def a():
        for item in cases:
            policy.evaluate(item)

    def a_dict():
        for item in cases:
            policy.evaluate(item).to_dict(explanation=False, open_questions=False)

    def b():
        for item in cases:
            policy.evaluate(item).explain()

    def b_dict():
        for item in cases:
            policy.evaluate(item).to_dict()

    def b_reasons():
        for item in cases:
            policy.evaluate(item).to_dict(open_questions=False)

    def c():
        for _ in policy.evaluate_many(cases):
            pass

    # `only=`: the questions (f) answers (the same output: eligibility, the term, the status and its
    # grounds), and just eligibility + grounds, each by code generated for those questions.
    same = ("eligibility", "term", "status", "grounds")

    def g():
        for item in cases:
            policy.evaluate(item, only=same)

    def g_two():
        for item in cases:
            policy.evaluate(item, only=("eligibility", "grounds"))

    def d():
        if run_cli(["eval", city, "--batch", str(jsonl), "--format", "json"]) != 0:
            sys.exit("the batch run failed")

    def d_lean():
        if run_cli(["eval", city, "--batch", str(jsonl), "--format", "json", "--no-explanation"]) != 0:
            sys.exit("the batch run failed")

    out = {"(f) hand-written minimal": (f, n, MINIMAL + ", not validated")}
    if full is not None:
        out["(f2) hand-written full decision (dict)"] = (f2, n, FULL + " (DECISION.md dict), not validated")
    out.update({
        "(a) policy.evaluate": (a, n, VALIDATED + " (Decision objects)"),
        "(a') evaluate + to_dict(explanation=False, open_questions=False)": (
            a_dict, n, VALIDATED + " (DECISION.md dict)"),
        "(g) evaluate(only=f's questions)": (g, n, "f's questions with citations, case validated"),
        "(g') evaluate(only=eligibility,grounds)": (g_two, n, "two questions with citations, case validated"),
        "(b) evaluate + explain()": (b, n, VALIDATED + " + explanation text (zh)"),
        "(b'') evaluate + to_dict(open_questions=False)": (b_reasons, n, VALIDATED + " + explanation"),
        "(b') evaluate + to_dict()": (b_dict, n, VALIDATED + " + explanation + open questions"),
        "(c) evaluate_many": (c, n, VALIDATED + " (Decision objects)"),
        "(d) CLI eval --batch (JSONL)": (d, n, "JSON lines in and out, DECISION.md with explanation"),
        "(d') --batch --no-explanation (not DECISION.md)": (d_lean, n, "JSON lines in and out, no explanation")})
    for name, (engine, computes, _) in engines.items():
        def peer(engine=engine):
            for item in cases:
                engine(item)
        out[name] = (peer, n, computes)
    return out


# ------------------------------------------------------------------ load time
def load_split(path: Path, repeats: int) -> dict:
    """Median milliseconds of parse, check, compile and the rest of Policy(), warm, over ``repeats`` loads."""
    text = path.read_text(encoding="utf-8")
    parts = {"parse": [], "check": [], "compile": [], "total load_policy": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        root, imported, lines, *_ = policy_module._load_modules(text, str(path), path.parent)
        t1 = time.perf_counter()
        checked = checker.check(root, imported, lines)
        t2 = time.perf_counter()
        compiler.compile_policy(checked)
        t3 = time.perf_counter()
        sr.load_policy(path)
        t4 = time.perf_counter()
        parts["parse"].append(t1 - t0)
        parts["check"].append(t2 - t1)
        parts["compile"].append(t3 - t2)
        parts["total load_policy"].append(t4 - t3)
    return {k: statistics.median(v) * 1000 for k, v in parts.items()}


def codegen_ms(path: Path, repeats: int) -> float:
    """Median milliseconds to generate and compile what a policy's first evaluate builds: the evaluator that
    validates the case as it reads it (fused)."""
    policy = sr.load_policy(path)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        codegen.generate(policy._compiled, fused=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


FRESH = """
import json, sys, time
sys.path.insert(0, {src!r})
import supervisor_rules as sr
out = {{}}
for city, path in {paths!r}:
    start = time.perf_counter()
    policy = sr.load_policy(path)
    loaded = time.perf_counter()
    policy.evaluate({{"as_of": "2024-01-01"}})
    out[city] = [(loaded - start) * 1000, (time.perf_counter() - loaded) * 1000]
print(json.dumps(out))
"""


def fresh_process(empty_cache: bool) -> dict:
    """{city: (load ms, first evaluate ms)}: both policies loaded one after the other in a new process.

    The first load pays the process's one-time costs: reading the grammar
    cache (or, with ``empty_cache``, building the grammar) and compiling the
    contextual lexer's regular expressions as the parser first meets each state.
    """
    src = str(Path(sr.__file__).resolve().parent.parent)
    paths = [(city, str(policies_dir() / f"{city}.rules")) for city in CITIES]
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, XDG_CACHE_HOME=cache) if empty_cache else dict(os.environ)
        out = subprocess.run([sys.executable, "-c", FRESH.format(src=src, paths=paths)], env=env,
                             capture_output=True, text=True, check=True).stdout
    return {city: tuple(times) for city, times in json.loads(out).items()}


def scaling(sizes: list[int]) -> list[dict]:
    rows = []
    for size in sizes:
        text = bigpolicy.policy_text(size)
        t0 = time.perf_counter()
        root, imported, lines, *_ = policy_module._load_modules(text, "big.rules", None)
        t1 = time.perf_counter()
        checked = checker.check(root, imported, lines)
        t2 = time.perf_counter()
        errors = [d for d in checked.diagnostics if d.severity == "error"]
        if errors:
            sys.exit(f"the generated {size}-article policy does not check: {errors[0]}")
        compiled = compiler.compile_policy(checked)
        t3 = time.perf_counter()
        policy = policy_module.Policy(compiled, (), None, "big.rules")
        t4 = time.perf_counter()
        policy.evaluate({"as_of": "2024-01-01", "person": {"b0": True}})  # generates code on first use
        t5 = time.perf_counter()
        rows.append({"articles": size, "lines": text.count("\n"), "parse": t1 - t0, "check": t2 - t1,
                     "compile": t3 - t2, "policy": t4 - t3, "first evaluate": t5 - t4,
                     "generated": runtime.fast_path(compiled) is not None})
        log(f"  {size} articles: parse {t1 - t0:.2f} s, check {t2 - t1:.2f} s, compile {t3 - t2:.2f} s")
    return rows


def batch_memory(city: str, jsonl: Path, times: int, jobs: int = 1) -> int:
    """Peak traced memory (bytes) of the CLI batch over ``jsonl`` repeated ``times`` times (with
    ``jobs`` > 1, of the parent process, which reads, hands out blocks and writes)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.jsonl"
        data = jsonl.read_bytes()
        with open(path, "wb") as f:
            for _ in range(times):
                f.write(data)
        gc.collect()
        tracemalloc.start()
        try:
            run_cli(["eval", city, "--batch", str(path), "--format", "json", "--jobs", str(jobs)])
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def batch_throughput(city: str, path: Path, lines: int, jobs: int, extra: list[str], rounds: int) -> dict:
    """Wall-clock seconds (median of ``rounds``) of the CLI batch over ``path`` in this process, and the
    CPU seconds this process and its worker processes spent, per line."""
    walls, parents, workers = [], [], []
    for _ in range(rounds):
        gc.collect()
        self_before, children_before = resource.getrusage(resource.RUSAGE_SELF), \
            resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        if run_cli(["eval", city, "--batch", str(path), "--format", "json", "--jobs", str(jobs), *extra]) != 0:
            sys.exit("the batch run failed")
        walls.append(time.perf_counter() - start)
        self_after, children_after = resource.getrusage(resource.RUSAGE_SELF), \
            resource.getrusage(resource.RUSAGE_CHILDREN)
        parents.append(_cpu(self_before, self_after))
        workers.append(_cpu(children_before, children_after))
    wall = statistics.median(walls)
    return {"jobs": jobs, "lines": lines, "wall": wall, "per_line": wall / lines, "lines_per_s": lines / wall,
            "parent_cpu_per_line": statistics.median(parents) / lines,
            "worker_cpu_per_line": statistics.median(workers) / lines}


def _cpu(before, after) -> float:
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# ------------------------------------------------------------------ report
def table(results: dict, computes: dict) -> list[str]:
    """Medians per case, each as a multiple of (f), of (f2) and of (a) measured in the same rounds."""
    medians = {name: statistics.median(values) for name, values in results.items()}
    bases = [next((n for n in medians if n.startswith(prefix)), None) for prefix in ("(f)", "(f2)", "(a)")]
    lines = ["| | computes | µs per case (median) | × (f) | × (f2) | × (a) | cases/s |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, value in medians.items():
        ratios = " | ".join(f"{value / medians[base]:.2f}" if base else "—" for base in bases)
        lines.append(f"| {name} | {computes[name]} | {value * 1e6:,.1f} | {ratios} | {1 / value:,.0f} |")
    return lines


def targets(results: dict) -> list[str]:
    """Issue 16's ratios, from the same rounds: each as measured, and the target."""
    m = {name: statistics.median(values) for name, values in results.items()}

    def ratio(a: str, b: str) -> float | None:
        first = next((n for n in m if n.startswith(a)), None)
        second = next((n for n in m if n.startswith(b)), None)
        return m[first] / m[second] if first and second else None
    rows = [("`only=` (g) ÷ (f)", ratio("(g)", "(f)"), None),
            ("full decision (a') ÷ (f2)", ratio("(a')", "(f2)"), 1.5),
            ("full decision, objects only (a) ÷ (f2)", ratio("(a)", "(f2)"), None),
            ("explanation (b'') ÷ (a)", ratio("(b'')", "(a)"), 3.0),
            ("explanation + open questions (b') ÷ (a)", ratio("(b')", "(a)"), None)]
    out = ["| ratio | measured | target | |", "|---|---:|---:|---|"]
    for label, value, target in rows:
        if value is None:
            continue
        verdict = "" if target is None else ("met" if value <= target else f"not met (×{value / target:.2f} over)")
        out.append(f"| {label} | {value:.2f} | {'' if target is None else f'≤ {target}'} | {verdict} |")
    return out


def measure_loads(args) -> tuple[list[str], dict]:
    """(e): the shipped policies' load times, as an application meets them at start-up.

    Measured before the workload exists: with 20,000 cases and their decisions
    resident, the same loads take 10-15% longer (a larger heap for the
    collector and the caches), which is not how an application starts.
    """
    log("load times …")
    sr.load_policy(policies_dir() / f"{CITIES[0]}.rules")  # the grammar cache is on disk from here on
    runs = 3 if args.quick else 7
    fresh = [fresh_process(empty_cache=False) for _ in range(runs)]
    cold = [fresh_process(empty_cache=True) for _ in range(max(1, runs // 2))]
    out = ["### (e) policy load, ms", "",
           f"Warm: loaded again in the same process, before the workload is built (median of "
           f"{5 if args.quick else 15}). Fresh process: "
           f"{' then '.join(CITIES)} loaded one after the other in a new process (median of {runs}); the first "
           "load pays the one-time costs (grammar cache read, lexer regexes compiled). No cache: the same with "
           "an empty grammar cache (the grammar is built and cached).", "",
           "| policy | parse | check | compile | load_policy (warm) | fresh process, cache on disk "
           "| fresh process, no cache | first evaluate (code generation) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    report: dict = {}
    for city in CITIES:
        path = policies_dir() / f"{city}.rules"
        split = load_split(path, 5 if args.quick else 15)
        first_load = statistics.median(r[city][0] for r in fresh)
        no_cache = statistics.median(r[city][0] for r in cold)
        first_evaluate = statistics.median(r[city][1] for r in fresh)
        generated = codegen_ms(path, 5)
        report[city] = dict(split, fresh_process=first_load, no_cache=no_cache,
                            first_evaluate=first_evaluate, codegen=generated)
        out.append(f"| {city} | {split['parse']:.1f} | {split['check']:.1f} | {split['compile']:.1f} | "
                   f"{split['total load_policy']:.1f} | {first_load:.1f} | {no_cache:.1f} | "
                   f"{first_evaluate:.1f} (codegen {generated:.1f}) |")
    both = statistics.median(sum(r[c][0] for c in CITIES) for r in fresh)
    out += ["", f"Both shipped policies in a fresh process: {both:.1f} ms, {both / len(CITIES):.1f} ms per policy.", ""]
    return out, report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000, help="workload size, both cities (default 20000)")
    parser.add_argument("--time-cases", type=int, default=2_000,
                        help="cases per city in each timed run (default 2000; all are checked)")
    parser.add_argument("--rounds", type=int, default=7, help="timing rounds (default 7)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--peer-check", type=int, default=None,
                        help="check the peers on this many Wuhan cases only (default: all)")
    parser.add_argument("--sizes", default=None,
                        help="generated policy sizes in articles, comma-separated (default 100,1000,10000)")
    parser.add_argument("--quick", action="store_true",
                        help="4,000 cases, 500 timed, 3 rounds, 1,000 Wuhan cases for the peers, sizes 100 and "
                             "1000, batch throughput on 2,000 lines")
    parser.add_argument("--no-peers", action="store_true", help="leave the peer engines out")
    parser.add_argument("--batch-lines", type=int, default=None,
                        help="lines of the file the batch's wall-clock throughput is measured on "
                             "(default 20000; 2000 with --quick)")
    parser.add_argument("--batch-jobs", default=None,
                        help="--jobs values to measure the batch's throughput with, comma-separated "
                             "(default 1,2 with 2 CPUs or more, else 1)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.cases, args.time_cases, args.rounds = 4_000, 500, 3
        args.sizes = args.sizes if args.sizes is not None else "100,1000"
        args.peer_check = args.peer_check or 1_000
        args.batch_lines = args.batch_lines or 2_000
    if args.batch_lines is None:
        args.batch_lines = 20_000
    if args.sizes is None:
        args.sizes = "100,1000,10000"
    if args.batch_jobs is None:
        args.batch_jobs = "1,2" if (os.cpu_count() or 1) >= 2 else "1"

    load_lines, load_report = measure_loads(args)
    log(f"workload: {args.cases} cases, seed {args.seed}")
    cases = workload.workload(args.cases, args.seed)
    policies = {city: sr.builtin_policy(city) for city in CITIES}
    engines = {} if args.no_peers else peers.engines()

    log("checking agreement on every case …")
    checked = check_agreement(policies, cases)
    peer_checked = check_peers(engines, cases["wuhan"], args.peer_check)

    report: dict = {"python": platform.python_version(), "machine": platform.machine(),
                    "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                    "date": dt.date.today().isoformat(), "args": vars(args), "checked": checked,
                    "peers_checked": peer_checked, "timings": {}}
    out = [f"supervisor-rules benchmark — Python {report['python']} on {report['machine']} "
           f"({report['cpus']} CPUs), {args.cases} cases (seed {args.seed}), "
           f"{args.time_cases} per city timed × {args.rounds} rounds, CPU time",
           f"checked: (f) = policy.evaluate, (f2) = to_dict(explanation=False, open_questions=False), "
           f"generated = interpreter, fast and fused reading = thorough validation on "
           f"{sum(checked.values())} cases; peers = (f) on "
           + (", ".join(f"{n}: {k}" for n, k in peer_checked.items()) or "no peers installed"), ""]

    with tempfile.TemporaryDirectory() as folder:
        for city in CITIES:
            subset = cases[city][:args.time_cases]
            jsonl = Path(folder) / f"{city}.jsonl"
            jsonl.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in subset),
                             encoding="utf-8")
            log(f"timing {city} ({len(subset)} cases) …")
            variants = variants_for(city, policies[city], subset, jsonl, engines if city == "wuhan" else {})
            results = interleave(variants, args.rounds, args.seed)
            report["timings"][city] = {name: values for name, values in results.items()}
            out += [f"### {city}: {len(subset)} cases" + (" (the peers encode this decision)"
                                                          if city == "wuhan" and engines else ""), ""]
            computes = {name: spec[2] for name, spec in variants.items()}
            out += table(results, computes) + [""] + targets(results) + [""]
            if city == "wuhan":
                log("batch memory …")
                one, four = batch_memory(city, jsonl, 1), batch_memory(city, jsonl, 4)
                report["batch_memory"] = {"lines": len(subset), "peak_bytes": one,
                                          "lines_4x": 4 * len(subset), "peak_bytes_4x": four}
                out += [f"(d) streams: peak traced memory {one / 1e6:.1f} MB for {len(subset)} lines, "
                        f"{four / 1e6:.1f} MB for {4 * len(subset)} lines", ""]
                if "2" in args.batch_jobs.split(","):
                    one, four = batch_memory(city, jsonl, 1, jobs=2), batch_memory(city, jsonl, 4, jobs=2)
                    report["batch_memory_jobs_2"] = {"lines": len(subset), "peak_bytes": one,
                                                     "lines_4x": 4 * len(subset), "peak_bytes_4x": four}
                    out += [f"(d) --jobs 2: the parent's peak traced memory {one / 1e6:.1f} MB for {len(subset)} "
                            f"lines, {four / 1e6:.1f} MB for {4 * len(subset)} lines (each worker holds at most "
                            f"two blocks of about {batch.BLOCK // 1024} KB of input and their output)", ""]

        log("batch throughput, wall clock …")
        jobs_list = [int(j) for j in args.batch_jobs.split(",") if j]
        out += [f"### (d) batch throughput, wall clock ({args.batch_lines:,} lines, in this process; "
                f"median of 3)", "",
                "| city | output | --jobs | lines/s | µs per line | CPU µs per line: parent | workers |",
                "|---|---|---:|---:|---:|---:|---:|"]
        report["batch_throughput"] = []
        for city in CITIES:
            pool = cases[city]
            path = Path(folder) / f"{city}-long.jsonl"
            with open(path, "w", encoding="utf-8") as f:
                for number in range(args.batch_lines):
                    f.write(json.dumps(pool[number % len(pool)], ensure_ascii=False) + "\n")
            for label, extra in (("DECISION.md", []), ("--no-explanation", ["--no-explanation"])):
                for jobs in jobs_list:
                    row = batch_throughput(city, path, args.batch_lines, jobs, extra, 3)
                    row.update(city=city, output=label)
                    report["batch_throughput"].append(row)
                    out.append(f"| {city} | {label} | {jobs} | {row['lines_per_s']:,.0f} | "
                               f"{row['per_line'] * 1e6:.1f} | {row['parent_cpu_per_line'] * 1e6:.1f} | "
                               f"{row['worker_cpu_per_line'] * 1e6:.1f} |")
        out.append("")

    out += load_lines
    report["load"] = load_report

    sizes = [int(x) for x in args.sizes.split(",") if x]
    if sizes:
        log("generated policies …")
        rows = scaling(sizes)
        report["scaling"] = rows
        out += ["### (e) load time by policy size (generated policies)", "",
                "| articles | lines | parse s | check s | compile s | Policy() s | parse+check+compile s "
                "| µs per article | first evaluate s |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in rows:
            total = row["parse"] + row["check"] + row["compile"]
            note = "" if row["generated"] else " (interpreted)"
            out.append(f"| {row['articles']:,} | {row['lines']:,} | {row['parse']:.2f} | {row['check']:.2f} | "
                       f"{row['compile']:.2f} | {row['policy']:.2f} | {total:.2f} | "
                       f"{total / row['articles'] * 1e6:,.0f} | {row['first evaluate']:.2f}{note} |")
        out.append("")

    print("\n".join(out))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
