"""The decision's JSON Schema (DECISION.md v2): what ``Decision.to_dict()`` gives, as tight as a policy
allows: its id, the refs of its provisions, its duty, violation and conclusion codes are enumerated.
``explanation`` and ``open_questions`` are described loosely (lists of objects)."""

from __future__ import annotations

from typing import Iterable

from supervisor_rules.contracts.decision import (DutyState, Effect, EligibilityResult, RecusalResult, ReportResult,
                                                  Status)

DRAFT = "https://json-schema.org/draft/2020-12/schema"

#: The keys every decision has; the others (the questions' answers) are left out only where
#: ``evaluate(only=…)`` did not ask for their question, and ``explanation`` by ``to_dict(explanation=False)``.
ALWAYS = ("policy", "as_of", "missing_facts", "meta")
#: The conclusions an explanation explains and an open question asks about (docs/decisions.md).
CONCLUSIONS = ("eligibility", "preferred", "term", "renewal", "status", "ground", "violation", "recusal",
               "obligation", "report", "finding")
#: A leaf of a reason tree: an object naming one of these, with what it says (docs/decisions.md).
LEAF_KINDS = ("fact", "compare", "derived", "rule", "none_hold", "hold", "record", "deadline", "renewal",
              "renewed_by", "defined", "decided")


def _enum(values: Iterable[str]) -> dict:
    listed = sorted(set(values))
    return {"type": "string", "enum": listed} if listed else {"type": "string", "not": {}}


def _values(cls) -> list[str]:
    return [member.value for member in cls]


def _object(properties: dict, required: Iterable[str] | None = None) -> dict:
    return {"type": "object", "properties": properties,
            "required": list(properties if required is None else required), "additionalProperties": False}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def decision_schema(name: str, title: str | None, policy_ids: Iterable[str], refs: Iterable[str],
                    duties: Iterable[str], violations: Iterable[str], findings: Iterable[str]) -> dict:
    """The JSON Schema of a decision of the policy ``name`` (or of a family: ``policy_ids`` its
    versions', the other enumerations the union of theirs): ``refs`` its provisions' compact refs,
    ``duties``, ``violations`` and ``findings`` the codes its duties, prohibitions and conclusions give."""
    ids = sorted(set(policy_ids))
    date = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    citation = {"$ref": "#/$defs/citation"}
    citations = {"type": "array", "items": citation}
    count = {"type": ["integer", "null"], "minimum": 1}
    defs = {
        "date": date,
        "citation": _object({
            "article": {"type": "integer", "minimum": 1},
            "paragraph": {"type": ["integer", "null"], "minimum": 2},
            "item": count,
            "sub": count,
            "ref": _enum(refs),
            "cite": {"type": "string"},
            "text": {"type": ["string", "null"]},
        }),
        # A leaf names what it is by one of its keys; nested leaves sit under "because".
        "leaf": {"type": "object", "minProperties": 1,
                 "anyOf": [{"required": [kind]} for kind in LEAF_KINDS],
                 "properties": {"because": {"type": "array", "items": {"$ref": "#/$defs/leaf"}}}},
    }
    ref = _enum(refs)
    day = {"$ref": "#/$defs/date"}
    invalid = _object({
        "on": day,
        "reason": _enum(("late", "before_start", "second_in_term", "conditions")),
        "unmet": {**citations, "minItems": 1},
        "facts": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    })
    term = _object({
        "years": {"type": "number", "exclusiveMinimum": 0},
        "start": day,
        "last_day": _nullable(day),
        "terms": count,
        "valid_renewals": {"type": "array", "items": day},
        "invalid_renewals": {"type": "array", "items": invalid},
        "undetermined_renewals": {"type": "array", "items": _object({"on": day, "undetermined": citations})},
    })
    properties = {
        "policy": _enum(ids),
        "as_of": day,
        "eligibility": _object({
            "result": _enum(_values(EligibilityResult)),
            "unmet": citations,
            "undetermined": citations,
            "preferred": {"type": ["boolean", "null"]},
            "preferences": citations,
        }),
        "term": _nullable(term),
        "status": _enum(_values(Status)),
        "grounds": {"type": "array", "items": _object({"citation": citation, "effect": _enum(_values(Effect))})},
        "recusal": _object({
            "result": _enum(_values(RecusalResult)),
            "decided_by": {"enum": ["supervisor", "department", None]},
            "grounds": citations,
        }),
        "obligations": {"type": "array", "items": _object({
            "duty": _enum(duties),
            "citation": citation,
            "due": _nullable(day),
            "state": _enum(_values(DutyState)),
            "bearer": _enum(("supervisor", "department")),
        })},
        "violations": {"type": "array", "items": _object({"code": _enum(violations), "citation": citation})},
        "report": _object({
            "result": _enum(_values(ReportResult)),
            "category": _nullable(citation),
            "reward_referral": {"type": "boolean"},
            "reward_rules": {"type": ["string", "null"]},
        }),
        "notices": {"type": "array", "items": _object({"citation": _nullable(citation),
                                                        "message": {"type": "string"}})},
        "findings": {"type": "array", "items": _object({
            "code": _enum(findings),
            "label": {"type": "string"},
            "value": {},  # a conclusion's value: true, a date, an enum value, a number, a text; null if unknown
            "citation": citation,
            "item": {"type": ["integer", "null"], "minimum": 0},
        })},
        "missing_facts": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "open_questions": {"type": "array", "items": _object({
            "question": _enum(CONCLUSIONS),
            "key": {},
            "facts": {"type": "array", "minItems": 1, "items": _object({
                "fact": {"type": "string"},
                "label": {"type": ["string", "null"]},
                "outcomes": {"type": "object", "minProperties": 1},
            })},
        }, ("question", "facts"))},
        "explanation": {"type": "array", "items": _object({
            "conclusion": _enum(CONCLUSIONS),
            "key": {},  # a ground's or violation's ref, a duty's code, a renewal's date, a conclusion's [code, entry]
            "value": {},
            "ref": {"anyOf": [ref, {"type": "null"}]},
            "because": {"type": "array", "items": {"$ref": "#/$defs/leaf"}},
            "would_change_if": {"type": "array", "items": _object({
                "fact": {"type": "string"}, "to": {}, "add": {"type": "string"}, "record": {"type": "object"},
                "facts": {"type": "object"}, "gives": {}}, ("gives",))},
            "not_fired": {"type": "integer", "minimum": 1},
        }, ("conclusion", "value", "ref", "because", "would_change_if"))},
        "meta": _object({
            "policy_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "engine_version": {"type": "string"},
            "calendar": _object({
                "source": {"type": "string"},
                "version": {"type": "string"},
                "years": {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
            }),
        }),
    }
    return {"$schema": DRAFT, "$id": f"supervisor-rules:{name}:decision", "title": f"Decision under {title or name}", "description": "DECISION.md, version 2",
            "type": "object", "$defs": defs, **_object(properties, ALWAYS)}
