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

from datetime import date, timedelta

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


# ====================================================================== (f2): the full decision, by hand
"""(f2) ``full_wuhan(case)``: everything ``policy.evaluate(case).to_dict(explanation=False,
open_questions=False)`` gives for a Wuhan case (DECISION.md v2), hand-coded from the regulation as a
competent developer would: eligibility with the unmet and undetermined citations, the term with its
valid, invalid (with the reason) and undetermined renewals, status, grounds, recusal, the obligations
with their working-day deadline (``supervisor_rules.dates.workdays``, as an application would use a
calendar library), violations, the report's most specific category and reward referral, the notices
and ``missing_facts``. The citation dicts and the ``meta`` stamp are constants taken from the policy
once at import (shared by every decision: read-only); the logic is written by hand. Like (f) it
validates nothing: it trusts the case to be valid (the engine checks every case first)."""

import supervisor_rules as _sr  # noqa: E402
from supervisor_rules.dates import workdays as _workdays  # noqa: E402

_WH = _sr.builtin_policy("wuhan")
_C = {c.ref: c.to_dict() for c in _WH.compiled.citations}  # ref → the citation dict, once
_META = {"policy_sha256": _WH.meta.policy_sha256, "engine_version": _WH.meta.engine_version,
         "calendar": {"source": _WH.meta.calendar.source, "version": _WH.meta.calendar.version,
                      "years": list(_WH.meta.calendar.years)}}
_CALENDAR = _workdays.default_calendar()
_ADD_WORKING_DAYS = _CALENDAR.add_working_days

# 第三条 (1)-(6), 第四条第（二）项: the facts each item reads (what is missing when it is unknown).
_WH_ITEM_FACTS = (
    ("supports_party_line", "law_abiding", "social_responsibility", "sense_of_justice"),
    ("principled", "honest", "fair_minded", "bad_credit_record"),
    ("devoted", "willing_unpaid"),
    ("accepts_guidance", "overall_competence"),
    ("professional_background", "relevant_work_experience"),
    ("meets_other_conditions",),
    ("registration_form_submitted", "commitment_signed"),
)
_WH_ITEM_REFS = ("3(1)", "3(2)", "3(3)", "3(4)", "3(5)", "3(6)", "4(2)")
_WH_ITEM_CITES = tuple(_C[ref] for ref in _WH_ITEM_REFS)
_WH_ITEM_KEYS = tuple(tuple("person." + f for f in names) for names in _WH_ITEM_FACTS)

_TERM_CITE = [_C["5"]]
_GROUND_5 = {"citation": _C["5"], "effect": "automatic"}
_GROUND_11 = tuple({"citation": _C[f"11({k})"], "effect": "discretionary"} for k in range(1, 7))

# 第九条、第十条: which provision forbids each discipline code, in provision order.
_WH_FORBIDS = (("9(1)", ("outside_legal_scope", "unrelated_activity")),
               ("9(2)", ("improper_benefit", "not_objective")),
               ("9(3)", ("leaked_secrets",)), ("9(4)", ("failed_to_recuse",)),
               ("9(5)", ("accepted_property",)), ("9(6)", ("other_discipline",)),
               ("10", ("certificate_misuse",)))
_WH_FORBIDS = tuple((frozenset(codes), _C[ref]) for ref, codes in _WH_FORBIDS)

_RECUSAL_NA = {"result": "not_applicable", "decided_by": None, "grounds": []}
_RECUSAL_NO = {"result": "not_required", "decided_by": None, "grounds": []}
_RECUSAL_ASK = {"result": "request", "decided_by": "department", "grounds": [_C["9(4)"], _C["10"]]}


def _duty(duty, ref, state, due=None):
    return {"duty": duty, "citation": _C[ref], "due": due, "state": state, "bearer": "supervisor"}


_SHOW = {state: _duty("show_certificate", "10", state) for state in ("met", "breached", "owed")}
_RETURN = {state: _duty("return_appointment_letter", "11p2", state) for state in ("met", "owed")}
_REFUSE = _duty("refuse_property", "9(5)", "owed")

# 第七条 scope; 第八条 the most specific sub-item for (target, conduct); the catch-all 其它 per target.
_INST, _PHARM, _EMPLOYER, _INSURED = ("designated_medical_institution", "designated_pharmacy",
                                      "insured_employer", "insured_person")
_DEPT, _AGENCY = "medical_security_department", "insurance_agency"
_WH_SCOPE = frozenset({_INST, _PHARM, _EMPLOYER, _INSURED, _DEPT, _AGENCY})
_SPECIFIC = {
    _INST: {"fraud_forged_materials": "8(1).1",
            **dict.fromkeys(("split_charging", "over_standard_charging", "duplicate_charging",
                             "duplicate_examination", "item_substitution_charging", "unreasonable_treatment"),
                            "8(1).2"),
            **dict.fromkeys(("fake_hospitalization", "induced_hospitalization", "fictitious_services",
                             "forged_documents", "bed_hanging", "card_theft"), "8(1).3")},
    _PHARM: {"fraud_forged_materials": "8(1).1",
             **dict.fromkeys(("card_theft", "drug_swapping", "non_medical_goods"), "8(1).4")},
    _EMPLOYER: {"not_enrolled": "8(2).1", "contribution_fraud": "8(2).2"},
    _INSURED: {"card_lending": "8(3).1", "benefits_transferred": "8(3).1",
               "card_forgery_or_impersonation": "8(3).2", "drug_reselling": "8(3).3"},
    _DEPT: {"duty_not_performed": "8(4).1", "benefits_not_paid": "8(4).2", "records_lost_or_tampered": "8(4).3",
            "integrity_issue": "8(4).5", "enforcement_malpractice": "8(4).6"},
}
_SPECIFIC[_AGENCY] = dict(_SPECIFIC[_DEPT], contribution_base_altered="8(4).4")
_OTHER = {_INST: "8(1).5", _PHARM: "8(1).5", _EMPLOYER: "8(2).3", _INSURED: "8(3).4", _DEPT: "8(4).7",
          _AGENCY: "8(4).7"}
_CATEGORY = {target: ({code: _C[ref] for code, ref in codes.items()}, _C[_OTHER[target]])
             for target, codes in _SPECIFIC.items()}
# 第十三条: fraud on the fund = what a specific sub-item of 8(1) 1-4, 8(2) 2, 8(3) 1-3 names for that party.
_FRAUD = {target: frozenset(code for code, ref in _SPECIFIC[target].items()
                            if ref in ("8(1).1", "8(1).2", "8(1).3", "8(1).4", "8(2).2", "8(3).1", "8(3).2",
                                       "8(3).3"))
          for target in (_INST, _PHARM, _EMPLOYER, _INSURED)}
_REWARD_RULES = "《武汉市欺诈骗取医疗保障基金行为举报奖励实施细则》(武医保规〔2019〕1号)"
_REPORT_NA = {"result": "not_applicable", "category": None, "reward_referral": False, "reward_rules": None}
_REPORT_OUT = {"result": "out_of_scope", "category": None, "reward_referral": False, "reward_rules": None}

# Notices, in the order of the provisions they cite.
_NOTICE_2 = {"citation": _C["2"],
             "message": "人员类别不在第二条所列的主要选聘范围内（“主要从……中选聘”，仅供参考，不影响资格）"}
_NOTICE_4_1_2 = {"citation": _C["4(1).2"], "message": "定向特聘应由市相关机构推荐，但未记录推荐机构"}
_NOTICE_4_3 = {"citation": _C["4(3)"], "message": "已聘任，但记录显示未颁发聘书及“社会监督员证”"}
_NOTICE_7 = {"citation": _C["7"], "message": "监督对象不在第七条规定的监督范围内"}


def _absent(section: dict | None, prefix: str, names, missing: set) -> None:
    """The facts of ``names`` the case does not give (absent or null) are missing."""
    for name in names:
        if section is None or section.get(name) is None:
            missing.add(prefix + name)


def full_wuhan(case: dict) -> dict:
    """The Wuhan decision as ``to_dict(explanation=False, open_questions=False)`` gives it."""
    as_of_text = case["as_of"]
    as_of = date.fromisoformat(as_of_text)
    person = case.get("person")
    appointment = case.get("appointment")
    conduct = case.get("conduct")
    activity = case.get("activity")
    report = case.get("report")
    missing: set = set()

    # 第三条 (1)-(6), 第四条第（二）项 — Kleene's three values, a fact not given is unknown.
    p = person.get if person is not None else {}.get
    bad_credit = p("bad_credit_record")
    background = p("professional_background")
    items = (
        _all(p("supports_party_line"), p("law_abiding"), p("social_responsibility"), p("sense_of_justice")),
        _all(p("principled"), p("honest"), p("fair_minded"), None if bad_credit is None else not bad_credit),
        _all(p("devoted"), p("willing_unpaid")),
        _all(p("accepts_guidance"), p("overall_competence")),
        _any(None if background is None else not _WH_3_5.isdisjoint(background), p("relevant_work_experience")),
        p("meets_other_conditions"),
        _all(p("registration_form_submitted"), p("commitment_signed")),
    )
    qualified = _all(*items[:6])  # 符合第三条: what a renewal needs (第五条)
    if person is None:
        eligibility = {"result": "not_applicable", "unmet": [], "undetermined": [], "preferred": None,
                       "preferences": []}
    else:
        unmet = [cite for cite, value in zip(_WH_ITEM_CITES, items) if value is False]
        undetermined = [cite for cite, value in zip(_WH_ITEM_CITES, items) if value is None]
        if not unmet:  # an unmet requirement settles it: nothing else could change the result
            for value, names in zip(items, _WH_ITEM_FACTS):
                if value is None:
                    _absent(person, "person.", names, missing)
        eligibility = {"result": "ineligible" if unmet else "unknown" if undetermined else "eligible",
                       "unmet": unmet, "undetermined": undetermined, "preferred": None, "preferences": []}

    # 第五条: three-year terms from the start (Civil Code 201-202), renewals while 第三条 is met.
    a = appointment.get if appointment is not None else {}.get
    start_text = a("start")
    expired = None
    last_day = None
    if start_text is None:
        term = None
    else:
        start = date.fromisoformat(start_text)
        valid, invalid, undetermined_renewals = [], [], []
        states = {0}  # how many renewals may have counted so far (two values while one is unknown)
        for record in a("renewals") or ():
            on_text = record["on"]
            on = date.fromisoformat(on_text)
            if on >= start:  # the term (0-based) the renewal is dated in
                months = (on.year - start.year) * 12 + on.month - start.month + (start.day < on.day)
                index = max(-(-months // 36) - 1, 0)
            else:
                index = None
            if index is not None and index in states:
                if qualified is True and len(states) == 1:
                    valid.append(on_text)
                    states = {index + 1}
                elif qualified is False:
                    unmet_parts = [k for k in range(6) if items[k] is False]
                    invalid.append({"on": on_text, "reason": "conditions",
                                    "unmet": [_WH_ITEM_CITES[k] for k in unmet_parts],
                                    "facts": sorted({f for k in unmet_parts for f in _WH_ITEM_KEYS[k]})})
                else:  # unknown (or counted in one reading only): either way
                    undetermined_renewals.append(
                        {"on": on_text, "undetermined": [_WH_ITEM_CITES[k] for k in range(6) if items[k] is None]})
                    for k in range(6):
                        if items[k] is None:
                            _absent(person, "person.", _WH_ITEM_FACTS[k], missing)
                    states = states | {index + 1}
            else:
                reached = max(states)
                reason = "before_start" if index is None else "late" if index > reached else "second_in_term"
                invalid.append({"on": on_text, "reason": reason, "unmet": _TERM_CITE, "facts": []})
        low, high = min(states), max(states)
        last_low, last_high = _end(start, 3, low), _end(start, 3, high)
        expired = True if as_of > last_high else False if as_of <= last_low else None
        if low == high:
            last_day = last_low
        term = {"years": 3, "start": start_text, "last_day": last_day and last_day.isoformat(),
                "terms": low + 1 if low == high else None, "valid_renewals": valid,
                "invalid_renewals": invalid, "undetermined_renewals": undetermined_renewals}

    # 第五条 natural dismissal; 第十一条 the bureau may dismiss (discretionary: the status stays).
    c = conduct.get if conduct is not None else {}.get
    if term is None or as_of < start:
        status, grounds = "not_appointed", []
    else:
        grounds = []
        ended = expired is True
        if ended:
            grounds.append(_GROUND_5)
        if (c("criminal_penalty") or c("administrative_sanction") or c("party_discipline")
                or c("public_security_penalty") or c("serious_bad_credit")):
            grounds.append(_GROUND_11[0])
        if c("annual_rating") == "incompetent":
            grounds.append(_GROUND_11[1])
        if c("commitment_false"):
            grounds.append(_GROUND_11[2])
        if c("unsuitable_work_change") or c("unsuitable_health"):
            grounds.append(_GROUND_11[3])
        if c("requested_resignation"):
            grounds.append(_GROUND_11[4])
        if c("other_reason"):
            grounds.append(_GROUND_11[5])
        dismissed_on = a("dismissed_on")
        if dismissed_on is not None and date.fromisoformat(dismissed_on) <= as_of:
            ended = True
        status = "dismissed" if ended else "unknown" if expired is None else "active"

    # 第九条、第十条: each recorded breach, under the provision that forbids it.
    violations = []
    recorded = c("violations")
    if recorded:
        for codes, cite in _WH_FORBIDS:
            for code in recorded:
                if code in codes:
                    violations.append({"code": code, "citation": cite})

    # 第九条第（四）项、第十条: an interest relation → the supervisor asks, the department decides.
    if activity is None:
        recusal = _RECUSAL_NA
    else:
        recusal = _RECUSAL_ASK if activity.get("interest_relations") else _RECUSAL_NO

    notices = []
    if person is not None and person.get("candidate_category") == "other":
        notices.append(_NOTICE_2)
    if appointment is not None:
        if a("method") == "directed" and a("recommended_by") is None:
            notices.append(_NOTICE_4_1_2)
        if start_text is not None and date.fromisoformat(start_text) <= as_of and a("certificate_issued") is False:
            notices.append(_NOTICE_4_3)

    # Obligations: 第四条第（四）项, 第九条第（五）项, 第十条, 第十一条第二款.
    obligations = []
    if conduct is not None and c("information_changed_on") is not None:
        changed = date.fromisoformat(c("information_changed_on"))
        reported = c("information_reported_on")
        reported = None if reported is None else date.fromisoformat(reported)
        try:
            due = _ADD_WORKING_DAYS(changed, 7)  # the 7th working day after the change
        except _workdays.MissingCalendarYear as exc:
            notices.append({"citation": _C["4(4)"], "message": exc.notice})
            earliest = changed + timedelta(days=7)  # 7 working days are at least 7 days
            state = "owed" if reported is None and as_of <= earliest else "unknown"
            obligations.append(_duty("report_information_change", "4(4)", state))
        else:
            state = ("met" if reported <= due else "overdue") if reported is not None else \
                "overdue" if as_of > due else "owed"
            obligations.append(_duty("report_information_change", "4(4)", state, due.isoformat()))
    if activity is not None:
        offered = activity.get("property_offered")
        if offered is None:
            missing.add("activity.property_offered")
        elif offered:
            obligations.append(_REFUSE)
        shown = activity.get("certificate_shown")
        obligations.append(_SHOW["owed" if shown is None else "met" if shown else "breached"])
        if activity.get("target_type") == "other":
            notices.append(_NOTICE_7)
    if status == "dismissed":
        obligations.append(_RETURN["met" if c("appointment_letter_returned") else "owed"])

    # 第七条 scope, 第八条 category, 第十三条 reward.
    if report is None:
        report_out = _REPORT_NA
    else:
        target, code = report.get("target_type"), report.get("conduct_code")
        if target is not None and target not in _WH_SCOPE:
            report_out = _REPORT_OUT
        else:
            if target is None:
                missing.add("report.target_type")
            if code is None:
                missing.add("report.conduct_code")
            if target is None:
                report_out = {"result": "unknown", "category": None, "reward_referral": False, "reward_rules": None}
            else:
                category = None
                if code is not None:
                    specific, other = _CATEGORY[target]
                    category = specific.get(code, other)
                reward = bool(report.get("verified")) and code is not None and code in _FRAUD.get(target, ())
                report_out = {"result": "in_scope", "category": category, "reward_referral": reward,
                              "reward_rules": _REWARD_RULES if reward else None}

    return {"policy": "wuhan", "as_of": as_of_text, "eligibility": eligibility, "term": term, "status": status,
            "grounds": grounds, "recusal": recusal, "obligations": obligations, "violations": violations,
            "report": report_out, "notices": notices, "findings": [], "missing_facts": sorted(missing),
            "meta": _META}


FULL = {"wuhan": full_wuhan}


# ---------------------------------------------------------------------- (f2) Guangxi
_GX = _sr.builtin_policy("guangxi")
_G = {c.ref: c.to_dict() for c in _GX.compiled.citations}
_GX_META = {"policy_sha256": _GX.meta.policy_sha256, "engine_version": _GX.meta.engine_version,
            "calendar": {"source": _GX.meta.calendar.source, "version": _GX.meta.calendar.version,
                         "years": list(_GX.meta.calendar.years)}}
# 第三条 (1)-(4), 第四条, 第五条第（一）项: the facts each reads (what is missing when it is unknown).
_GX_ITEM_FACTS = (
    ("person.supports_party_line", "person.law_abiding", "person.honest", "person.fair_minded"),
    ("person.devoted", "person.social_responsibility", "person.analytical_ability"),
    ("person.principled", "person.impartial_and_clean", "person.truth_seeking", "person.close_to_public",
     "person.work_ability"),
    ("person.health_fit", "person.overall_competence"),
    ("person.registration_form_submitted", "person.commitment_signed"),
    ("person.written_application", "appointment.method"),
)
_GX_ITEM_CITES = tuple(_G[ref] for ref in ("3(1)", "3(2)", "3(3)", "3(4)", "4", "5(1)"))
_GX_TERM_CITE = [_G["8"]]
_GX_RENEWAL_FACTS = ["appointment.renewals[].consent", "appointment.renewals[].work_need"]
_GX_EXPIRED = ({"citation": _G["8"], "effect": "automatic"}, {"citation": _G["9(5)"], "effect": "automatic"})
_GX_GROUND = {k: {"citation": _G[f"9({k})"], "effect": "mandatory"} for k in (1, 2, 3, 4, 6)}
_GX_FORBIDS = tuple((frozenset(codes), _G[f"7({k})"]) for k, codes in (
    (1, ("outside_legal_scope",)), (2, ("improper_benefit",)), (3, ("leaked_secrets",)), (4, ("not_objective",)),
    (5, ("unrelated_activity", "certificate_misuse")), (6, ("failed_to_recuse", "accepted_property")),
    (7, ("other_discipline",))))
_GX_RECUSAL = {"result": "required", "decided_by": "supervisor", "grounds": [_G["7(6)"]]}
_GX_REFUSE = {"duty": "refuse_property", "citation": _G["7(6)"], "due": None, "state": "owed", "bearer": "supervisor"}
_GX_6_2 = frozenset({_DEPT, _AGENCY})
_GX_6_3 = frozenset({_INST, _PHARM, _INSURED})
_GX_REWARD_RULES = "广西《欺诈骗取医疗保障基金举报奖励办法实施细则（试行）》"
_GX_NOTICE_5_2 = {"citation": _G["5(2)"], "message": "推荐部门不在第五条第（二）项列举的部门之中（“等部门”，仅供参考）"}
_GX_NOTICE_6 = {"citation": _G["6"], "message": "监督对象不在第六条第（二）项、第（三）项所列的监督范围内"}


def full_guangxi(case: dict) -> dict:
    """The Guangxi decision as ``to_dict(explanation=False, open_questions=False)`` gives it."""
    as_of_text = case["as_of"]
    as_of = date.fromisoformat(as_of_text)
    person = case.get("person")
    appointment = case.get("appointment")
    conduct = case.get("conduct")
    activity = case.get("activity")
    report = case.get("report")
    missing: set = set()
    a = appointment.get if appointment is not None else {}.get
    c = conduct.get if conduct is not None else {}.get

    # 第三条 (1)-(4), 第四条, 第五条第（一）项 (a written application, for open selection); 第三条第（五）项 a preference.
    if person is None:
        eligibility = {"result": "not_applicable", "unmet": [], "undetermined": [], "preferred": None,
                       "preferences": []}
    else:
        p = person.get
        method = a("method")
        items = (
            _all(p("supports_party_line"), p("law_abiding"), p("honest"), p("fair_minded")),
            _all(p("devoted"), p("social_responsibility"), p("analytical_ability")),
            _all(p("principled"), p("impartial_and_clean"), p("truth_seeking"), p("close_to_public"),
                 p("work_ability")),
            _all(p("health_fit"), p("overall_competence")),
            _all(p("registration_form_submitted"), p("commitment_signed")),
            _any(None if method is None else method != "open", p("written_application")),
        )
        unmet = [cite for cite, value in zip(_GX_ITEM_CITES, items) if value is False]
        undetermined = [cite for cite, value in zip(_GX_ITEM_CITES, items) if value is None]
        if not unmet:
            for value, keys in zip(items, _GX_ITEM_FACTS):
                if value is None:
                    for key in keys:
                        section, name = key.split(".")
                        if (case.get(section) or {}).get(name) is None:
                            missing.add(key)
        background = p("professional_background")
        preferred = None if background is None else not _GX_3_5.isdisjoint(background)
        if preferred is None:
            missing.add("person.professional_background")
        eligibility = {"result": "ineligible" if unmet else "unknown" if undetermined else "eligible",
                       "unmet": unmet, "undetermined": undetermined, "preferred": preferred,
                       "preferences": [_G["3(5)"]] if preferred else []}

    # 第八条: two-year terms; a renewal needs work need and the person's consent (absent: not given).
    start_text = a("start")
    expired = False
    if start_text is None:
        term = None
    else:
        start = date.fromisoformat(start_text)
        valid, invalid = [], []
        count = 0
        for record in a("renewals") or ():
            on_text = record["on"]
            on = date.fromisoformat(on_text)
            if on >= start:
                months = (on.year - start.year) * 12 + on.month - start.month + (start.day < on.day)
                index = max(-(-months // 24) - 1, 0)
            else:
                index = None
            if index == count:
                if record.get("work_need") and record.get("consent"):
                    valid.append(on_text)
                    count += 1
                else:
                    invalid.append({"on": on_text, "reason": "conditions", "unmet": _GX_TERM_CITE,
                                    "facts": _GX_RENEWAL_FACTS})
            else:
                reason = "before_start" if index is None else "late" if index > count else "second_in_term"
                invalid.append({"on": on_text, "reason": reason, "unmet": _GX_TERM_CITE, "facts": []})
        last_day = _end(start, 2, count)
        expired = as_of > last_day
        term = {"years": 2, "start": start_text, "last_day": last_day.isoformat(), "terms": count + 1,
                "valid_renewals": valid, "invalid_renewals": invalid, "undetermined_renewals": []}

    # 第九条: every ground ends the appointment (停止聘用); 第八条 and 第九条第（五）项 on expiry.
    recorded = c("violations")
    if term is None or as_of < start:
        status, grounds = "not_appointed", []
    else:
        grounds = []
        if expired:
            grounds.append(_GX_EXPIRED[0])
        if recorded and not _GX_7.isdisjoint(recorded):
            grounds.append(_GX_GROUND[1])
        if c("commitment_false"):
            grounds.append(_GX_GROUND[2])
        if c("unable_to_perform"):
            grounds.append(_GX_GROUND[3])
        if c("requested_resignation"):
            grounds.append(_GX_GROUND[4])
        if expired:
            grounds.append(_GX_EXPIRED[1])
        if c("other_reason"):
            grounds.append(_GX_GROUND[6])
        dismissed_on = a("dismissed_on")
        status = "dismissed" if grounds or (dismissed_on is not None and date.fromisoformat(dismissed_on) <= as_of) \
            else "active"

    # 第七条: each recorded breach under the item that forbids it.
    violations = []
    if recorded:
        for codes, cite in _GX_FORBIDS:
            for code in recorded:
                if code in codes:
                    violations.append({"code": code, "citation": cite})

    # 第七条第（六）项: an interest relation → the supervisor shall recuse; property offered → refuse it.
    obligations = []
    notices = []
    if appointment is not None and a("method") == "directed" and a("recommended_by") == "other":
        notices.append(_GX_NOTICE_5_2)
    if activity is None:
        recusal = _RECUSAL_NA
    else:
        recusal = _GX_RECUSAL if activity.get("interest_relations") else _RECUSAL_NO
        offered = activity.get("property_offered")
        if offered is None:
            missing.add("activity.property_offered")
        elif offered:
            obligations.append(_GX_REFUSE)
        if activity.get("target_type") in ("insured_employer", "other"):
            notices.append(_GX_NOTICE_6)

    # 第六条第（二）、（三）项 scope and category; 第十二条 reward for fraud on the fund.
    if report is None:
        report_out = _REPORT_NA
    else:
        target, code = report.get("target_type"), report.get("conduct_code")
        if target is None:
            missing.add("report.target_type")
            report_out = {"result": "unknown", "category": None, "reward_referral": False, "reward_rules": None}
        elif target in _GX_6_2 or target in _GX_6_3:
            reward = False
            if report.get("verified") and target in _GX_6_3:
                if code is None:
                    missing.add("report.conduct_code")
                else:
                    reward = code in _FRAUD[target]
            report_out = {"result": "in_scope", "category": _G["6(2)"] if target in _GX_6_2 else _G["6(3)"],
                          "reward_referral": reward, "reward_rules": _GX_REWARD_RULES if reward else None}
        else:
            report_out = _REPORT_OUT

    return {"policy": "guangxi", "as_of": as_of_text, "eligibility": eligibility, "term": term, "status": status,
            "grounds": grounds, "recusal": recusal, "obligations": obligations, "violations": violations,
            "report": report_out, "notices": notices, "findings": [], "missing_facts": sorted(missing),
            "meta": _GX_META}


FULL["guangxi"] = full_guangxi
