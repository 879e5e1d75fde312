"""Violations: what the appointee must not do (``prohibit``), against the codes the case records.

Prohibitions are compiled first: ``violates`` refers to them (the expression is ``compiler``'s
and ``codegen``'s; ``compiler.violated`` is its one evaluation).
"""

from __future__ import annotations

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Violation
from supervisor_rules.questions.base import Question, RuleKind


# ------------------------------------------------------------------ compilation
def compile_prohibit(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, reads=(rule.path.dotted,), codes=frozenset(v.name for v in rule.values),
                  key=rule.path.dotted)


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    facts, tracing = ev.facts, ev.trace is not None
    violations = []
    for rule in policy.prohibitions:
        recorded = facts.get(rule.key) or ()
        for code in recorded:
            if code in rule.codes:
                violations.append(Violation(code, rule.citation))
        if tracing:
            ev.note(rule, [c for c in recorded if c in rule.codes])
    ev.decided["violations"] = tuple(violations)


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    # Rule by rule, each in the order the case records the codes (as the interpreter does).
    gen.emit("violations = []")
    recorded: dict[str, str] = {}
    for rule in gen.policy.prohibitions:
        if rule.key not in recorded:
            recorded[rule.key] = f"recorded{len(recorded)}"
            gen.emit(f"{recorded[rule.key]} = get({gen.text(rule.key)})")
    for rule in gen.policy.prohibitions:
        found = gen.const({code: Violation(code, rule.citation) for code in rule.codes})
        t = gen.temp()
        gen.emit(f"if {recorded[rule.key]}:")
        gen.emit(f"    for {t} in {recorded[rule.key]}:")
        gen.emit(f"        if {t} in {found}:")
        gen.emit(f"            violations.append({found}[{t}])")
    for rule in gen.policy.prohibitions if gen.traced else ():
        name = recorded[rule.key]  # usually empty: then no call
        gen.step(gen.site(rule), f"(kept({name}, {gen.const(rule.codes)}) if {name} else ())")
    gen.emit("violations = tuple(violations)")


def kept(recorded, codes: frozenset) -> tuple:
    """The recorded codes a prohibition forbids, in the case's order (a prohibition step's outcome)."""
    return tuple([code for code in recorded if code in codes]) if recorded else ()


QUESTION = Question(
    "violations", ("violations",),
    (RuleKind(n.Prohibit, "prohibit", "prohibitions", compile_prohibit, referenced=True,
              sides=("violated", "not violated"), conditions=lambda r: (),
              describe=lambda r, w: f"prohibits {r.path.dotted}: {', '.join(v.name for v in r.values)}",
              roles=lambda r, w: [("discipline", (r.path.dotted, v.name), f"prohibits {v.name}") for v in r.values]),),
    interpret, generate, namespace={"kept": kept})
