"""Violations: what the appointee must not do (``prohibit``), against the codes the case records.

A prohibition names values of a ``list of`` enum fact (``prohibit L: v, …``), or of an enum field
of a ``list of`` records (``prohibit L.field: v, …``): each entry whose value is prohibited is one
violation, in the case's order. A record whose field is unknown (left out, ``= unknown``) is none,
but it leaves ``violates`` unknown unless another entry settles it.

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
    """``prohibit LIST: value, …``: conduct the appointee must not engage in, as codes a list fact records;
    ``prohibit LIST.FIELD: value, …``: as an enum field of the records a list fact holds."""

    path: n.Path
    values: tuple[n.Name, ...]
    span: n.Span = n.span_field()

    @property
    def list_key(self) -> str:
        """The list fact (``section.fact``) whose entries are looked at."""
        return ".".join(self.path.parts[:2])

    @property
    def field(self) -> str | None:
        """The records' enum field whose values are prohibited; None for a list of enum values."""
        return self.path.parts[2] if len(self.path.parts) == 3 else None


def build_prohibit(b, c):
    return Prohibit(c[1], tuple(c[2:]), span=b.span(c))


# ------------------------------------------------------------------ checks
def check(chk, rule, provision, state) -> None:
    # state: each (list or list.field, value) → the provision that prohibits it first
    for value in rule.values:
        key = (rule.path.dotted, value.name)
        if key in state:
            chk.report(value.span, f"`{value.name}` is already prohibited on `{rule.path.dotted}` by {state[key].ref}")
        state.setdefault(key, provision)
    enum = _checked_enum(chk, rule.path)
    if enum is not None:
        for value in rule.values:
            if value.name not in enum.values:
                shown = ", ".join(f"`{v}`" for v in enum.values[:20]) + (", …" if len(enum.values) > 20 else "")
                chk.report(value.span, f"`{value.name}` is not a value of {enum}{chk.suggest(value.name, enum.values)}; "
                                       f"its values are {shown}")


def _enum_fields(chk, record) -> str:
    names = [f"`{name}`" for name, info in record.fields.items() if isinstance(info.type, chk.EnumT)]
    return (f"the enum fields of record `{record.name}` are {', '.join(names)}" if names
            else f"record `{record.name}` has no enum field")


def _checked_enum(chk, path):
    """The enum whose values a prohibition on ``path`` names, reporting what is wrong with the path."""
    if len(path.parts) == 3:
        listed = n.Path(path.parts[:2], span=path.span)
        ltype = chk.expect_path(listed, None, "prohibited conduct")
        if ltype is None:
            return None
        if not (isinstance(ltype, chk.ListT) and isinstance(ltype.element, chk.RecordT)):
            hint = (f"; prohibit its values as `prohibit {listed.dotted}: …` / `禁止 {listed.dotted}：…`"
                    if isinstance(ltype, chk.ListT) and isinstance(ltype.element, chk.EnumT) else "")
            chk.report(path.span, f"`{path.dotted}` names a field of the records of a list; `{listed.dotted}` is "
                                  f"{ltype}, not a `list of` records{hint}")
            return None
        record, field = ltype.element, path.parts[2]
        info = record.fields.get(field)
        if info is None:
            chk.report(path.span, f"record `{record.name}` has no field `{field}`{chk.suggest(field, record.fields)}; "
                                  f"{_enum_fields(chk, record)}")
            return None
        if not isinstance(info.type, chk.EnumT):
            chk.report(path.span, f"prohibitions name values of an enum field; `{path.dotted}` is {info.type}, and "
                                  f"{_enum_fields(chk, record)}")
            return None
        return info.type
    ftype = chk.expect_path(path, None, "prohibited conduct")
    if ftype is None:
        return None
    if isinstance(ftype, chk.ListT) and isinstance(ftype.element, chk.EnumT):
        return ftype.element
    if isinstance(ftype, chk.ListT) and isinstance(ftype.element, chk.RecordT):
        chk.report(path.span, f"`{path.dotted}` is a list of records: name the enum field whose values are "
                              f"prohibited, `prohibit {path.dotted}.FIELD: …` / `禁止 {path.dotted}.FIELD：…` "
                              f"({_enum_fields(chk, ftype.element)})")
    else:
        chk.report(path.span, f"prohibitions name values of a `list of` enum fact, or of an enum field of a `list of` "
                              f"records (`prohibit LIST.FIELD: …`), not {ftype}")
    return None


def _declared_enum(chk, path):
    """The enum a prohibition on ``path`` names, or None; reports nothing (``check`` has)."""
    section = chk.sections.get(path.parts[0])
    info = section.fields.get(path.parts[1]) if section is not None and len(path.parts) in (2, 3) else None
    element = info.type.element if info is not None and isinstance(info.type, chk.ListT) else None
    if len(path.parts) == 3 and isinstance(element, chk.RecordT):
        field = element.fields.get(path.parts[2])
        element = field.type if field is not None else None
    return element if isinstance(element, chk.EnumT) else None


def decision_values(chk, rules):
    """The values a decision's violations list: those of the first prohibition's enum."""
    prohibited = next((e for e in (_declared_enum(chk, r.path) for r in rules) if e is not None), None)
    return prohibited if prohibited is not None else chk.EnumT("violation", ())


# ------------------------------------------------------------------ compilation
def compile_prohibit(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, reads=(rule.list_key,), codes=frozenset(v.name for v in rule.values),
                  key=rule.list_key, field=rule.field)


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    facts, tracing = ev.facts, ev.trace is not None
    violations: list[Violation] = []
    for rule in policy.prohibitions:
        recorded = kept(facts.get(rule.key), rule.codes) if rule.field is None else \
            kept_field(facts.get(rule.key), rule.field, rule.codes)
        violations.extend(Violation(code, rule.citation) for code in recorded)
        if tracing:
            ev.note(rule, list(recorded))
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
        if rule.field is not None:  # an entry's field: None where it is left out, and never prohibited
            gen.emit(f"        {t} = {t}.get({gen.text(rule.field)})")
        gen.emit(f"        if {t} in {found}:")
        gen.emit(f"            violations.append({found}[{t}])")
    for rule in gen.policy.prohibitions:
        name = recorded[rule.key]  # usually empty: then no call
        if rule.field is None:
            gen.trace.step(gen.trace.site(rule), lambda: f"(kept({name}, {gen.const(rule.codes)}) if {name} else ())")
        else:
            gen.trace.step(gen.trace.site(rule), lambda: f"(kept_field({name}, {gen.text(rule.field)}, "
                                                          f"{gen.const(rule.codes)}) if {name} else ())")
    gen.emit("violations = tuple(violations)")


def kept(recorded, codes: frozenset) -> tuple:
    """The recorded codes a prohibition forbids, in the case's order (a prohibition step's outcome)."""
    return tuple([code for code in recorded if code in codes]) if recorded else ()


def kept_field(recorded, field: str, codes: frozenset) -> tuple:
    """The prohibited values of ``field`` in the recorded entries, in the case's order (unknown ones are none)."""
    return tuple([entry[field] for entry in recorded if entry.get(field) in codes]) if recorded else ()


# ------------------------------------------------------------------ reference (shares nothing above)
def ref_reads(policy, rule) -> None:
    rule.reads = (".".join(rule.node.path.parts[:2]),)


def _ref_values(run, rule) -> list | None:
    """What the case records for a prohibition, in its order: the codes of a list of enum values, or each
    entry's field (None where the entry leaves it out); None when the list itself is unknown."""
    recorded = run.facts.get(".".join(rule.node.path.parts[:2]))
    if recorded is None:
        return None
    if len(rule.node.path.parts) == 2:
        return list(recorded)
    return [entry.get(rule.node.path.parts[2]) for entry in recorded]


def ref_holds(run, rule):
    """Whether the case records some conduct the prohibition names: unknown if it records no list, or an
    entry whose field is unknown and no entry that is prohibited."""
    values = _ref_values(run, rule)
    if values is None:
        return None
    names = {v.name for v in rule.node.values}
    if any(value in names for value in values):
        return True
    return None if None in values else False


def reference(run) -> None:
    out: list[Violation] = []
    for rule in run.policy.of(Prohibit):
        codes = {v.name for v in rule.node.values}
        kept_ = [code for code in _ref_values(run, rule) or () if code in codes]  # in the case's order
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
    interpret, generate, reference=reference, order=40, namespace={"kept": kept, "kept_field": kept_field})
