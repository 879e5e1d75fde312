"""The policy as a document for people (``supervisor-rules render``): each article's text beside its rules
in words, cross-references linked, invariants in words, coverage by the policy's tests, the header.

``policy_document(policy, lang="zh", tests=None)``
    The document as JSON-able data (what ``render`` writes as HTML, and what a web page can show).
``render_html(policy, out_dir, lang="zh", tests=None)``
    Writes ``index.html`` and ``render.css`` (screen and print) into ``out_dir``; no JavaScript.
``redline_document(old, new, lang="zh", examples=…)`` / ``render_redline_html(old, new, out_dir, …)``
    Two versions side by side for lawyers: each provision's text and rules, changes marked (``<ins>`` /
    ``<del>``), and the behavioural witnesses of ``tools/diffing.py`` (a case each, with both decisions).

Every text that comes from a rule file, a test file or a case is HTML-escaped: rule files are untrusted.
"""

from __future__ import annotations

import difflib
import html
import json
import os
from pathlib import Path
from typing import Any, Iterable

from supervisor_rules import questions
from supervisor_rules.contracts.decision import TEXT_WORDS
from supervisor_rules.errors import RulesError
from supervisor_rules.lang import nodes as n
from supervisor_rules.lang.numerals import to_chinese
from supervisor_rules.resources import VERSION
from supervisor_rules.tools import diffing  # the redline's comparison (hypothesis only inside its search)
from supervisor_rules.tools import policytests as pt
from supervisor_rules.tools.rulewords import LANGS, Link, RuleWords, clean, parts, plain, rule_references

#: The files ``render`` writes (and the only ones it overwrites) in its output folder.
INDEX, STYLESHEET = "index.html", "render.css"
OWNED = (INDEX, STYLESHEET)
#: Cases the redline's behavioural search draws by default (``render OLD NEW``; ``--examples``).
DEFAULT_REDLINE_EXAMPLES = 300
#: Most cases ``--examples`` may ask the redline's search to draw.
MAX_REDLINE_EXAMPLES = 100_000
#: Longest provision text (characters) the redline diffs character by character; longer texts are shown
#: whole, old struck out and new inserted (difflib is quadratic in the worst case).
MAX_DIFF_CHARS = 20_000

_ZH = TEXT_WORDS["zh"]
_COVERAGE_WORDS = {
    "zh": {"covered": "已覆盖", "partial": "部分覆盖", "not exercised": "未覆盖", "none": "无测试"},
    "en": {"covered": "covered", "partial": "partly covered", "not exercised": "not covered", "none": "no tests"},
}
_UI = {
    "zh": {"contents": "目录", "header": "文件信息", "authority": "发文机关", "document": "文号",
           "effective": "施行日期", "on_issuance": "自颁布之日起施行", "repealed": "废止日期",
           "valid_until": "有效期至", "status": "状态", "trial": "试行", "final": "正式", "source": "规则文件",
           "digest": "SHA-256", "engine": "引擎版本", "definitions": "定义", "invariants": "不变式",
           "cites": "依据", "rules": "规则", "text": "条文", "text_only": "仅文本",
           "coverage": "测试覆盖", "tests": "测试", "no_tests": "没有找到测试文件",
           "coverage_line": "{covered}/{total} 条有规则的条款已覆盖（{percent}%）", "references": "引用",
           "source_rule": "规则原文", "lang_note": "中文：事实与取值按规则文件的标签表述。",
           "redline": "修订对照", "old": "原版本", "new": "新版本", "witnesses": "行为差异（见证案例）",
           "no_witness": "未发现行为差异", "searched": "共比较 {compared} 个案例（抽取上限 {examples} 个）",
           "case": "案例", "added": "新增", "removed": "删除", "changed": "修改", "same": "未改",
           "rule_changes": "规则变化", "shown_by": "由见证 {groups} 显示", "unproven": "没有见证显示此变化",
           "chapter": "第{}章", "passed": "通过", "failed": "失败", "generated": "由 supervisor-rules {v} 生成"},
    "en": {"contents": "Contents", "header": "Document", "authority": "Issued by", "document": "Document number",
           "effective": "In force from", "on_issuance": "on issuance", "repealed": "Repealed on",
           "valid_until": "Valid until", "status": "Status", "trial": "trial", "final": "final",
           "source": "Rule file", "digest": "SHA-256", "engine": "Engine version", "definitions": "Definitions",
           "invariants": "Invariants", "cites": "Cites", "rules": "Rules", "text": "Text",
           "text_only": "text only", "coverage": "Test coverage", "tests": "Tests",
           "no_tests": "no test file found", "coverage_line": "{covered}/{total} provisions with rules covered "
           "({percent}%)", "references": "References", "source_rule": "Rule source",
           "lang_note": "English: facts and values by their codes.", "redline": "Redline", "old": "Old",
           "new": "New", "witnesses": "Behavioural differences (witness cases)",
           "no_witness": "no behavioural difference found",
           "searched": "{compared} cases compared (at most {examples} drawn)", "case": "Case",
           "added": "added", "removed": "removed", "changed": "changed", "same": "unchanged",
           "rule_changes": "Rule changes", "shown_by": "shown by witness {groups}",
           "unproven": "no witness shows this change", "chapter": "Chapter {}", "passed": "passed",
           "failed": "failed", "generated": "generated by supervisor-rules {v}"},
}


class RenderError(RulesError):
    """The output folder cannot be written (it is a file, or a file it would overwrite is not one)."""


# ------------------------------------------------------------------ anchors
def anchor(ref: str) -> str:
    """The HTML id of a provision: ``p-5``, ``p-8-1-3`` for ``8(1).3``, ``p-12p2-1`` for ``12p2(1)``."""
    return "p-" + ref.replace("(", "-").replace(")", "").replace(".", "-")


def _definition_anchor(name: str) -> str:
    return "def-" + "".join(ch if ch.isalnum() or ch == "_" else "-" for ch in name)


def _segments(text: str) -> list[dict]:
    out = []
    for p in parts(text):
        if isinstance(p, Link):
            target = anchor(p.key) if p.kind == "provision" else _definition_anchor(p.key)
            entry = {"text": p.text, "anchor": target}
            entry["ref" if p.kind == "provision" else "definition"] = p.key
            out.append(entry)
        else:
            out.append({"text": p})
    return out


def _depth(p) -> int:
    return (p.paragraph is not None) + (p.item is not None) + (p.sub is not None)


# ------------------------------------------------------------------ coverage
def test_coverage(policy, tests) -> dict | None:
    """Per-provision coverage from the policy's tests: ``tests`` is a ``RunResult`` (``run_tests``), a
    ``TestFile``, a path to a ``.tests.yaml`` file, or None (then None). Raises ``TestFileError`` for a
    test file that cannot be read."""
    if tests is None:
        return None
    if isinstance(tests, (str, os.PathLike)):
        tests = pt.load_tests(tests)
    run = tests if isinstance(tests, pt.RunResult) else pt.run_tests(policy, tests)
    by_ref: dict[str, dict] = {}
    for p in run.coverage.provisions:
        by_ref[p.citation.ref] = {"state": p.state, "gaps": p.gaps(), "tests": []}
    for result in run.results:
        for ref in result.test.provisions:
            entry = by_ref.setdefault(ref, {"state": None, "gaps": [], "tests": []})
            entry["tests"].append({"name": result.test.name, "passed": result.passed})
    counts = run.coverage.counts()
    return {"file": str(run.file.path), "tests": len(run.results), "passed": sum(r.passed for r in run.results),
            "percent": round(run.coverage.percent, 2), **counts, "by_ref": by_ref}


def tests_beside(policy) -> Path | None:
    """The ``.tests.yaml`` file beside a policy's rule file, if there is one."""
    source = getattr(policy, "source", None)
    if not source or not str(source).endswith(".rules"):
        return None
    path = pt.tests_path_for(source)
    return path if path.is_file() else None


# ------------------------------------------------------------------ the document
def policy_document(policy, lang: str = "zh", tests=None) -> dict:
    """The policy as a JSON-able document, for people (``render``'s HTML, a web page's API).

    Keys: ``id``, ``title``, ``lang``; ``header`` (``authority``, ``document`` 文号, ``effective`` ISO date
    or None, ``effective_on_issuance``, ``repealed``, ``valid_until``, ``status`` ``trial``/``final``/None,
    ``source``, ``sha256``, ``engine``); ``chapters`` (``number``, ``title``, ``anchor``);
    ``definitions`` (``name``, ``label``, ``anchor``, ``words``, ``segments``); ``articles``, each with
    ``number``, ``ref``, ``cite``, ``anchor``, ``chapter``, ``text`` and ``provisions`` — the article itself
    first, then its paragraphs, items and sub-items in order, each with ``ref``, ``cite``, ``anchor``,
    ``depth`` (0 the article, 1 a paragraph or item …), ``text``, ``text_only``, ``rules`` (each
    ``kind``, ``kind_words``, ``words`` in plain text, ``segments``, ``phrased`` — False when only the
    kind's own description could be used — ``references``, and ``source`` when not phrased),
    ``references`` (the provisions its rules refer to: ``ref``, ``cite``, ``anchor``, ``target`` the ref
    the link leads to) and ``coverage`` (None without tests; else ``state`` covered / partial /
    not exercised, or None for a provision without rules, ``gaps``, ``tests`` naming it:
    ``name``, ``passed``); ``invariants`` (``name``, ``label``, ``anchor``, ``cites``, ``words``,
    ``segments``); ``coverage`` (None, or the figures of the test run).

    ``segments`` hold the words as ``{"text"}`` pieces and cross-references ``{"text", "anchor", "ref"}``
    (or ``"definition"``): every ``anchor`` is the id of a provision or definition of this document.
    ``tests``: as ``test_coverage`` takes it."""
    if lang not in LANGS:
        raise RulesError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    checked = policy.compiled.checked
    words = RuleWords(policy, lang)
    coverage = test_coverage(policy, tests)
    by_ref = coverage["by_ref"] if coverage else {}
    kinds = _ZH["kinds"] if lang == "zh" else TEXT_WORDS["en"]["kinds"]
    refs_of = {p.ref: p for p in checked.provisions}
    header = checked.header
    meta = {
        "authority": policy.authority, "document": policy.document,
        "effective": policy.effective.isoformat() if policy.effective else None,
        "effective_on_issuance": policy.effective_on_issuance,
        "repealed": policy.repealed.isoformat() if policy.repealed else None,
        "valid_until": policy.valid_until.isoformat() if policy.valid_until else None,
        "status": header.status if header is not None else None,
        "source": os.path.basename(str(policy.source)) if policy.source else None,
        "sha256": policy.sha256, "engine": VERSION,
    }
    source_lines = _source_lines(policy)

    def reference(ref: n.ArticleRef) -> dict:
        target = words.target(ref)[2:]
        return {"ref": ref.ref, "cite": ref.cite, "target": target, "anchor": anchor(target)}

    provisions_by_article: dict[int, list[dict]] = {}
    for p in checked.provisions:
        rules = []
        refs: list[dict] = []
        text_only = False
        for rule in p.rules:
            if isinstance(rule, n.TextOnly):
                text_only = True
                continue
            text = words.rule(rule)
            kind = questions.kind_of(rule)
            entry = {"kind": kind.kind if kind else None, "kind_words": kinds.get(kind.kind, kind.kind) if kind else "",
                     "words": plain(text), "segments": _segments(text), "phrased": words.phrased,
                     "references": [reference(r) for r in rule_references(rule)]}
            if not words.phrased:
                entry["source"] = _excerpt(source_lines, rule.span)
            rules.append(entry)
            for r in entry["references"]:
                if r not in refs:
                    refs.append(r)
        cov = None
        if coverage is not None:
            found = by_ref.get(p.ref)
            cov = {"state": found["state"] if found else None, "gaps": found["gaps"] if found else [],
                   "tests": found["tests"] if found else []}
        provisions_by_article.setdefault(p.article, []).append({
            "ref": p.ref, "cite": p.cite, "anchor": anchor(p.ref), "depth": _depth(p),
            "paragraph": p.paragraph, "item": p.item, "sub": p.sub,
            "text": clean(p.text) if p.text is not None else None, "text_only": text_only and not rules,
            "rules": rules, "references": refs, "coverage": cov})
    articles = []
    for a in checked.articles:
        ref = str(a.number)
        head = refs_of.get(ref)
        articles.append({"number": a.number, "ref": ref, "cite": head.cite if head else f"第{a.number}条",
                         "anchor": anchor(ref), "chapter": a.chapter,
                         "text": clean(a.text) if a.text is not None else None,
                         "provisions": provisions_by_article.get(a.number, [])})
    chapters = [{"number": c.number, "title": clean(c.text) if c.text else None, "anchor": f"ch-{c.number}",
                 "heading": _chapter_heading(c.number, lang)} for c in checked.chapters]
    definitions = []
    for name, d in checked.definitions.items():
        text = words.definition(d)
        definitions.append({"name": name, "label": clean(d.label) if d.label else None,
                            "anchor": _definition_anchor(name), "words": plain(text), "segments": _segments(text)})
    invariants = []
    for inv in checked.invariants:
        text = words.invariant(inv)
        invariants.append({"name": inv.name, "label": clean(inv.text) if inv.text else None,
                           "anchor": "inv-" + _definition_anchor(inv.name)[4:],
                           "cites": [reference(r) for r in inv.cites], "words": plain(text),
                           "segments": _segments(text)})
    if coverage is not None:
        coverage = {k: v for k, v in coverage.items() if k != "by_ref"}
    return {"id": policy.id, "title": clean(policy.title) if policy.title else None, "lang": lang, "header": meta,
            "chapters": chapters, "definitions": definitions, "articles": articles, "invariants": invariants,
            "coverage": coverage}


def _chapter_heading(number: int, lang: str) -> str:
    return _UI[lang]["chapter"].format(to_chinese(number) if lang == "zh" else number)


def _source_lines(policy) -> list[str] | None:
    source = getattr(policy, "source", None)
    try:
        return Path(str(source)).read_text(encoding="utf-8-sig").splitlines() if source else None
    except (OSError, UnicodeDecodeError):
        return None


def _excerpt(lines: list[str] | None, span: n.Span) -> str | None:
    """A rule's own lines of its rule file (shown beside a rule no Chinese phrasing covers)."""
    if not lines or span.line < 1 or span.end_line > len(lines):
        return None
    return clean("\n".join(lines[span.line - 1:span.end_line]))


# ------------------------------------------------------------------ HTML
def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _segments_html(segments: Iterable[dict]) -> str:
    out = []
    for s in segments:
        if "anchor" in s:
            cls = "xref" if "ref" in s else "defref"
            out.append(f'<a class="{cls}" href="#{_e(s["anchor"])}">{_e(s["text"])}</a>')
        else:
            out.append(_e(s["text"]))
    return "".join(out)


def _text_html(text: str | None) -> str:
    return _e(text).replace("\n", "<br>") if text else ""


def _page(title: str, lang: str, body: list[str]) -> str:
    return "\n".join([
        "<!DOCTYPE html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{_e(title)}</title>",
        f'<link rel="stylesheet" href="{STYLESHEET}">', "</head>", "<body>", *body, "</body>", "</html>", ""])


def document_html(doc: dict) -> str:
    """The document (``policy_document``) as one HTML page."""
    lang = doc["lang"]
    ui = _UI[lang]
    cw = _COVERAGE_WORDS[lang]
    h = doc["header"]
    body = ['<header class="doc-header">', f'<h1>{_e(doc["title"] or doc["id"])}</h1>', '<dl class="meta">']

    def row(key: str, value) -> None:
        if value not in (None, ""):
            body.append(f"<dt>{_e(ui[key])}</dt><dd>{_e(value)}</dd>")
    row("authority", h["authority"])
    row("document", h["document"])
    row("effective", ui["on_issuance"] if h["effective_on_issuance"] else h["effective"])
    row("repealed", h["repealed"])
    row("valid_until", h["valid_until"])
    row("status", ui.get(h["status"], h["status"]) if h["status"] else None)
    row("source", h["source"])
    row("engine", h["engine"])
    row("digest", h["sha256"])
    body.append("</dl>")
    cov = doc["coverage"]
    if cov is not None:
        body.append(f'<p class="coverage-summary">{_e(ui["coverage"])}：' if lang == "zh" else
                    f'<p class="coverage-summary">{_e(ui["coverage"])}: ')
        body[-1] += _e(ui["coverage_line"].format(covered=cov["provisions_covered"], total=cov["provisions"],
                                                  percent=cov["percent"]))
        body[-1] += f' · {_e(ui["tests"])} {cov["passed"]}/{cov["tests"]}</p>'
    body.append(f'<p class="note">{_e(ui["lang_note"])}</p>')
    body.append("</header>")
    # contents
    body.append(f'<nav class="toc"><h2>{_e(ui["contents"])}</h2><ol>')
    chapters = {c["number"]: c for c in doc["chapters"]}
    shown_chapter = None
    for a in doc["articles"]:
        if a["chapter"] is not None and a["chapter"] != shown_chapter and a["chapter"] in chapters:
            shown_chapter = a["chapter"]
            c = chapters[shown_chapter]
            body.append(f'<li class="toc-chapter"><a href="#{c["anchor"]}">{_e(c["heading"])} '
                        f'{_e(c["title"] or "")}</a></li>')
        body.append(f'<li><a href="#{a["anchor"]}">{_e(a["cite"])}</a></li>')
    if doc["definitions"]:
        body.append(f'<li class="toc-chapter"><a href="#definitions">{_e(ui["definitions"])}</a></li>')
    if doc["invariants"]:
        body.append(f'<li class="toc-chapter"><a href="#invariants">{_e(ui["invariants"])}</a></li>')
    body.append("</ol></nav>")
    body.append("<main>")
    if doc["definitions"]:
        body.append(f'<section id="definitions" class="definitions"><h2>{_e(ui["definitions"])}</h2><dl>')
        for d in doc["definitions"]:
            body.append(f'<dt id="{d["anchor"]}">{_e(d["label"] or d["name"])}</dt>'
                        f'<dd>{_segments_html(d["segments"])}</dd>')
        body.append("</dl></section>")
    shown_chapter = None
    for a in doc["articles"]:
        if a["chapter"] is not None and a["chapter"] != shown_chapter and a["chapter"] in chapters:
            shown_chapter = a["chapter"]
            c = chapters[shown_chapter]
            body.append(f'<h2 class="chapter" id="{c["anchor"]}">{_e(c["heading"])} {_e(c["title"] or "")}</h2>')
        body.append(f'<article class="article" id="{a["anchor"]}">')
        body.append(f'<h3>{_e(a["cite"])}</h3>')
        for p in a["provisions"]:
            body.extend(_provision_html(p, ui, cw, lang, top=p["ref"] == a["ref"]))
        body.append("</article>")
    if doc["invariants"]:
        body.append(f'<section id="invariants" class="invariants"><h2>{_e(ui["invariants"])}</h2>')
        for inv in doc["invariants"]:
            cites = "、".join(f'<a class="xref" href="#{c["anchor"]}">{_e(c["cite"] if lang == "zh" else c["ref"])}</a>'
                             for c in inv["cites"])
            body.append(f'<div class="invariant" id="{inv["anchor"]}"><h4>{_e(inv["label"] or inv["name"])}</h4>'
                        f'<p class="inv-words">{_segments_html(inv["segments"])}</p>'
                        + (f'<p class="inv-cites">{_e(ui["cites"])}：{cites}</p>' if cites else "") + "</div>")
        body.append("</section>")
    body.append("</main>")
    body.append(f'<footer>{_e(ui["generated"].format(v=h["engine"]))}</footer>')
    return _page(doc["title"] or doc["id"], lang, body)


def _provision_html(p: dict, ui: dict, cw: dict, lang: str, top: bool) -> list[str]:
    cls = "provision" + (" article-text" if top else "") + f" depth-{min(p['depth'], 3)}"
    out = [f'<div class="{cls}"' + ("" if top else f' id="{p["anchor"]}"') + ">"]
    label = "" if top else f'<span class="cite">{_e(p["cite"])}</span> '
    out.append(f'<div class="text">{label}{_text_html(p["text"])}</div>')
    out.append('<div class="rules">')
    if p["rules"]:
        out.append("<ul>")
        for r in p["rules"]:
            item = f'<li class="rule kind-{_e(r["kind"] or "none")}">{_segments_html(r["segments"])}'
            if r.get("source"):
                item += f'<pre class="source" title="{_e(ui["source_rule"])}">{_e(r["source"])}</pre>'
            out.append(item + "</li>")
        out.append("</ul>")
    elif p["text_only"]:
        out.append(f'<p class="text-only">{_e(ui["text_only"])}</p>')
    cov = p["coverage"]
    if cov is not None and (cov["state"] is not None or cov["tests"]):
        state = cov["state"] or "none"
        mark = f'<p class="coverage cov-{state.replace(" ", "-")}">{_e(cw[state])}'
        if cov["tests"]:
            names = "；".join(f'{"✓" if t["passed"] else "✗"} {_e(t["name"])}' for t in cov["tests"])
            mark += f'<span class="tests"> · {_e(ui["tests"])}：{names}</span>'
        out.append(mark + "</p>")
    out.append("</div></div>")
    return out


_CSS = """\
/* supervisor-rules render: the policy as a document. Screen, then print. */
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --accent: #0b57d0; --ok: #137333; --part: #b06000;
        --no: #b3261e; --ins: #e6f4ea; --del: #fce8e6; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 1.5rem; color: var(--ink); line-height: 1.7;
       font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun, serif; }
h1 { font-size: 1.6rem; text-align: center; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; }
h2.chapter { text-align: center; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
a { color: var(--accent); }
a.xref, a.defref { text-decoration: none; border-bottom: 1px dotted var(--accent); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; font-size: .95rem; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; word-break: break-all; }
.note, footer, .coverage-summary { color: var(--muted); font-size: .9rem; }
.toc ol { columns: 4 10rem; list-style: none; padding: 0; }
.toc .toc-chapter { font-weight: bold; break-before: avoid; }
.article { border-top: 1px solid var(--line); padding: .8rem 0; }
.provision { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.5rem; padding: .35rem 0; }
.provision.depth-1 .text { padding-left: 1.5em; }
.provision.depth-2 .text { padding-left: 3em; }
.provision.depth-3 .text { padding-left: 4.5em; }
.cite { color: var(--muted); font-size: .9rem; }
.rules { font-family: system-ui, "Noto Sans CJK SC", "PingFang SC", sans-serif; font-size: .92rem; }
.rules ul { margin: 0; padding-left: 1.1em; }
.rule .kind { display: inline-block; font-size: .8rem; color: #fff; background: var(--muted); border-radius: 3px;
              padding: 0 .35em; margin-right: .2em; }
.text-only { color: var(--muted); font-style: italic; margin: 0; }
.source { white-space: pre-wrap; background: #f6f6f8; padding: .3rem; font-size: .8rem; }
.coverage { margin: .2rem 0 0; font-size: .8rem; }
.cov-covered { color: var(--ok); }
.cov-partial { color: var(--part); }
.cov-not-exercised, .cov-none { color: var(--no); }
.coverage .tests { color: var(--muted); }
.definitions dt { font-weight: bold; }
.invariant h4 { margin: .6rem 0 .2rem; }
.invariant p { margin: .1rem 0; }
ins { background: var(--ins); text-decoration: none; border-bottom: 2px solid var(--ok); }
del { background: var(--del); color: var(--no); }
.redline .pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.5rem;
                 border-top: 1px solid var(--line); padding: .5rem 0; }
.redline .status { font-size: .8rem; color: var(--muted); }
.witness { border: 1px solid var(--line); border-radius: 4px; padding: .5rem .8rem; margin: .8rem 0;
           break-inside: avoid; }
.witness pre { white-space: pre-wrap; font-size: .8rem; background: #f6f6f8; padding: .4rem; }
@media (max-width: 760px) { .provision, .redline .pair { grid-template-columns: 1fr; gap: .3rem; } }
@media print {
  @page { size: A4; margin: 18mm 15mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; color: #000; }
  nav.toc, .note { display: none; }
  a { color: #000; }
  a.xref, a.defref { border-bottom: none; text-decoration: underline; }
  .article, .witness, .invariant, .redline .pair { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .rule .kind { color: #000; background: none; border: 1px solid #000; }
  ins { background: none; text-decoration: underline; }
  del { background: none; color: #000; }
}
"""


def _prepare(out_dir: str | os.PathLike) -> Path:
    """The output folder, created if missing; refused if it is a file, or a file we would write is not one."""
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise RenderError(f"{folder} is a file, not a folder / {folder} 是文件而不是目录")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot create {folder}: {exc.strerror or exc} / 无法创建目录 {folder}") from None
    for name in OWNED:
        target = folder / name
        if target.exists() and not target.is_file() or target.is_symlink():
            raise RenderError(f"{target} exists and is not a plain file; not overwritten / {target} 不是普通文件，未覆盖")
    return folder


def _write(folder: Path, page: str) -> list[Path]:
    written = []
    for name, text in ((INDEX, page), (STYLESHEET, _CSS)):
        path = folder / name
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise RenderError(f"cannot write {path}: {exc.strerror or exc} / 无法写入 {path}") from None
        written.append(path)
    return written


def stylesheet() -> str:
    """The document's stylesheet (``render.css``: screen and print), for a server that serves the page."""
    return _CSS


def render_html(policy, out_dir: str | os.PathLike, lang: str = "zh", tests=None) -> list[Path]:
    """Write the policy as ``index.html`` and ``render.css`` in ``out_dir`` (created if missing; only those
    two files are written). ``tests``: as ``test_coverage`` takes it. Returns the paths written. Raises
    ``RenderError`` for a folder that cannot be written."""
    folder = _prepare(out_dir)
    return _write(folder, document_html(policy_document(policy, lang, tests)))


# ------------------------------------------------------------------ redline
def _char_diff(old: str | None, new: str | None) -> tuple[str, str]:
    """Both texts as HTML with what changed marked: ``<del>`` in the old, ``<ins>`` in the new."""
    old, new = old or "", new or ""
    if old == new:
        return _text_html(old), _text_html(new)
    if len(old) + len(new) > MAX_DIFF_CHARS:
        return (f"<del>{_text_html(old)}</del>" if old else ""), (f"<ins>{_text_html(new)}</ins>" if new else "")
    a, b = [], []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            a.append(_text_html(old[i1:i2]))
            b.append(_text_html(new[j1:j2]))
            continue
        if i2 > i1:
            a.append(f"<del>{_text_html(old[i1:i2])}</del>")
        if j2 > j1:
            b.append(f"<ins>{_text_html(new[j1:j2])}</ins>")
    return "".join(a), "".join(b)


def redline_document(old, new, lang: str = "zh", examples: int = DEFAULT_REDLINE_EXAMPLES) -> dict:
    """Two policies compared for people: ``provisions`` (each cite of either, in the new order then the
    removed ones: ``status`` added / removed / changed / same, ``old`` and ``new`` provision entries of
    ``policy_document`` or None, ``rules_removed`` and ``rules_added`` in words), ``rule_changes``
    (``diffing.attribute``: each with ``shown_by``, the witness numbers), ``behaviour``
    (``diffing.behaviour_to_dict``, or None when ``examples`` is 0) and both documents' headers.
    The behavioural search needs ``hypothesis`` (the ``test`` extra)."""
    if not 0 <= examples <= MAX_REDLINE_EXAMPLES:
        raise RulesError(f"examples must be between 0 and {MAX_REDLINE_EXAMPLES}, not {examples}")
    a, b = policy_document(old, lang), policy_document(new, lang)
    before = {p["cite"]: p for art in a["articles"] for p in art["provisions"]}
    after = {p["cite"]: p for art in b["articles"] for p in art["provisions"]}
    rows = []
    for cite, p in after.items():
        q = before.get(cite)
        if q is None:
            status = "added"
        elif q["text"] != p["text"] or [r["words"] for r in q["rules"]] != [r["words"] for r in p["rules"]]:
            status = "changed"
        else:
            status = "same"
        rows.append({"cite": cite, "status": status, "old": q, "new": p})
    rows += [{"cite": cite, "status": "removed", "old": q, "new": None} for cite, q in before.items() if cite not in after]
    for row in rows:
        old_words = [r["words"] for r in row["old"]["rules"]] if row["old"] else []
        new_words = [r["words"] for r in row["new"]["rules"]] if row["new"] else []
        row["rules_removed"] = [w for w in old_words if w not in new_words]
        row["rules_added"] = [w for w in new_words if w not in old_words]
    structure = diffing.structural(old, new)
    behaviour = diffing.behavioural(old, new, examples=examples) if examples else None
    contract = diffing.contract_changes(old, new)
    changes = diffing.attribute(diffing.rule_changes(structure), behaviour, contract, old, new)
    shown = diffing.behaviour_to_dict(behaviour, old, new) if behaviour is not None else None
    if shown is not None and old.id == new.id:
        # two versions of one policy: the groups name them old and new, not by the one id twice
        names = (_UI[lang]["old"], _UI[lang]["new"])
        for entry, group in zip(shown["groups"], behaviour.groups):
            entry["title"] = diffing.group_title(group.key, *names)
    return {"lang": lang, "old": {"id": old.id, "title": a["title"], "header": a["header"]},
            "new": {"id": new.id, "title": b["title"], "header": b["header"]}, "provisions": rows,
            "rule_changes": changes,
            "behaviour": shown,
            "examples": examples}


def redline_html(red: dict) -> str:
    """The redline (``redline_document``) as one HTML page."""
    lang = red["lang"]
    ui = _UI[lang]
    title = f'{ui["redline"]}：{red["old"]["title"] or red["old"]["id"]} → {red["new"]["title"] or red["new"]["id"]}'
    body = ['<header class="doc-header">', f"<h1>{_e(title)}</h1>", '<dl class="meta">']
    for side in ("old", "new"):
        h = red[side]["header"]
        shown = " · ".join(str(x) for x in (red[side]["id"], h["document"], h["effective"] or (
            ui["on_issuance"] if h["effective_on_issuance"] else None), h["source"]) if x)
        body.append(f"<dt>{_e(ui[side])}</dt><dd>{_e(shown)}</dd>")
    body.append("</dl></header><main class=\"redline\">")
    behaviour = red["behaviour"]
    groups = behaviour["groups"] if behaviour else []
    changed_refs = {c["ref"]: c for c in red["rule_changes"] if c.get("ref")}
    for row in red["provisions"]:
        if row["status"] == "same":
            continue
        o, nw = row["old"], row["new"]
        old_html, new_html = _char_diff(o["text"] if o else None, nw["text"] if nw else None)
        ref = (nw or o)["ref"]
        anchor_id = anchor(ref)
        body.append(f'<section class="pair" id="{anchor_id}">')
        for side, entry, text_html, sign, tag in (("old", o, old_html, row["rules_removed"], "del"),
                                                  ("new", nw, new_html, row["rules_added"], "ins")):
            body.append("<div>")
            if entry is not None:
                body.append(f'<h3>{_e(entry["cite"])} <span class="status">{_e(ui[row["status"]])}</span></h3>')
                body.append(f'<div class="text">{text_html}</div><ul class="rules">')
                for r in entry["rules"]:
                    words = _e(r["words"])
                    body.append(f"<li><{tag}>{words}</{tag}></li>" if r["words"] in sign else f"<li>{words}</li>")
                body.append("</ul>")
            body.append("</div>")
        change = changed_refs.get(ref)
        if change is not None:
            shown = change.get("shown_by") or []
            note = ui["shown_by"].format(groups="、".join(f"#{g}" for g in shown)) if shown else ui["unproven"]
            links = "".join(f' <a href="#witness-{g}">#{g}</a>' for g in shown)
            body.append(f'<p class="status">{_e(ui["rule_changes"])}：{_e(note)}{links}</p>')
        body.append("</section>")
    body.append(f'<section class="witnesses"><h2>{_e(ui["witnesses"])}</h2>')
    if behaviour is not None:
        body.append(f'<p class="note">{_e(ui["searched"].format(compared=behaviour["compared"], examples=red["examples"]))}</p>')
    if not groups:
        body.append(f'<p>{_e(ui["no_witness"])}</p>')
    old_key = red["old"]["id"] if red["old"]["id"] != red["new"]["id"] else "old"
    new_key = red["new"]["id"] if red["old"]["id"] != red["new"]["id"] else "new"
    for i, g in enumerate(groups, 1):
        body.append(f'<div class="witness" id="witness-{i}"><h3>#{i} {_e(g["title"])}</h3>')
        if old_key in g:
            body.append(f'<p><del>{_e(ui["old"])}：{_e(g[old_key])}</del></p>')
            body.append(f'<p><ins>{_e(ui["new"])}：{_e(g[new_key])}</ins></p>')
        body.append(f'<p>{_e(ui["case"])}：</p><pre>{_e(json.dumps(g["witness"], ensure_ascii=False, indent=2))}</pre>')
        body.append("</div>")
    body.append("</section></main>")
    return _page(title, lang, body)


def render_redline_html(old, new, out_dir: str | os.PathLike, lang: str = "zh",
                        examples: int = DEFAULT_REDLINE_EXAMPLES) -> list[Path]:
    """Write the redline of ``old`` → ``new`` as ``index.html`` and ``render.css`` in ``out_dir``."""
    folder = _prepare(out_dir)
    return _write(folder, redline_html(redline_document(old, new, lang, examples)))
