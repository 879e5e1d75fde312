"""A seeded workload of Wuhan and Guangxi cases, in the case format (CASE.md).

Rosters and report queues, not textbook examples: most people are qualified,
some facts are missing (open-world → unknown), a few conduct records hold a
ground, and many dates sit on the boundaries the regulations care about — the
last day of a term and the day after it, renewals dated on or just after a
term's last day, appointments starting on 29 February, ``as_of`` before the
start. The same seed always gives the same cases (``random.Random(seed)``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import random

WH_PERSON = ("supports_party_line", "law_abiding", "honest", "fair_minded", "devoted", "social_responsibility",
             "sense_of_justice", "principled", "overall_competence", "willing_unpaid", "accepts_guidance",
             "relevant_work_experience", "meets_other_conditions", "registration_form_submitted",
             "commitment_signed")
GX_PERSON = ("supports_party_line", "law_abiding", "honest", "fair_minded", "devoted", "social_responsibility",
             "analytical_ability", "principled", "impartial_and_clean", "truth_seeking", "close_to_public",
             "work_ability", "health_fit", "overall_competence", "registration_form_submitted", "commitment_signed",
             "written_application")
BACKGROUNDS = ("medicine", "pharmacy", "law", "finance", "information", "administration", "other")
CATEGORIES = ("npc_deputy", "cppcc_member", "expert_scholar", "industry_representative", "legal_worker",
              "journalist", "community_worker", "volunteer", "enterprise_employee", "discipline_inspection",
              "trade_union", "government_staff", "other")
VIOLATIONS = ("outside_legal_scope", "unrelated_activity", "improper_benefit", "leaked_secrets", "not_objective",
              "failed_to_recuse", "accepted_property", "certificate_misuse", "other_discipline")
TARGETS = ("designated_medical_institution", "designated_pharmacy", "insured_employer", "insured_person",
           "medical_security_department", "insurance_agency", "other")
CONDUCT_CODES = ("fraud_forged_materials", "split_charging", "over_standard_charging", "fake_hospitalization",
                 "card_theft", "drug_swapping", "not_enrolled", "contribution_fraud", "card_lending",
                 "drug_reselling", "duty_not_performed", "benefits_not_paid", "contribution_base_altered",
                 "integrity_issue", "other_violation")
RELATIONS = ("legal_dispute", "economic_interest", "other_interest")
WH_GROUNDS = ("criminal_penalty", "administrative_sanction", "party_discipline", "public_security_penalty",
              "serious_bad_credit", "commitment_false", "unsuitable_work_change", "unsuitable_health",
              "requested_resignation", "other_reason")
GX_GROUNDS = ("commitment_false", "unable_to_perform", "requested_resignation", "other_reason")
TERM_YEARS = {"wuhan": 3, "guangxi": 2}
LEAP_STARTS = (dt.date(2012, 2, 29), dt.date(2016, 2, 29), dt.date(2020, 2, 29), dt.date(2024, 2, 29))


def term_end(start: dt.date, years: int, k: int = 0) -> dt.date:
    """Last day of term k (0 = the first), Civil Code arts. 201-202, counted from the original start."""
    year = start.year + years * (k + 1)
    day = min(start.day, calendar.monthrange(year, start.month)[1])
    return dt.date(year, start.month, day)


def _day(rng: random.Random, low: dt.date, high: dt.date) -> dt.date:
    return low + dt.timedelta(days=rng.randrange((high - low).days + 1))


def _person(rng: random.Random, names: tuple[str, ...], city: str) -> dict:
    person: dict = {}
    for name in names:
        roll = rng.random()
        if roll < 0.86:
            person[name] = True
        elif roll < 0.92:
            person[name] = False
        elif roll < 0.96:
            person[name] = None  # null: not given
        # else: absent (unknown)
    if rng.random() < 0.8:
        person["professional_background"] = rng.sample(BACKGROUNDS, rng.randrange(0, 3))
    if city == "wuhan":
        roll = rng.random()
        if roll < 0.85:
            person["bad_credit_record"] = roll < 0.03
        if rng.random() < 0.5:
            person["candidate_category"] = rng.choice(CATEGORIES)
    return person


def _appointment(rng: random.Random, city: str, years: int) -> tuple[dict, dt.date, list[dt.date]]:
    """The appointment section, its start, and the boundary days worth deciding on."""
    start = rng.choice(LEAP_STARTS) if rng.random() < 0.15 else _day(rng, dt.date(2012, 1, 1), dt.date(2025, 6, 30))
    appointment: dict = {"method": rng.choice(("open", "directed")), "start": start.isoformat()}
    if appointment["method"] == "directed" and rng.random() < 0.7:
        appointment["recommended_by"] = (rng.choice(("health_commission", "tcm_bureau", "npc", "cppcc", "other"))
                                         if city == "guangxi" else "市卫生健康委员会")
    if city == "wuhan" and rng.random() < 0.8:
        appointment["certificate_issued"] = rng.random() < 0.95
    renewals = []
    k = 0
    for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 2, 3))):
        end = term_end(start, years, k)
        roll = rng.random()
        if roll < 0.55:
            on = end - dt.timedelta(days=rng.randrange(1, 120))  # on time
        elif roll < 0.7:
            on = end  # the last day: still on time
        elif roll < 0.85:
            on = end + dt.timedelta(days=1)  # one day late
        elif roll < 0.92:
            on = start - dt.timedelta(days=rng.randrange(1, 30))  # before the start
        else:
            on = end - dt.timedelta(days=rng.randrange(400, 600))  # a second one in the same term
        record: dict = {"on": on.isoformat()}
        if city == "guangxi":
            for name in ("consent", "work_need"):
                roll = rng.random()
                if roll < 0.85:
                    record[name] = True
                elif roll < 0.9:
                    record[name] = False
        renewals.append(record)
        k += 1
    if renewals or rng.random() < 0.3:
        appointment["renewals"] = renewals
    if rng.random() < 0.05:
        appointment["dismissed_on"] = _day(rng, start, start + dt.timedelta(days=2000)).isoformat()
    ends = [term_end(start, years, i) for i in range(len(renewals) + 1)]
    boundaries = [start - dt.timedelta(days=1), start]
    for end in ends:
        boundaries += [end, end + dt.timedelta(days=1)]
    return appointment, start, boundaries


def _conduct(rng: random.Random, city: str) -> dict:
    conduct: dict = {}
    grounds = WH_GROUNDS if city == "wuhan" else GX_GROUNDS
    if rng.random() < 0.15:
        conduct[rng.choice(grounds)] = True
    if rng.random() < 0.3:
        conduct[rng.choice(grounds)] = False
    if rng.random() < 0.12:
        conduct["violations"] = rng.sample(VIOLATIONS, rng.randrange(1, 3))
    if city == "wuhan":
        if rng.random() < 0.3:
            conduct["annual_rating"] = rng.choice(("excellent", "competent", "basically_competent", "incompetent"))
        if rng.random() < 0.1:
            changed = _day(rng, dt.date(2018, 1, 1), dt.date(2025, 11, 30))
            conduct["information_changed_on"] = changed.isoformat()
            if rng.random() < 0.6:
                conduct["information_reported_on"] = (changed + dt.timedelta(days=rng.randrange(0, 20))).isoformat()
        if rng.random() < 0.05:
            conduct["appointment_letter_returned"] = rng.random() < 0.5
    return conduct


def _activity(rng: random.Random, city: str) -> dict:
    activity: dict = {"target_type": rng.choice(TARGETS)}
    if rng.random() < 0.3:
        activity["interest_relations"] = rng.sample(RELATIONS, rng.randrange(1, 3))
    if city == "wuhan" and rng.random() < 0.8:
        activity["certificate_shown"] = rng.random() < 0.9
    if rng.random() < 0.5:
        activity["property_offered"] = rng.random() < 0.2
    return activity


def _report(rng: random.Random) -> dict:
    report: dict = {"target_type": rng.choice(TARGETS), "conduct_code": rng.choice(CONDUCT_CODES)}
    if rng.random() < 0.8:
        report["verified"] = rng.random() < 0.5
    return report


def case(rng: random.Random, city: str) -> dict:
    """One case for ``city`` (``wuhan`` or ``guangxi``)."""
    years = TERM_YEARS[city]
    out: dict = {}
    boundaries: list[dt.date] = []
    if rng.random() < 0.9:
        out["person"] = _person(rng, WH_PERSON if city == "wuhan" else GX_PERSON, city)
    if rng.random() < 0.9:
        out["appointment"], start, boundaries = _appointment(rng, city, years)
    if rng.random() < 0.6:
        out["conduct"] = _conduct(rng, city)
    if rng.random() < 0.15:
        out["activity"] = _activity(rng, city)
    if rng.random() < 0.15:
        out["report"] = _report(rng)
    if boundaries and rng.random() < 0.5:
        as_of = rng.choice(boundaries)
    else:
        as_of = _day(rng, dt.date(2013, 1, 1), dt.date(2026, 12, 31))
    return {"as_of": as_of.isoformat(), **out}


def workload(n: int, seed: int = 2020) -> dict[str, list[dict]]:
    """``n`` cases in all, half for each city: ``{"wuhan": [...], "guangxi": [...]}``."""
    rng = random.Random(seed)
    return {"wuhan": [case(rng, "wuhan") for _ in range(n - n // 2)],
            "guangxi": [case(rng, "guangxi") for _ in range(n // 2)]}
