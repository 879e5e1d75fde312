"""Status: whether the appointee is in office — the grounds for dismissal (``ground``) and the
dismissal on record (``dismissal recorded``).

Decides ``status`` and ``grounds``, and the ``dismissed`` that later questions read.
"""

from __future__ import annotations

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Effect, Ground, Status, TraceSite
from supervisor_rules.questions.base import Question, RuleKind, condition_only


def _ground_roles(rule, words) -> list:
    """A ground is known in a diff by the atoms of its condition; one that reads only `expired` is the
    term's natural end, so it belongs with the term."""
    key = tuple(sorted(words.expr(a) for a in words.atoms(rule.condition)))
    area = "term" if key == ("expired",) else "grounds"
    return [(area, ("ground", *key), f"{rule.effect} ground when {words.expr(rule.condition)}")]


# ------------------------------------------------------------------ compilation
def compile_ground(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, rule.condition, effect=rule.effect)


def compile_record(c, kind, rule, citation, order):
    return c.rule(kind, citation, order, reads=(rule.path.dotted,), key=rule.path.dotted)


def dismissed_of(status: Status) -> bool | None:
    """The ``dismissed`` that expressions read, for a decided status."""
    return True if status == Status.DISMISSED else None if status == Status.UNKNOWN else False


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    grounds, status = _status(policy, ev.env, ev.decided["term"], ev.note)
    ev.env.dismissed = dismissed_of(status)
    if ev.trace is not None:
        ev.trace.append((ev.sites.named["status"], str(status)))
    ev.decided["status"] = status
    ev.decided["grounds"] = tuple(grounds)


def _status(policy, env, term, note) -> tuple[list[Ground], Status]:
    start = term.start if term is not None else None
    if start is None or env.as_of < start:
        return [], Status.NOT_APPOINTED
    grounds, ending_unknown, ended = [], False, False
    for rule in policy.grounds:
        value = note(rule, rule.fn(env))
        if value is True:
            grounds.append(Ground(rule.citation, Effect(rule.effect)))
            ended = ended or rule.effect != "discretionary"
        elif value is None and rule.effect != "discretionary":
            ending_unknown = True
    record = policy.dismissal_record
    if record is not None:
        on = env.facts.get(record.key)
        recorded = on is not None and on <= env.as_of
        note(record, recorded)
        ended = ended or recorded
    if ended:
        return grounds, Status.DISMISSED
    return grounds, Status.UNKNOWN if ending_unknown else Status.ACTIVE


def sites(policy, site) -> dict:
    """The status's own site (it shows no facts)."""
    return {"status": TraceSite(None, "status", (), memo=True)}


# ------------------------------------------------------------------ code generation
def generate(gen) -> None:
    policy = gen.policy
    gen.emit("if term is None or as_of < term.start:")
    gen.emit("    grounds = ()")
    gen.emit("    status = NOT_APPOINTED")
    gen.emit("else:")
    gen.depth += 1
    gen.emit("grounds = []")
    gen.emit("ended = False")
    gen.emit("ending_unknown = False")
    for i, rule in enumerate(policy.grounds):
        ends = rule.effect != "discretionary"
        gen.rule_value(rule, f"g{i}")
        gen.step(gen.site(rule), f"g{i}")
        gen.emit(f"if g{i} is True:")
        gen.emit(f"    grounds.append({gen.const(Ground(rule.citation, Effect(rule.effect)))})")
        if ends:
            gen.emit("    ended = True")
        if ends or any(k in policy.open_facts for k in rule.reads):
            gen.emit(f"elif g{i} is None:")
            gen.depth += 1
            if ends:
                gen.emit("ending_unknown = True")
            gen.missing(rule)
            gen.depth -= 1
    record = policy.dismissal_record
    if record is not None:
        gen.emit(f"recorded_on = get({gen.text(record.key)})")
        gen.step(gen.site(record), "(recorded_on is not None and recorded_on <= as_of)")
        gen.emit("if recorded_on is not None and recorded_on <= as_of:")
        gen.emit("    ended = True")
    gen.emit("status = DISMISSED if ended else STATUS_UNKNOWN if ending_unknown else ACTIVE")
    gen.emit("grounds = tuple(grounds)")
    gen.depth -= 1
    if gen.traced:
        gen.step(gen.sites.named["status"], f"{gen.const({s: str(s) for s in Status})}[status]", [])
    gen.emit("dismissed = True if status is DISMISSED else None if status is STATUS_UNKNOWN else False")


QUESTION = Question(
    "status", ("status", "grounds"),
    (RuleKind(n.Ground, "ground", "grounds", compile_ground, sides=("holding", "not holding"),
              conditions=condition_only, describe=lambda r, w: f"{r.effect} ground when {w.expr(r.condition)}",
              roles=_ground_roles),
     RuleKind(n.DismissalRecord, "record", "dismissal_record", compile_record, single=True,
              sides=("recorded", "not recorded"), conditions=lambda r: (),
              describe=lambda r, w: f"dismissal recorded {r.path.dotted}",
              roles=lambda r, w: [("grounds", ("record",), w.rule(r))])),
    interpret, generate, sites,
    namespace={"NOT_APPOINTED": Status.NOT_APPOINTED, "DISMISSED": Status.DISMISSED, "ACTIVE": Status.ACTIVE,
               "STATUS_UNKNOWN": Status.UNKNOWN})
