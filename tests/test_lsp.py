"""The language server (``supervisor-rules lsp``), driven by a real LSP client over stdio.

One server process serves the whole module (pygls' ``LanguageClient`` starts
``python -m supervisor_rules lsp`` and always shuts it down); each test opens its own documents,
copies of the shipped policies in a temporary folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pygls  # noqa: F401,E402 - the test extra installs the `lsp` extra: a missing one fails, never skips

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

import supervisor_rules as sr  # noqa: E402
from supervisor_rules.lang import keywords as kw  # noqa: E402
from supervisor_rules.lsp import analysis, positions, textmate  # noqa: E402
from supervisor_rules.tools import formatter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
TIMEOUT = 15


class Session:
    """A running server and its client, on an event loop of their own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("test-client", "1")
        self.diagnostics: dict[str, list[types.PublishDiagnosticsParams]] = {}
        self.arrived = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics.setdefault(params.uri, []).append(params)
            self.arrived.set()

    def run(self, awaitable, timeout: float = TIMEOUT):
        return self.loop.run_until_complete(asyncio.wait_for(awaitable, timeout))

    def diagnostics_for(self, uri: str, version: int) -> list[types.Diagnostic]:
        """The diagnostics published for ``uri`` at ``version``, waiting for them (no sleep: an event)."""
        async def wait() -> list[types.Diagnostic]:
            while True:
                for params in self.diagnostics.get(uri, []):
                    if params.version == version:
                        return list(params.diagnostics)
                self.arrived.clear()
                await self.arrived.wait()
        return self.run(wait())

    def diagnostics_after(self, uri: str, seen: int) -> list[types.Diagnostic]:
        """The first diagnostics published for ``uri`` after the ``seen`` ones already received."""
        async def wait() -> list[types.Diagnostic]:
            while len(self.diagnostics.get(uri, [])) <= seen:
                self.arrived.clear()
                await self.arrived.wait()
            return list(self.diagnostics[uri][seen].diagnostics)
        return self.run(wait())

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="supervisor-rules", version=1,
            text=path.read_text(encoding="utf-8") if text is None else text)))
        return uri

    def change(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    def at(self, uri: str, line: int, character: int) -> dict:
        return {"text_document": types.TextDocumentIdentifier(uri=uri),
                "position": types.Position(line=line, character=character)}


@contextlib.contextmanager
def _session(capabilities: types.ClientCapabilities):
    session = Session()
    session.run(session.client.start_io(sys.executable, "-m", "supervisor_rules", "lsp"))
    try:
        session.capabilities = session.run(session.client.initialize_async(types.InitializeParams(
            capabilities=capabilities, process_id=None, root_uri=None))).capabilities
        session.client.initialized(types.InitializedParams())
        yield session
        session.run(session.client.shutdown_async(None))
        session.client.exit(None)
        session.run(session.client.stop())
    finally:
        server = session.client._server  # the process the client started: never left running
        if server is not None and server.returncode is None:
            server.kill()
            session.loop.run_until_complete(server.wait())
        session.loop.close()


@pytest.fixture(scope="module")
def lsp():
    with _session(types.ClientCapabilities()) as session:
        yield session


@pytest.fixture
def folder(tmp_path):
    for name in ("wuhan.rules", "common.rules"):
        shutil.copy(POLICIES / name, tmp_path / name)
    return tmp_path


def _find(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """(0-based line, code-point column) of ``needle``'s ``occurrence``-th appearance."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start)
    return line, start - (text.rfind("\n", 0, start) + 1)


# ------------------------------------------------------------------ protocol
def test_initialize_advertises_the_features(lsp):
    caps = lsp.capabilities
    assert caps.hover_provider and caps.definition_provider and caps.document_symbol_provider
    assert caps.document_formatting_provider
    assert "." in caps.completion_provider.trigger_characters
    sync = caps.text_document_sync
    assert (sync.change if hasattr(sync, "change") else sync) == types.TextDocumentSyncKind.Full
    assert caps.position_encoding in (None, types.PositionEncodingKind.Utf16)


def test_a_broken_file_gets_a_positioned_diagnostic_and_the_fix_clears_it(lsp, folder):
    good = (folder / "wuhan.rules").read_text(encoding="utf-8")
    broken = good.replace("须 person.devoted 且 person", "须 person.devoted 且且 person", 1)
    uri = lsp.open(folder / "wuhan.rules", broken)
    found = lsp.diagnostics_for(uri, 1)
    errors = [d for d in found if d.severity == types.DiagnosticSeverity.Error]
    assert len(errors) == 1 and errors[0].code == "syntax" and errors[0].source == "supervisor-rules"
    line, column = _find(broken, "且且")  # Chinese before it on the line: one UTF-16 unit each
    assert (errors[0].range.start.line, errors[0].range.start.character) == (line, column)
    assert (errors[0].range.end.line, errors[0].range.end.character) == (line, column + 2)
    lsp.change(uri, 2, good)
    assert lsp.diagnostics_for(uri, 2) == []


def test_columns_are_utf16_after_an_astral_character(lsp, tmp_path):
    text = '办法 t\n  标题 "t"\n事实 s "s" {\n  a: 布尔 "甲"\n}\n第一条 "𠀀条文" 须 s.b\n'
    uri = lsp.open(tmp_path / "astral.rules", text)
    unknown = [d for d in lsp.diagnostics_for(uri, 1) if d.code == "unknown-name"]
    line, column = _find(text, "s.b")
    assert len(unknown) == 1
    # 𠀀 (U+20000) is one code point, two UTF-16 units: every column after it moves by one.
    assert (unknown[0].range.start.line, unknown[0].range.start.character) == (line, column + 1)
    assert unknown[0].range.end.character == column + 1 + 3
    # … and a position the client sends is read the same way: `须` is at code point 11, UTF-16 unit 12.
    keyword = _hover(lsp, uri, line, text.split("\n")[line].index("须") + 1)
    assert "`require`" in keyword


def test_a_client_that_counts_in_utf8_gets_utf8_columns(tmp_path):
    # Neovim offers UTF-8 first: then every column is in bytes (甲 three, 𠀀 four).
    offered = types.ClientCapabilities(general=types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16]))
    text = '办法 t\n  标题 "t"\n事实 s "s" {\n  a: 布尔 "甲"\n}\n第一条 "𠀀条文" 须 s.b\n'
    with _session(offered) as utf8:
        assert utf8.capabilities.position_encoding == types.PositionEncodingKind.Utf8
        uri = utf8.open(tmp_path / "astral.rules", text)
        unknown = [d for d in utf8.diagnostics_for(uri, 1) if d.code == "unknown-name"]
        line, column = _find(text, "s.b")
        before = text.split("\n")[line][:column]
        assert unknown[0].range.start.character == len(before.encode("utf-8"))
        keyword = _hover(utf8, uri, line, len(before[:-2].encode("utf-8")))  # at `须`
        assert "`require`" in keyword


def test_an_import_problem_is_shown_at_the_import(lsp, folder):
    text = (folder / "wuhan.rules").read_text(encoding="utf-8").replace('"common.rules"', '"missing.rules"')
    uri = lsp.open(folder / "wuhan.rules", text)
    found = lsp.diagnostics_for(uri, 1)
    imports = [d for d in found if d.code == "import"]
    assert imports and imports[0].range.start.line == _find(text, "missing.rules")[0]


def test_saving_an_imported_file_rechecks_the_files_open_on_it(lsp, folder):
    uri = lsp.open(folder / "wuhan.rules")
    assert lsp.diagnostics_for(uri, 1) == []
    seen = len(lsp.diagnostics[uri])
    common = folder / "common.rules"
    renamed = common.read_text(encoding="utf-8").replace("枚举 annual_rating ", "枚举 annual_rating_renamed ")
    common.write_text(renamed, encoding="utf-8")
    common_uri = lsp.open(common, renamed)
    lsp.client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=common_uri)))
    found = lsp.diagnostics_after(uri, seen)
    assert any(d.code == "unknown-name" and "annual_rating" in d.message for d in found)


def test_a_document_over_the_limit_gets_one_diagnostic(lsp, tmp_path):
    text = "# " + "x" * analysis.MAX_DOCUMENT_BYTES + "\n"
    uri = lsp.open(tmp_path / "huge.rules", text)
    found = lsp.diagnostics_for(uri, 1)
    assert len(found) == 1 and found[0].code == "limit" and "1,048,576" in found[0].message


def test_text_that_breaks_everything_never_breaks_the_server(lsp, tmp_path):
    for version, text in enumerate(["", "第", '"', "办法", "\x00\ufeff（（（", "事实 s {" * 200, "𠀀" * 50], 1):
        uri = lsp.open(tmp_path / f"junk{version}.rules", text)
        lsp.diagnostics_for(uri, 1)
        lsp.run(lsp.client.text_document_hover_async(types.HoverParams(**lsp.at(uri, 0, 1))))
        lsp.run(lsp.client.text_document_completion_async(types.CompletionParams(**lsp.at(uri, 0, 1))))
        lsp.run(lsp.client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))))


# ------------------------------------------------------------------ hover, definition, completion
def _hover(lsp, uri: str, line: int, character: int) -> str:
    found = lsp.run(lsp.client.text_document_hover_async(types.HoverParams(**lsp.at(uri, line, character))))
    assert found is not None
    return found.contents.value


def test_hover_on_a_fact_an_article_ref_and_a_keyword(lsp, folder):
    text = (folder / "wuhan.rules").read_text(encoding="utf-8")
    uri = lsp.open(folder / "wuhan.rules")
    line, column = _find(text, "person.supports_party_line")  # in a rule
    fact = _hover(lsp, uri, line, column + 3)
    assert "拥护党的路线、方针、政策" in fact and "布尔 bool" in fact and "open-world" in fact
    line, column = _find(text, "符合 第三条")
    article = _hover(lsp, uri, line, column + 4)
    assert "第三条" in article and "社会监督员应当具备下列条件" in article
    line, column = _find(text, "    须 person")
    keyword = _hover(lsp, uri, line, column + 4)
    assert "`require`" in keyword and "`requires`" in keyword
    line, column = _find(text, "引用 ")  # a keyword inside a larger node (the import) is still the keyword
    assert "`import`" in _hover(lsp, uri, line, column)


def test_definition_of_a_fact_an_enum_value_an_article_and_an_import(lsp, folder):
    text = (folder / "wuhan.rules").read_text(encoding="utf-8")
    common = (folder / "common.rules").read_text(encoding="utf-8")
    uri = lsp.open(folder / "wuhan.rules")

    def definition(line: int, character: int) -> types.Location:
        found = lsp.run(lsp.client.text_document_definition_async(types.DefinitionParams(**lsp.at(uri, line, character))))
        assert isinstance(found, types.Location)
        return found

    where = definition(*_find(text, "person.supports_party_line"))
    assert where.uri == uri and where.range.start.line == _find(text, "supports_party_line:")[0]
    line, column = _find(text, "= other")
    where = definition(line, column + 3)
    assert where.uri == (folder / "common.rules").as_uri()
    assert where.range.start.line == _find(common, "other ", 1)[0]  # candidate_category's `other`, not background's
    line, column = _find(text, "符合 第三条")
    assert definition(line, column + 4).range.start.line == _find(text, "第三条 ")[0]
    line, column = _find(text, '"common.rules"')
    assert definition(line, column + 2).uri == (folder / "common.rules").as_uri()


def _labels(lsp, uri: str, line: int, character: int) -> dict[str, types.CompletionItem]:
    found = lsp.run(lsp.client.text_document_completion_async(types.CompletionParams(**lsp.at(uri, line, character))))
    items = found.items if isinstance(found, types.CompletionList) else found
    return {item.label: item for item in items}


def test_completion_offers_both_languages_facts_refs_and_enum_values(lsp, folder):
    text = (folder / "wuhan.rules").read_text(encoding="utf-8")
    uri = lsp.open(folder / "wuhan.rules")
    line, column = _find(text, "    须 person.devoted")
    items = _labels(lsp, uri, line, column + 4)
    for row in kw.KEYWORDS:
        assert set(row.en + row.zh) <= set(items)
    assert items["person.honest"].detail == "诚信"
    assert items["第三条"].kind == types.CompletionItemKind.Reference and "第三条第（一）项" in items
    # While a half-typed line does not parse: a section's facts, then an enum fact's values.
    lsp.change(uri, 2, text + "\n  提示 \"x\" 当 person.")
    last = text.count("\n") + 1
    fields = _labels(lsp, uri, last, len('  提示 "x" 当 person.'))
    assert fields["honest"].detail == "诚信" and "appointment.start" not in fields
    lsp.change(uri, 3, text + "\n  提示 \"x\" 当 person.candidate_category 属于 {npc_deputy, ")
    values = _labels(lsp, uri, last, len('  提示 "x" 当 person.candidate_category 属于 {npc_deputy, '))
    assert values["other"].detail == "其他" and values["other"].kind == types.CompletionItemKind.EnumMember
    assert "须" not in values


# ------------------------------------------------------------------ outline and formatting
def test_document_symbols_outline_every_article(lsp, folder):
    uri = lsp.open(folder / "wuhan.rules")
    found = lsp.run(lsp.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))))
    articles = [s for s in found if s.kind == types.SymbolKind.Module]
    assert [s.name for s in articles] == [a.cite for a in sr.load_policy(folder / "wuhan.rules").articles]
    third = next(s for s in articles if s.name == "第三条")
    assert [c.name for c in third.children][:2] == ["第三条第（一）项", "第三条第（二）项"]
    assert all(s.selection_range.start.line == s.range.start.line for s in articles)


def test_formatting_returns_the_formatters_text(lsp, folder):
    text = (folder / "wuhan.rules").read_text(encoding="utf-8")
    messy = text.replace("    须 person.devoted 且", "    须   person.devoted   且", 1)
    uri = lsp.open(folder / "wuhan.rules", messy)

    def formatting() -> list[types.TextEdit]:
        return lsp.run(lsp.client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True))))

    edits = formatting()
    assert len(edits) == 1 and edits[0].new_text == formatter.format_text(messy) == text
    assert (edits[0].range.start.line, edits[0].range.start.character) == (0, 0)
    assert edits[0].range.end.line == messy.count("\n")
    lsp.change(uri, 2, text)
    assert not formatting()  # already in the canonical layout
    lsp.change(uri, 3, text + "\n须 且")
    assert not formatting()  # does not parse: no edit, no error


# ------------------------------------------------------------------ the process, the command, positions
def test_the_server_exits_when_its_input_closes():
    # `--stdio`, which editors' clients may pass, means what is done anyway.
    process = subprocess.Popen([sys.executable, "-m", "supervisor_rules", "lsp", "--stdio"], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.stdin.close()
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_without_the_extra_the_command_says_what_to_install(cli, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pygls" else real(name, *a))
    code, out, err = cli("lsp")
    assert code == 2 and "install supervisor-rules[lsp]" in err and out == ""


def test_positions_convert_between_code_points_and_utf16():
    line = "须 𠀀甲 x"
    assert positions.to_units(line, 3) == 4 and positions.from_units(line, 4) == 3
    assert positions.from_units(line, 3) == 2  # inside the surrogate pair: the character's start
    assert positions.to_units(line, 99) == positions.units(line) == len(line) + 1
    assert positions.to_units(line, 3, positions.UTF8) == len("须 𠀀".encode())
    assert positions.from_units(line, len("须 𠀀".encode()), positions.UTF8) == 3
    assert positions.end_of("a\n𠀀") == (1, 2)


def test_keyword_at_finds_multi_word_keywords_outside_strings():
    line = '  提示 "须 当" 当 x is not empty # 须'
    assert analysis.keyword_at(line, line.index("当 x"))[2].terminal == "WHEN"
    start, end, row = analysis.keyword_at(line, line.index("not"))
    assert row.terminal == "NOT_EMPTY" and line[start:end] == "is not empty"
    assert analysis.keyword_at(line, line.index("须")) is None  # in a string
    assert analysis.keyword_at(line, line.rindex("须")) is None  # in a comment


# ------------------------------------------------------------------ the VS Code folder
EDITOR = ROOT / "editors" / "vscode"


def test_the_committed_textmate_grammar_is_the_generated_one():
    assert (EDITOR / "syntaxes" / "rules.tmLanguage.json").read_text(encoding="utf-8") == textmate.render()


def test_the_extension_manifest_and_grammar_are_valid_json():
    manifest = json.loads((EDITOR / "package.json").read_text(encoding="utf-8"))
    grammar = json.loads((EDITOR / "syntaxes" / "rules.tmLanguage.json").read_text(encoding="utf-8"))
    json.loads((EDITOR / "language-configuration.json").read_text(encoding="utf-8"))
    language = manifest["contributes"]["languages"][0]
    assert language["id"] == "supervisor-rules" and ".rules" in language["extensions"]
    assert manifest["contributes"]["grammars"][0]["scopeName"] == grammar["scopeName"] == "source.supervisor-rules"
    assert "supervisor-rules.server.path" in manifest["contributes"]["configuration"]["properties"]
    scopes = {rule["name"] for rule in grammar["repository"].values() if "name" in rule}
    scopes |= {rule["name"] for entry in grammar["repository"].values() for rule in entry.get("patterns", ())
               if "name" in rule}
    assert {"comment.line.number-sign.supervisor-rules", "string.quoted.double.supervisor-rules",
            "keyword.control.supervisor-rules", "keyword.operator.word.supervisor-rules"} <= scopes


def test_every_keyword_is_coloured_by_the_grammar():
    import re

    grammar = textmate.grammar()
    keywords = [rule for rule in grammar["repository"]["keywords"]["patterns"]]
    for row in kw.KEYWORDS:
        for spelling in row.spellings():
            matched = [rule["name"] for rule in keywords if re.fullmatch(rule["match"], spelling)]
            assert matched, spelling


@pytest.mark.slow
def test_every_rule_file_of_the_repository_answers_everywhere():
    # Every question at every fifth position of every rule file (gallery, fixtures, examples, policies):
    # no exception, and a hover's range holds the position asked about.
    files = sorted(p for folder in ("policies", "examples", "tests") for p in (ROOT / folder).rglob("*.rules"))
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        found = analysis.Analysis(text, path, str(path))
        found.symbols()
        found.formatted()
        for number, line in enumerate(found.lines):
            for column in range(0, len(line) + 1, 5):
                hovered = found.hover(number, column)
                if hovered is not None:
                    where = hovered[1]
                    assert (where.line, where.column) <= (number, column) <= (where.end_line, where.end_column), path
                found.definition(number, column)
            found.completions(number, len(line))
