"""References to provisions: the parts of an article marker, and the marker written in either language.

One ``ARTICLE`` token of the grammar names any provision, so that nothing after
``违反 第三条`` can be mistaken for the next paragraph or item heading:

=====================================  ====================================
Chinese                                English
=====================================  ====================================
``第三条``                              ``article 3``
``第三条第二款``                        ``article 3 paragraph 2``
``第十二条第（一）项``                  ``article 12(1)``
``第十二条第二款第（一）项``            ``article 12 paragraph 2 (1)``
``第八条第（一）项第3目``               ``article 8(1).3``
``第十条第（一）项至第（三）项``        ``article 10(1)-(3)``
=====================================  ====================================

An item without a paragraph is the first paragraph's; ``第一款`` names the
first paragraph (the article's own text and its items). A range names items of
one paragraph. The Chinese forms are written without spaces; the English ones
on one line.
"""

from __future__ import annotations

import re

import attrs

from supervisor_rules.lang.numerals import cite_number, parse_number, to_chinese

_CN = "零〇一二三四五六七八九十百"

#: The parts of a Chinese marker: article, paragraph, item, range end, sub-item.
ZH = re.compile(rf"第(?P<article>[{_CN}]+)条(?:第(?P<paragraph>[{_CN}]+)款)?"
                rf"(?:第[（(](?P<item>[{_CN}]+)[)）]项"
                rf"(?:[ \t]*至[ \t]*第[（(](?P<last>[{_CN}]+)[)）]项|第(?P<sub>\d+|[{_CN}]+)目)?)?")
#: The parts of an English marker.
EN = re.compile(r"article[ \t]+(?P<article>\d+)(?:[ \t]+paragraph[ \t]+(?P<paragraph>\d+))?"
                r"(?:[ \t]*\((?P<item>\d+)\)(?:[ \t]*-[ \t]*\((?P<last>\d+)\)|\.(?P<sub>\d+))?)?")


@attrs.frozen
class Marker:
    """What an article marker names. ``paragraph`` is as written (None: not named)."""

    article: int
    paragraph: int | None = None
    item: int | None = None
    last: int | None = None
    sub: int | None = None

    @property
    def bare(self) -> bool:
        """Only an article: what a heading may be."""
        return self.paragraph is None and self.item is None


def parse_marker(text: str) -> Marker:
    """The parts of an ``ARTICLE`` token's text. Raises ValueError (with a message for the author)."""
    match = ZH.fullmatch(text) or EN.fullmatch(text)
    if match is None:
        raise ValueError(f"`{text}` is not an article reference")
    parts = {name: parse_number(value) if value is not None else None for name, value in match.groupdict().items()}
    return Marker(**parts)


def render(marker: Marker, lang: str) -> str:
    """The marker in ``lang`` (``"zh"`` or ``"en"``). Raises ValueError for a number Chinese cannot spell."""
    m = marker
    if lang == "en":
        out = f"article {m.article}"
        if m.paragraph is not None:
            out += f" paragraph {m.paragraph}" + (" " if m.item is not None else "")
        if m.item is not None:
            out += f"({m.item})"
        if m.last is not None:
            out += f"-({m.last})"
        if m.sub is not None:
            out += f".{m.sub}"
        return out
    out = f"第{to_chinese(m.article)}条"
    if m.paragraph is not None:
        out += f"第{to_chinese(m.paragraph)}款"
    if m.item is not None:
        out += f"第（{to_chinese(m.item)}）项"
    if m.last is not None:
        out += f"至第（{to_chinese(m.last)}）项"
    if m.sub is not None:
        out += f"第{m.sub}目"
    return out


def compact(article: int, paragraph: int | None, item: int | None, sub: int | None = None,
            last: int | None = None) -> str:
    """The compact ref (DECISION.md, "Citations"): ``9``, ``11p2``, ``12p2(1)``, ``8(1).3``; a range
    ``10(1)-(3)``. ``paragraph`` None or 1 with an item is the first paragraph, which has no ``p``."""
    out = str(article)
    if paragraph is not None and not (paragraph == 1 and item is not None):
        out += f"p{paragraph}"
    if item is not None:
        out += f"({item})"
    if last is not None:
        out += f"-({last})"
    if sub is not None:
        out += f".{sub}"
    return out


def cite(article: int, paragraph: int | None, item: int | None, sub: int | None = None,
         last: int | None = None) -> str:
    """The Chinese citation: ``第十二条第二款第（一）项``, ``第八条第（一）项第3目``."""
    out = f"第{cite_number(article)}条"
    if paragraph is not None:
        out += f"第{cite_number(paragraph)}款"
    if item is not None:
        out += f"第（{cite_number(item)}）项"
    if last is not None:
        out += f"至第（{cite_number(last)}）项"
    if sub is not None:
        out += f"第{sub}目"
    return out


#: A compact ref as test files and tools name a provision: ``9``, ``11p2``, ``12p2(1)``, ``8(1).3``.
REF = re.compile(r"(?P<article>[0-9]+)(?:p(?P<paragraph>[0-9]+))?(?:\((?P<item>[0-9]+)\)(?:\.(?P<sub>[0-9]+))?)?\Z")


def parse_ref(text: str) -> tuple[int, int | None, int | None, int | None] | None:
    """A compact ref → (article, paragraph, item, sub), paragraph None for the first; None if it is not one.
    ``12p1(1)`` is not a ref: the first paragraph has no ``p``."""
    match = REF.match(text)
    if match is None or match["paragraph"] == "1" or (match["paragraph"] is not None and int(match["paragraph"]) < 1):
        return None
    return tuple(None if value is None else int(value) for value in match.group("article", "paragraph", "item", "sub"))
