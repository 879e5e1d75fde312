"""Reason trees of conditions as generated code: the leaves ``Explainer.why`` would give, written once
per condition as one Python function (through ``codegen.ExpressionWriter``, so every part is valued
exactly as the evaluator values it), instead of walking the condition node by node for every decision.

Only the conditions made of junctions (``and``, ``or``, ``not``) over facts, comparisons of facts,
literals, names and ``as_of``, membership tests and ``known`` are written so; anything else (a
quantifier, a derived date, ``satisfies`` …) is left to the ``Explainer``, which calls the written
function for each part that is of this kind. The leaves are the same, in the same order:
``tests/test_explanations.py`` compares both ways on every sample case.

A written function ``why(facts, sections, as_of)`` returns the flat list of leaves. It is used where it
reads the case's facts only (no path starts with the variable of a renewal or list entry being explained,
``heads``) and where the leaves it can make fit under ``MAX_LEAVES`` (``bound``), so that the
``Explainer`` would not have cut it short.
"""

from __future__ import annotations

import threading
from typing import Callable

from supervisor_rules.engine.codegen import ExpressionWriter, Unsupported, UnsafeSource
from supervisor_rules.engine.compiler import CompiledPolicy
from supervisor_rules.lang import nodes as n

#: At most this many nodes in one written condition (a larger one is walked by the ``Explainer``).
MAX_NODES = 300
#: At most this many junctions nested in one written condition (each is a level of indentation, and
#: Python's parser takes at most 100).
MAX_NESTING = 20

#: The operands a written comparison may have.
_SIDES = (n.Path, n.Literal, n.Name, n.AsOf)
#: The tests over a fact whose reason is the fact.
_TESTS = (n.Member, n.Has, n.HasAny, n.IsEmpty)


class Written:
    """The written reason function of a condition, the most leaves it makes, and the first names of the
    paths it reads (``heads``: a section's, or a renewal's or list entry's variable)."""

    __slots__ = ("why", "bound", "heads")

    def __init__(self, why: Callable, bound: int, heads: frozenset):
        self.why, self.bound, self.heads = why, bound, heads


class Writer:
    """Writes conditions' reason functions for one compiled policy, on demand (``of``), each once."""

    def __init__(self, compiled: CompiledPolicy, plain: Callable, side_text: Callable[[object], str]):
        self.writer = ExpressionWriter(compiled)
        self.side_text = side_text
        self.writer.bind("plain", plain)
        self.writer.bind("fact_leaf", lambda key, value: {"fact": key, "value": plain(value)})
        self.writer.bind("compare_leaf", lambda left, lv, op, right, rv: {
            "compare": [left, plain(lv), op, right, plain(rv)]})
        self.written: dict[int, Written | None] = {}  # id of a checked node → its function, or None
        self.values: dict[int, Callable | None] = {}  # id of a checked node → its value's function, or None
        self.lock = threading.Lock()

    def of(self, e) -> Written | None:
        """The written reason function of condition ``e``, or None where the ``Explainer`` walks it."""
        return self._memo(self.written, e, self._write)

    def value_of(self, e) -> Callable | None:
        """The written function ``value(facts, sections, as_of)`` of condition ``e``'s value, or None."""
        return self._memo(self.values, e, self._write_value)

    def _memo(self, table: dict, e, write: Callable):
        """``table``'s entry for ``e``, written on first use (None for what is not writable, or refused)."""
        try:
            return table[id(e)]
        except KeyError:
            pass
        # One writer at a time: the functions share one namespace of constants (``serve`` explains
        # decisions in several threads).
        with self.lock:
            if id(e) in table:
                return table[id(e)]
            found = None
            if writable(e):
                try:
                    found = write(e)
                except (Unsupported, UnsafeSource, SyntaxError, RecursionError, MemoryError):
                    found = None
            table[id(e)] = found
            return found

    def _write_value(self, e) -> Callable:
        body = _Body(self.writer, self.side_text)
        result = body.value(e)
        lines = ["def value(facts, sections, as_of):", "    get = facts.get", *body.values, f"    return {result}"]
        return self.writer.load("\n".join(lines), "value", ("facts", "sections", "as_of"), "<values>")

    def _write(self, e) -> Written:
        body = _Body(self.writer, self.side_text)
        body.why(e)
        lines = ["def why(facts, sections, as_of):", "    get = facts.get", *body.values, "    out = []",
                 *body.lines, "    return out"]
        fn = self.writer.load("\n".join(lines), "why", ("facts", "sections", "as_of"), "<reasons>")
        return Written(fn, leaves(e), frozenset(node.parts[0] for node in n.walk(e) if isinstance(node, n.Path)))


def writable(e, depth: int = 0) -> bool:
    """Whether ``e`` is a condition the writer writes (and small enough)."""
    count = 0
    stack = [(e, depth)]
    while stack:
        node, level = stack.pop()
        count += 1
        if count > MAX_NODES or level > MAX_NESTING:
            return False
        if isinstance(node, (n.And, n.Or)):
            stack.extend((part, level + 1) for part in node.operands)
        elif isinstance(node, n.Not):
            stack.append((node.operand, level))
        elif isinstance(node, n.Compare):
            if not (isinstance(node.left, _SIDES) and isinstance(node.right, _SIDES)):
                return False
        elif isinstance(node, _TESTS):
            if not isinstance(node.operand, n.Path):
                return False
        elif isinstance(node, n.IsKnown):
            if not isinstance(node.operand, (n.Path, n.Name)):
                return False
        elif not isinstance(node, (n.Path, n.Literal)):
            return False
    return True


def leaves(e) -> int:
    """The most leaves the reason of a writable ``e`` has: one per fact and per comparison."""
    if isinstance(e, (n.And, n.Or)):
        return sum(leaves(part) for part in e.operands)
    if isinstance(e, n.Not):
        return leaves(e.operand)
    if isinstance(e, (n.Path, n.Compare, *_TESTS)):
        return 1
    if isinstance(e, n.IsKnown):
        return 1 if isinstance(e.operand, n.Path) else 0
    return 0


class _Body:
    """One function's statements: the values of the parts (``values``), then the leaves (``lines``)."""

    def __init__(self, writer: ExpressionWriter, side_text):
        self.writer, self.side_text = writer, side_text
        self.values: list[str] = []
        self.lines: list[str] = []
        self.names: dict[int, str] = {}  # id of a node → the local holding its value
        self.flags = 0
        self.depth = 1

    def value(self, e) -> str:
        """The local holding ``e``'s value (junctions from their parts' locals, as Kleene's logic)."""
        name = self.names.get(id(e))
        if name is not None:
            return name
        if isinstance(e, (n.And, n.Or)):
            parts = [self.value(part) for part in e.operands]
            dominant = isinstance(e, n.Or)
            held = " or ".join(f"{p} is {dominant}" for p in parts)
            unknown = " or ".join(f"{p} is None" for p in parts)
            source = f"({dominant} if {held} else None if {unknown} else {not dominant})"
        elif isinstance(e, n.Not):
            inner = self.value(e.operand)
            source = f"(None if {inner} is None else not {inner})"
        else:
            source = self.writer.value(e)
        name = self.names[id(e)] = f"v{len(self.names)}"
        self.values.append(f"    {name} = {source}")
        return name

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def why(self, e) -> None:
        """Statements appending the leaves of ``Explainer.why(e)`` to ``out``."""
        if isinstance(e, (n.And, n.Or)):
            self.junction(e, decisive=isinstance(e, n.Or))
        elif isinstance(e, n.Not):
            self.why(e.operand)
        elif isinstance(e, n.Path):
            self.emit(f"out.append(fact_leaf({self.writer.const(e.dotted)}, {self.value(e)}))")
        elif isinstance(e, n.Compare):
            left, right = self.side(e.left), self.side(e.right)
            self.emit(f"out.append(compare_leaf({self.writer.const(self.side_text(e.left))}, {left}, "
                      f"{self.writer.const(e.op)}, {self.writer.const(self.side_text(e.right))}, {right}))")
        elif isinstance(e, _TESTS) or (isinstance(e, n.IsKnown) and isinstance(e.operand, n.Path)):
            self.why(e.operand)
        # a literal, `known` of a section: no leaf

    def side(self, e) -> str:
        if isinstance(e, n.Path):
            return self.value(e)
        return self.writer.value(e)  # a literal's, a name's or as_of's value, as the evaluator has it

    def junction(self, e, decisive: bool) -> None:
        """``Explainer.junction``: the first part with the decisive value (of ``and``: every part that is
        false); else the unknown parts; else all of them."""
        values = [self.value(part) for part in e.operands]
        flags = [f"c{self.flags + i}" for i in range(len(values))]
        self.flags += len(values)
        self.emit(f"if {' or '.join(f'{v} is {decisive}' for v in values)}:")
        if decisive:  # `or`: the first true part
            for i, (flag, v) in enumerate(zip(flags, values)):
                earlier = " or ".join(flags[:i])
                self.emit(f"    {flag} = {v} is True" if not i else f"    {flag} = not ({earlier}) and {v} is True")
        else:
            for flag, v in zip(flags, values):
                self.emit(f"    {flag} = {v} is False")
        self.emit(f"elif {' or '.join(f'{v} is None' for v in values)}:")
        for flag, v in zip(flags, values):
            self.emit(f"    {flag} = {v} is None")
        self.emit("else:")
        self.emit(f"    {' = '.join(flags)} = True")
        for flag, part in zip(flags, e.operands):
            start = len(self.lines)
            self.emit(f"if {flag}:")
            self.depth += 1
            self.why(part)
            self.depth -= 1
            if len(self.lines) == start + 1:
                self.lines.pop()  # a part without leaves
