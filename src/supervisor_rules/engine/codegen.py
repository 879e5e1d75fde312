"""A compiled policy → one straight-line Python function: the fast path of ``Policy.evaluate``.

``runtime.interpret`` walks the policy rule by rule, calling a closure per
operator. This module writes, once per policy, the same evaluation as Python
source — every condition inlined as an expression over ``facts.get`` — and
compiles it. The function returns the same ``Decision`` as the interpreter
(``tests/test_codegen.py`` compares the two over thousands of cases). A second
function, generated when a trace is first asked for (``explanation``, the CLI
batch), does the same and also records the trace: each step as a tuple
``(site, outcome, *values)``, exactly the records the interpreter makes.

Safety. Rule files are untrusted input, so nothing a rule file says becomes
source text except fact keys and enum values, which the grammar restricts to
names and which enter only through ``repr`` as string literals. Everything else
— citations, provision and notice texts, dates, value sets, decision objects —
is bound in the function's namespace under names the generator makes up
(``K0``, ``K1``, …), which carries no builtins. Before the code runs,
``verify_code`` checks the compiled function: it may reach only the names the
generator bound and a few known methods, hold only plain constants and no
nested code, and use no import, global store or attribute store — so even a
generator bug could not turn rule text into code. ``verify`` states the same
rule on the source's syntax tree; the tests apply both to the code generated
for hostile rule files. A construct the generator does not know
(a newer language feature), or a policy too large to compile quickly, makes
``generate`` return None and the interpreter serves that policy.
"""

from __future__ import annotations

import ast
import dis
import inspect
import re
import threading
import types
from typing import Callable

import attrs

from supervisor_rules.contracts import case as case_module
from supervisor_rules.lang import nodes as n
from supervisor_rules import questions
from supervisor_rules.engine import numeric, runtime
from supervisor_rules.engine.compiler import CompiledPolicy, CRule, fold, partly_missing, violated
from supervisor_rules.lang.checker import NUMBER, ListT, RecordT
from supervisor_rules.contracts.decision import Decision

#: Above this many rules the interpreter serves the policy: compiling the function would cost more than it saves.
MAX_RULES = 1000

_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
#: One piece of code written at a time: a policy first used in several threads at once (``serve``) would
#: otherwise write its functions side by side, and CPython 3.11's ``ast`` is not safe for that
#: ("AST constructor recursion depth mismatch").
WRITING = threading.RLock()


class Unsupported(Exception):
    """The generator meets something it does not translate; the interpreter evaluates the policy instead."""


def generate(policy: CompiledPolicy, traced: bool = False, only: tuple[str, ...] | None = None,
             fused: bool = False) -> Callable | None:
    """The policy's evaluator ``(facts, sections, as_of, calendar_source) -> Decision``, or None.

    ``traced``: the evaluator ``evaluate_traced(facts, sections, as_of, calendar_source, trace)``, which
    also appends to ``trace`` a record ``(site, outcome, *values)`` for each step of the explanation,
    the records ``runtime.interpret`` makes (``runtime.trace_sites``). ``only``: Decision fields
    (``questions.only_fields``): an evaluator of just the questions deciding them and those they read
    (``questions.needed``), the other fields None; code no kept question reads is left out.

    ``fused``: the evaluator ``decide(case, as_of, calendar_source)`` that validates the raw case while
    it reads it and decides from what it read, in one pass (``fused_source``): it returns
    ``(decision, sections present, as_of, values)`` — ``values`` the facts in ``case.fact_keys`` order,
    from which ``case.facts_of`` makes ``validate``'s facts — for a plain valid case, and None for
    anything else (then ``case.validate`` decides, and explains what is wrong)."""
    if fused and traced:
        raise ValueError("a fused evaluator records no trace")
    try:
        with WRITING:
            source, namespace = source_of(policy, traced, only, fused)
            name = "decide" if fused else "evaluate_traced" if traced else "evaluate"
            label = " fused" if fused else " traced" if traced else ""
            return _load(source, namespace, name, f"<policy {policy.id!r}{label}>")
    except (Unsupported, SyntaxError, RecursionError, MemoryError):
        # Too new a construct, or nesting deeper than Python's parser takes (the rule language allows
        # 100 levels; each is two parentheses here): the interpreter has no such limit.
        return None


def _load(source: str, namespace: dict, name: str, filename: str) -> Callable:
    code = compile(source, filename, "exec")
    verify_code(code, namespace, name)
    exec(code, namespace)  # verified: one function, reaching only the names the generator bound
    return namespace[name]


def source_of(policy: CompiledPolicy, traced: bool = False, only: tuple[str, ...] | None = None,
              fused: bool = False) -> tuple[str, dict]:
    """(Python source of ``evaluate`` — or ``evaluate_traced``, or with ``fused`` ``decide`` —, the
    namespace it runs in). Raises ``Unsupported``."""
    count = sum(len(policy.rules_of(kind.field)) for kind in questions.rule_kinds() if not kind.single)
    if count > MAX_RULES:
        raise Unsupported(f"{count} rules")
    return _Generator(policy, traced, only, fused).build()


# ------------------------------------------------------------------ the generator
#: The Decision fields the questions decide, in Decision's order: the generated function passes the
#: local variable of each name (after ``policy`` and ``as_of``; before ``missing_facts``). ``meta`` is the Policy's.
DECIDED = tuple(f.name for f in attrs.fields(Decision) if f.name not in ("policy", "as_of", "missing_facts", "meta", "only")
                and not f.name.startswith("_"))
if sorted(DECIDED) != sorted(field for question in questions.QUESTIONS for field in question.decides):
    raise questions.UnregisteredRule(f"a Decision has {DECIDED}: each must be decided by exactly one question")


class _Generator:
    """The emitter the questions' ``generate`` write through, and the expressions' translation."""

    def __init__(self, policy: CompiledPolicy, traced: bool = False, only: tuple[str, ...] | None = None,
                 fused: bool = False):
        self.policy = policy
        self.fused = fused
        self.shown = DECIDED if only is None else only
        self.run = (frozenset(q.name for q in questions.QUESTIONS) if only is None
                    else questions.needed(policy.checked.provisions, only))
        # The emitters write the trace through `trace`, which records each step or, untraced, nothing.
        self.trace: NoTrace = TraceRecorder(self, runtime.trace_sites(policy)) if traced else NoTrace()
        self.lines: list[str] = []
        self.depth = 1
        self.namespace: dict = {
            "__builtins__": {},  # the generated code reaches only what is bound here
            "Decision": Decision,
            "set": set, "tuple": tuple, "sorted": sorted, "len": len, "min": min, "max": max,
            "add_missing": _add_missing, "add_partly_missing": _add_partly_missing, "violates": violated,
            "POLICY": policy,
            "exact": numeric.exact, "arith": numeric.arith, "neg": numeric.neg, "extreme": numeric.extreme,
            "shift_date": numeric.shift_date, "age": numeric.age, "fold": fold, "due_of": numeric.deadline,
        }
        for question in questions.QUESTIONS:  # the names each question's code calls
            for name, value in question.namespace.items():
                if self.namespace.setdefault(name, value) is not value:
                    raise UnsafeSource(f"two meanings for {name!r} in the generated code's namespace")
        self.constants: dict = {}  # (type, value) → name, for hashable constants
        self.temps = 0
        self.renewal_var: str | None = None
        # Statements an expression needs run before the line that uses it (a quantifier's loop), each
        # indented relative to that line; ``emit`` writes them first.
        self.pending: list[str] = []
        self.bound: dict[str, tuple[str, RecordT]] = {}  # quantifier variable → (local name, record type)
        self.fact_types = {f"{name}.{field}": info.type for name, section in policy.checked.sections.items()
                           for field, info in section.fields.items()}
        self.number_fields = _number_fields(self.fact_types.values())  # record fields declared numbers
        self.satisfied: dict = {}  # (article, item) → local name
        self.violated: dict = {}  # (chapter, article, item) → local name

    # -------------------------------------------------------------- output
    def emit(self, line: str) -> None:
        indent = "    " * self.depth
        if self.pending:
            self.lines.extend(indent + statement for statement in self.pending)
            self.pending = []
        self.lines.append(indent + line)

    def const(self, value) -> str:
        """A name bound to ``value`` in the namespace (values never enter the source as text)."""
        try:
            key = (type(value), value)
            name = self.constants.get(key)
        except TypeError:  # unhashable
            key, name = None, None
        if name is None:
            name = f"K{len(self.namespace)}"
            self.namespace[name] = value
            if key is not None:
                self.constants[key] = name
        return name

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def misses(self, rule: CRule) -> bool:
        """Whether an unknown outcome of the rule can make missing facts (``missing`` writes code)."""
        return bool(rule.partial) or any(k in self.policy.open_facts for k in rule.reads)

    def missing(self, rule: CRule, otherwise: str | None = None) -> None:
        """Code recording the open facts a rule read that the case lacks (the rule's outcome is unknown)."""
        keys = tuple(k for k in rule.reads if k in self.policy.open_facts)
        if keys and self.fused:
            # The facts are locals: an open fact is missing exactly when its local is None (not given).
            for key in dict.fromkeys(keys):
                self.emit(f"if {self.fact_local(key)} is None:")
                self.emit(f"    missing.add({self.text(key)})")
        elif keys:
            self.emit(f"add_missing(missing, facts, {self.const(keys)})")
        if rule.partial and self.fused:
            values = self.locals_of(key for key, _ in rule.partial)
            self.emit(f"add_partly_missing_of(missing, {values}, {self.const(rule.partial)})")
        elif rule.partial:
            self.emit(f"add_partly_missing(missing, facts, {self.const(rule.partial)})")
        if not keys and not rule.partial and otherwise is not None:
            self.emit(otherwise)

    def fact_local(self, key: str) -> str:
        """The local holding fact ``key`` in a fused evaluator."""
        local = self.fact_names.get(key)
        if local is None:
            raise Unsupported(f"no local for {key!r}")
        return local

    def locals_of(self, keys) -> str:
        """A tuple display of the locals holding ``keys`` (fused)."""
        names = [self.fact_local(key) for key in keys]
        return f"({', '.join(names)}{',' if len(names) == 1 else ''})"

    # -------------------------------------------------------------- expressions
    def expr(self, e) -> str:
        method = getattr(self, "x_" + type(e).__name__, None)
        if method is None:
            raise Unsupported(type(e).__name__)
        return method(e)

    @staticmethod
    def text(value: str) -> str:
        # Fact keys and enum values are names (the grammar admits nothing else); repr() makes any str a
        # literal, and verify() checks the result.
        if not isinstance(value, str):
            raise Unsupported(repr(type(value)))
        return repr(value)

    def x_Path(self, e: n.Path) -> str:
        head = e.parts[0]
        if head in self.bound:
            local, record = self.bound[head]
            info = record.fields.get(e.parts[1])
            value = f"{local}.get({self.text(e.parts[1])})"
            return f"exact({value})" if info is not None and info.type == NUMBER else value
        if head == self.renewal_var:
            value = f"record.get({self.text(e.parts[1])})"
            # ``exact`` changes only a float: a field no record declares a number needs none.
            return f"exact({value})" if e.parts[1] in self.number_fields else value
        value = self.fact_names.get(e.dotted) or f"get({self.text(e.dotted)})"
        return f"exact({value})" if self.fact_types.get(e.dotted) == NUMBER else value

    def x_Arith(self, e: n.Arith) -> str:
        return f"arith({self.text(e.op)}, {self.expr(e.left)}, {self.expr(e.right)})"

    def x_Neg(self, e: n.Neg) -> str:
        return f"neg({self.expr(e.operand)})"

    def x_Extreme(self, e: n.Extreme) -> str:
        return f"extreme({self.text(e.op)}, [{', '.join(self.expr(o) for o in e.operands)}])"

    def x_Age(self, e: n.Age) -> str:
        header = self.policy.checked.header
        convention = header.age if header is not None else None
        return f"age({self.expr(e.birth)}, {self.expr(e.on)}, {self.const(convention)})"

    def x_DateAfter(self, e) -> str:
        before = isinstance(e, n.DateBefore)
        return (f"shift_date({self.expr(e.base)}, {self.const(e.amount)}, {self.text(e.unit)}, calendar_source, "
                f"{before!r})")

    x_DateBefore = x_DateAfter

    def x_Deadline(self, e: n.Deadline) -> str:
        return f"due_of({self.expr(e.base)}, {self.const(e.amount)}, {self.text(e.unit)}, calendar_source)"

    def x_TermNumber(self, e: n.TermNumber) -> str:
        # `term_chain`: the term question's (start, months per term, low, high), or None.
        return f"term_number_of(term_chain, {self.expr(e.on)})"

    def record_of(self, key: str, var: str) -> RecordT:
        """The record type of the list fact ``key`` (an empty one named ``var`` where it is none)."""
        listed = self.fact_types.get(key)
        return listed.element if isinstance(listed, ListT) and isinstance(listed.element, RecordT) else RecordT(var, {})

    def x_Defined(self, e: n.Defined) -> str:
        return self.expr(e.expr)  # a definition's expression, written in place by the checker

    def x_YearOf(self, e: n.YearOf) -> str:
        t = self.temp()
        return f"(None if ({t} := {self.expr(e.operand)}) is None else {t}.year)"

    def x_Count(self, e: n.Count) -> str:
        t = self.temp()
        return f"(None if ({t} := {self.expr(e.source)}) is None else len({t}))"

    def x_Quantifier(self, e: n.Quantifier) -> str:
        """A loop over the records, written before the line that uses its value (``pending``): each
        record's condition value is collected, and ``fold`` (compiler.py) gives the quantifier's."""
        items, values, result, local, value = (self.temp() for _ in range(5))
        listed = self.fact_types.get(e.source.dotted)
        record = listed.element if isinstance(listed, ListT) and isinstance(listed.element, RecordT) \
            else RecordT(e.var, {})
        source = self.expr(e.source)
        outer, self.pending = self.pending, []
        self.bound[e.var] = (local, record)
        try:
            condition = self.expr(e.condition)
        finally:
            del self.bound[e.var]
        inner, self.pending = self.pending, outer
        self.pending += [f"{items} = {source}",
                         f"if {items} is None:",
                         f"    {result} = None",
                         "else:",
                         f"    {values} = []",
                         f"    for {local} in {items}:",
                         *("        " + statement for statement in inner),
                         f"        {value} = {condition}",
                         f"        {values}.append({value})",
                         f"    {result} = fold({self.text(e.kind)}, {values})"]
        return result

    def x_Literal(self, e: n.Literal) -> str:
        value = e.value
        if value is True or value is False or value is None:
            return repr(value)
        return self.const(value)

    def x_Name(self, e: n.Name) -> str:
        return self.text(e.name)

    def x_AsOf(self, e) -> str:
        return "as_of"

    def x_Expired(self, e) -> str:
        return "expired"

    def x_Dismissed(self, e) -> str:
        return "dismissed"

    def x_LastDay(self, e) -> str:
        return "derived_last_day"

    def x_DismissalDay(self, e) -> str:
        return "dismissal_day"

    def x_Not(self, e: n.Not) -> str:
        t = self.temp()
        return f"(None if ({t} := {self.expr(e.operand)}) is None else not {t})"

    @staticmethod
    def kleene(dominant: bool, names: list[str], exprs: list[str] | None = None) -> str:
        """Kleene's and (``dominant`` False) or or (True) of the values ``names`` hold — or, given
        ``exprs``, take as each is computed: ``dominant`` if any part is, else unknown if any is, else the
        other. A dominant part ends the test early; the parts are pure, so that changes nothing but the
        time. (``questions.base.kleene_and`` / ``kleene_or``, as an expression.)"""
        held = names if exprs is None else [f"({t} := {x})" for t, x in zip(names, exprs)]
        parts = " or ".join(f"{h} is {dominant}" for h in held)
        unknown = " or ".join(f"{t} is None" for t in names)
        return f"({dominant} if {parts} else None if {unknown} else {not dominant})"

    def x_And(self, e: n.And) -> str:
        names = [self.temp() for _ in e.operands]
        return self.kleene(False, names, [self.expr(o) for o in e.operands])

    def x_Or(self, e: n.Or) -> str:
        names = [self.temp() for _ in e.operands]
        return self.kleene(True, names, [self.expr(o) for o in e.operands])

    def x_Compare(self, e: n.Compare) -> str:
        op = _OPS[e.op]
        a = self.temp()
        left = self.expr(e.left)
        if isinstance(e.right, (n.Name, n.Literal)):
            right = self.expr(e.right)
            return f"(None if ({a} := {left}) is None else {a} {op} {right})"
        b = self.temp()
        right = self.expr(e.right)
        return f"(None if ({a} := {left}) is None or ({b} := {right}) is None else {a} {op} {b})"

    def x_Member(self, e: n.Member) -> str:
        t = self.temp()
        values = self.const(frozenset(v.name for v in e.values))
        test = "not in" if e.negated else "in"
        return f"(None if ({t} := {self.expr(e.operand)}) is None else {t} {test} {values})"

    def x_Has(self, e: n.Has) -> str:
        t = self.temp()
        return f"(None if ({t} := {self.expr(e.operand)}) is None else {self.text(e.value.name)} in {t})"

    def x_HasAny(self, e: n.HasAny) -> str:
        t = self.temp()
        values = self.const(frozenset(v.name for v in e.values))
        return f"(None if ({t} := {self.expr(e.operand)}) is None else not {values}.isdisjoint({t}))"

    def x_IsKnown(self, e: n.IsKnown) -> str:
        if isinstance(e.operand, n.Name):
            test = "not in" if e.negated else "in"
            return f"({self.text(e.operand.name)} {test} sections)"
        test = "is" if e.negated else "is not"
        return f"({self.expr(e.operand)} {test} None)"

    def x_IsEmpty(self, e: n.IsEmpty) -> str:
        t = self.temp()
        test = "!=" if e.negated else "=="
        return f"(None if ({t} := {self.expr(e.operand)}) is None else len({t}) {test} 0)"

    def x_Violates(self, e: n.Violates) -> str:
        key = e.ref.key
        if key not in self.violated:
            self.violated[key] = f"violated{len(self.violated)}"
            checks = tuple((rule.key, rule.field, rule.codes) for rule in self.referenced("violates")
                           if e.ref.covers(rule.citation))
            if self.fused:
                # The facts by their place in a tuple of their locals; the checks of one list (and field)
                # as one, their codes together: `violates` holds if any holds (unknown likewise).
                keys = list(dict.fromkeys(check[0] for check in checks))
                merged: dict = {}
                for list_key, field, codes in checks:
                    merged[keys.index(list_key), field] = merged.get((keys.index(list_key), field), frozenset()) | codes
                indexed = tuple((index, field, codes) for (index, field), codes in merged.items())
                values = self.locals_of(keys)
                self.prelude.append(f"{self.violated[key]} = violates_of({values}, {self.const(indexed)})")
            else:
                self.prelude.append(f"{self.violated[key]} = violates(get, {self.const(checks)})")
        return self.violated[key]

    def x_Satisfies(self, e: n.Satisfies) -> str:
        key = e.ref.key
        if key not in self.satisfied:
            self.satisfied[key] = f"satisfied{len(self.satisfied)}"
            parts = [self.requirement_value[rule.order] for rule in self.referenced("satisfies")
                     if e.ref.covers(rule.citation)]
            value = self.kleene(False, parts) if parts else "True"
            self.prelude.append(f"{self.satisfied[key]} = {value}")
        return self.satisfied[key]

    # -------------------------------------------------------------- the function
    def build(self) -> tuple[str, dict]:
        policy = self.policy
        if self.fused:  # every fact is read from the case into a local, which the conditions read
            keys = case_module.fact_keys(policy.checked.sections)
            self.fact_names, fetch = {key: f"fv{i}" for i, key in enumerate(keys)}, []
            for name, value in _FUSED_NAMESPACE.items():
                if self.namespace.setdefault(name, value) is not value:
                    raise UnsafeSource(f"two meanings for {name!r} in the generated code's namespace")
        else:  # traced: every fact a step shows is fetched once, into a local that conditions and records read
            self.fact_names, fetch = self.trace.fetched_facts()
        # Requirement values first: eligibility, `satisfies` and renewal reasons all read them.
        self.requirement_value: dict[int, str] = {}
        heads: list[tuple[str, list[str]]] = []  # (its name, its lines): each requirement's value
        for i, rule in enumerate(self.referenced("satisfies")):
            self.requirement_value[rule.order] = f"q{i}"
            value = self.expr(rule.expr)
            heads.append((f"q{i}", [*self.pending, f"q{i} = {value}"]))  # a quantifier's loop, first
            self.pending = []
        self.prelude: list[str] = []  # `satisfies` / `violates` values, filled in while the body is written
        body_start = len(self.lines)
        for question in questions.QUESTIONS:  # each leaves the fields it decides in locals of their names
            if question.name in self.run:
                self.emit(f"# {question.name}")
                question.generate(self)
        self.emit("# the decision")
        fields = ", ".join(field if field in self.shown else "None" for field in DECIDED)
        decision = f"Decision(POLICY_ID, as_of, {fields}, tuple(sorted(missing)) if missing else ())"
        if self.fused:
            self.emit(f"return {decision}, sections, as_of, {self.locals_of(self.fact_names)}")
        else:
            self.emit(f"return {decision}")
        self.namespace["POLICY_ID"] = policy.id
        body = self.lines[body_start:]
        prelude = ["    " + line for line in self.prelude]
        if self.fused:  # what the questions fetch themselves (``get('section.fact')``) is a local too
            body, prelude = self.localised(body), self.localised(prelude)
            heads = [(name, self.localised(lines)) for name, lines in heads]
        rest = "\n".join(["def f():", *prelude, *body])
        read = {node.id for node in ast.walk(ast.parse(rest)) if isinstance(node, ast.Name)}
        head = [line for name, lines in heads if name in read for line in lines]  # values nobody reads: gone
        if self.fused:
            start = [_FUSED_SIGNATURE, *fused_validation(policy.checked.sections, self.const, self.fact_names)]
            head_source = "\n".join(["def f():", "    pass", *("    " + line for line in head)])
            head_read = {node.id for node in ast.walk(ast.parse(head_source)) if isinstance(node, ast.Name)}
            if (read | head_read) & {"facts", "get"}:
                # A construct that reads the facts as a dict (none of the shipped policies' does): make it.
                self.namespace["facts_of"] = case_module.facts_of
                start += [f"    facts = facts_of({self.const(keys)}, {self.locals_of(self.fact_names)}, "
                          f"{self.const(case_module.closed_world_defaults(policy.checked.sections))})",
                          "    get = facts.get"]
        else:
            start = [self.trace.signature, "    get = facts.get"]
        lines = [*start,
                 *("    " + line for line in fetch),
                 "    missing = set()",
                 "    notices = []",
                 "    # requirements (eligibility, renewals and `satisfies` read them)",
                 *("    " + line for line in head),
                 *prelude,
                 *body]
        source = "\n".join(lines) + "\n"
        if self.run != frozenset(q.name for q in questions.QUESTIONS):
            _check_defined(source, self.namespace)
        return source, self.namespace

    def localised(self, lines: list[str]) -> list[str]:
        """``lines`` with each ``get('section.fact')`` a question wrote read from the fact's local (fused).
        Fact keys are names, written by ``repr``: the pattern cannot meet one inside another literal."""
        names = self.fact_names

        def local(match) -> str:
            return names.get(match.group(1)) or match.group(0)
        return [_GET.sub(local, line) for line in lines]

    def referenced(self, predicate: str) -> tuple:
        """The compiled rules a predicate over provisions refers to (``satisfies`` → requirements)."""
        return self.policy.rules_of(questions.referenced(predicate).field)

    def rule_value(self, rule: CRule, name: str) -> None:
        if rule.expr is None:
            self.emit(f"{name} = True")
        else:
            self.emit(f"{name} = {self.expr(rule.expr)}")

    def applicable(self, rules) -> str | None:
        """A test that some section the rules read is present; None if the rules read no section."""
        read = self.policy.sections_read(rules)
        return f"not sections.isdisjoint({self.const(read)})" if read else None


#: What only the evaluator's own function can value: a quantifier's loop, derived dates and values.
_EVALUATOR_ONLY = (n.Quantifier, n.Satisfies, n.Violates, n.Expired, n.Dismissed, n.LastDay, n.DismissalDay,
                   n.TermNumber, n.DateAfter, n.DateBefore, n.Deadline)


class ExpressionWriter:
    """The generated evaluator's translation of a policy's checked expressions into Python source, for
    further generated functions of the same policy (``explain.generated``): ``value(e)`` is the source
    of ``e``'s value over the locals ``get`` (``facts.get``), ``sections`` and ``as_of``, exactly as the
    evaluator computes it; ``load`` verifies and runs a function written with it. Raises ``Unsupported``
    for what it does not translate (a quantifier's loop, ``satisfies``, ``violates``, derived dates)."""

    def __init__(self, policy: CompiledPolicy):
        self._generator = _Generator(policy)
        self._generator.fact_names = {}  # facts are read with `get`, not from locals

    def value(self, e) -> str:
        g = self._generator
        if n.contains(e, _EVALUATOR_ONLY):
            raise Unsupported("a part that needs the evaluator's statements or locals")
        source = g.expr(e)
        if g.pending:
            g.pending = []
            raise Unsupported("statements before the expression")
        return source

    def const(self, value) -> str:
        """A name bound to ``value`` in the namespace (values never enter the source as text)."""
        return self._generator.const(value)

    def bind(self, name: str, value) -> None:
        """Bind a helper the written functions call."""
        if self._generator.namespace.setdefault(name, value) is not value:
            raise UnsafeSource(f"two meanings for {name!r} in the generated code's namespace")

    def load(self, source: str, name: str, parameters: tuple, filename: str) -> Callable:
        """Verify ``source`` (one plain function ``name(*parameters)``, the generator's constructs only) and
        return the function."""
        with WRITING:
            namespace = self._generator.namespace
            verify(source, namespace, name, parameters)
            return _load(source, namespace, name, filename)


def _number_fields(types) -> frozenset[str]:
    """The names of the record fields of ``types`` (at any depth) declared numbers."""
    out: set[str] = set()
    seen: set[int] = set()
    todo = list(types)
    while todo:
        kind = todo.pop()
        if isinstance(kind, ListT):
            todo.append(kind.element)
        elif isinstance(kind, RecordT) and id(kind) not in seen:
            seen.add(id(kind))
            for name, info in kind.fields.items():
                if info.type == NUMBER:
                    out.add(name)
                todo.append(info.type)
    return frozenset(out)


def _check_defined(source: str, namespace: dict) -> None:
    """Every name the function reads is bound: an argument, the namespace's, or a local it assigns. Left
    out, a question another reads would make a NameError at run time; here it makes ``Unsupported`` (the
    interpreter serves), and the tests hold ``questions.needed`` to never come to that."""
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    bound = {arg.arg for arg in function.args.args} | set(namespace)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound:
            raise Unsupported(f"`{node.id}` is read but not decided")


# ------------------------------------------------------------------ the trace
class NoTrace:
    """The trace of an untraced evaluator: records nothing, and what the emitters hand it for a record is
    never built (an outcome or values given as a function are not called)."""

    signature = "def evaluate(facts, sections, as_of, calendar_source):"

    def site(self, rule: CRule):
        """The trace site of a rule's own step; None untraced."""
        return None

    def named(self, name: str):
        """A trace site a question makes itself (``Question.sites``), by name; None untraced."""
        return None

    def step(self, site, outcome, values=None, indent: int = 0) -> None:
        """Code recording a step of ``site``: ``outcome`` (code, or a function giving it) and the values
        it shows (code for each; a function of the site giving them; by default its facts now),
        ``indent`` levels deeper than the code around."""

    def otherwise(self, site, outcome) -> None:
        """An ``else:`` branch recording a step (the case an untraced evaluator need not test)."""

    def held(self, site, value: str, name: str) -> str:
        """``value`` as the code to test; traced, first kept in ``name`` and recorded as the step's outcome."""
        return value

    def fetched_facts(self) -> tuple[dict[str, str], list[str]]:
        """(fact key → the local holding it, the lines fetching them): the facts steps show, fetched once."""
        return {}, []


class TraceRecorder(NoTrace):
    """The trace of a traced evaluator: each step the interpreter would note becomes
    ``trace.append((site, outcome, *values))``, the site bound in the namespace like any other constant."""

    signature = "def evaluate_traced(facts, sections, as_of, calendar_source, trace):"

    def __init__(self, gen: _Generator, sites: runtime.Sites):
        self.gen = gen
        self.sites = sites

    def site(self, rule: CRule):
        return self.sites[rule]

    def named(self, name: str):
        return self.sites.named[name]

    def step(self, site, outcome, values=None, indent: int = 0) -> None:
        gen = self.gen
        if callable(outcome):
            outcome = outcome()
        if callable(values):
            values = values(site)
        if values is None:
            values = [gen.fact_names.get(k) or f"get({gen.text(k)})" for k in site.keys]
        gen.depth += indent
        gen.emit(f"trace.append(({gen.const(site)}, {outcome}{''.join(', ' + v for v in values)}))")
        gen.depth -= indent

    def otherwise(self, site, outcome) -> None:
        self.gen.emit("else:")
        self.step(site, outcome, indent=1)

    def held(self, site, value: str, name: str) -> str:
        self.gen.emit(f"{name} = {value}")
        self.step(site, name)
        return name

    def fetched_facts(self) -> tuple[dict[str, str], list[str]]:
        # The facts never change during an evaluation.
        gen = self.gen
        declared = {f"{name}.{field}" for name, section in gen.policy.checked.sections.items()
                    for field in section.fields}
        names: dict[str, str] = {}
        fetch: list[str] = []
        for site in self.sites.all():
            for key in site.keys:
                if key in declared and key not in names:
                    names[key] = f"fact{len(names)}"
                    fetch.append(f"{names[key]} = get({gen.text(key)})")
        return names, fetch


# ------------------------------------------------------------------ the fused evaluator's reading of the case
_FUSED = ("decide", ("case", "as_of", "calendar_source"))
_FUSED_SIGNATURE = "def decide(case, as_of, calendar_source):"
#: A question's own fetch of a fact (``get('section.fact')``), which a fused evaluator reads from a local.
_GET = re.compile(r"(?<![\w.])get\('([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)'\)")
#: Up to this many sections, the set of those present is looked up by a bit mask (2**n sets made once).
_MASKED_SECTIONS = 8


def fused_validation(sections, const: Callable[[object], str], names: dict[str, str]) -> list[str]:
    """The start of a fused evaluator: the case checked as ``validator`` checks it, each fact read into
    its local (``names``: fact key → local), closed-world facts defaulted; ``return None`` on anything
    ``validator`` would not accept. Ends with ``sections`` (those present) and ``as_of`` set."""
    text = _Generator.text
    allowed = frozenset([*sections, "as_of"])
    lines = ["    if type(case) is not dict or not case.keys() <= " + const(allowed) + ":",
             "        return None"]
    masked = len(sections) <= _MASKED_SECTIONS
    lines.append("    mask = 0" if masked else "    present = []")
    for j, (name, section) in enumerate(sections.items()):
        locals_ = [names[f"{name}.{fname}"] for fname in section.fields]
        lines.append(f"    sv = case.get({text(name)})")
        lines.append("    if sv is None:")
        if locals_:
            lines.append(f"        {' = '.join(locals_)} = None")
        else:
            lines.append("        pass")
        lines.append("    else:")
        body = "        "
        lines.append(f"{body}if type(sv) is not dict or not sv.keys() <= {const(frozenset(section.fields))}:")
        lines.append(f"{body}    return None")
        lines.append(f"{body}mask |= {1 << j}" if masked else f"{body}present.append({text(name)})")
        for fname, info in section.fields.items():
            v = names[f"{name}.{fname}"]
            try:
                check = case_module.value_check(info.type)
            except case_module.Unplanned:
                raise Unsupported(repr(info.type)) from None
            lines.append(f"{body}{v} = sv.get({text(fname)})")
            if check is None:  # most values are true, then false
                lines.append(f"{body}if {v} is not True and {v} is not False and {v} is not None:")
                lines.append(f"{body}    return None")
                continue
            lines.append(f"{body}if {v} is not None:")
            lines += _value_check(v, check, body + "    ", const, "dv")
        for fname, info in section.fields.items():
            if info.closed:  # a closed-world fact not given (or null) takes its declared default
                v = names[f"{name}.{fname}"]
                default = info.default
                shown = repr(default) if default is True or default is False else const(default)
                lines.append(f"    if {v} is None:")
                lines.append(f"        {v} = {shown}")
    if masked:
        names_ = list(sections)
        table = tuple(frozenset(names_[j] for j in range(len(names_)) if mask & (1 << j))
                      for mask in range(1 << len(names_)))
        lines.append(f"    sections = {const(table)}[mask]")
    else:
        lines.append("    sections = frozenset(present)")
    lines += ["    if as_of is None:",
              "        as_of = case.get('as_of')",
              "        dv = DATES.get(as_of) if type(as_of) is str else None",
              "        if dv is None:",
              "            dv = DATE(as_of)",
              "            if dv is BAD:",
              "                return None",
              "        as_of = dv"]
    return lines


# ------------------------------------------------------------------ helpers the generated code calls
def _add_partly_missing_of(missing: set, values: tuple, partial: tuple) -> None:
    """``add_partly_missing`` for a fused evaluator: ``values`` are the lists of ``partial``'s keys."""
    missing.update(partly_missing(dict(zip([key for key, _ in partial], values)), partial))


def _violated_of(values: tuple, checks: tuple) -> bool | None:
    """``violates`` for a fused evaluator: ``checks`` name the facts by their place in ``values``."""
    return violated(values.__getitem__, checks)


#: What a fused evaluator calls besides the evaluator's names: the case's checks and the helpers that
#: read facts from locals.
_FUSED_NAMESPACE = {"type": type, "dict": dict, "str": str, "frozenset": frozenset, "DATE": case_module.check_date,
                    "DATES": case_module.DATES, "BAD": case_module.BAD,
                    "add_partly_missing_of": _add_partly_missing_of, "violates_of": _violated_of}


def _add_missing(missing: set, facts: dict, keys: tuple) -> None:
    for key in keys:
        if key not in facts:
            missing.add(key)


def _add_partly_missing(missing: set, facts: dict, partial: tuple) -> None:
    missing.update(partly_missing(facts, partial))


# ------------------------------------------------------------------ case validation
def validator(sections) -> Callable | None:
    """``(case, as_of, defaults) -> (facts, present sections, as_of)`` for plain, valid cases, else None.

    The fast path of ``case.validate``: a straight run over each section's declared
    facts. It answers None for anything it does not accept — a problem, a value of
    an unexpected type — and ``case.validate`` then takes its thorough path, which
    finds and explains the problems. So it only ever agrees with that path.
    """
    try:
        with WRITING:
            source, namespace = validator_source(sections)
            return _load(source, namespace, "validate", "<case validation>")
    except (Unsupported, SyntaxError, RecursionError, MemoryError):
        return None


def validator_source(sections) -> tuple[str, dict]:
    namespace: dict = {"__builtins__": {}, "dict": dict, "type": type, "str": str, "list": list,
                       "frozenset": frozenset, "DATE": case_module.check_date, "DATES": case_module.DATES,
                       "BAD": case_module.BAD}
    def const(value) -> str:
        name = f"K{len(namespace)}"
        namespace[name] = value
        return name

    text = _Generator.text
    lines = ["def validate(case, as_of, defaults):",
             "    if type(case) is not dict:",
             "        return None",
             "    facts = dict(defaults)",
             "    present = []",
             "    for key, value in case.items():"]
    first = True
    for name, section in sections.items():
        lines.append(f"        {'if' if first else 'elif'} key == {text(name)}:")
        first = False
        lines.append("            if value is not None:")
        body = "                "
        lines.append(f"{body}if type(value) is not dict or not value.keys() <= {const(frozenset(section.fields))}:")
        lines.append(f"{body}    return None")
        lines.append(f"{body}present.append(key)")
        for fname, info in section.fields.items():
            try:
                check = case_module.value_check(info.type)
            except case_module.Unplanned:
                raise Unsupported(repr(info.type)) from None
            lines.append(f"{body}v = value.get({text(fname)})")
            lines.append(f"{body}if v is not None:")
            lines += _value_check("v", check, body + "    ", const, "d")
            lines.append(f"{body}    facts[{text(name + '.' + fname)}] = v")
    if first:
        lines.append("        if key != 'as_of':")
    else:
        lines.append("        elif key != 'as_of':")
    lines.append("            return None")
    lines += ["    if as_of is None:",
              "        as_of = DATE(case.get('as_of'))",
              "        if as_of is BAD:",
              "            return None",
              "    return facts, frozenset(present), as_of"]
    return "\n".join(lines) + "\n", namespace


def _value_check(v: str, check, body: str, const, spare: str) -> list[str]:
    """The lines (indented by ``body``) that check a case's non-null value in the variable ``v`` as
    ``case.value_check`` would, converting it where it converts (a date's text to a date, through
    ``spare``), and ``return None`` where that check would find a problem."""
    if check is None:
        return [f"{body}if {v} is not True and {v} is not False:", f"{body}    return None"]
    if check is case_module.check_text:
        return [f"{body}if type({v}) is not str:", f"{body}    return None"]
    if hasattr(check, "enum_values"):
        return [f"{body}if type({v}) is not str or {v} not in {const(check.enum_values)}:", f"{body}    return None"]
    if check is case_module.check_date:  # dates repeat across cases: most are in the cache of parsed dates
        return [f"{body}{spare} = DATES.get({v}) if type({v}) is str else None", f"{body}if {spare} is None:",
                f"{body}    {spare} = DATE({v})", f"{body}    if {spare} is BAD:", f"{body}        return None",
                f"{body}{v} = {spare}"]
    return [f"{body}{v} = {const(check)}({v})", f"{body}if {v} is BAD:", f"{body}    return None"]


# ------------------------------------------------------------------ verification
_EVALUATE = ("evaluate", ("facts", "sections", "as_of", "calendar_source"))
_METHODS = frozenset({"get", "append", "add", "isdisjoint", "get_or_make", "items", "keys"})
_ATTRIBUTES = _METHODS | {"start", "year", "month", "day"}
_NODES = (ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Return, ast.Assign, ast.AugAssign, ast.If,
          ast.For, ast.Pass, ast.BitOr, ast.Expr, ast.Name, ast.Load, ast.Store, ast.Constant, ast.Tuple, ast.List,
          ast.Set, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.NamedExpr, ast.Call, ast.Attribute,
          ast.Subscript, ast.BinOp, ast.And, ast.Or, ast.Not, ast.Is, ast.IsNot, ast.Eq, ast.NotEq, ast.Lt,
          ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.USub)


class UnsafeSource(Exception):
    """Generated source that strays outside what the generator may emit (a bug, never a rule file's doing)."""


def verify(source: str, namespace: dict, name: str = _EVALUATE[0], parameters: tuple = _EVALUATE[1]) -> None:
    """Reject source with anything but the generator's own constructs.

    Allowed: one plain function ``name(*parameters)``; names that are its
    parameters, its own local variables or bound in ``namespace`` (which must
    carry no builtins, so nothing else is reachable); calls of namespace names,
    of the local ``get = facts.get`` and of the methods ``get``, ``append``, ``add``
    (a set's: the missing facts), ``isdisjoint``, ``get_or_make``, ``items`` and ``keys``; the attributes
    ``start``, ``year``, ``month`` and ``day``; constants of type None, bool, int and str; assignments, ``if``,
    ``for``, ``return``, comparisons, boolean and conditional expressions, ``*x`` in a tuple or list
    display. Raises ``UnsafeSource`` otherwise.
    """
    tree = ast.parse(source)
    function = tree.body[0] if len(tree.body) == 1 else None
    if (not isinstance(function, ast.FunctionDef) or function.name != name or function.decorator_list
            or function.returns is not None or function.args.defaults or function.args.kwonlyargs
            or function.args.vararg or function.args.kwarg or function.args.posonlyargs
            or tuple(a.arg for a in function.args.args) != parameters):
        raise UnsafeSource(f"expected exactly one plain function {name}({', '.join(parameters)})")
    if namespace.get("__builtins__") != {}:
        raise UnsafeSource("the namespace must not give access to builtins")
    local = set(parameters)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
    # `*x` only inside a tuple or list display (never a call's: that is CALL_FUNCTION_EX, refused below too).
    unpacked = {id(item) for node in ast.walk(tree) if isinstance(node, (ast.Tuple, ast.List))
                for item in node.elts if isinstance(item, ast.Starred)}
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Starred) and id(node) in unpacked:
            continue
        if not isinstance(node, _NODES):
            raise UnsafeSource(f"unexpected {type(node).__name__} at {where}")
        if isinstance(node, ast.arg) and node.annotation is not None:
            raise UnsafeSource(f"unexpected annotation at {where}")
        if isinstance(node, ast.Constant) and not (node.value is None or type(node.value) in (bool, int, str)):
            raise UnsafeSource(f"unexpected constant {node.value!r} at {where}")
        if isinstance(node, ast.Name):
            if node.id.startswith("_") or (node.id not in namespace and node.id not in local):
                raise UnsafeSource(f"unexpected name {node.id!r} at {where}")
            if isinstance(node.ctx, ast.Store) and node.id in namespace:
                raise UnsafeSource(f"assignment to bound name {node.id!r} at {where}")
        if isinstance(node, ast.Attribute) and node.attr not in _ATTRIBUTES:
            raise UnsafeSource(f"unexpected attribute {node.attr!r} at {where}")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id not in namespace and func.id != "get":  # get = facts.get
                    raise UnsafeSource(f"call of {func.id!r} at {where}")
            elif not (isinstance(func, ast.Attribute) and func.attr in _METHODS):
                raise UnsafeSource(f"unexpected call at {where}")
            if node.keywords:
                raise UnsafeSource(f"unexpected keyword arguments at {where}")


_DENIED = frozenset(dis.opmap[name] for name in (
    "IMPORT_NAME", "IMPORT_FROM", "IMPORT_STAR", "STORE_GLOBAL", "DELETE_GLOBAL", "STORE_NAME", "DELETE_NAME",
    "LOAD_NAME", "STORE_ATTR", "DELETE_ATTR", "DELETE_SUBSCR", "MAKE_FUNCTION", "LOAD_BUILD_CLASS",
    "YIELD_VALUE", "RETURN_GENERATOR", "SETUP_ANNOTATIONS", "LOAD_CLOSURE", "LOAD_DEREF", "STORE_DEREF",
    "DELETE_DEREF", "LOAD_CLASSDEREF", "CALL_FUNCTION_EX", "RAISE_VARARGS", "BEFORE_WITH", "SEND",
    "GET_AWAITABLE", "PRINT_EXPR", "KW_NAMES") if name in dis.opmap)
_MODULE_OPS = frozenset(dis.opmap[name] for name in (
    "CACHE", "NOP", "RESUME", "LOAD_CONST", "MAKE_FUNCTION", "STORE_NAME", "RETURN_VALUE", "RETURN_CONST")
    if name in dis.opmap)


def _plain(value) -> bool:
    if value is None or type(value) in (bool, int, str):
        return True
    return type(value) is tuple and all(_plain(item) for item in value)


def verify_code(code: types.CodeType, namespace: dict, name: str) -> None:
    """Check compiled generated code before it runs; raises ``UnsafeSource``.

    The module may only define the one function ``name``. The function may use
    only plain constants, no nested code, no closures, and only names bound in
    ``namespace`` (which must carry no builtins) or the known methods; its
    bytecode may not import, store or delete globals or attributes, make
    functions or classes, pass keyword arguments, or raise."""
    if namespace.get("__builtins__") != {}:
        raise UnsafeSource("the namespace must not give access to builtins")
    functions = [c for c in code.co_consts if isinstance(c, types.CodeType)]
    if (len(functions) != 1 or functions[0].co_name != name or code.co_names != (name,)
            or not set(code.co_code[::2]) <= _MODULE_OPS
            or not all(_plain(c) or c is functions[0] for c in code.co_consts)):
        raise UnsafeSource(f"expected a module defining one function {name}")
    function = functions[0]
    if function.co_freevars or function.co_cellvars or function.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE
                                                                          | inspect.CO_VARARGS
                                                                          | inspect.CO_VARKEYWORDS):
        raise UnsafeSource(f"{name} must be a plain function")
    for constant in function.co_consts:
        if not _plain(constant):
            raise UnsafeSource(f"unexpected constant {constant!r} in {name}")
    for used in function.co_names:
        if used.startswith("_") or (used not in namespace and used not in _ATTRIBUTES):
            raise UnsafeSource(f"{name} uses {used!r}")
    denied = set(function.co_code[::2]) & _DENIED
    if denied:
        raise UnsafeSource(f"{name} uses {', '.join(sorted(dis.opname[op] for op in denied))}")
