"""The Wuhan decision (eligibility + term + grounds) in the rule languages of peer engines.

Each peer is encoded as an application would use it: **one rule, expression or
decision evaluated with one call per case**, returning the whole answer (the
same tuple as ``handwritten.decide_wuhan``, the minimal decision (f)). The
rules are written once below with a small expression builder and rendered into
each language; ``run.py`` checks every peer against (f) on every case before
timing anything.

- ``datalogic-py`` (JsonLogic, Rust): one rule; the renewals are chained with
  JsonLogic's ``reduce`` (the accumulator carries the count; the start date is
  read from the outer scope with datalogic's ``val`` scope jump).
- ``common-expression-language`` (CEL, Rust) and ``rule-engine`` (Python): one
  expression. Neither language has a fold or ``let``: a value used twice is
  bound with a one-element ``map`` / comprehension, and the renewal chain is
  unrolled over the first ``UNROLL`` renewal records; the host refuses a case
  with more (none in the workload has more than three).
- ``zen-engine`` (Rust, JavaScript in QuickJS): one decision graph (input →
  function node → output) evaluated once per case: a ZEN expression has no
  fold, so a zen user writes a loop like this one in a function node.
- ``cedarpy`` (Cedar, Rust): an authorization language answers yes/no
  questions only. It is given the one such question of this decision: may
  this person be appointed (``eligibility`` = ``eligible``)? One
  ``is_authorized`` call per case; checked against (f)'s eligibility.

The earlier encoding — five rules driven by a host loop that calls the renewal
rule once per record — is kept for datalogic-py as a second, labelled row: it
shows what the host loop costs (each call crosses into Rust and back).

Dates travel as the case's ISO strings and are compared as yyyymmdd numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

os.environ.setdefault("RUST_BACKTRACE", "0")  # zen-engine error messages stay one line


# ------------------------------------------------------------------ a tiny expression builder
class E:
    def __init__(self, op, *args):
        self.op, self.args = op, args


def V(path):  # a fact, null when absent
    return E("var", path)


def C(value):
    return E("const", value)


def _n(x):
    return x if isinstance(x, E) else C(x)


def Eq(a, b): return E("eq", _n(a), _n(b))
def Lt(a, b): return E("lt", _n(a), _n(b))
def Le(a, b): return E("le", _n(a), _n(b))
def Gt(a, b): return E("gt", _n(a), _n(b))
def And(*xs): return E("and", *map(_n, xs))
def Or(*xs): return E("or", *map(_n, xs))
def Not(x): return E("not", _n(x))
def If(c, a, b): return E("if", _n(c), _n(a), _n(b))
def Add(*xs): return E("add", *map(_n, xs))
def Sub(a, b): return E("sub", _n(a), _n(b))
def Mul(a, b): return E("mul", _n(a), _n(b))
def Mod(a, b): return E("mod", _n(a), _n(b))
def List(*xs): return E("list", *map(_n, xs))
def Null(x): return Eq(x, None)
def Year(d): return E("year", d)
def Month(d): return E("month", d)
def Day(d): return E("day", d)
def HasAny(xs, values): return E("has_any", xs, tuple(values))


def Div(a, b):  # floor division of non-negative integers
    a, b = _n(a), _n(b)
    return E("div", a, b)


def Key(d):  # a date as yyyymmdd
    return Add(Mul(Year(d), 10000), Mul(Month(d), 100), Day(d))


def In(x, xs): return E("in", _n(x), _n(xs))


def Kand(*xs):
    """Kleene's and: false if any is false, else null (unknown) if any is null, else true."""
    return If(In(False, List(*xs)), False, If(In(None, List(*xs)), None, True))


def Kor(*xs):
    return If(In(True, List(*xs)), True, If(In(None, List(*xs)), None, False))


def Knot(x):
    return If(Null(x), None, Not(x))


# ------------------------------------------------------------------ the Wuhan decision
REFS = ("3(1)", "3(2)", "3(3)", "3(4)", "3(5)", "3(6)", "4(2)")
GROUNDS = (("5", "automatic"), ("11(1)", "discretionary"), ("11(2)", "discretionary"), ("11(3)", "discretionary"),
           ("11(4)", "discretionary"), ("11(5)", "discretionary"), ("11(6)", "discretionary"))


def _p(name):
    return V(f"person.{name}")


def _c(name):  # an event record: absent means false
    return Eq(V(f"conduct.{name}"), True)


def items_rule() -> E:
    """第三条 (1)-(6) and 第四条第（二）项: true, false or null (unknown) each."""
    return List(
        Kand(_p("supports_party_line"), _p("law_abiding"), _p("social_responsibility"), _p("sense_of_justice")),
        Kand(_p("principled"), _p("honest"), _p("fair_minded"), Knot(_p("bad_credit_record"))),
        Kand(_p("devoted"), _p("willing_unpaid")),
        Kand(_p("accepts_guidance"), _p("overall_competence")),
        Kor(If(Null(_p("professional_background")), None,
               HasAny(_p("professional_background"),
                      ("medicine", "pharmacy", "law", "administration", "information", "finance"))),
            _p("relevant_work_experience")),
        _p("meets_other_conditions"),
        Kand(_p("registration_form_submitted"), _p("commitment_signed")),
    )


def eligibility_rule() -> E:
    """The result, and 符合第三条 (items 1-6), which decides renewals."""
    items = [E("index", "items", i) for i in range(7)]
    result = If(Not(V("has_person")), "not_applicable",
                If(Or(*(Eq(x, False) for x in items)), "ineligible",
                   If(Or(*(Null(x) for x in items)), "unknown", "eligible")))
    return List(result, Kand(*items[:6]))


def dates_rule() -> E:
    """The start's year, month and day, and the start, as_of and recorded dismissal as yyyymmdd."""
    start, dismissed_on = V("appointment.start"), V("appointment.dismissed_on")
    return If(Null(start), List(None, None, None, None, Key(V("as_of")), None),
              List(Year(start), Month(start), Day(start), Key(start), Key(V("as_of")),
                   If(Null(dismissed_on), None, Key(dismissed_on))))


def renewal_rule() -> E:
    """The renewals counted so far (``count``), plus one if this record (``on``) renews term ``count``."""
    on, count = V("on"), V("count")
    months = Add(Mul(Sub(Year(on), V("sy")), 12), Sub(Month(on), V("sm")), If(Lt(V("sd"), Day(on)), 1, 0))
    index = If(Le(months, 0), 0, Div(Sub(months, 1), 36))
    return If(And(Le(V("sk"), Key(on)), Eq(index, count)), Add(count, 1), count)


def _end(k):
    """yyyymmdd of the last day of term k (three years each, from the original start)."""
    year = Add(V("sy"), Mul(3, Add(k, 1)))
    leap = Or(And(Eq(Mod(year, 4), 0), Not(Eq(Mod(year, 100), 0))), Eq(Mod(year, 400), 0))
    day = If(And(Eq(V("sm"), 2), Eq(V("sd"), 29), Not(leap)), 28, V("sd"))
    return Add(Mul(year, 10000), Mul(V("sm"), 100), day)


def term_rule() -> E:
    """Last day and terms (null when a renewal's validity is unknown), status, and which grounds hold."""
    count, q, as_of = V("count"), V("q"), V("ak")
    low = If(Eq(q, True), count, 0)
    high = If(Eq(q, False), 0, count)
    low_end, high_end = _end(low), _end(high)
    expired = If(Gt(as_of, high_end), True, If(Le(as_of, low_end), False, None))
    appointed = Le(V("sk"), as_of)
    recorded = And(Not(Null(V("dk"))), Le(V("dk"), as_of))
    status = If(Not(appointed), "not_appointed",
                If(Or(Eq(expired, True), recorded), "dismissed", If(Null(expired), "unknown", "active")))
    grounds = [Eq(expired, True),
               Or(_c("criminal_penalty"), _c("administrative_sanction"), _c("party_discipline"),
                  _c("public_security_penalty"), _c("serious_bad_credit")),
               Eq(V("conduct.annual_rating"), "incompetent"),
               _c("commitment_false"),
               Or(_c("unsuitable_work_change"), _c("unsuitable_health")),
               _c("requested_resignation"),
               _c("other_reason")]
    known = Eq(low, high)
    decided = List(If(known, low_end, None), If(known, Add(low, 1), None), status,
                   *(And(appointed, g) for g in grounds))
    return If(Null(V("sk")), List(None, None, "not_appointed", *([False] * len(grounds))), decided)


RULES = (items_rule, eligibility_rule, dates_rule, renewal_rule, term_rule)


# ------------------------------------------------------------------ the decision as one rule
#: CEL and rule-engine have no fold: the renewal chain is unrolled over this many records.
UNROLL = 8


def Let(name, value, body): return E("let", name, _n(value), _n(body))
def R(name): return E("ref", name)  # a name bound by Let (or a fold's ``acc`` / ``cur``)
def At(xs, i): return E("at", _n(xs), i)
def Field(x, name): return E("field", _n(x), name)
def Size(xs): return E("size", _n(xs))
def Fold(xs, init, body): return E("fold", _n(xs), _n(init), _n(body))  # body reads R("acc"), R("cur")


def _rebind(e: E, names: dict) -> E:
    """``e`` with the host-loop inputs replaced: V(name) → names[name], E("index", "items", i) → At(R("it"), i)."""
    if e.op == "var" and e.args[0] in names:
        return names[e.args[0]]
    if e.op == "index":
        return At(R("it"), e.args[1])
    return E(e.op, *(_rebind(x, names) if isinstance(x, E) else x for x in e.args))


def decision_rule() -> E:
    """The whole decision (f) as one expression: ``[result, items 1-7, last day, terms, status, grounds 1-7]``."""
    start = V("appointment.start")
    bound = {k: R(k) for k in ("sy", "sm", "sd", "sk", "ak", "dk", "count", "q")}
    renewal = _rebind(renewal_rule(), dict(bound, on=Field(R("cur"), "on"), count=R("acc")))
    term = _rebind(term_rule(), bound)
    result = _rebind(eligibility_rule(), {}).args[0]  # List(result, qualified): the result
    qualified = Kand(*(At(R("it"), i) for i in range(6)))
    renewals = V("appointment.renewals")
    return Let("it", items_rule(), Let(
        "q", qualified, List(
            List(result), R("it"),
            If(Null(start), List(None, None, "not_appointed", *([False] * 7)), Let(
                "sy", Year(start), Let("sm", Month(start), Let("sd", Day(start), Let("sk", Key(start), Let(
                    "ak", Key(V("as_of")), Let(
                        "dk", If(Null(V("appointment.dismissed_on")), None, Key(V("appointment.dismissed_on"))),
                        Let("count", Fold(If(Null(renewals), List(), renewals), 0, renewal), term)))))))))))


def inline(e: E, env: dict | None = None) -> E:
    """Every Let replaced by its value where it is used (for JsonLogic, which has no ``let``)."""
    env = env or {}
    if e.op == "let":
        name, value, body = e.args
        return inline(body, dict(env, **{name: inline(value, env)}))
    if e.op == "ref":
        return env.get(e.args[0], e)
    if e.op == "at":
        target = inline(e.args[0], env)
        return target.args[e.args[1]] if target.op == "list" else At(target, e.args[1])
    return E(e.op, *(inline(x, env) if isinstance(x, E) else x for x in e.args))


def unroll(e: E, limit: int = UNROLL) -> E:
    """Every Fold replaced by ``limit`` steps, each bound by Let (for CEL and rule-engine, which have none)."""
    if e.op == "fold":
        xs, init, body = (unroll(x, limit) if isinstance(x, E) else x for x in e.args)
        out = R(f"acc{limit}")
        for i in reversed(range(limit)):
            step = If(Gt(Size(R("rs")), i), _subst(body, {"acc": R(f"acc{i}"), "cur": At(R("rs"), i)}), R(f"acc{i}"))
            out = Let(f"acc{i + 1}", step, out)
        return Let("rs", xs, Let("acc0", init, out))
    return E(e.op, *(unroll(x, limit) if isinstance(x, E) else x for x in e.args))


def _subst(e: E, refs: dict) -> E:
    if e.op == "ref" and e.args[0] in refs:
        return refs[e.args[0]]
    return E(e.op, *(_subst(x, refs) if isinstance(x, E) else x for x in e.args))


# ------------------------------------------------------------------ renderers
def _json_str(s: str) -> str:
    return json.dumps(s)


def to_jsonlogic(e: E, depth: int = 0, scopes: dict | None = None):
    """JsonLogic. JsonLogic has no ``let``: a Let is a ``reduce`` over the one-element list ``[value]``, whose
    ``current`` is the value; ``depth`` counts the scopes around ``e`` and ``scopes`` the scope each name
    was bound in. An outer name, or a case fact inside a scope, is read with datalogic's ``val`` scope
    jump (each ``reduce`` is two frames deep: ``[[2 × levels]]`` up to a name, ``[[2 × depth - 1]]`` to the
    case)."""
    op, a = e.op, e.args
    scopes = scopes or {}

    def r(x):
        return to_jsonlogic(x, depth, scopes)
    if op == "var":
        return {"val": [[2 * depth - 1], *a[0].split(".")]} if depth else {"var": a[0]}
    if op == "const":
        return a[0]
    if op == "let":
        name, value, body = a
        inner = to_jsonlogic(body, depth + 1, dict(scopes, **{name: depth + 1}))
        return {"reduce": [[r(value)], inner, None]}
    if op == "ref":
        name = a[0]
        if name in ("acc", "cur"):
            return {"var": {"acc": "accumulator", "cur": "current"}[name]}
        level = scopes[name]
        return {"var": "current"} if level == depth else {"val": [[2 * (depth - level)]]}
    if op == "field" and a[0].op == "ref" and a[0].args[0] == "cur":
        return {"var": f"current.{a[1]}"}
    if op == "fold":
        return {"reduce": [r(a[0]), to_jsonlogic(a[2], depth + 1, scopes), r(a[1])]}
    if op == "at" and a[0].op == "ref":
        return {"val": [*r(a[0])["val"], a[1]]} if "val" in r(a[0]) else {"var": f"current.{a[1]}"}
    simple = {"eq": "===", "lt": "<", "le": "<=", "gt": ">", "and": "and", "or": "or", "add": "+", "sub": "-",
              "mul": "*", "mod": "%", "if": "if"}
    if op in simple:
        return {simple[op]: [r(x) for x in a]}
    if op == "not":
        return {"!": [r(a[0])]}
    if op == "list":
        return [r(x) for x in a]
    if op == "div":
        x, y = r(a[0]), r(a[1])
        return {"/": [{"-": [x, {"%": [x, y]}]}, y]}
    if op in ("year", "month", "day"):
        start, length = {"year": (0, 4), "month": (5, 2), "day": (8, 2)}[op]
        return {"*": [{"substr": [r(a[0]), start, length]}, 1]}
    if op == "has_any":
        return {"some": [r(a[0]), {"in": [{"var": ""}, list(a[1])]}]}
    if op == "index":
        return {"var": f"{a[0]}.{a[1]}"}
    if op == "in":
        return {"in": [r(a[0]), r(a[1])]}
    raise ValueError(op)


def _infix(e: E, words: dict, render, literal) -> str:
    op, a = e.op, e.args
    if op == "const":
        return literal(a[0])
    if op in ("eq", "lt", "le", "gt", "add", "sub", "mul", "mod", "and", "or"):
        return "(" + f" {words[op]} ".join(render(x) for x in a) + ")"
    if op == "not":
        return f"({words['not']}{render(a[0])})"
    if op == "if":
        return f"({render(a[0])} ? {render(a[1])} : {render(a[2])})"
    if op == "list":
        return "[" + ", ".join(render(x) for x in a) + "]"
    if op == "in":
        return f"({render(a[0])} in {render(a[1])})"
    return None


def _literal(null: str):
    def literal(value) -> str:
        if value is None:
            return null
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, str):
            return _json_str(value)
        return str(value)
    return literal


_C_WORDS = {"eq": "==", "lt": "<", "le": "<=", "gt": ">", "add": "+", "sub": "-", "mul": "*", "mod": "%",
            "and": "&&", "or": "||", "not": "!"}


def to_cel(e: E) -> str:
    out = _infix(e, _C_WORDS, to_cel, _literal("null"))
    if out is not None:
        return out
    op, a = e.op, e.args
    if op == "var":
        path = a[0]
        if "." not in path:
            return path
        return f"(has({path}) ? {path} : null)"
    if op == "index":
        return f"{a[0]}[{a[1]}]"
    if op == "div":
        return f"({to_cel(a[0])} / {to_cel(a[1])})"
    if op in ("year", "month", "day"):
        stamp = f'timestamp({to_cel(a[0])} + "T00:00:00Z")'
        return {"year": f"{stamp}.getFullYear()", "month": f"({stamp}.getMonth() + 1)",
                "day": f"({stamp}.getDayOfMonth() + 1)"}[op]
    if op == "has_any":
        values = ", ".join(_json_str(v) for v in a[1])
        return f"{to_cel(a[0])}.exists(x, x in [{values}])"
    if op == "let":  # CEL has no let: a one-element map binds the name
        return f"[{to_cel(a[1])}].map({a[0]}, {to_cel(a[2])})[0]"
    if op == "ref":
        return a[0]
    if op == "at":
        return f"{to_cel(a[0])}[{a[1]}]"
    if op == "field":
        return f"{to_cel(a[0])}.{a[1]}"
    if op == "size":
        return f"size({to_cel(a[0])})"
    raise ValueError(op)


_Z_WORDS = dict(_C_WORDS, **{"and": "and", "or": "or", "not": "not "})


def to_zen(e: E) -> str:
    out = _infix(e, _Z_WORDS, to_zen, _literal("null"))
    if out is not None:
        return out
    op, a = e.op, e.args
    if op == "var":
        return a[0]
    if op == "index":
        return f"{a[0]}[{a[1]}]"
    if op == "div":
        return f"floor({to_zen(a[0])} / {to_zen(a[1])})"
    if op in ("year", "month", "day"):  # null-safe: an expression node computes every key, branch or not
        first, last = {"year": (0, 3), "month": (5, 6), "day": (8, 9)}[op]
        x = to_zen(a[0])
        return f"({x} == null ? 0 : number({x}[{first}:{last}]))"
    if op == "ref":
        return f"$.{a[0]}"
    if op == "at":
        return f"{to_zen(a[0])}[{a[1]}]"
    if op == "field":
        return f"{to_zen(a[0])}.{a[1]}"
    if op == "size":
        return f"len({to_zen(a[0])})"
    if op == "has_any":
        values = ", ".join(_json_str(v) for v in a[1])
        return f"some({to_zen(a[0])}, # in [{values}])"
    raise ValueError(op)


_R_WORDS = dict(_C_WORDS, **{"and": "and", "or": "or", "not": "not "})


def to_rule_engine(e: E) -> str:
    out = _infix(e, _R_WORDS, to_rule_engine, _literal("null"))
    if out is not None:
        return out
    op, a = e.op, e.args
    if op == "var":  # item access: rule-engine resolves `a.b` on a mapping by failing attribute lookups first
        head, *rest = a[0].split(".")
        return head + "".join(f"[{_json_str(part)}]" for part in rest)
    if op == "index":
        return f"{a[0]}[{a[1]}]"
    if op == "div":
        return f"({to_rule_engine(a[0])} // {to_rule_engine(a[1])})"
    if op == "year":
        return f"$parse_float({to_rule_engine(a[0])}[0:4])"
    if op in ("month", "day"):  # $parse_float refuses a leading zero: "108" - 100
        first, last = (5, 7) if op == "month" else (8, 10)
        return f'($parse_float("1" + {to_rule_engine(a[0])}[{first}:{last}]) - 100)'
    if op == "has_any":
        values = ", ".join(_json_str(v) for v in a[1])
        return f"(not [x for x in {to_rule_engine(a[0])} if x in [{values}]].is_empty)"
    if op == "let":  # no let either: a one-element comprehension binds the name
        return f"[{to_rule_engine(a[2])} for {a[0]} in [{to_rule_engine(a[1])}]][0]"
    if op == "ref":
        return a[0]
    if op == "at":
        return f"{to_rule_engine(a[0])}[{a[1]}]"
    if op == "field":
        return f"{to_rule_engine(a[0])}[{_json_str(a[1])}]"
    if op == "size":
        return f"{to_rule_engine(a[0])}.length"
    raise ValueError(op)


# ------------------------------------------------------------------ the engines
def _context(case: dict) -> dict:
    """What every peer reads: the case with absent sections as empty objects (and whether ``person`` is there)."""
    return {"as_of": case["as_of"], "has_person": case.get("person") is not None,
            "person": case.get("person") or {}, "appointment": case.get("appointment") or {},
            "conduct": case.get("conduct") or {}}


def _date(key) -> dt.date | None:
    if key is None:
        return None
    key = int(key)
    return dt.date(key // 10000, key // 100 % 100, key % 100)


def _decide(items, eligibility, dates, renewal, term, case: dict) -> tuple:
    """The host loop: the rules in turn, renewals chained in order; the same tuple as ``decide_wuhan``."""
    context = _context(case)
    values = items(context)
    result, qualified = eligibility({"items": values, "has_person": context["has_person"]})
    sy, sm, sd, sk, ak, dk = dates(context)
    count = 0
    if sk is not None:
        for record in context["appointment"].get("renewals") or ():
            count = renewal({"sy": sy, "sm": sm, "sd": sd, "sk": sk, "on": record["on"], "count": count})
    last, terms, status, *held = term({"sy": sy, "sm": sm, "sd": sd, "sk": sk, "ak": ak, "dk": dk,
                                       "count": count, "q": qualified, "conduct": context["conduct"]})
    if context["has_person"]:
        unmet = tuple(ref for ref, value in zip(REFS, values) if value is False)
        undetermined = tuple(ref for ref, value in zip(REFS, values) if value is None)
    else:
        unmet = undetermined = ()
    grounds = tuple(ground for ground, holds in zip(GROUNDS, held) if holds)
    return (result, unmet, undetermined, None, _date(last), None if terms is None else int(terms), status,
            grounds)


def _paths(rules) -> dict:
    """section → the fact names the rules read there."""
    out: dict = {}
    stack = list(rules)
    while stack:
        e = stack.pop()
        if e.op == "var" and "." in e.args[0]:
            section, name = e.args[0].split(".", 1)
            out.setdefault(section, set()).add(name)
        stack.extend(x for x in e.args if isinstance(x, E))
    return {section: tuple(sorted(names)) for section, names in out.items()}


# ------------------------------------------------------------------ zen-engine: one decision, a function node
ZEN_FUNCTION = r"""
const BACKGROUND = ["medicine", "pharmacy", "law", "administration", "information", "finance"];
const v = (x) => (x === undefined ? null : x);
const kand = (...xs) => (xs.includes(false) ? false : xs.includes(null) ? null : true);
const kor = (...xs) => (xs.includes(true) ? true : xs.includes(null) ? null : false);
const key = (s) => Number(s.slice(0, 4)) * 10000 + Number(s.slice(5, 7)) * 100 + Number(s.slice(8, 10));
const leap = (y) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
// yyyymmdd of the last day of term k (three years each, from the original start; Civil Code 201-202)
const end = (sy, sm, sd, k) => {
  const y = sy + 3 * (k + 1);
  return y * 10000 + sm * 100 + (sm === 2 && sd === 29 && !leap(y) ? 28 : sd);
};

export const handler = async (input) => {
  const p = input.person, ap = input.appointment, c = input.conduct;
  const bad = v(p.bad_credit_record), bg = v(p.professional_background);
  const items = [
    kand(v(p.supports_party_line), v(p.law_abiding), v(p.social_responsibility), v(p.sense_of_justice)),
    kand(v(p.principled), v(p.honest), v(p.fair_minded), bad === null ? null : !bad),
    kand(v(p.devoted), v(p.willing_unpaid)),
    kand(v(p.accepts_guidance), v(p.overall_competence)),
    kor(bg === null ? null : bg.some((x) => BACKGROUND.includes(x)), v(p.relevant_work_experience)),
    v(p.meets_other_conditions),
    kand(v(p.registration_form_submitted), v(p.commitment_signed)),
  ];
  const result = !input.has_person ? "not_applicable"
    : items.includes(false) ? "ineligible" : items.includes(null) ? "unknown" : "eligible";
  const start = v(ap.start);
  if (start === null) {
    return { out: [[result], items, [null, null, "not_appointed", false, false, false, false, false, false, false]] };
  }
  const q = kand(...items.slice(0, 6));
  const sy = Number(start.slice(0, 4)), sm = Number(start.slice(5, 7)), sd = Number(start.slice(8, 10));
  const sk = key(start), ak = key(input.as_of);
  let count = 0;  // renewals counted: one per term, dated within the term it renews
  for (const r of v(ap.renewals) || []) {
    const months = (Number(r.on.slice(0, 4)) - sy) * 12 + Number(r.on.slice(5, 7)) - sm
      + (sd < Number(r.on.slice(8, 10)) ? 1 : 0);
    const index = months <= 0 ? 0 : Math.floor((months - 1) / 36);
    if (sk <= key(r.on) && index === count) count += 1;
  }
  const low = q === true ? count : 0, high = q === false ? 0 : count;
  const lowEnd = end(sy, sm, sd, low), highEnd = end(sy, sm, sd, high);
  const expired = ak > highEnd ? true : ak <= lowEnd ? false : null;
  const appointed = sk <= ak;
  const dk = v(ap.dismissed_on) === null ? null : key(ap.dismissed_on);
  const status = !appointed ? "not_appointed"
    : expired === true || (dk !== null && dk <= ak) ? "dismissed" : expired === null ? "unknown" : "active";
  const t = (name) => c[name] === true;
  const grounds = [expired === true,
    t("criminal_penalty") || t("administrative_sanction") || t("party_discipline")
      || t("public_security_penalty") || t("serious_bad_credit"),
    c.annual_rating === "incompetent", t("commitment_false"),
    t("unsuitable_work_change") || t("unsuitable_health"), t("requested_resignation"), t("other_reason"),
  ].map((g) => appointed && g);
  const known = low === high;
  return { out: [[result], items, [known ? lowEnd : null, known ? low + 1 : null, status, ...grounds]] };
};
"""


def hoist(e: E, keys: list) -> E:
    """``e`` without its Lets, each appended to ``keys`` as (name, value) in evaluation order."""
    if e.op == "let":
        name, value, body = e.args
        keys.append((name, hoist(value, keys)))
        return hoist(body, keys)
    return E(e.op, *(hoist(x, keys) if isinstance(x, E) else x for x in e.args))


def zen_expression_decision(rule: E) -> dict:
    """The JSON decision graph (JDM): input → one expression node → output. The node's keys are computed in
    order and a later one reads an earlier one as ``$.name`` — the Lets; the last key, ``out``, is the answer."""
    keys: list = []
    out = hoist(rule, keys)
    expressions = [{"id": str(n), "key": name, "value": to_zen(value)} for n, (name, value) in enumerate(keys)]
    expressions.append({"id": "out", "key": "out", "value": to_zen(out)})
    return _graph({"id": "ex", "type": "expressionNode", "name": "wuhan", "position": {"x": 200, "y": 0},
                   "content": {"expressions": expressions}})


def _graph(node: dict) -> dict:
    return {"nodes": [{"id": "in", "type": "inputNode", "name": "case", "position": {"x": 0, "y": 0}}, node,
                      {"id": "out", "type": "outputNode", "name": "decision", "position": {"x": 400, "y": 0}}],
            "edges": [{"id": "e1", "sourceId": "in", "targetId": node["id"], "type": "edge"},
                      {"id": "e2", "sourceId": node["id"], "targetId": "out", "type": "edge"}]}


def zen_decision() -> dict:
    """The JSON decision graph (JDM): input → function node → output."""
    return {"nodes": [{"id": "in", "type": "inputNode", "name": "case", "position": {"x": 0, "y": 0}},
                      {"id": "fn", "type": "functionNode", "name": "wuhan", "position": {"x": 200, "y": 0},
                       "content": {"source": ZEN_FUNCTION}},
                      {"id": "out", "type": "outputNode", "name": "decision", "position": {"x": 400, "y": 0}}],
            "edges": [{"id": "e1", "sourceId": "in", "targetId": "fn", "type": "edge"},
                      {"id": "e2", "sourceId": "fn", "targetId": "out", "type": "edge"}]}


# ------------------------------------------------------------------ cedarpy: the one yes/no question
CEDAR_POLICY = """
// 第三条 (1)-(6) and 第四条第（二）项: may this person be appointed? A fact not given is unknown,
// which Cedar (two-valued) can only answer as "not permitted": `has` guards every attribute.
permit (principal, action == Action::"appoint", resource)
when {
  context has supports_party_line && context.supports_party_line &&
  context has law_abiding && context.law_abiding &&
  context has social_responsibility && context.social_responsibility &&
  context has sense_of_justice && context.sense_of_justice &&
  context has principled && context.principled && context has honest && context.honest &&
  context has fair_minded && context.fair_minded &&
  context has bad_credit_record && !context.bad_credit_record &&
  context has devoted && context.devoted && context has willing_unpaid && context.willing_unpaid &&
  context has accepts_guidance && context.accepts_guidance &&
  context has overall_competence && context.overall_competence &&
  ((context has professional_background &&
    context.professional_background.containsAny(["medicine", "pharmacy", "law", "administration",
                                                 "information", "finance"])) ||
   (context has relevant_work_experience && context.relevant_work_experience)) &&
  context has meets_other_conditions && context.meets_other_conditions &&
  context has registration_form_submitted && context.registration_form_submitted &&
  context has commitment_signed && context.commitment_signed
};
"""


# ------------------------------------------------------------------ the engines
def _decode(out, case: dict) -> tuple:
    """A one-rule answer ``[[result], items 1-7, [last day, terms, status, grounds 1-7]]`` as (f)'s tuple."""
    (result,), values, (last, terms, status, *held) = out
    if case.get("person") is not None:
        unmet = tuple(ref for ref, value in zip(REFS, values) if value is False)
        undetermined = tuple(ref for ref, value in zip(REFS, values) if value is None)
    else:
        unmet = undetermined = ()
    grounds = tuple(ground for ground, holds in zip(GROUNDS, held) if holds)
    return (result, unmet, undetermined, None, _date(last), None if terms is None else int(terms), status,
            grounds)


def _minimal(case: dict) -> tuple:
    import handwritten
    return handwritten.decide_wuhan(case)


def _eligible(case: dict) -> bool:
    import handwritten
    return handwritten.decide_wuhan(case)[0] == "eligible"


MINIMAL = "minimal decision (f's tuple)"
YES_NO = "yes/no only: eligible?"


def engines() -> dict:
    """name → ``(decide(case), computes, expected(case))`` for each peer that is installed: ``decide`` is one
    call of the engine per case (plus the host's reading of its answer), ``computes`` says what it answers,
    ``expected`` gives (f)'s answer to the same question, for the agreement check."""
    rule = decision_rule()
    out = {}
    try:
        import datalogic_py

        engine = datalogic_py.Engine()
        evaluate = engine.compile(to_jsonlogic(inline(rule))).evaluate
        out["datalogic-py (JsonLogic, Rust): one rule"] = (
            lambda case, f=evaluate: _decode(f(_context(case)), case), MINIMAL, _minimal)
        fns = [engine.compile(to_jsonlogic(make())).evaluate for make in RULES]
        out["datalogic-py: five rules + host loop (old encoding)"] = (
            lambda case, f=fns: _decide(*f, case), MINIMAL, _minimal)
    except ImportError:
        pass
    try:
        import cel

        execute = cel.compile(to_cel(unroll(rule))).execute
        out[f"common-expression-language (CEL, Rust): one expression, renewals unrolled ×{UNROLL}"] = (
            lambda case, f=execute: _decode(f(_context(_bounded(case))), case), MINIMAL, _minimal)
    except ImportError:
        pass
    try:
        import zen

        zen_engine = zen.ZenEngine()
        decision = zen_engine.create_decision(json.dumps(zen_expression_decision(unroll(rule))))
        out[f"zen-engine (ZEN, Rust): one decision, an expression node, renewals unrolled ×{UNROLL}"] = (
            lambda case, f=decision.evaluate: _decode(f(_context(_bounded(case)))["result"]["out"], case), MINIMAL,
            _minimal)
        decision = zen_engine.create_decision(json.dumps(zen_decision()))
        out["zen-engine (Rust + QuickJS): one decision, a function node (JavaScript)"] = (
            lambda case, f=decision.evaluate: _decode(f(_context(case))["result"]["out"], case), MINIMAL, _minimal)
    except ImportError:
        pass
    try:
        import rule_engine

        context = rule_engine.Context(default_value=None)
        compiled = rule_engine.Rule(to_rule_engine(unroll(rule)), context=context)
        # Item access raises for a missing key (after looking for spelling suggestions): give
        # rule-engine every fact the rule reads, null where the case has none.
        read = _paths([rule])

        def complete(values: dict) -> dict:
            out = dict(values)
            for section, names in read.items():
                if section in out:
                    given = out[section]
                    out[section] = {name: given.get(name) for name in names}
            return out
        out[f"rule-engine (Python): one expression, renewals unrolled ×{UNROLL}"] = (
            lambda case, f=compiled.evaluate: _decode(f(complete(_context(_bounded(case)))), case), MINIMAL,
            _minimal)
    except ImportError:
        pass
    except TypeError:  # rule-engine before 4 has no Context(default_value=…): left out, and said so
        print("rule-engine is too old to encode (needs 4 or newer; constraints/bench.txt pins it): left out",
              file=sys.stderr)
    try:
        import cedarpy

        policies = cedarpy.PolicySet.from_str(CEDAR_POLICY)  # parsed once, as the cedarpy docs advise
        entities = cedarpy.Entities.from_json_str("[]")
        is_authorized, allow = cedarpy.is_authorized, cedarpy.Decision.Allow

        def cedar(case: dict) -> bool:
            person = case.get("person") or {}
            request = {"principal": 'Person::"p"', "action": 'Action::"appoint"', "resource": 'Bureau::"wuhan"',
                       "context": {k: v for k, v in person.items() if v is not None}}
            return is_authorized(request, policies, entities).decision == allow
        out["cedarpy (Cedar, Rust): one is_authorized"] = (cedar, YES_NO, _eligible)
    except ImportError:
        pass
    return out


def _bounded(case: dict) -> dict:
    renewals = (case.get("appointment") or {}).get("renewals") or ()
    if len(renewals) > UNROLL:
        raise ValueError(f"the unrolled expression reads at most {UNROLL} renewal records, not {len(renewals)}")
    return case
