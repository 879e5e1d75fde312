"""(f): the same decision written by hand in plain Python, as an application might.

Eligibility (with Kleene's three values: a fact that is not given is unknown),
the term with its renewals (Civil Code arts. 201-202) and the dismissal grounds
and status — for one case of each city, straight from the case dict. It
validates nothing and cites nothing beyond the references it returns; the
engine does both, and also decides recusal, obligations, violations, reports,
notices and missing facts. This is the yardstick the engine's cost is
measured against, so it is written to be quick, not slow: plain ``dict.get``,
``date.fromisoformat``, no helper objects.

``decide_wuhan`` / ``decide_guangxi`` return::

    (eligibility, unmet refs, undetermined refs, preferred, last_day, terms, status, ((ref, effect), ...))

and ``project`` reads the same tuple off an engine ``Decision``.
"""

from __future__ import annotations

from datetime import date

_WH_3_5 = frozenset({"medicine", "pharmacy", "law", "administration", "information", "finance"})
_GX_3_5 = frozenset({"medicine", "pharmacy", "law", "finance", "information"})
_GX_7 = frozenset({"outside_legal_scope", "improper_benefit", "leaked_secrets", "not_objective",
                   "unrelated_activity", "certificate_misuse", "failed_to_recuse", "accepted_property",
                   "other_discipline"})


def _all(*values):
    """Kleene conjunction of booleans and None (unknown)."""
    if False in values:
        return False
    if None in values:
        return None
    return True


def _any(*values):
    if True in values:
        return True
    if None in values:
        return None
    return False


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _end(start: date, years: int, k: int) -> date:
    """Last day of term k (0 = the first), counted from the original start."""
    year = start.year + years * (k + 1)
    if start.month == 2 and start.day == 29 and not _leap(year):
        return date(year, 2, 28)
    return start.replace(year=year)


def _index(start: date, years: int, on: date) -> int:
    """The term (0-based) a renewal dated ``on`` falls in."""
    k = max((on.year - start.year) // years - 1, 0)
    while _end(start, years, k) < on:
        k += 1
    return k


def _term(start: date, years: int, records, condition_of, as_of: date):
    """(last_day, terms, expired): renewals counted per term, unknown ones as either."""
    states = {0}
    for record in records:
        on = date.fromisoformat(record["on"])
        index = _index(start, years, on) if on >= start else None
        valid = condition_of(record)
        following = set()
        for state in states:
            if index == state and valid is True:
                following.add(state + 1)
            elif index == state and valid is None:
                following.add(state)
                following.add(state + 1)
            else:
                following.add(state)
        states = following
    low, high = min(states), max(states)
    last_low, last_high = _end(start, years, low), _end(start, years, high)
    expired = True if as_of > last_high else False if as_of <= last_low else None
    if low == high:
        return last_low, low + 1, expired
    return None, None, expired


def decide_wuhan(case: dict) -> tuple:
    as_of = date.fromisoformat(case["as_of"])
    person = case.get("person")
    appointment = case.get("appointment") or {}
    conduct = case.get("conduct") or {}

    # 第三条 (1)-(6) and 第四条第（二）项
    p = person or {}
    bad_credit = p.get("bad_credit_record")
    background = p.get("professional_background")
    items = (
        ("3(1)", _all(p.get("supports_party_line"), p.get("law_abiding"), p.get("social_responsibility"),
                      p.get("sense_of_justice"))),
        ("3(2)", _all(p.get("principled"), p.get("honest"), p.get("fair_minded"),
                      None if bad_credit is None else not bad_credit)),
        ("3(3)", _all(p.get("devoted"), p.get("willing_unpaid"))),
        ("3(4)", _all(p.get("accepts_guidance"), p.get("overall_competence"))),
        ("3(5)", _any(None if background is None else not _WH_3_5.isdisjoint(background),
                      p.get("relevant_work_experience"))),
        ("3(6)", p.get("meets_other_conditions")),
    )
    qualified = _all(*(value for _, value in items))  # 符合第三条: a renewal's condition
    if person is None:
        eligibility, unmet, undetermined = "not_applicable", (), ()
    else:
        items += (("4(2)", _all(p.get("registration_form_submitted"), p.get("commitment_signed"))),)
        unmet = tuple(ref for ref, value in items if value is False)
        undetermined = tuple(ref for ref, value in items if value is None)
        eligibility = "ineligible" if unmet else "unknown" if undetermined else "eligible"

    # 第五条: three-year terms, renewals, natural dismissal; 第十一条: discretionary grounds
    start = appointment.get("start")
    if start is None:
        return eligibility, unmet, undetermined, None, None, None, "not_appointed", ()
    start = date.fromisoformat(start)
    last_day, terms, expired = _term(start, 3, appointment.get("renewals") or (), lambda r: qualified, as_of)
    if as_of < start:
        return eligibility, unmet, undetermined, None, last_day, terms, "not_appointed", ()
    c = conduct.get
    grounds = []
    if expired:
        grounds.append(("5", "automatic"))
    if (c("criminal_penalty") or c("administrative_sanction") or c("party_discipline")
            or c("public_security_penalty") or c("serious_bad_credit")):
        grounds.append(("11(1)", "discretionary"))
    if c("annual_rating") == "incompetent":
        grounds.append(("11(2)", "discretionary"))
    if c("commitment_false"):
        grounds.append(("11(3)", "discretionary"))
    if c("unsuitable_work_change") or c("unsuitable_health"):
        grounds.append(("11(4)", "discretionary"))
    if c("requested_resignation"):
        grounds.append(("11(5)", "discretionary"))
    if c("other_reason"):
        grounds.append(("11(6)", "discretionary"))
    dismissed_on = appointment.get("dismissed_on")
    if expired or (dismissed_on is not None and date.fromisoformat(dismissed_on) <= as_of):
        status = "dismissed"
    else:
        status = "unknown" if expired is None else "active"
    return eligibility, unmet, undetermined, None, last_day, terms, status, tuple(grounds)


def _gx_renewal(record: dict) -> bool:
    return bool(record.get("work_need")) and bool(record.get("consent"))


def decide_guangxi(case: dict) -> tuple:
    as_of = date.fromisoformat(case["as_of"])
    person = case.get("person")
    appointment = case.get("appointment") or {}
    conduct = case.get("conduct") or {}

    # 第三条 (1)-(4), 第四条, 第五条第（一）项 (open selection only); 第三条第（五）项 is a preference
    if person is None:
        eligibility, unmet, undetermined, preferred = "not_applicable", (), (), None
    else:
        p = person.get
        method = appointment.get("method")
        background = p("professional_background")
        items = (
            ("3(1)", _all(p("supports_party_line"), p("law_abiding"), p("honest"), p("fair_minded"))),
            ("3(2)", _all(p("devoted"), p("social_responsibility"), p("analytical_ability"))),
            ("3(3)", _all(p("principled"), p("impartial_and_clean"), p("truth_seeking"), p("close_to_public"),
                          p("work_ability"))),
            ("3(4)", _all(p("health_fit"), p("overall_competence"))),
            ("4", _all(p("registration_form_submitted"), p("commitment_signed"))),
            ("5(1)", _any(None if method is None else method != "open", p("written_application"))),
        )
        unmet = tuple(ref for ref, value in items if value is False)
        undetermined = tuple(ref for ref, value in items if value is None)
        eligibility = "ineligible" if unmet else "unknown" if undetermined else "eligible"
        preferred = None if background is None else not _GX_3_5.isdisjoint(background)

    # 第八条: two-year terms, renewals with work need and consent; 第九条: grounds, all ending the appointment
    start = appointment.get("start")
    if start is None:
        return eligibility, unmet, undetermined, preferred, None, None, "not_appointed", ()
    start = date.fromisoformat(start)
    last_day, terms, expired = _term(start, 2, appointment.get("renewals") or (), _gx_renewal, as_of)
    if as_of < start:
        return eligibility, unmet, undetermined, preferred, last_day, terms, "not_appointed", ()
    c = conduct.get
    grounds = []
    if expired:
        grounds.append(("8", "automatic"))
    if not _GX_7.isdisjoint(c("violations") or ()):
        grounds.append(("9(1)", "mandatory"))
    if c("commitment_false"):
        grounds.append(("9(2)", "mandatory"))
    if c("unable_to_perform"):
        grounds.append(("9(3)", "mandatory"))
    if c("requested_resignation"):
        grounds.append(("9(4)", "mandatory"))
    if expired:
        grounds.append(("9(5)", "automatic"))
    if c("other_reason"):
        grounds.append(("9(6)", "mandatory"))
    dismissed_on = appointment.get("dismissed_on")
    if grounds or (dismissed_on is not None and date.fromisoformat(dismissed_on) <= as_of):
        status = "dismissed"
    else:
        status = "unknown" if expired is None else "active"
    return eligibility, unmet, undetermined, preferred, last_day, terms, status, tuple(grounds)


DECIDE = {"wuhan": decide_wuhan, "guangxi": decide_guangxi}


def project(decision) -> tuple:
    """The same tuple, read off an engine ``Decision``."""
    e, term = decision.eligibility, decision.term
    return (str(e.result), tuple(c.ref for c in e.unmet), tuple(c.ref for c in e.undetermined), e.preferred,
            term.last_day if term else None, term.terms if term else None, str(decision.status),
            tuple((g.citation.ref, str(g.effect)) for g in decision.grounds))
