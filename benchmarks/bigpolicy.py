"""A generated policy of N articles, for timing how load time grows with size.

Each article quotes its text and carries one or two rules of the kinds real
policies use (requirements, preferences, grounds, prohibitions, duties with
deadlines, report categories, notices), reading a few of 200 declared facts, so
the parser, the checker and the compiler all see realistic work per article.
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


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(policy_text(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
