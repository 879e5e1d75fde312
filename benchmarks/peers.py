"""The Wuhan decision (eligibility + term + grounds) in the rule languages of peer engines.

Each peer gets the same three rules, written once below with a small builder
and rendered into its own language: JsonLogic (``datalogic-py``), ZEN
expressions (``zen-engine``), CEL (``common-expression-language``) and
``rule-engine``'s language. The host loop between them is the same for all and
deliberately thin — the peers have no fold over a list that can see the case,
so the renewals are chained by calling the renewal rule once per record, the
way an application would drive such an engine:

1. ``eligibility``: the outcome of 第三条 (1)-(6) and 第四条第（二）项 (true, false
   or null for unknown), the eligibility result, and 符合第三条 for renewals;
2. ``renewal``: given the renewals counted so far, whether this record counts
   (dated within the term it renews, after the start);
3. ``term``: the last day and the number of terms, the status, and which of
   第五条 and 第十一条 (1)-(6) hold.

Dates travel as the case's ISO strings and are compared as yyyymmdd numbers.
The rules give exactly the tuple ``handwritten.decide_wuhan`` gives; ``run.py``
checks that on every case before timing anything.
"""

from __future__ import annotations

import datetime as dt
import json
import os

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


# ------------------------------------------------------------------ renderers
def _json_str(s: str) -> str:
    return json.dumps(s)


def to_jsonlogic(e: E):
    op, a = e.op, e.args
    r = to_jsonlogic
    if op == "var":
        return {"var": a[0]}
    if op == "const":
        return a[0]
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
    if op in ("year", "month", "day"):
        first, last = {"year": (0, 3), "month": (5, 6), "day": (8, 9)}[op]
        return f"number({to_zen(a[0])}[{first}:{last}])"
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


def engines() -> dict:
    """name → ``decide(case) -> tuple`` for each peer that is installed."""
    rules = [make() for make in RULES]
    out = {}
    try:
        import datalogic_py

        engine = datalogic_py.Engine()
        compiled = [engine.compile(to_jsonlogic(rule)) for rule in rules]
        fns = [c.evaluate for c in compiled]
        out["datalogic-py (JsonLogic, Rust)"] = lambda case, f=fns: _decide(*f, case)
    except ImportError:
        pass
    try:
        import zen

        compiled = [zen.compile_expression(to_zen(rule)) for rule in rules]
        fns = [c.evaluate for c in compiled]
        out["zen-engine (ZEN expressions, Rust)"] = lambda case, f=fns: _decide(*f, case)
    except ImportError:
        pass
    try:
        import cel

        compiled = [cel.compile(to_cel(rule)) for rule in rules]
        fns = [c.execute for c in compiled]
        out["common-expression-language (CEL, Rust)"] = lambda case, f=fns: _decide(*f, case)
    except ImportError:
        pass
    try:
        import rule_engine

        context = rule_engine.Context(default_value=None)
        compiled = [rule_engine.Rule(to_rule_engine(rule), context=context) for rule in rules]
        # Item access raises for a missing key (after looking for spelling suggestions): give
        # rule-engine every fact the rules read, null where the case has none.
        read = _paths(rules)

        def complete(values: dict) -> dict:
            out = dict(values)
            for section, names in read.items():
                if section in out:
                    given = out[section]
                    out[section] = {name: given.get(name) for name in names}
            return out
        fns = [lambda values, c=c: c.evaluate(complete(values)) for c in compiled]
        out["rule-engine (Python)"] = lambda case, f=fns: _decide(*f, case)
    except ImportError:
        pass
    return out
