"""Violations: what the appointee must not do (``prohibit``), against the codes the case records.

Prohibitions are compiled first: ``violates`` refers to them (the expression is ``compiler``'s
and ``codegen``'s; ``compiler.violated`` is its one evaluation).
"""

from __future__ import annotations

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Violation
from supervisor_rules.questions.base import Question, RuleKind


# ------------------------------------------------------------------ nodes and syntax
@attrs.frozen
class Prohibit:
    """``prohibit LIST: value, …``: conduct the appointee must not engage in, as codes a list fact records."""

    path: n.Path
    values: tuple[n.Name, ...]
    span: n.Span = n.span_field()


def build_prohibit(b, c):
    return Prohibit(c[1], tuple(c[2:]), span=b.span(c))


# ------------------------------------------------------------------ checks
def check(chk, rule, provision, state) -> None:
    for value in rule.values:  # state: each prohibited value → the provision that prohibits it first
        if value.name in state:
            chk.report(value.span, f"`{value.name}` is already prohibited by {state[value.name].ref}")
        state.setdefault(value.name, provision)
    ftype = chk.expect_path(rule.path, None, "prohibited conduct")
    if ftype is not None:
        if not (isinstance(ftype, chk.ListT) and isinstance(ftype.element, chk.EnumT)):
            chk.report(rule.path.span, f"prohibitions name values of a `list of` enum fact, not {ftype}")
        else:
            for value in rule.values:
                chk.check_enum_value(value, ftype.element)


def decision_values(chk, rules):
    """The values a decision's violations list: those of the first prohibition's list fact."""
    prohibited = next((chk.type_of(r.path, frozenset(), None, {}) for r in rules), None)
    return prohibited.element if isinstance(prohibited, chk.ListT) else chk.EnumT("violation", ())


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
    for rule in gen.policy.prohibitions:
        name = recorded[rule.key]  # usually empty: then no call
        gen.trace.step(gen.trace.site(rule), lambda: f"(kept({name}, {gen.const(rule.codes)}) if {name} else ())")
    gen.emit("violations = tuple(violations)")


def kept(recorded, codes: frozenset) -> tuple:
    """The recorded codes a prohibition forbids, in the case's order (a prohibition step's outcome)."""
    return tuple([code for code in recorded if code in codes]) if recorded else ()


# ------------------------------------------------------------------ reference (shares nothing above)
def ref_reads(policy, rule) -> None:
    rule.reads = (rule.node.path.dotted,)


def ref_holds(run, rule):
    """Whether the case records some conduct the prohibition names (unknown if it records no list)."""
    recorded = run.facts.get(rule.node.path.dotted)
    return None if recorded is None else any(v.name in recorded for v in rule.node.values)


def reference(run) -> None:
    out: list[Violation] = []
    for rule in run.policy.of(Prohibit):
        key = rule.node.path.dotted
        codes = {v.name for v in rule.node.values}
        kept_ = [code for code in run.facts.get(key) or () if code in codes]  # in the case's order
        out.extend(Violation(code, rule.citation) for code in kept_)
        run.step(rule, "prohibit", kept_)
    run.decided["violations"] = tuple(out)


QUESTION = Question(
    "violations", ("violations",),
    (RuleKind(Prohibit, "prohibit", "prohibitions", compile_prohibit, referenced=True,
              sides=("violated", "not violated"), conditions=lambda r: (),
              describe=lambda r, w: f"prohibits {r.path.dotted}: {', '.join(v.name for v in r.values)}",
              roles=lambda r, w: [("discipline", (r.path.dotted, v.name), f"prohibits {v.name}") for v in r.values],
              statement="prohibit", syntax={"prohibit": build_prohibit}, check=check, may_read=frozenset({"as_of"}),
              words="a prohibition", word="prohibit", referenced_by="violates", none_referenced="prohibits nothing",
              decision_values=decision_values, ref_reads=ref_reads, ref_holds=ref_holds),),
    interpret, generate, reference=reference, order=40, namespace={"kept": kept})
