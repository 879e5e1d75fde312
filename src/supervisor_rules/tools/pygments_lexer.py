"""A Pygments lexer for rule files, so documentation and terminals highlight them.

Installed with the ``highlight`` extra (``pip install 'supervisor-rules[highlight]'``)
it is registered under the ``pygments.lexers`` entry point: ``pygmentize -l
supervisor-rules FILE``, Sphinx or MkDocs code blocks marked ``supervisor-rules``
(or ``rules``), and any file named ``*.rules``.

The keywords come from the keyword table (``lang/keywords.py``, which the
grammar's keyword terminals are generated from), shown by their category; the
structural markers (第三条, ``article 3``, （一）, ``1.``) are the grammar's own
terminals. A keyword added to the table is highlighted without a change here.
"""

from __future__ import annotations

import functools
import re

from pygments.lexer import RegexLexer, bygroups
from pygments.token import (Comment, Keyword, Literal, Name, Number, Operator, Punctuation, String, Text,
                            Whitespace)

from supervisor_rules.lang import keywords as kw

__all__ = ["SupervisorRulesLexer"]

# How each category of keyword is shown; a category not listed is a plain Keyword.
_KINDS = {
    kw.DECLARATION: Keyword.Declaration,
    kw.IMPORT: Keyword.Namespace,
    kw.TYPE: Keyword.Type,
    kw.LITERAL: Keyword.Constant,
    kw.VALUE: Keyword.Constant,
    kw.UNIT: Keyword.Constant,
    kw.OPERAND: Keyword.Constant,
    kw.OPERATOR: Operator.Word,
}
_MARKERS = ("CHAPTER", "ARTICLE", "PARAGRAPH", "ITEM", "SUB")


def _markers():
    from supervisor_rules.lang import parser

    # The grammar's terminals, without building a second parser.
    return [term for term in parser.terminals() if term.name in _MARKERS]


@functools.cache
def _keyword_rules() -> list[tuple[str, object]]:
    rules = [(1, len(term.pattern.value), term.pattern.to_regexp(), Name.Label) for term in _markers()]
    for terminal in kw.terminals():
        regex = kw.pattern(terminal)
        rules.append((0, len(regex), regex, _KINDS.get(kw.by_terminal(terminal)[0].category, Keyword)))
    # Markers first (as in the grammar), then the longer pattern (`not in` before `not`).
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
            (r"\d+\.\d+", Number.Float),
            (r"\d+", Number.Integer),
            (r"!=|<=|>=|=|≠|<|>|[-+*/×÷]", Operator),
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
