"""A generated policy of N articles, for timing how load time grows with size.

Each article quotes its text and carries one or two rules of the kinds real
policies use (requirements, preferences, grounds, prohibitions, duties with
deadlines, report categories, notices), reading a few of 200 declared facts, so
the parser, the checker and the compiler all see realistic work per article.

``python benchmarks/bigpolicy.py --time [SIZES…]`` prints each stage's CPU seconds (``stage_times``).
"""

from __future__ import annotations

FACTS = 200


def policy_text(articles: int) -> str:
    lines = [
        "policy big",
        '  title "generated policy"',
        "  effective on issuance",
        "",
        'enum code "codes" { c0 "zero", c1 "one", c2 "two", c3 "three", c4 "four" }',
        # one discipline value per prohibiting article: a value is prohibited once
        'enum violation "discipline" { '
        + ", ".join(f'v{k} "violation {k}"' for k in range(5, articles + 1, 10)) + " }",
        "",
        'facts person "person" {',
        *(f'  b{i}: bool "fact {i}"' for i in range(FACTS)),
        '  codes: list of code "codes"',
        "}",
        "",
        'facts appointment "appointment" {',
        '  start: date "start"',
        '  dismissed_on: date "dismissed"',
        "}",
        "",
        'facts conduct "conduct" {',
        *(f'  g{i}: bool = false "ground {i}"' for i in range(20)),
        '  violations: list of violation = [] "violations"',
        '  changed_on: date "changed"',
        '  reported_on: date "reported"',
        "}",
        "",
        'facts report "report" {',
        '  kind: code "kind"',
        "}",
        "",
    ]
    for k in range(1, articles + 1):
        a, b, c = (k * 7) % FACTS, (k * 13 + 1) % FACTS, (k * 29 + 2) % FACTS
        lines.append(f'article {k} "第{k}条的原文：社会监督员应当具备下列条件，符合规定的，予以聘任。"')
        kind = k % 10
        if k == 1:
            lines.append("  term 3 years from appointment.start")
            lines.append("  automatic when expired")
            lines.append("  dismissal recorded appointment.dismissed_on")
        elif kind in (0, 1, 2):
            lines.append(f"  require person.b{a} and person.b{b} or not person.b{c}")
        elif kind == 3:
            lines.append('  (1) "第一项"')
            lines.append(f"    require person.b{a} and person.b{b}")
            lines.append('  (2) "第二项"')
            lines.append("    prefer person.codes has any of {c1, c2}")
        elif kind == 4:
            lines.append(f"  discretionary when conduct.g{k % 20} or conduct.g{(k + 3) % 20}")
        elif kind == 5:
            lines.append(f"  prohibit conduct.violations: v{k}")
        elif kind == 6:
            lines.append(f"  duty d{k} when conduct.changed_on is known")
            lines.append("    due 30 calendar days after conduct.changed_on")
            lines.append("    done on conduct.reported_on")
        elif kind == 7:
            lines.append(f"  report category when report.kind in {{c{k % 5}, c{(k + 1) % 5}}}")
        elif kind == 8:
            lines.append(f'  notice "第{k}条提示" when person.b{a} = false and person.b{b}')
        else:
            lines.append("  text only")
        lines.append("")
    return "\n".join(lines) + "\n"


def stage_times(articles: int, rounds: int = 3) -> dict[str, float]:
    """CPU seconds (``time.process_time``, medians of ``rounds``) of each stage of loading the generated
    policy of ``articles`` articles — parse (with its imports), check, compile, ``Policy()`` — with the
    cyclic collector off, as benchmarks time; and of the whole ``parse_policy`` with the collector on, as
    an application runs it (the collections a load's new objects cause are counted there)."""
    import gc
    import statistics
    import time

    import supervisor_rules as sr
    from supervisor_rules import policy as policy_module
    from supervisor_rules.engine import compiler
    from supervisor_rules.lang import checker

    text = policy_text(articles)
    sr.parse_policy(policy_text(10))  # the grammar, once per process
    rows = []
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        try:
            t0 = time.process_time()
            root, imported, lines, *_ = policy_module._load_modules(text, "big.rules", None)
            t1 = time.process_time()
            checked = checker.check(root, imported, lines)
            t2 = time.process_time()
            compiled = compiler.compile_policy(checked)
            t3 = time.process_time()
            policy_module.Policy(compiled, (), None, "big.rules")
            t4 = time.process_time()
        finally:
            gc.enable()
        del root, imported, lines, checked, compiled  # the whole load below starts from the same heap
        gc.collect()
        t5 = time.process_time()
        sr.parse_policy(text)
        t6 = time.process_time()
        rows.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, t6 - t5))
    names = ("parse", "check", "compile", "policy", "total", "parse_policy, collector on")
    return {name: statistics.median(row[i] for row in rows) for i, name in enumerate(names)}


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:2] == ["--time"]:
        for size in [int(a) for a in sys.argv[2:]] or [100, 1000, 10000]:
            times = stage_times(size, rounds=3 if size >= 10000 else 7)
            sys.stdout.write(f"{size:>6} articles: " + ", ".join(f"{k} {v:.3f} s" for k, v in times.items())
                             + f" ({times['total'] / size * 1e6:.0f} µs per article)\n")
    else:
        sys.stdout.write(policy_text(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
