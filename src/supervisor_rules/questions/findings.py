"""Findings: conclusions the policy itself defines (``conclusion``), beside DECISION.md's fixed questions.

A regulation decides things the fixed decision has no place for: a probation period, a
commendation, a requirement the bureau *may* waive, a rating band, one outcome per clue of a
report. A ``conclusion`` rule declares such a conclusion — a code, unique in the policy, and a
label — and says when it is drawn and what it is:

- ``conclusion CODE "label" when C``: a yes/no conclusion, listed with value true when ``C``
  holds;
- ``conclusion CODE "label" equals X [when C]``: a valued one (a date, an enum value, a whole
  number, text), listed with the value of ``X``;
- ``conclusion CODE "label" [equals X] for each r in LIST [where C]``: one per entry of a list
  of records that ``C`` admits, carrying the entry's index (``r.field`` reads the entry).

Three-valued: a conclusion is left out only where its condition is false; where the condition
is unknown it is listed with value null (it may hold), and so is a valued one whose value is
unknown. A list that is itself unknown gives one finding with value and item null. An unknown
finding adds the open facts it read to ``missing_facts``. A conclusion reading only sections
the case does not have asks nothing of it (as notices and eligibility). Findings come in
provision order, a per-entry conclusion's in the list's order.
"""

from __future__ import annotations

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Finding
from supervisor_rules.questions.base import Question, RuleKind, inapplicable


# ------------------------------------------------------------------ nodes and syntax
@attrs.frozen
class Conclusion:
    """``conclusion CODE "label" [equals X] [when C | for each VAR in LIST [where C]]``."""

    code: str
    label: str
    value: n.Expr | None = None  # None: a yes/no conclusion
    condition: n.Expr | None = None  # `when C`, or a per-entry conclusion's `where C`
    var: str | None = None  # `for each VAR in LIST`: the entry's name in `value` and `condition`
    source: n.Path | None = None  # ... and the list
    span: n.Span = n.span_field()


def build_conclusion(b, c):
    clauses: dict = {}
    for key, value in c[3:]:  # ("value", X), ("condition", C), ("each", {var, source[, condition]})
        if key == "each":
            clauses.update(value)
        else:
            clauses[key] = value
    return Conclusion(b.name(c[1]), c[2].value, span=b.span(c), **clauses)


def build_each(b, c):
    # FOR_EACH NAME (IN | OF) path [WHERE expr]
    each = {"var": b.name(c[1]), "source": c[3]}
    if len(c) > 4:
        each["condition"] = c[5]
    return ("each", each)


SYNTAX = {"conclusion": build_conclusion, "conclusion_value": lambda b, c: ("value", c[1]),
          "conclusion_when": lambda b, c: ("condition", c[1]), "conclusion_each": build_each}

_VALUES = "a date, an enum value, a whole number or text"


# ------------------------------------------------------------------ checks
def check(chk, rule, provision, state) -> None:
    if rule.code in state:  # state: each code → the provision that declares it first
        chk.report(rule.span, f"conclusion `{rule.code}` is already declared at {state[rule.code].ref}; "
                              f"a code is declared once per policy")
    state.setdefault(rule.code, provision)
    if not rule.label.strip():
        chk.report(rule.span, "a conclusion needs a label")
    if rule.value is None and rule.condition is None and rule.source is None:
        chk.report(rule.span, "a conclusion says when it holds (`when …` / `当 …`), what it is "
                              "(`equals …` / `为 …`) or of which entries (`for each r in LIST` / `对每个 r 取自 LIST`)")
    scope: dict = {}
    if rule.source is not None:
        source = chk.expect_path(rule.source, None, "the conclusion's entries")
        record = source.element if isinstance(source, chk.ListT) and isinstance(source.element, chk.RecordT) else None
        if source is not None and record is None:
            chk.report(rule.source.span, f"`for each` / `对每个` takes a `list of` a record type, not {source}")
        if rule.var in chk.sections:
            chk.report(rule.span, f"`{rule.var}` names a section of facts; choose another name")
        if record is None:
            return  # what the entries hold is not known: their fields cannot be checked
        scope = {rule.var: record}
    if rule.condition is not None:
        chk.condition(rule.condition, scope)
        chk.reachable(rule.condition, rule)
    if rule.value is not None:
        check_value(chk, rule.value, scope)


def check_value(chk, value, scope) -> None:
    if isinstance(value, n.Name) and not chk.is_definition(value.name):  # a value named for itself (a band)
        if value.name in chk.sections:
            chk.report(value.span, f"`{value.name}` names a section of facts; a conclusion's value is {_VALUES}")
        return
    vtype = chk.typed(value, scope)
    if vtype is None:
        return
    if vtype == chk.BOOL:
        chk.report(value.span, f"a conclusion's value is {_VALUES}, not a condition: write a yes/no conclusion "
                               f"as `conclusion CODE \"label\" when …` / `结论 CODE \"标签\" 当 …`")
    elif not (vtype in (chk.DATE, chk.TEXT, chk.INT) or isinstance(vtype, chk.EnumT)):
        chk.report(value.span, f"a conclusion's value is {_VALUES}, not {vtype}")


def decision_values(chk, rules):
    """The values ``decision.findings`` lists: the policy's declared codes."""
    return chk.EnumT("finding", tuple(dict.fromkeys(rule.code for rule in rules)))


# ------------------------------------------------------------------ compilation
def compile_conclusion(c, kind, rule, citation, order):
    # Paths that start with the entry's name read the entry (`env.var`), as in a renewal condition.
    c.renewal_var = rule.var
    try:
        reads = c.reads(rule.source, rule.condition, rule.value)  # the list first
        value = c.expr(rule.value) if rule.value is not None else None
        return c.rule(kind, citation, order, rule.condition, reads=reads, code=rule.code, text=rule.label,
                      key=rule.source.dotted if rule.source is not None else None, var=rule.var,
                      value=value, value_expr=rule.value)
    finally:
        c.renewal_var = None


# ------------------------------------------------------------------ interpretation
def entry(rule, env):
    """One conclusion (or one entry's): False where it is not drawn, else its value (None: unknown)."""
    holds = rule.fn(env) if rule.fn is not None else True
    if holds is False:
        return False
    if rule.value is None:
        return holds  # a yes/no conclusion: true, or unknown
    return rule.value(env) if holds is True else None


def interpret(policy, ev) -> None:
    env, out = ev.env, []
    sites = ev.sites.named if ev.sites is not None else None
    for rule in policy.conclusions:
        if inapplicable(rule, ev.sections):
            continue
        if rule.key is None:
            value = entry(rule, env)
            if value is not False:
                out.append(Finding(rule.code, rule.text, value, rule.citation, None))
            ev.note(rule, value)
            continue
        site = sites[f"conclusion{rule.order}"] if sites is not None else None
        records = env.facts.get(rule.key)
        if records is None:  # the list is unknown: there may be such conclusions
            out.append(Finding(rule.code, rule.text, None, rule.citation, None))
            ev.note(rule, None, site, site and (None, *[env.facts.get(k) for k in site.keys[1:]]))
            continue
        for index, record in enumerate(records):
            env.var = record
            value = entry(rule, env)
            if value is not False:
                out.append(Finding(rule.code, rule.text, value, rule.citation, index))
            ev.note(rule, value, site, site and (index, *[env.facts.get(k) for k in site.keys[1:]]))
        env.var = {}
    ev.decided["findings"] = tuple(out)


# ------------------------------------------------------------------ trace sites
def sites(policy, site) -> dict:
    """A per-entry conclusion's steps show the entry's index (``LIST[]``), then the facts it reads."""
    return {f"conclusion{rule.order}": site(rule, (f"{rule.key}[]", *(k for k in rule.reads if k != rule.key)))
            for rule in policy.conclusions if rule.key is not None}


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    gen.emit("findings = []")
    for rule in gen.policy.conclusions:
        if rule.sections:
            gen.emit(f"if not sections.isdisjoint({gen.const(rule.sections)}):")
            gen.depth += 1
        code, label, citation = gen.const(rule.code), gen.const(rule.text), gen.const(rule.citation)
        if rule.key is None:
            _generate_entry(gen, rule, f"Finding({code}, {label}, f_value, {citation}, None)")
            gen.trace.step(gen.trace.site(rule), "f_value")
        else:
            site = gen.trace.named(f"conclusion{rule.order}")

            def facts(site):  # the facts a traced step shows beside the entry (built only when traced)
                return [gen.fact_names.get(k) or f"get({gen.text(k)})" for k in site.keys[1:]]
            gen.emit(f"f_records = get({gen.text(rule.key)})")
            gen.emit("if f_records is None:")
            gen.depth += 1
            gen.emit(f"findings.append(Finding({code}, {label}, None, {citation}, None))")
            gen.missing(rule)
            gen.trace.step(site, "None", lambda site: ["None", *facts(site)])
            gen.depth -= 1
            gen.emit("else:")
            gen.depth += 1
            gen.emit("for f_index, record in enumerate(f_records):")
            gen.depth += 1
            gen.renewal_var = rule.var
            try:
                _generate_entry(gen, rule, f"Finding({code}, {label}, f_value, {citation}, f_index)")
            finally:
                gen.renewal_var = None
            gen.trace.step(site, "f_value", lambda site: ["f_index", *facts(site)])
            gen.depth -= 2
        if rule.sections:
            gen.depth -= 1
    gen.emit("findings = tuple(findings)")


def _generate_entry(gen, rule, finding: str) -> None:
    """Code leaving ``entry``'s answer in ``f_value`` and listing the finding unless it is False."""
    gen.emit(f"f_value = {gen.expr(rule.expr) if rule.expr is not None else 'True'}")
    gen.emit("if f_value is not False:")
    gen.depth += 1
    if rule.value_expr is not None:
        gen.emit(f"f_value = {gen.expr(rule.value_expr)} if f_value is True else None")
    gen.emit(f"findings.append({finding})")
    gen.emit("if f_value is None:")
    gen.depth += 1
    gen.missing(rule, "pass")
    gen.depth -= 2


# ------------------------------------------------------------------ reference (shares nothing above)
def ref_reads(policy, rule) -> None:
    node: Conclusion = rule.node
    rule.reads = policy.reads(node.source, node.condition, node.value, var=node.var)
    rule.sections = policy.sections_of(rule.reads)


def _ref_drawn(run, node: Conclusion, record):
    """Whether the conclusion is drawn (for the entry ``record``): False where its condition is false;
    else its value — true for a yes/no conclusion — and unknown where the condition or the value is."""
    holds = True if node.condition is None else run.value(node.condition, record, node.var)
    if holds is False:
        return False
    if holds is None:
        return None
    return True if node.value is None else run.value(node.value, record, node.var)


def reference(run) -> None:
    found: list[Finding] = []
    for rule in run.policy.of(Conclusion):
        if not run.asks(rule.sections):
            continue
        node: Conclusion = rule.node
        if node.source is None:
            drawn = _ref_drawn(run, node, None)
            if drawn is not False:
                found.append(Finding(node.code, node.label, drawn, rule.citation, None))
            if drawn is None:
                run.unknown(rule)
            run.step(rule, "conclusion", drawn)
            continue
        key = node.source.dotted
        others = {k: run.facts.get(k) for k in rule.reads if k != key}
        entries = run.facts.get(key)
        if entries is None:
            # The list is unknown: there may be such conclusions, none can be told.
            found.append(Finding(node.code, node.label, None, rule.citation, None))
            run.unknown(rule)
            run.step(rule, "conclusion", None, {f"{key}[]": None, **others})
            continue
        for index, record in enumerate(entries):
            drawn = _ref_drawn(run, node, record)
            if drawn is not False:
                found.append(Finding(node.code, node.label, drawn, rule.citation, index))
            if drawn is None:
                run.unknown(rule)
            run.step(rule, "conclusion", drawn, {f"{key}[]": index, **others})
    run.decided["findings"] = tuple(found)


def _describe(rule, words) -> str:
    out = f"conclusion {rule.code} “{rule.label}”"
    if rule.value is not None:
        out += f" equals {words.expr(rule.value)}"
    if rule.source is not None:
        out += f" for each {rule.var} in {rule.source.dotted}"
        if rule.condition is not None:
            out += f" where {words.expr(rule.condition)}"
    elif rule.condition is not None:
        out += f" when {words.expr(rule.condition)}"
    return out


QUESTION = Question(
    "findings", ("findings",),
    (RuleKind(Conclusion, "conclusion", "conclusions", compile_conclusion, sides=("drawn", "not drawn"),
              conditions=lambda r: (r.condition,) if r.condition is not None else (),
              describe=_describe, roles=lambda r, w: [("findings", ("conclusion", r.code), _describe(r, w))],
              two_sided=lambda r: r.condition is not None,
              statement="conclusion", syntax=SYNTAX, check=check,
              may_read=frozenset({"satisfies", "violates", "expired", "dismissed", "as_of", "last_day",
                                  "dismissal_day", "term_number"}),
              words="a conclusion", word="conclusion", decision_values=decision_values, ref_reads=ref_reads),),
    interpret, generate, sites, reference=reference, order=75,
    namespace={"Finding": Finding, "enumerate": enumerate})
