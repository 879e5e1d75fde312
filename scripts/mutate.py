"""Mutation testing of `diff`: single-point changes to a policy's rules, and whether the gate stops each.

    python scripts/mutate.py POLICY [POLICY...] [--limit N] [--examples K] [--format text|json]
    python scripts/mutate.py --all            # wuhan, guangxi and examples/policies/lanjiang-2025.rules

Each mutant changes one thing in the text of one rule (invariants, declarations, the header and the
provisions' wording are left alone):

- a number (a term's or deadline's amount, a number compared with) ± 1;
- a date literal ± 1 day;
- a unit swapped: working days ↔ calendar days, months ↔ years;
- a comparison operator swapped: < ↔ <=, > ↔ >=, = ↔ !=;
- one member dropped from a set of values (`in {a, b, c}`, `has any of {…}`, `prohibit …: a, b`);
- a ground's effect changed to each other effect (automatic, mandatory, discretionary);
- a recusal's kind (required ↔ request) or who decides it (supervisor ↔ department) swapped;
- a notice's condition negated (`when X` → `when not (X)`).

A mutant that no longer passes the checker (`check`'s parse and static checks) is skipped and counted.
Every other one is compared with the original in process, as `diff` would (`diffing.behavioural` with
the per-mutant budget `--examples`, then the case contract and the rule changes no witness shows):

- **caught**: a behavioural difference (or a contract change) was found — `diff` exits 1 with a witness;
- **unproven**: no witness, but the rule changed — `diff` exits 1 all the same (unproven rule change);
- **not caught**: `diff` would exit 0 (only a mutant whose rules compare equal to the original's can).

Run time is bounded by `--limit N` (mutants per policy, spread evenly over the sites) and
`--examples K` (cases drawn per mutant, and at most as many boundary cases).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import lark

import supervisor_rules as sr
from supervisor_rules.lang import parser
from supervisor_rules.tools import diffing

ROOT = Path(__file__).resolve().parent.parent
ALL = ("wuhan", "guangxi", str(ROOT / "examples" / "policies" / "lanjiang-2025.rules"))

#: The parse-tree rules that are rule statements (the only places mutated).
RULES = {"require", "prefer", "term", "renewal", "renewal_condition", "ground", "recusal", "prohibit", "duty",
         "report_scope", "report_category", "reward", "notice", "conclusion", "definition"}
_OPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "=": "!=", "!=": "=", "≠": "="}
_UNIT_SWAP = {"working_days": "days", "days": "working_days", "months": "years", "years": "months"}
_UNIT_WORDS = {"zh": {"working_days": "个工作日", "days": "日", "months": "个月", "years": "年"},
               "en": {"working_days": "working days", "days": "calendar days", "months": "months",
                      "years": "years"}}
_EFFECTS = {"zh": ("自然解聘", "应当解聘", "可以解聘"), "en": ("automatic", "mandatory", "discretionary")}
_KINDS = {"必须": "申请", "申请": "必须", "required": "request", "request": "required"}
_ACTORS = {"监督员": "部门", "部门": "监督员", "supervisor": "department", "department": "supervisor"}


def _zh(text: str) -> bool:
    return any(ord(ch) > 0x2E80 for ch in text)


def _tokens(tree) -> list[lark.Token]:
    return [t for t in tree.scan_values(lambda v: isinstance(v, lark.Token))] if isinstance(tree, lark.Tree) \
        else [tree]


def _span(node) -> tuple[int, int]:
    tokens = _tokens(node)
    return min(t.start_pos for t in tokens), max(t.end_pos for t in tokens)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def mutants(text: str) -> list[tuple[str, int, int, str]]:
    """Every single-point mutant of ``text``'s rules: (what, start, end, replacement)."""
    tree = parser.tree_parser().parse(text)
    out: list[tuple[str, int, int, str]] = []
    for stmt in tree.iter_subtrees_topdown():
        if stmt.data not in RULES:
            continue
        for node in stmt.iter_subtrees():
            if node.data in ("set_lit", "prohibit"):
                values = [c for c in node.children if isinstance(c, lark.Tree) and c.data == "value"]
                if len(values) >= 2:
                    for i, value in enumerate(values):
                        start, end = _span(value)
                        # drop the member with the comma before it (or after it, for the first)
                        if i > 0:
                            start = _span(values[i - 1])[1]
                        else:
                            end = _span(values[1])[0]
                        name = str(_tokens(value)[0])
                        out.append((f"drop `{name}` from a set", start, end, ""))
        for token in _tokens(stmt):
            kind, word = token.type, str(token)
            at, end = token.start_pos, token.end_pos
            if kind in ("INT", "NUMBER"):
                if "." in word:
                    value = float(word)
                    for shifted in (value - 1, value + 1):
                        out.append((f"{word} → {shifted:g}", at, end, f"{shifted:g}"))
                else:
                    for shifted in (int(word) - 1, int(word) + 1):
                        if shifted >= 0:
                            out.append((f"{word} → {shifted}", at, end, str(shifted)))
            elif kind == "DATE":
                day = dt.date.fromisoformat(word)
                for d in (-1, 1):
                    shifted = (day + dt.timedelta(days=d)).isoformat()
                    out.append((f"{word} → {shifted}", at, end, shifted))
            elif kind == "UNIT":
                value = parser.unit_value(word)
                swapped = _UNIT_SWAP.get(value)
                if swapped:
                    spelled = _UNIT_WORDS["zh" if _zh(word) else "en"][swapped]
                    out.append((f"unit {word} → {spelled}", at, end, spelled))
            elif kind == "CMP_OP":
                out.append((f"{word} → {_OPS[word]}", at, end, _OPS[word]))
            elif kind == "EFFECT" and stmt.data == "ground":
                for other in _EFFECTS["zh" if _zh(word) else "en"]:
                    if other != word:
                        out.append((f"effect {word} → {other}", at, end, other))
            elif kind == "RECUSAL_KIND" and stmt.data == "recusal":
                out.append((f"recusal {word} → {_KINDS[word]}", at, end, _KINDS[word]))
            elif kind == "ACTOR" and stmt.data == "recusal":
                out.append((f"decided by {word} → {_ACTORS[word]}", at, end, _ACTORS[word]))
        if stmt.data == "notice":
            children = stmt.children
            when = next(i for i, c in enumerate(children) if isinstance(c, lark.Token) and c.type == "WHEN")
            start, end = _span(children[when + 1]) if len(children) == when + 2 else (
                _span(children[when + 1])[0], max(_span(c)[1] for c in children[when + 1:]))
            condition = text[start:end]
            negated = ("非 (" if _zh(str(children[when])) else "not (") + condition + ")"
            out.append(("notice condition negated", start, end, negated))
    # the same edit reached twice (a token under two statements) is one mutant
    seen, unique = set(), []
    for m in out:
        if (m[1], m[2], m[3]) not in seen:
            seen.add((m[1], m[2], m[3]))
            unique.append(m)
    return sorted(unique, key=lambda m: (m[1], m[0]))


def _spread(items: list, limit: int | None) -> list:
    if limit is None or len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def _source(name: str) -> Path:
    path = Path(name)
    if path.exists():
        return path
    policy = sr.builtin_policy(name)
    return Path(policy.source)


def run(name: str, *, limit: int | None, examples: int, progress=None, prove: bool = False) -> dict:
    """Mutate one policy; the figures and every mutant's outcome."""
    path = _source(name)
    text = path.read_text(encoding="utf-8")
    original = sr.load_policy(path)
    sites = mutants(text)
    chosen = _spread(sites, limit)
    started = time.perf_counter()
    outcomes = []
    for i, (what, start, end, replacement) in enumerate(chosen, 1):
        changed = text[:start] + replacement + text[end:]
        where = f"{path.name}:{_line(text, start)}"
        entry = {"mutant": what, "at": where, "was": text[start:end], "now": replacement}
        try:
            mutant = sr.parse_policy(changed, str(path), base_dir=path.parent)
        except sr.RulesError:
            entry["outcome"] = "skipped"
            outcomes.append(entry)
            continue
        behaviour = diffing.behavioural(original, mutant, examples=examples)
        contract = diffing.contract_changes(original, mutant, witnesses=False)
        changes = diffing.attribute(diffing.rule_changes(diffing.structural(original, mutant)), behaviour,
                                    contract, original, mutant)
        if behaviour.groups or contract:
            entry["outcome"] = "caught"
            entry["groups"] = [diffing.group_title(g.key, "old", "new") for g in behaviour.groups[:3]]
        elif any(not c["shown_by"] for c in changes):
            entry["outcome"] = "unproven"
        else:
            entry["outcome"] = "not caught"
        if prove and entry["outcome"] != "caught":
            from supervisor_rules.tools import prove as proving

            proof = proving.prove_equivalent(original, mutant)
            if proof.witnesses:
                entry["outcome"] = "caught"
                entry["groups"] = [f"proof: {f.field}" for f in proof.witnesses[:3]]
            elif proof.equivalent:
                entry["outcome"] = "equivalent"
            else:
                entry["why"] = proof.why or "; ".join(f"{f.field}: {f.why}" for f in proof.fields if f.why)
        outcomes.append(entry)
        if progress:
            progress(f"{path.name} {i}/{len(chosen)} {entry['outcome']}: {what} at {where}")
    seconds = time.perf_counter() - started
    counts = {k: sum(1 for o in outcomes if o["outcome"] == k) for k in ("caught", "unproven", "not caught", "skipped",
                                                                       "equivalent")}
    made = len(outcomes) - counts["skipped"]
    # Mutants proved equivalent (--prove) change no decision: they are counted apart, not as misses.
    distinct = made - counts["equivalent"]
    return {"policy": name, "sites": len(sites), "tried": len(outcomes), "made": made, **counts,
            "caught_percent": round(100 * counts["caught"] / made, 1) if made else None,
            "caught_of_distinct_percent": round(100 * counts["caught"] / distinct, 1) if distinct else None,
            "gate_percent": round(100 * (counts["caught"] + counts["unproven"]) / made, 1) if made else None,
            "seconds": round(seconds, 1), "examples": examples,
            "uncaught": [o for o in outcomes if o["outcome"] in ("unproven", "not caught")],
            "outcomes": outcomes}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("policies", nargs="*", metavar="POLICY", help="a rule file or a shipped policy id")
    ap.add_argument("--all", action="store_true", help="the shipped policies and lanjiang-2025")
    ap.add_argument("--limit", type=int, default=None, metavar="N", help="at most N mutants per policy")
    ap.add_argument("--examples", type=int, default=300, metavar="K",
                    help="cases drawn per mutant, and at most as many boundary cases (default 300)")
    ap.add_argument("--format", choices=("text", "json"), default="text")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    ap.add_argument("--prove", action="store_true",
                    help="prove the mutants the search does not catch equivalent (counted apart), or catch them "
                         "with a proof's witness (needs the `prove` extra)")
    args = ap.parse_args(argv)
    names = list(ALL) if args.all else args.policies
    if not names:
        ap.error("give a POLICY or --all")
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    reports = [run(name, limit=args.limit, examples=args.examples, progress=progress, prove=args.prove)
               for name in names]
    if args.format == "json":
        print(json.dumps(reports, ensure_ascii=False, indent=2))
    else:
        for r in reports:
            print(f"{r['policy']}: {r['sites']} sites, {r['tried']} tried, {r['made']} mutants "
                  f"({r['skipped']} skipped: not a valid policy); caught {r['caught']} ({r['caught_percent']}%), "
                  f"unproven {r['unproven']}, not caught {r['not caught']}, proved equivalent {r['equivalent']} "
                  f"(caught {r['caught_of_distinct_percent']}% of the others); {r['seconds']} s "
                  f"at {r['examples']} examples per mutant")
            for o in r["uncaught"]:
                print(f"  {o['outcome']}: {o['mutant']} at {o['at']} ({o['was']!r} → {o['now']!r})"
                      + (f" — {o['why']}" if o.get("why") else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
