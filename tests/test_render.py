"""``render``: the policy as an HTML document, read back with the standard library's HTML parser.

For the integrator's screenshot test: ``rendered_site(policy, folder)`` writes a policy's document and
returns the ``index.html`` path (a ``file://`` URL a headless browser can open; docs/render.md).
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
from pathlib import Path

import pytest

import supervisor_rules as sr
from supervisor_rules.lang import nodes as n
from supervisor_rules.tools import policytests as pt
from supervisor_rules.tools import render as rd
from supervisor_rules.tools.rulewords import RuleWords, plain

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("wuhan", "guangxi")
LANJIANG = ROOT / "examples" / "policies" / "lanjiang-2025.rules"


def rendered_site(policy: str | Path, folder: Path, lang: str = "zh") -> Path:
    """Render ``policy`` (a shipped id or a rule file) with its tests' coverage into ``folder``; the
    ``index.html`` written."""
    p = sr.resolve_policy(policy)
    rd.render_html(p, folder, lang=lang, tests=rd.tests_beside(p))
    return folder / rd.INDEX


class Page(html.parser.HTMLParser):
    """What a reader sees: the text of each ``div.text`` / ``div.rules`` under the nearest element with an
    id, every id and link, the tags opened, the text of ``ins`` / ``del`` and of each section by id."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.texts: dict[str, str] = {}
        self.rules: dict[str, str] = {}
        self.classes: dict[str, list[str]] = {}
        self.by_id: dict[str, str] = {}
        self.marked = {"ins": [], "del": []}
        self.all_text: list[str] = []
        self.feed(text)
        self.close()

    _VOID = {"meta", "link", "br", "img", "hr", "input"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "href" in attrs:
            self.hrefs.append(attrs["href"])
        owner = self._owner(attrs)
        for cls in (attrs.get("class") or "").split():
            if cls.startswith("cov-") and owner is not None:
                self.classes.setdefault(owner, []).append(cls)
        if tag in ("ins", "del"):
            self.marked[tag].append("")
        if tag not in self._VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def _owner(self, extra: dict | None = None) -> str | None:
        if extra and "id" in extra:
            return extra["id"]
        for _, attrs in reversed(self.stack):
            if "id" in attrs:
                return attrs["id"]
        return None

    def handle_data(self, data):
        self.all_text.append(data)
        owner = self._owner()
        classes = [c for _, a in self.stack for c in (a.get("class") or "").split()]
        for _, attrs in self.stack:
            if "id" in attrs:
                self.by_id[attrs["id"]] = self.by_id.get(attrs["id"], "") + data
        if owner is not None and "text" in classes:
            self.texts[owner] = self.texts.get(owner, "") + data
        if owner is not None and "rules" in classes:
            self.rules[owner] = self.rules.get(owner, "") + data
        for tag in ("ins", "del"):
            if any(t == tag for t, _ in self.stack):
                self.marked[tag][-1] += data

    @property
    def text(self) -> str:
        return "".join(self.all_text)


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, tuple[sr.Policy, Page, Path]]:
    out = {}
    for name in SHIPPED:
        folder = tmp_path_factory.mktemp(name)
        index = rendered_site(name, folder)
        out[name] = (sr.builtin_policy(name), Page(index.read_text(encoding="utf-8")), folder)
    return out


@pytest.mark.parametrize("name", SHIPPED)
def test_every_provision_shows_its_text_beside_its_rules_in_words(sites, name):
    policy, page, _ = sites[name]
    words = RuleWords(policy, "zh")
    for p in policy.compiled.checked.provisions:
        anchor = rd.anchor(p.ref)
        assert anchor in page.ids, p.ref
        if p.text:
            assert p.text.replace("\n", "") in page.texts[anchor], p.ref
        rules = [r for r in p.rules if not isinstance(r, n.TextOnly)]
        for rule in rules:
            assert plain(words.rule(rule)) in page.rules[anchor], (p.ref, rule)
            # every fact the rule reads is named by its label beside the text
            for node in n.walk(rule):
                if isinstance(node, n.Path) and len(node.parts) == 2 and node.dotted in policy.text_labels.facts:
                    assert policy.text_labels.facts[node.dotted] in page.rules[anchor], (p.ref, node.dotted)
        if not rules:
            assert "仅文本" in page.rules.get(anchor, "") or p.text is None or any(
                q.article == p.article and q is not p for q in policy.compiled.checked.provisions), p.ref


@pytest.mark.parametrize("name", SHIPPED)
def test_chinese_names_facts_by_labels_never_by_code(sites, name):
    policy, page, _ = sites[name]
    visible = page.text
    for section, facts in policy.facts.items():
        for fact in facts:
            assert f"{section}.{fact}" not in visible, f"{section}.{fact}"
    assert "「" in visible


@pytest.mark.parametrize("name", SHIPPED)
def test_every_link_leads_to_an_anchor_and_cross_references_are_links(sites, name):
    policy, page, _ = sites[name]
    internal = [h for h in page.hrefs if h.startswith("#")]
    assert internal and all(h[1:] in page.ids for h in internal)
    assert all(h.startswith("#") or h == rd.STYLESHEET for h in page.hrefs)
    refs = [node.ref for p in policy.compiled.checked.provisions for r in p.rules for node in n.walk(r)
            if isinstance(node, (n.Violates, n.Satisfies))]
    for ref in refs:  # 符合 第三条 → a link to article 3
        assert any(h == "#" + rd.anchor(next(p.ref for p in policy.compiled.checked.provisions if ref.covers(p)))
                   for h in internal)


def test_wuhan_renewal_links_to_article_three(sites):
    _, page, _ = sites["wuhan"]
    assert "#p-3" in page.hrefs
    assert "符合第三条的全部要求" in page.rules["p-5"]


@pytest.mark.parametrize("name", SHIPPED)
def test_invariants_and_header_are_shown(sites, name):
    policy, page, _ = sites[name]
    section = page.by_id["invariants"]
    for inv in policy.compiled.checked.invariants:
        assert inv.text in section
        assert "必有" in page.by_id["inv-" + inv.name]
    header = page.text
    assert policy.title in header and policy.authority in header
    if policy.document:
        assert policy.document in header
    assert "自颁布之日起施行" in header and "试行" in header


@pytest.mark.parametrize("name", SHIPPED)
def test_coverage_marks_match_the_test_commands_coverage(sites, name):
    policy, page, _ = sites[name]
    run = pt.run_tests(policy, pt.load_tests(pt.tests_path_for(policy.source)))
    want = {"covered": "cov-covered", "partial": "cov-partial", "not exercised": "cov-not-exercised"}
    assert run.coverage.provisions
    for p in run.coverage.provisions:
        assert page.classes.get(rd.anchor(p.citation.ref)) == [want[p.state]], p.citation.ref
    named = [t for t in run.file.tests if t.provisions]
    for test in named[:5]:
        assert test.name in page.rules[rd.anchor(test.provisions[0])]


def test_every_rule_kind_of_the_shipped_and_example_policies_is_phrased():
    kinds = set()
    for source in (*SHIPPED, LANJIANG):
        policy = sr.resolve_policy(source)
        for lang in ("zh", "en"):
            doc = rd.policy_document(policy, lang)
            json.dumps(doc, ensure_ascii=False)  # JSON-able
            anchors = {p["anchor"] for a in doc["articles"] for p in a["provisions"]} | \
                {d["anchor"] for d in doc["definitions"]}
            for a in doc["articles"]:
                for p in a["provisions"]:
                    for r in p["rules"]:
                        assert r["phrased"] and r["words"], (source, p["ref"], r)
                        kinds.add(r["kind"])
                        for s in r["segments"]:
                            assert "anchor" not in s or s["anchor"] in anchors, s
            if lang == "zh":
                assert not re.search(r"\b(person|conduct|appointment|activity|report)\.[a-z_]+",
                                     json.dumps([p["rules"] for a in doc["articles"] for p in a["provisions"]],
                                                ensure_ascii=False))
    assert {"require", "prefer", "term", "renewal", "renewal_condition", "ground", "record", "prohibit", "recusal",
            "duty", "scope", "category", "reward", "conclusion", "notice"} <= kinds
    lanjiang = rd.policy_document(sr.resolve_policy(LANJIANG))
    assert lanjiang["definitions"] and lanjiang["chapters"]
    assert any(s.get("definition") for a in lanjiang["articles"] for p in a["provisions"] for r in p["rules"]
               for s in r["segments"])


def test_a_kind_without_chinese_words_still_shows_its_description_and_source(monkeypatch):
    monkeypatch.delattr(RuleWords, "_zh_notice")
    doc = rd.policy_document(sr.builtin_policy("wuhan"))
    notices = [r for a in doc["articles"] for p in a["provisions"] for r in p["rules"] if r["kind"] == "notice"]
    assert notices and all(not r["phrased"] and r["words"].startswith("提示：notice") for r in notices)
    assert all(r["source"] and "提示" in r["source"] for r in notices)


HOSTILE = """\
policy hostile
  title "<script>alert('t')</script> 办法"
  authority "A & B <i>局</i>"

facts person "申请人" {
  honest: bool "<script>alert(1)</script>诚信"
}

article 1 "第一条 <b>text</b> & \\"quotes\\""
  require person.honest
  notice "<img src=x onerror=alert(2)>" when not person.honest
"""


def test_rule_file_text_is_escaped(tmp_path):
    rules = tmp_path / "hostile.rules"
    rules.write_text(HOSTILE, encoding="utf-8")
    policy = sr.load_policy(rules)
    rd.render_html(policy, tmp_path / "out")
    text = (tmp_path / "out" / rd.INDEX).read_text(encoding="utf-8")
    page = Page(text)
    assert set(page.tags) <= {"html", "head", "meta", "title", "link", "body", "header", "h1", "h2", "h3", "h4", "dl",
                              "dt", "dd", "p", "nav", "ol", "li", "a", "main", "article", "div", "span", "ul",
                              "section", "br", "footer", "pre"}
    assert "<script>alert(1)</script>诚信" in page.text
    assert "<img src=x onerror=alert(2)>" in page.text
    assert "<b>text</b>" in page.texts["p-1"]
    assert "A & B <i>局</i>" in page.text


def test_output_folder_rules(tmp_path):
    policy = sr.builtin_policy("guangxi")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(rd.RenderError):
        rd.render_html(policy, a_file)
    (tmp_path / "site").mkdir()
    keep = tmp_path / "site" / "notes.txt"
    keep.write_text("mine")
    written = rd.render_html(policy, tmp_path / "site" / "nested")
    assert [p.name for p in written] == [rd.INDEX, rd.STYLESHEET]
    rd.render_html(policy, tmp_path / "site")
    assert keep.read_text() == "mine"
    css = (tmp_path / "site" / rd.STYLESHEET).read_text()
    assert "@media print" in css
    (tmp_path / "dir-as-index").mkdir()
    (tmp_path / "dir-as-index" / rd.INDEX).mkdir()
    with pytest.raises(rd.RenderError):
        rd.render_html(policy, tmp_path / "dir-as-index")


def test_english_words(tmp_path):
    index = rendered_site("wuhan", tmp_path, lang="en")
    page = Page(index.read_text(encoding="utf-8"))
    assert "requires person.supports_party_line" in page.rules["p-3-1"]
    assert "article 3" in page.rules["p-5"] and "#p-3" in page.hrefs
    assert 'lang="en"' in index.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def mutant(tmp_path_factory) -> Path:
    """wuhan with 第四条第（四）项's 7 working days made 5, in the text and in the rule."""
    folder = tmp_path_factory.mktemp("mutant")
    for name in ("wuhan.rules", "common.rules"):
        shutil.copy(ROOT / "policies" / name, folder / name)
    path = folder / "wuhan.rules"
    text = path.read_text(encoding="utf-8")
    changed = text.replace("相关信息变更后7个工作日内", "相关信息变更后5个工作日内", 1).replace(
        "期限 conduct.information_changed_on 后 7 个工作日", "期限 conduct.information_changed_on 后 5 个工作日", 1)
    assert changed.count("5个工作日内") == 1 and "后 5 个工作日" in changed
    path.write_text(changed, encoding="utf-8")
    return path


def test_redline_shows_the_text_and_rule_change_and_a_witness(cli, mutant, tmp_path):
    code, out, err = cli("render", "wuhan", str(mutant), "-o", str(tmp_path / "red"), "--examples", "60")
    assert code == 0, err
    page = Page((tmp_path / "red" / rd.INDEX).read_text(encoding="utf-8"))
    assert "7" in page.marked["del"] and "5" in page.marked["ins"]
    assert any("7个工作日" in d and "义务" in d for d in page.marked["del"])
    assert any("5个工作日" in i and "义务" in i for i in page.marked["ins"])
    assert "witness-1" in page.ids and "report_information_change" in page.by_id["witness-1"]
    assert "#witness-1" in page.hrefs
    assert '"information_changed_on"' in page.by_id["witness-1"]  # the case, ready for eval
    # only the changed provision is shown
    assert "p-4-4" in page.ids and "p-3-1" not in page.ids


def test_cli_exits(cli, tmp_path):
    code, out, err = cli("render", "guangxi", "-o", str(tmp_path / "site"))
    assert code == 0 and out.splitlines() == [str(tmp_path / "site" / rd.INDEX), str(tmp_path / "site" / rd.STYLESHEET)]
    code, _, err = cli("render", "guangxi", "-o", str(tmp_path / "site" / rd.INDEX))
    assert code == 2 and "is a file" in err and "是文件" in err
    code, _, err = cli("render", "guangx", "-o", str(tmp_path / "x"))
    assert code == 2 and 'did you mean "guangxi"' in err
    bad = tmp_path / "bad.rules"
    bad.write_text('policy bad\n\narticle 1 "t"\n  require nowhere.x\n', encoding="utf-8")
    code, _, err = cli("render", str(bad), "-o", str(tmp_path / "x"))
    assert code == 2 and f"{bad}:4:" in err
    code, _, err = cli("render", "wuhan", "--examples", "5", "-o", str(tmp_path / "x"))
    assert code == 2 and "--examples" in err
    code, _, err = cli("render", "wuhan", "guangxi", "--diff", "guangxi", "-o", str(tmp_path / "x"))
    assert code == 2
    code, _, _ = cli("render", "wuhan")
    assert code == 2
    code, _, _ = cli("render", "wuhan", "-o", str(tmp_path / "x"), "--lang", "fr")
    assert code == 2
    assert not (tmp_path / "x").exists()
