"""Every rule statement of the grammar is a node kind, and every node kind is taken by exactly one
decision question (``questions/``) or declared to decide nothing: no stage can drop a rule
silently. Read from the grammar itself and from ``nodes.Rule``; nothing here names a rule kind."""

from __future__ import annotations

import re

import attrs
import lark
import pytest

from supervisor_rules.contracts.decision import Decision
from supervisor_rules import questions
from supervisor_rules.lang import parser
from supervisor_rules.resources import grammar_path

RULE_NODES = set(questions.RULE_NODES)


def _statements() -> list[str]:
    """The alternatives of the grammar's ``_stmt`` production: one per rule statement."""
    grammar = grammar_path().read_text(encoding="utf-8")
    body = re.search(r"^_stmt:(.*?)(?=^\S)", grammar, re.M | re.S).group(1)
    return [alt.strip() for alt in body.replace("\n", " ").split("|")]


def test_every_statement_of_the_grammar_has_exactly_one_registered_syntax():
    statements = _statements()
    assert len(statements) >= 10, statements  # the production was read, not an empty match
    assert len(statements) == len(set(statements))
    assert sorted(statements) == sorted(questions.STATEMENTS), "the grammar's _stmt and the registry differ"
    for statement in statements:
        kinds = [kind for kind in questions.rule_kinds() if kind.statement == statement]
        builds = [kind for kind in questions.rule_kinds() if statement in kind.syntax]
        assert len(builds) <= 1 and kinds == builds, statement
    assert set(questions.STATEMENTS.values()) == RULE_NODES


def test_every_grammar_rule_a_kind_builds_exists():
    grammar = grammar_path().read_text(encoding="utf-8")
    defined = set(re.findall(r"^([a-z_]+):", grammar, re.M))
    assert set(questions.SYNTAX) <= defined


def test_a_statement_no_module_builds_fails_loudly(monkeypatch):
    """A grammar statement without a registered kind is refused when the parser is built, not parsed
    into a bare tree."""
    text = grammar_path().read_text(encoding="utf-8").replace("\n_stmt: ", "\n_stmt: stray | ", 1)
    assert "_stmt: stray" in text
    text += "\nstray: TEXT_ONLY TEXT_ONLY\n"
    grammar = lark.Lark(text, parser="lalr", lexer="contextual", maybe_placeholders=False)
    with pytest.raises(questions.UnregisteredRule, match="stray"):
        parser.check_statements(grammar)
    parser.check_statements(parser.tree_parser())  # the shipped grammar passes


def test_every_rule_node_is_a_frozen_attrs_class_with_a_span():
    for node in RULE_NODES:
        assert attrs.has(node) and attrs.fields(node)[-1].name == "span", node
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(node.__new__(node), "span", None)


def test_every_kind_has_its_parts_in_every_stage():
    for kind in questions.rule_kinds():
        assert callable(kind.check) and callable(kind.compile) and callable(kind.ref_reads), kind.node
        assert kind.statement in kind.syntax and kind.words and kind.word
        if kind.referenced_by is not None:
            assert kind.ref_holds is not None and kind.none_referenced and kind.referenced
    for question in questions.QUESTIONS:
        assert callable(question.interpret) and callable(question.generate) and callable(question.reference)
    orders = [q.order for q in questions.QUESTIONS]
    assert orders == sorted(set(orders))


@pytest.mark.parametrize("node", sorted(RULE_NODES, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_every_rule_node_is_registered_once(node):
    registered = [q.name for q in questions.QUESTIONS for kind in q.kinds if kind.node is node]
    if node in questions.NO_DECISION:
        assert registered == []
    else:
        assert len(registered) == 1, f"{node.__name__} is taken by {registered or 'no question'}"


def test_the_registry_holds_only_rule_nodes():
    assert {kind.node for kind in questions.rule_kinds()} | questions.NO_DECISION == RULE_NODES


def test_a_node_no_question_takes_is_an_error_not_a_skip():
    @attrs.frozen
    class Stray:
        span: object = None

    with pytest.raises(questions.UnregisteredRule, match="Stray"):
        questions.kind_of(Stray())


def test_every_decided_field_of_a_decision_has_exactly_one_question():
    decided = [field for q in questions.QUESTIONS for field in q.decides]
    fields = [f.name for f in attrs.fields(Decision)
              if not f.name.startswith("_") and f.name not in ("policy", "as_of", "missing_facts", "meta", "only")]
    assert sorted(decided) == sorted(fields)
    assert len(decided) == len(set(decided))


@pytest.mark.parametrize("node", sorted(RULE_NODES, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_every_rule_kind_says_what_the_tools_show(node):
    """Coverage's two sides and a diff's roles come from the kind's own module; a shipped rule of each
    kind is put in words by it."""
    import supervisor_rules as sr
    from supervisor_rules.tools import policytests

    kind = questions.kind_of(node.__new__(node)) if node not in questions.NO_DECISION else None
    if kind is None:
        return
    assert len(kind.sides) == 2 and all(kind.sides)
    rules = [r for pid in sr.builtin_policy_ids() for p in sr.builtin_policy(pid).compiled.checked.provisions
             for r in p.rules if type(r) is node]
    for rule in rules:
        words = policytests.describe_rule(rule)
        assert words and words != node.__name__
        for area, key, text in kind.roles(rule, policytests.WORDS):
            assert area and isinstance(key, tuple) and text
