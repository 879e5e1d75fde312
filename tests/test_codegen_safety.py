"""A hostile rule file cannot inject code through the code generator (codegen.py).

Policies are compiled to Python source. Rule text reaches that source only as
fact keys and enum values — names, by the grammar — through ``repr``; every
other text, date and value is bound in the function's namespace instead. The
compiled code is checked before it runs (``verify_code``), and the source's
syntax tree can be checked too (``verify``). These tests try to break out.
"""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.contracts import case as case_module
from supervisor_rules.engine import codegen, runtime

PAYLOADS = [
    '"); __import__("os").system("echo pwned") #',
    "'); __import__('os').system('echo pwned') #",
    '""" + __import__("os").getcwd() + """',
    "\\n__import__('os').system('echo pwned')\\n",
    "{__import__('os')}",
    "\\\\'; raise SystemExit #",
    "第一条 ) or __import__('subprocess').run('id') or (",
]


def hostile_policy() -> str:
    def s(payload: str) -> str:
        return '"' + payload.replace('"', '\\"') + '"'
    notices = "\n".join(f"  notice {s(p)} when p.a" for p in PAYLOADS)
    return f"""
policy hostile
  title {s(PAYLOADS[0])}
  authority {s(PAYLOADS[1])}

enum kind {s(PAYLOADS[2])} {{ 甲 {s(PAYLOADS[3])}, other {s(PAYLOADS[4])} }}

facts p {s(PAYLOADS[5])} {{
  a: bool {s(PAYLOADS[6])}
  b: bool = false {s(PAYLOADS[0])}
  k: kind {s(PAYLOADS[1])}
  ks: list of kind = [] {s(PAYLOADS[2])}
  on: date {s(PAYLOADS[3])}
  done: date {s(PAYLOADS[3])}
  start: date {s(PAYLOADS[4])}
}}

article 1 {s(PAYLOADS[0])}
  (1) {s(PAYLOADS[1])}
    require p.a and not p.b
  (2) 「{PAYLOADS[3]}」
    require p.k = 甲 or p.ks has any of {{甲, other}}
{notices}

article 2 {s(PAYLOADS[2])}
  term 2 years from p.start
  automatic when expired
  mandatory when p.b

article 3 {s(PAYLOADS[4])}
  prohibit p.ks: other
  duty report_it when p.on is known
    due 7 calendar days after p.on
    done on p.done
  reward when p.a under {s(PAYLOADS[5])}
  report category when p.k in {{甲}}
"""


@pytest.fixture()
def no_processes(monkeypatch):
    """Fail loudly if anything tries to start a process or run a shell command."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"code tried to run a command: {args!r}")
    monkeypatch.setattr(os, "system", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


TRACED = ("evaluate_traced", ("facts", "sections", "as_of", "calendar_source", "trace"))


@pytest.mark.parametrize("traced", [False, True], ids=["plain", "traced"])
def test_hostile_texts_stay_data(no_processes, traced):
    policy = sr.parse_policy(hostile_policy(), "hostile.rules")
    source, namespace = codegen.source_of(policy._compiled, traced)
    codegen.verify(source, namespace, *(TRACED if traced else ()))
    # No rule text is in the source; the payloads live in the namespace as data.
    for payload in PAYLOADS:
        assert payload not in source
        for line in payload.split("\\n"):
            if len(line) > 12:
                assert line not in source
    # Every string literal in the source is a fact key or an enum value the policy declares.
    declared = {f"{name}.{field}" for name, fields in policy.facts.items() for field in fields} | {"甲", "other"}
    literals = {node.value for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert literals <= declared, literals - declared

    assert runtime.fast_path(policy._compiled) is not None
    assert runtime.traced_path(policy._compiled) is not None
    cases = [
        {"as_of": "2024-01-01", "p": {"a": True, "k": "甲", "ks": ["other"], "on": "2023-12-20",
                                      "start": "2021-06-30"}},
        {"as_of": "2024-01-01", "p": {"a": False, "b": True, "done": "2023-12-01", "on": "2023-11-30"}},
        {"as_of": "2024-01-01", "p": {}},
        {"as_of": "2024-01-01"},
    ]
    for case in cases:
        facts, present, as_of = case_module.validate(policy._sections, case, None, policy._defaults)
        calendar = lambda: policy.calendar  # noqa: E731
        assert policy.evaluate(case) == runtime.interpret(policy._compiled, facts, present, as_of, calendar)
        trace: list = []
        reference = runtime.interpret(policy._compiled, facts, present, as_of, calendar, trace)
        assert runtime.evaluate_traced(policy._compiled, facts, present, as_of, calendar) == (reference, trace)
    decision = policy.evaluate(cases[0])
    messages = [n.message for n in decision.notices]
    assert len(messages) == len(PAYLOADS) and "\n__import__('os').system('echo pwned')\n" in messages
    for message in messages:  # as the parser read them (escapes decoded): data, not source
        for line in message.splitlines():
            assert len(line) < 12 or line not in source
    assert decision.to_dict()["explanation"]


def test_fused_source_holds_only_declared_names(no_processes):
    # The fused evaluator reads the raw case: its literals are also the section and field names.
    policy = sr.parse_policy(hostile_policy(), "hostile.rules")
    source, namespace = codegen.source_of(policy._compiled, fused=True)
    codegen.verify(source, namespace, "decide", ("case", "as_of", "calendar_source"))
    for payload in PAYLOADS:
        assert payload not in source
    declared = ({f"{name}.{field}" for name, fields in policy.facts.items() for field in fields}
                | {"甲", "other", "as_of"} | set(policy.facts)
                | {field for fields in policy.facts.values() for field in fields})
    literals = {node.value for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert literals <= declared, literals - declared
    assert runtime.fused_path(policy._compiled) is not None
    case = {"as_of": "2024-01-01", "p": {"a": True, "k": "甲", "ks": ["other"], "on": "2023-12-20"}}
    assert policy.evaluate(case) == policy.evaluate_with("interpreter", case)


def test_validator_source_holds_only_declared_names():
    policy = sr.parse_policy(hostile_policy(), "hostile.rules")
    source, namespace = codegen.validator_source(policy._sections)
    codegen.verify(source, namespace, "validate", ("case", "as_of", "defaults"))
    for payload in PAYLOADS:
        assert payload not in source


BREAKOUTS = [
    "    return __import__('os').system('echo pwned')",
    "    import os",
    "    global K1\n    K1 = 1",
    "    x = facts.__class__",
    "    x = (lambda: 1)()",
    "    x = [y for y in facts]",
    "    x = open('/etc/passwd')",
    "    x = eval('1')",
    "    x = facts.get.__self__",
    "    facts.extra = 1",
    "    del facts['a']",
    "    raise SystemExit",
    "    with facts: pass",
    "    x = 1.5",
    "    x = b'bytes'",
    "    x = get(*facts)",
    "    x = get(key=1)",
    "    async def inner(): pass",
]


@pytest.mark.parametrize("body", BREAKOUTS)
def test_tampered_code_is_refused(body):
    """Whatever the generator might be tricked into writing, neither check lets it through."""
    source = f"def evaluate(facts, sections, as_of, calendar_source):\n    get = facts.get\n{body}\n    return None\n"
    namespace = {"__builtins__": {}, "K1": 1}
    with pytest.raises(codegen.UnsafeSource):
        codegen.verify(source, namespace)
    try:
        code = compile(source, "<tampered>", "exec")
    except SyntaxError:
        return
    with pytest.raises(codegen.UnsafeSource):
        codegen.verify_code(code, namespace, "evaluate")


def test_the_namespace_carries_no_builtins():
    source = "def evaluate(facts, sections, as_of, calendar_source):\n    return None\n"
    for namespace in ({}, {"__builtins__": __builtins__}):
        with pytest.raises(codegen.UnsafeSource):
            codegen.verify(source, namespace)
        with pytest.raises(codegen.UnsafeSource):
            codegen.verify_code(compile(source, "<x>", "exec"), namespace, "evaluate")


def test_shipped_policies_pass_both_checks():
    root = Path(__file__).parent.parent / "policies"
    for city in ("wuhan", "guangxi"):
        policy = sr.load_policy(root / f"{city}.rules")
        source, namespace = codegen.source_of(policy._compiled)
        codegen.verify(source, namespace)
        codegen.verify_code(compile(source, "<x>", "exec"), namespace, "evaluate")
        source, namespace = codegen.source_of(policy._compiled, traced=True)
        codegen.verify(source, namespace, *TRACED)
        codegen.verify_code(compile(source, "<x>", "exec"), namespace, "evaluate_traced")
        source, namespace = codegen.validator_source(policy._sections)
        codegen.verify(source, namespace, "validate", ("case", "as_of", "defaults"))
        source, namespace = codegen.source_of(policy._compiled, fused=True)
        codegen.verify(source, namespace, "decide", ("case", "as_of", "calendar_source"))
        codegen.verify_code(compile(source, "<x>", "exec"), namespace, "decide")
