"""Status: whether the appointee is in office — the grounds for dismissal (``ground``) and the
dismissal on record (``dismissal recorded``).

Decides ``status`` and ``grounds``, and the ``dismissed`` and ``dismissal day`` that later questions
read.
"""

from __future__ import annotations

import datetime as dt

import attrs

from supervisor_rules.lang import nodes as n
from supervisor_rules.contracts.decision import Effect, Status, Step, TraceSite
from supervisor_rules.contracts.decision import Ground as DecisionGround
from supervisor_rules.questions.base import (Question, RuleKind, check_condition, condition_only,
                                             ref_reads_condition)


# ------------------------------------------------------------------ nodes and syntax
@attrs.frozen
class Ground:
    """``[ground] automatic|mandatory|discretionary when X``: a ground for dismissal and its effect."""

    effect: str  # "automatic" | "mandatory" | "discretionary"
    condition: n.Expr
    span: n.Span = n.span_field()


@attrs.frozen
class DismissalRecord:
    """``dismissal recorded DATE``: the day a dismissal was recorded, if the case gives one."""

    path: n.Path
    span: n.Span = n.span_field()


def build_ground(b, c):
    effect = next(x for x in c if b.is_token(x, "EFFECT"))
    return Ground(b.value(effect), c[-1], span=b.span(c))


def build_record(b, c):
    return DismissalRecord(c[1], span=b.span(c))


def check_record(chk, rule, provision, state) -> None:
    chk.expect_path(rule.path, chk.DATE, "a recorded dismissal")


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


def dismissal_day(recorded_on: dt.date | None, as_of: dt.date, expired: bool | None,
                  last_day: dt.date | None) -> dt.date | None:
    """``dismissal day``: the recorded dismissal date if there is one on or before ``as_of``; else, after
    a natural expiry (``expired``), the day after the term's last day; else unknown."""
    if recorded_on is not None and recorded_on <= as_of:
        return recorded_on
    if expired is True and last_day is not None and last_day < dt.date.max:
        return last_day + dt.timedelta(days=1)
    return None


def dismissal_day_after(policy, decision, facts: dict) -> dt.date | None:
    """``dismissal day`` as a decision (and the facts it was made from) show it."""
    record = policy.dismissal_record.key if policy.dismissal_record is not None else None
    term = decision.term
    last_day = term.last_day if term is not None else None
    expired = (term is not None and decision.as_of >= term.start and last_day is not None
               and decision.as_of > last_day)
    return dismissal_day(facts.get(record) if record else None, decision.as_of, expired, last_day)


# ------------------------------------------------------------------ interpretation
def interpret(policy, ev) -> None:
    grounds, status = _status(policy, ev.env, ev.decided["term"], ev.note)
    ev.env.dismissed = dismissed_of(status)
    record = policy.dismissal_record
    ev.env.dismissal_day = dismissal_day(ev.facts.get(record.key) if record is not None else None, ev.as_of,
                                         ev.env.expired, ev.env.last_day)
    if ev.trace is not None:
        ev.trace.append((ev.sites.named["status"], str(status)))
    ev.decided["status"] = status
    ev.decided["grounds"] = tuple(grounds)


def _status(policy, env, term, note) -> tuple[list[DecisionGround], Status]:
    start = term.start if term is not None else None
    if start is None or env.as_of < start:
        return [], Status.NOT_APPOINTED
    grounds, ending_unknown, ended = [], False, False
    for rule in policy.grounds:
        value = note(rule, rule.fn(env))
        if value is True:
            grounds.append(DecisionGround(rule.citation, Effect(rule.effect)))
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
        gen.trace.step(gen.trace.site(rule), f"g{i}")
        gen.emit(f"if g{i} is True:")
        gen.emit(f"    grounds.append({gen.const(DecisionGround(rule.citation, Effect(rule.effect)))})")
        if ends:
            gen.emit("    ended = True")
        if ends or rule.partial or any(k in policy.open_facts for k in rule.reads):
            gen.emit(f"elif g{i} is None:")
            gen.depth += 1
            if ends:
                gen.emit("ending_unknown = True")
            gen.missing(rule)
            gen.depth -= 1
    record = policy.dismissal_record
    if record is not None:
        gen.emit(f"recorded_on = get({gen.text(record.key)})")
        gen.trace.step(gen.trace.site(record), "(recorded_on is not None and recorded_on <= as_of)")
        gen.emit("if recorded_on is not None and recorded_on <= as_of:")
        gen.emit("    ended = True")
    gen.emit("status = DISMISSED if ended else STATUS_UNKNOWN if ending_unknown else ACTIVE")
    gen.emit("grounds = tuple(grounds)")
    gen.depth -= 1
    gen.trace.step(gen.trace.named("status"), lambda: f"{gen.const({s: str(s) for s in Status})}[status]", [])
    gen.emit("dismissed = True if status is DISMISSED else None if status is STATUS_UNKNOWN else False")
    recorded = f"get({gen.text(record.key)})" if record is not None else "None"
    gen.emit(f"dismissal_day = dismissal_day_of({recorded}, as_of, expired, derived_last_day)")


# ------------------------------------------------------------------ reference (shares nothing above)
def ref_reads_record(policy, rule) -> None:
    rule.reads = (rule.node.path.dotted,)


def reference(run) -> None:
    grounds, status = _ref_status(run, run.decided["term"])
    run.dismissed = True if status == Status.DISMISSED else None if status == Status.UNKNOWN else False
    run.dismissal_day = _ref_dismissal_day(run)
    run.steps.append(Step(None, "status", str(status), {}))
    run.decided["status"] = status
    run.decided["grounds"] = tuple(grounds)


def _ref_status(run, term) -> tuple[list[DecisionGround], Status]:
    if term is None or run.as_of < term.start:
        return [], Status.NOT_APPOINTED  # grounds are only looked for while appointed
    grounds: list[DecisionGround] = []
    ends, ending_unknown = False, False
    for rule in run.policy.of(Ground):
        holds = run.value(rule.node.condition)
        run.step(rule, "ground", holds)
        ending = rule.node.effect != "discretionary"  # discretionary grounds never end the appointment
        if holds is True:
            grounds.append(DecisionGround(rule.citation, Effect(rule.node.effect)))
            ends = ends or ending
        elif holds is None:
            run.unknown(rule)
            ending_unknown = ending_unknown or ending
    record = run.policy.first(DismissalRecord)
    if record is not None:
        on = run.facts.get(record.node.path.dotted)
        recorded = on is not None and on <= run.as_of  # a dismissal recorded for later does not count yet
        run.step(record, "record", recorded)
        ends = ends or recorded
    if ends:
        return grounds, Status.DISMISSED
    return grounds, Status.UNKNOWN if ending_unknown else Status.ACTIVE


def _ref_dismissal_day(run) -> dt.date | None:
    """The day of dismissal: the recorded one, if on or before the decision date; else, when the term
    ran out (`expired`), the day after its last day; else unknown."""
    record = run.policy.first(DismissalRecord)
    if record is not None:
        on = run.facts.get(record.node.path.dotted)
        if on is not None and on <= run.as_of:
            return on
    if run.expired is True and run.last_day is not None:
        try:
            return run.last_day + dt.timedelta(days=1)
        except OverflowError:
            return None
    return None


QUESTION = Question(
    "status", ("status", "grounds"),
    (RuleKind(Ground, "ground", "grounds", compile_ground, sides=("holding", "not holding"),
              conditions=condition_only, describe=lambda r, w: f"{r.effect} ground when {w.expr(r.condition)}",
              roles=_ground_roles,
              statement="ground", syntax={"ground": build_ground}, check=check_condition,
              may_read=frozenset({"satisfies", "violates", "expired", "as_of", "last_day", "term_number"}),
              words="a dismissal ground",
              word="ground", ref_reads=ref_reads_condition),
     RuleKind(DismissalRecord, "record", "dismissal_record", compile_record, single=True,
              sides=("recorded", "not recorded"), conditions=lambda r: (),
              describe=lambda r, w: f"dismissal recorded {r.path.dotted}",
              roles=lambda r, w: [("grounds", ("record",), w.rule(r))],
              statement="dismissal_record", syntax={"dismissal_record": build_record}, check=check_record,
              may_read=frozenset({"as_of"}), words="a dismissal record", word="dismissal recorded",
              provides=frozenset({"dismissal_day"}),
              ref_reads=ref_reads_record)),
    interpret, generate, sites, reference=reference, order=30,
    uses=("term",),
    after={"dismissed": lambda policy, decision, facts: dismissed_of(decision.status),
           "dismissal_day": dismissal_day_after},
    namespace={"NOT_APPOINTED": Status.NOT_APPOINTED, "DISMISSED": Status.DISMISSED, "ACTIVE": Status.ACTIVE,
               "STATUS_UNKNOWN": Status.UNKNOWN, "dismissal_day_of": dismissal_day})
