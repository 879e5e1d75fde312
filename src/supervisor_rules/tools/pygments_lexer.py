"""A Pygments lexer for rule files, so documentation and terminals highlight them.

Installed with the ``highlight`` extra (``pip install 'supervisor-rules[highlight]'``)
it is registered under the ``pygments.lexers`` entry point: ``pygmentize -l
supervisor-rules FILE``, Sphinx or MkDocs code blocks marked ``supervisor-rules``
(or ``rules``), and any file named ``*.rules``.

The keyword patterns are the grammar's own terminals (``grammars/policy.lark``),
so the lexer knows every keyword in both languages, and a keyword added to the
grammar is highlighted without a change here.
"""

from __future__ import annotations

import functools
import re

from pygments.lexer import RegexLexer, bygroups
from pygments.token import (Comment, Keyword, Literal, Name, Number, Operator, Punctuation, String, Text,
                            Whitespace)

__all__ = ["SupervisorRulesLexer"]

# How each kind of keyword is shown; a terminal not listed is a plain Keyword.
_KINDS = {
    Keyword.Declaration: ("POLICY", "ENUM", "RECORD", "FACTS", "INVARIANT"),
    Keyword.Namespace: ("IMPORT",),
    Keyword.Type: ("BOOL", "DATE_TYPE", "TEXT_TYPE", "LIST_OF"),
    Keyword.Constant: ("TRUE", "FALSE", "TRIAL", "FINAL", "ISSUANCE", "EFFECT", "RECUSAL_KIND", "ACTOR",
                       "EXPIRED", "DISMISSED", "AS_OF", "UNIT"),
    Operator.Word: ("AND", "OR", "NOT", "IN", "NOT_IN", "HAS", "HAS_ANY", "IS_KNOWN", "IS_UNKNOWN", "IS_EMPTY",
                    "NOT_EMPTY"),
    Name.Label: ("CHAPTER", "ARTICLE", "PARAGRAPH", "ITEM", "SUB"),
}
_NOT_KEYWORDS = frozenset({"DATE"})


def _terminals():
    from supervisor_rules.lang import parser

    return parser.terminals()  # the grammar's terminals, without building a second parser


@functools.cache
def _keyword_rules() -> list[tuple[str, object]]:
    kind_of = {name: kind for kind, names in _KINDS.items() for name in names}
    rules = []
    for term in _terminals():
        if term.priority < 2 or term.name in _NOT_KEYWORDS:
            continue
        regex = term.pattern.to_regexp()
        if term.pattern.type == "str":
            regex = re.escape(term.pattern.value) + r"(?!\w)"
        rules.append((term.priority, len(term.pattern.value), regex, kind_of.get(term.name, Keyword)))
    # Higher priority first, then the longer pattern (`not in` before `not`).
    rules.sort(key=lambda r: (-r[0], -r[1]))
    return [(regex, kind) for _, _, regex, kind in rules]


def _tokens() -> dict:
    return {
        "root": [
            (r"[ \t\r\n\u3000]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"', String.Double, "string"),
            (r"「[^」\n]*」", String),
            (r"\d{4}-\d{2}-\d{2}(?!\d)", Literal.Date),
            # After a dot only a name can follow, keyword or not (`decision.status`).
            (r"(\.)([^\W\d]\w*)", bygroups(Punctuation, Name.Attribute)),
            *_keyword_rules(),
            (r"[^\W\d]\w*(?=[ \t\u3000]*[:：])", Name.Variable),  # a field being declared
            (r"[^\W\d]\w*", Name),
            (r"\d+", Number.Integer),
            (r"!=|<=|>=|=|≠|<|>", Operator),
            (r"[{}()\[\],.:：]", Punctuation),
            (r".", Text),
        ],
        "string": [
            (r'\\.', String.Escape),
            (r'[^"\\\n]+', String.Double),
            (r'"', String.Double, "#pop"),
            (r"\n", Text, "#pop"),  # an unterminated string ends with its line
        ],
    }


class SupervisorRulesLexer(RegexLexer):
    """Rule files of supervisor-rules: the article-style policy language (English and Chinese keywords)."""

    name = "supervisor-rules"
    aliases = ["supervisor-rules", "supervisor_rules", "rules"]
    filenames = ["*.rules"]
    mimetypes = ["text/x-supervisor-rules"]
    url = "https://pypi.org/project/supervisor-rules/"
    flags = re.MULTILINE | re.UNICODE

    tokens = _tokens()
