"""``supervisor-rules diff OLD NEW``: what changed between two policies, in structure and in behaviour.

Structure: provisions added, removed or changed (matched by citation), and the
rules matched by role across numberings, each described in words. Behaviour:
the cases on the boundaries the policies' constants create, then a
derandomised Hypothesis search over cases valid for both policies, comparing
every field of the decision a client reads and reporting a minimal witness case
for each kind of difference, ready for ``supervisor-rules eval``. Exit 0 when no
behaviour differs, no case valid for OLD is refused by NEW and every rule
change is shown by a witness (or with ``--allow-behaviour-change``), 1
otherwise — a rule change no witness shows is *unproven* and fails — 2 for a
usage error or a policy that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import supervisor_rules as sr
# Output helpers shared by every command.
from supervisor_rules.cli.output import diagnostics_format as _format, out as _out, unknown_policy, utf8 as _utf8
from supervisor_rules.tools import diffing

PROG = "supervisor-rules"
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
_SYMBOL = {"added": "+", "removed": "-", "changed": "~", "renumbered": "=", "same": "="}


def register(commands, options) -> None:
    p = commands.add_parser(
        "diff", help="compare two policies: structure (articles, rules in words) and behaviour (witness cases)",
        description="Compare two policies. Structure: provisions added, removed or changed, and the rules "
                    "matched by role across numberings, in words. Behaviour: a derandomised search over cases "
                    "valid for both (facts both declare with the same type) for decisions that differ; each "
                    "kind of difference is shown with a minimal witness case, ready for `eval`. Exit 0 when "
                    "behaviour and the case contract are the same and every rule change is shown by a "
                    "witness; 1 when decisions differ, a case valid for OLD is refused by NEW, or a rule "
                    "change has no witness (unproven) — unless --allow-behaviour-change; 2 usage error "
                    "or unreadable policy.")
    p.add_argument("old", metavar="OLD", help="a rule file or a shipped policy id")
    p.add_argument("new", metavar="NEW", help="a rule file or a shipped policy id")
    p.add_argument("--examples", type=_count, default=diffing.DEFAULT_EXAMPLES, metavar="N",
                   help=f"cases to draw, and at most as many boundary cases (default {diffing.DEFAULT_EXAMPLES}; 0 "
                        f"compares structure only, and every rule change is then unproven)")
    p.add_argument("--allow-behaviour-change", "--allow-behavior-change", dest="allow", action="store_true",
                   help="exit 0 even when decisions differ, the case contract changed or a rule change is unproven")
    options.prove(p, "also prove with z3 that the decisions are equal for every case within bounds (dates in "
                     "the calendar's years, at most --records entries per list), field by field, or show a "
                     "witness both engines confirm (needs the `prove` extra)", per="field")
    options.output(p, ("text", "json"))
    p.set_defaults(handler=run)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"expected 0 to 1000000 examples, got {text!r}")
    return value


def _load(name: str):
    if not os.path.exists(name) and not name.endswith((".rules", ".family")) and "/" not in name:
        shipped = list(sr.builtin_policy_ids())
        if name not in shipped:
            return None, f"{PROG}: error: {unknown_policy(name, shipped)}"
    try:
        return sr.resolve_policy(name), None
    except sr.PolicyError as exc:
        lines = [f"{PROG}: error: invalid policy {name}"] + [d.header() for d in exc.diagnostics]
        return None, "\n".join(lines)
    except (sr.RulesError, OSError) as exc:
        return None, f"{PROG}: error: cannot load policy {name}: {' '.join(str(exc).split())}"


def run(args) -> int:
    fmt = _format(args)
    old, problem = _load(args.old)
    new, problem2 = (None, None) if old is None else _load(args.new)
    if old is None or new is None:
        message = problem or problem2
        if fmt == "json":
            _out(json.dumps({"error": message.splitlines()[0].split("error: ", 1)[-1],
                             "details": message.splitlines()[1:]}, ensure_ascii=not _utf8(sys.stdout)))
        else:
            sys.stderr.write(message + "\n")
        return EXIT_USAGE

    if isinstance(old, sr.Family) or isinstance(new, sr.Family):
        if not (isinstance(old, sr.Family) and isinstance(new, sr.Family)):
            family, other = (args.old, args.new) if isinstance(old, sr.Family) else (args.new, args.old)
            versions = (old if isinstance(old, sr.Family) else new).versions
            message = (f"{family} is a family of versions and {other} a rule file: diff compares two families, or "
                       f"two rule files (such as its versions: {' '.join(v.source for v in versions[-2:])})")
            if fmt == "json":
                _out(json.dumps({"error": message, "details": []}, ensure_ascii=not _utf8(sys.stdout)))
            else:
                sys.stderr.write(f"{PROG}: error: {message}\n")
            return EXIT_USAGE
        if args.prove:
            message = "--prove compares two rule files, not families (diff their versions) / --prove 只比较两个规则文件"
            if fmt == "json":
                _out(json.dumps({"error": message, "details": []}, ensure_ascii=not _utf8(sys.stdout)))
            else:
                sys.stderr.write(f"{PROG}: error: {message}\n")
            return EXIT_USAGE
        return _families(args, fmt, old, new)

    structure = diffing.structural(old, new)
    behaviour = None
    if args.examples:
        try:
            import hypothesis  # noqa: F401
        except ImportError:
            sys.stderr.write(f"{PROG}: error: the behavioural search needs hypothesis "
                             f"(pip install hypothesis), or pass --examples 0\n")
            return EXIT_USAGE
        behaviour = diffing.behavioural(old, new, examples=args.examples)
    differs = bool(behaviour and behaviour.groups)
    # A case that the old policy took and the new one refuses is a change every client sees.
    contract = diffing.contract_changes(old, new)
    changes = diffing.attribute(diffing.rule_changes(structure), behaviour, contract, old, new)
    unproven = [c for c in changes if not c["shown_by"]]
    proof = None
    if args.prove:
        from supervisor_rules.tools import prove

        if not prove.available():
            sys.stderr.write(f"{PROG}: error: --prove needs z3: pip install 'supervisor-rules[prove]' "
                             f"/ --prove 需要 z3\n")
            return EXIT_USAGE
        proof = prove.prove_equivalent(old, new, records=args.records, timeout=args.timeout)
        if proof.equivalent:
            for c in unproven:  # no case within the bounds tells the two apart: the change changes nothing
                c["proved_equivalent"] = True
            unproven = []
    status, reasons = _exit(differs, contract, unproven, args.allow, behaviour)
    proved_same = [c for c in changes if c.get("proved_equivalent")]
    if proof is not None and proof.equivalent and proved_same and status == EXIT_OK:
        reasons = [r for r in reasons if r["reason"] != "same"] + [
            {"reason": "proved_equivalent", "message": f"{len(proved_same)} rule change(s) proved to change no "
                                                       f"decision within the bounds / 规则改动已证明不改变任何决定"}]
    if proof is not None and not proof.equivalent:
        if proof.witnesses:
            reasons.insert(0, {"reason": "proved_different", "message": f"the proof found decisions that differ in "
                               f"{len(proof.witnesses)} field(s), each with a witness both engines confirm"})
        else:
            reasons.insert(0, {"reason": "not_proved", "message": proof.why or "some fields are not proved"})
        if not args.allow:
            status = EXIT_FINDINGS
        reasons = [r for r in reasons if r["reason"] != "same"]

    if fmt == "json":
        payload = {"old": old.id, "new": new.id, "structural": structure,
                   "behavioural": diffing.behaviour_to_dict(behaviour, old, new) if behaviour else None,
                   "behaviour_differs": differs, "contract_breaks": [c["words"] for c in contract],
                   "contract_changes": [_contract_json(c, old, new) for c in contract],
                   "rule_changes": changes, "unproven": unproven,
                   "proof": proof.to_dict() if proof is not None else None,
                   "exit": {"status": status, "reasons": reasons}}
        _out(json.dumps(payload, ensure_ascii=not _utf8(sys.stdout), indent=2))
        return status
    _text(old, new, structure, behaviour)
    if contract:
        _contract_text(contract, old, new, args.allow)
    if unproven:
        _unproven_text(unproven, behaviour, args.allow)
    if proof is not None:
        _proof_text(proof)
    _verdict(behaviour, differs, args.allow, status, reasons)
    return status


def _proof_text(proof) -> None:
    _out("")
    if proof.why is not None:
        _out(f"Proof: not proved 未证明 — {proof.why}")
        return
    verdict = ("EQUIVALENT within bounds 在界限内已证明等价" if proof.equivalent
               else "DIFFERENT 已证明不同" if proof.witnesses else "not proved 未证明")
    _out(f"Proof: {verdict} ({proof.bounds.words()}; {proof.seconds:.1f} s; fields proved equal: "
         f"{sum(f.result == 'equal' for f in proof.fields)} of {len(proof.fields)})")
    for f in proof.fields:
        if f.result == "differs":
            _out(f"  ≠ {f.field}: witness {json.dumps(f.witness, ensure_ascii=not _utf8(sys.stdout))}")
        elif f.result != "equal":
            _out(f"  ? {f.field}: {f.why}")


def _exit(differs: bool, contract: list, unproven: list, allowed: bool, behaviour) -> tuple[int, list[dict]]:
    """The exit status and its reasons: each a ``{"reason", "message"}``; 0 with no reason but
    ``allowed`` or ``same``."""
    reasons = []
    if differs:
        reasons.append({"reason": "behaviour_differs",
                        "message": f"decisions differ in {len(behaviour.groups)} way(s)"})
    if contract:
        reasons.append({"reason": "contract_changed",
                        "message": f"{len(contract)} way(s) a case valid under the old policy is refused by the new"})
    if unproven:
        searched = "no search was made (--examples 0)" if behaviour is None else \
            f"no witness among {behaviour.compared} cases"
        reasons.append({"reason": "unproven", "message": f"{len(unproven)} rule change(s) unproven ({searched})"})
    if not reasons:
        return EXIT_OK, [{"reason": "same", "message": "no behavioural difference found and no rule changed"
                          if behaviour is not None else "no rule changed"}]
    if allowed:
        return EXIT_OK, reasons + [{"reason": "allowed", "message": "--allow-behaviour-change"}]
    return EXIT_FINDINGS, reasons


def _contract_json(change: dict, old, new) -> dict:
    out = {**change, "title": f"case contract: {change['words']}"}
    if change.get("witness") is not None:
        out["old"] = f"{old.id}: accepted"
        out["new"] = f"{new.id}: refused — " + "; ".join(change.get("refused", []))
    return out


def _contract_text(contract: list, old, new, allowed: bool) -> None:
    _out("")
    names = (old.id, new.id) if old.id != new.id else ("the old policy", "the new")
    _out(f"Case contract changed: {len(contract)} way(s) a case valid under {names[0]} is refused under {names[1]}"
         + (" (allowed by --allow-behaviour-change):" if allowed else "; exit 1:"))
    for c in contract:
        _out(f"  - {c['words']}")
        if c.get("witness") is not None:
            _out(f"    case: {json.dumps(c['witness'], ensure_ascii=not _utf8(sys.stdout))}")
            _out(f"    refused: {'; '.join(c.get('refused', []))}")


def _unproven_text(unproven: list, behaviour, allowed: bool) -> None:
    _out("")
    searched = ("no behavioural search was made (--examples 0)" if behaviour is None
                else f"no witness among the {behaviour.compared} cases compared")
    _out(f"Unproven rule changes ({len(unproven)}): {searched}, so nothing shows what they change — nor that "
         f"they change nothing" + (" (allowed by --allow-behaviour-change):" if allowed else "; exit 1:"))
    for c in unproven:
        where = f"{c['ref']} {c['cite']}" if c["ref"] else "declaration"
        _out(f"  ? {where} ({c['change']})" + (f" — {c['note']}" if c.get("note") else ""))
        for line in c["rules"]:
            _out(f"      {line}")


# ------------------------------------------------------------------ families
def _families(args, fmt: str, old, new) -> int:
    """Two families: their versions matched by id (each changed pair's structure as two policies'), their
    selectors, and one behavioural search over the families as wholes (each case decided by its version)."""
    structure = diffing.family_structure(old, new)
    views = diffing.FamilyView(old), diffing.FamilyView(new)
    behaviour = None
    if args.examples:
        try:
            import hypothesis  # noqa: F401
        except ImportError:
            sys.stderr.write(f"{PROG}: error: the behavioural search needs hypothesis "
                             f"(pip install hypothesis), or pass --examples 0\n")
            return EXIT_USAGE
        behaviour = diffing.behavioural(*views, examples=args.examples)
    differs = bool(behaviour and behaviour.groups)
    breaks = [f"{vid}: {line}" for vid, lines in structure["contract_breaks"].items() for line in lines]
    # One search over the families as wholes: a rule change of a version (or a selector changed) that it
    # does not show is unproven when the search shows nothing at all.
    changes = [{**c, "version": vid} for vid, st in structure["by_version"].items() for c in diffing.rule_changes(st)]
    changes += [{"change": "selector", "ref": None, "cite": None, "rules": [f"{sign} {line}"]}
                for sign, key in (("-", "removed"), ("+", "added"), ("~", "changed"))
                for line in structure["selectors"][key]]
    unproven = [] if differs or breaks else [{**c, "shown_by": []} for c in changes]
    status, reasons = _exit(differs, breaks, unproven, args.allow, behaviour)
    if fmt == "json":
        payload = {"old": old.id, "new": new.id, "families": structure,
                   "behavioural": diffing.behaviour_to_dict(behaviour, *views) if behaviour else None,
                   "behaviour_differs": differs, "contract_breaks": breaks, "unproven": unproven,
                   "exit": {"status": status, "reasons": reasons}}
        _out(json.dumps(payload, ensure_ascii=not _utf8(sys.stdout), indent=2, default=str))
        return status
    _out(f"diff family {old.id} → {new.id}")
    _out(f"  old: {old.source}  {old.title or ''}")
    _out(f"  new: {new.source}  {new.title or ''}")
    _out("")
    _out("== Versions, matched by id ==")
    versions = structure["versions"]
    for sign, key in (("-", "removed"), ("+", "added"), ("~", "changed"), ("=", "same")):
        if versions[key]:
            _out(f"  {sign} {key}: {', '.join(versions[key])}")
    selectors = structure["selectors"]
    if any(selectors.values()):
        _out("== Selectors ==")
        for sign, key in (("-", "removed"), ("+", "added"), ("~", "changed")):
            for line in selectors[key]:
                _out(f"  {sign} {line}")
    before = {v.id: v for v in old.versions}
    after = {v.id: v for v in new.versions}
    for vid in versions["changed"]:
        _out("")
        _out(f"== Version {vid} ==")
        _text(before[vid], after[vid], structure["by_version"][vid], None)
    if breaks:
        _out("")
        _out(f"Case contract changed: {len(breaks)} way(s) a case valid under a version of {old.id} is refused by "
             f"the same version of {new.id}" + (" (allowed by --allow-behaviour-change):" if args.allow
                                                else "; exit 1:"))
        for line in breaks:
            _out(f"  - {line}")
    if behaviour is not None:
        _behaviour_text(*views, behaviour)
    if unproven:
        _unproven_text(unproven, behaviour, args.allow)
    _verdict(behaviour, differs, args.allow, status, reasons)
    return status


# ------------------------------------------------------------------ text
def _verdict(behaviour, differs: bool, allowed: bool, status: int | None = None, reasons=()) -> None:
    """The text output's last lines: whether the behavioural search found a difference, and the exit."""
    if differs:
        _out("")
        _out(f"Behaviour differs in {len(behaviour.groups)} way(s)"
             + (" (allowed by --allow-behaviour-change)." if allowed
                else "; exit 1 (pass --allow-behaviour-change to accept)."))
    elif behaviour is not None:
        _out("")
        _out(f"No behavioural difference found in {behaviour.compared} cases.")
    if status is not None:
        why = "; ".join(r["message"] for r in reasons)
        _out(f"Exit {status}: {why}.")


def _refs(entries) -> str:
    return ", ".join(e["ref"] for e in entries)


def _side(entries) -> str:
    words = list(dict.fromkeys(e["rule"] for e in entries))
    return f"{_refs(entries)} " + "; ".join(words)


def _text(old, new, structure: dict, behaviour) -> None:
    # the names shown: the policies' ids, or "old" and "new" for two versions of one policy
    a, b = (old.id, new.id) if old.id != new.id else (f"{old.id} (old)", f"{new.id} (new)")
    _out(f"diff {old.id} → {new.id}")
    _out(f"  old: {_arg(old)}  {old.title or ''}")
    _out(f"  new: {_arg(new)}  {new.title or ''}")

    prov = structure["provisions"]
    _out("")
    _out("== Structure: provisions, matched by citation ==")
    if old.id != new.id:
        _out("(different policies number their provisions differently; the rules matched by role follow)")
    if not (prov["added"] or prov["removed"] or prov["changed"]):
        _out("  no provision added, removed or changed")
    for title, entries, sign in ((f"Only in {a}", prov["removed"], "-"), (f"Only in {b}", prov["added"], "+")):
        if not entries:
            continue
        _out(f"{title} ({len(entries)}):")
        for e in entries:
            if e["rules"]:
                _out(f"  {sign} {e['ref']} {e['cite']}: " + "; ".join(e["rules"]))
        text_only = [e for e in entries if not e["rules"]]
        if text_only:
            _out(f"  {sign} text only: " + ", ".join(e["ref"] if e["cite"].count("款") == 0 else
                                                     f"{e['ref']} ({e['cite']})" for e in text_only))
    wording_only = [e for e in prov["changed"] if not e["rules_changed"]]
    with_rules = [e for e in prov["changed"] if e["rules_changed"]]
    if with_rules:
        _out(f"Rules changed ({len(with_rules)}):")
        for e in with_rules:
            _out(f"  ~ {e['ref']} {e['cite']}" + (" (wording changed too)" if e["wording_changed"] else ""))
            for w in e["removed_rules"]:
                _out(f"      - {w}")
            for w in e["added_rules"]:
                _out(f"      + {w}")
    if wording_only:
        _out(f"Wording changed only ({len(wording_only)}): " + ", ".join(e["ref"] for e in wording_only))

    _out("")
    _out("== Structure: rules matched by role ==")
    _out("(+ only in new, - only in old, ~ changed, = same rule under another number)")
    for area in diffing.AREAS:
        entries = [e for e in structure["roles"] if e["area"] == area]
        if not entries:
            continue
        shown = [e for e in entries if e["change"] != "same"]
        same = len(entries) - len(shown)
        _out(f"{diffing.AREA_TITLES[area]}:" + (f" ({same} the same)" if same else ""))
        for e in shown:
            sym = _SYMBOL[e["change"]]
            if e["change"] == "added":
                _out(f"  {sym} {e['role']}: {b} {_side(e['new'])}")
            elif e["change"] == "removed":
                _out(f"  {sym} {e['role']}: {a} {_side(e['old'])}")
            elif e["change"] == "renumbered":
                _out(f"  {sym} {e['role']}: {_refs(e['old'])} → {_refs(e['new'])}")
            else:
                width = max(len(a), len(b)) + 1
                _out(f"  {sym} {e['role']}:")
                _out(f"      {a + ':':<{width}} {_side(e['old'])}")
                _out(f"      {b + ':':<{width}} {_side(e['new'])}")
    facts = structure["facts"]
    if facts["old_only"] or facts["new_only"] or facts["different_type"]:
        _out("Facts declared by one policy only (not used by the behavioural search):")
        if facts["old_only"]:
            _out(f"  - {a}: " + ", ".join(facts["old_only"]))
        if facts["new_only"]:
            _out(f"  + {b}: " + ", ".join(facts["new_only"]))
        for line in facts["different_type"]:
            _out(f"  ~ {line}")
    if facts.get("different_default"):
        _out("Closed-world defaults changed (a case that leaves the fact out is decided differently):")
        for line in facts["different_default"]:
            _out(f"  ~ {line}")

    if behaviour is not None:
        _behaviour_text(old, new, behaviour)


def _behaviour_text(old, new, behaviour) -> None:
    a, b = (old.id, new.id) if old.id != new.id else (f"{old.id} (old)", f"{new.id} (new)")
    facts = {"shared": sum(len(f) for f in behaviour.shared.values())}
    _out("")
    _out("== Behaviour ==")
    seeds = behaviour.seeds
    boundary = (f" and {len(seeds.cases)} boundary cases ({seeds.covered} of {len(seeds.boundaries)} boundaries "
                f"covered)" if seeds is not None else "")
    _out(f"Searched {behaviour.drawn} drawn cases (derandomised){boundary} over the {facts['shared']} facts both "
         f"policies declare with the same type; {len(behaviour.groups)} kind(s) of difference.")
    if behaviour.groups:
        _out("Each witness is minimal (no section, fact or list entry can be dropped and keep the difference);")
        _out(f"try one with: echo 'CASE' | {PROG} eval {_arg(old)} - ; echo 'CASE' | {PROG} eval {_arg(new)} -")
    total = behaviour.compared
    for i, g in enumerate(behaviour.groups, 1):
        _out("")
        seen = (f"{g.count} of {total} cases" + (", first at a boundary" if g.found_by == "boundary" else "")
                if g.count else "found next to another witness: a rare combination")
        _out(f"[{i}] {diffing.group_title(g.key, a, b)}   ({seen})")
        if g.old is not None:
            width = max(len(a), len(b)) + 1
            _out(f"    {a + ':':<{width}} {diffing.decision_lines(g.field, g.old, g.key)}")
            _out(f"    {b + ':':<{width}} {diffing.decision_lines(g.field, g.new, g.key)}")
        _out(f"    case: {json.dumps(g.witness, ensure_ascii=not _utf8(sys.stdout))}")


def _arg(policy) -> str:
    """How to name a policy on the command line: its id when shipped, else its file."""
    try:
        shipped = policy.id in sr.builtin_policy_ids() and sr.builtin_policy(policy.id).source == policy.source
    except sr.RulesError:
        shipped = False
    return policy.id if shipped else policy.source
