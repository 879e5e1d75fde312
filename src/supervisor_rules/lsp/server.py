"""The language server: pygls over standard input and output (``supervisor-rules lsp``).

A thin layer: each request is answered by ``lsp.analysis`` on the document's text, and the places it
returns (code points) are turned into the position encoding agreed with the client (UTF-16 unless
the client offers another; ``lsp.positions``). Documents are synchronised whole; diagnostics are
published when a document opens or is saved, and ``DEBOUNCE_SECONDS`` after the last change.
Needs the ``lsp`` extra (``pip install 'supervisor-rules[lsp]'``).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer

from supervisor_rules.lsp import analysis as an
from supervisor_rules.lsp import positions as pos

logger = logging.getLogger(__name__)

#: Diagnostics wait this long after a change, so that typing is not slowed by a check per key.
DEBOUNCE_SECONDS = 0.25
NAME = "supervisor-rules"

_COMPLETION_KINDS = {
    "keyword": types.CompletionItemKind.Keyword, "fact": types.CompletionItemKind.Field,
    "field": types.CompletionItemKind.Field, "section": types.CompletionItemKind.Module,
    "value": types.CompletionItemKind.EnumMember, "article": types.CompletionItemKind.Reference,
    "definition": types.CompletionItemKind.Function, "type": types.CompletionItemKind.Class,
}
_SYMBOL_KINDS = {
    "header": types.SymbolKind.File, "chapter": types.SymbolKind.Namespace, "article": types.SymbolKind.Module,
    "paragraph": types.SymbolKind.Package, "item": types.SymbolKind.Key, "subitem": types.SymbolKind.Key,
    "facts": types.SymbolKind.Struct, "enum": types.SymbolKind.Enum, "record": types.SymbolKind.Struct,
    "definition": types.SymbolKind.Function, "invariant": types.SymbolKind.Property,
}
_SEVERITIES = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("supervisor-rules")
    except Exception:  # not installed as a distribution (a source tree on the path)
        return "0"


class RulesServer(LanguageServer):
    """The server, with one ``Analysis`` per open document and version, made when first asked for."""

    def __init__(self) -> None:
        super().__init__(NAME, _version(), text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.analyses: dict[str, tuple[int, int, an.Analysis]] = {}  # uri → (version, generation, analysis)
        self.parsed: dict[str, Any] = {}  # uri → the module of its last version that parsed
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.generation = 0  # bumped on every edit of any document: an import may be open and edited

    # -------------------------------------------------------------- documents
    def encoding(self) -> str:
        chosen = self.workspace.position_encoding or pos.UTF16
        value = getattr(chosen, "value", chosen)  # an lsprotocol enum, or the plain string
        return value if value in (pos.UTF8, pos.UTF16, pos.UTF32) else pos.UTF16

    def _open_text(self, path: Path) -> str | None:
        """An imported file's text: the editor's (unsaved) if it is open, else the disk's."""
        for uri, document in self.workspace.text_documents.items():
            fs = uris.to_fs_path(uri)
            try:
                if fs is not None and Path(fs).resolve() == path:
                    return document.source
            except (OSError, RuntimeError, ValueError):
                continue
        return an.read_file(path)

    def analysis(self, uri: str) -> an.Analysis:
        document = self.workspace.get_text_document(uri)
        version = document.version or 0
        cached = self.analyses.get(uri)
        if cached is not None and cached[0] == version and cached[1] == self.generation:
            return cached[2]
        fs = uris.to_fs_path(uri) if uri.startswith("file:") else None
        path = Path(fs).resolve() if fs else None
        result = an.Analysis(document.source, path, str(path) if path else uri, reader=self._open_text,
                             fallback=self.parsed.get(uri))
        if result.module is not None:
            self.parsed[uri] = result.module
        self.analyses[uri] = (version, self.generation, result)
        return result

    def forget(self, uri: str) -> None:
        self.analyses.pop(uri, None)
        self.parsed.pop(uri, None)
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()

    # -------------------------------------------------------------- conversions
    def _lines(self, result: an.Analysis, path: str | None) -> list[str]:
        if path is None:
            return result.lines
        text = result.texts.get(path)
        if text is None:
            text = an.read_file(Path(path)) or ""
        return pos.lines_of(text)

    def position(self, lines: list[str], line: int, column: int) -> types.Position:
        text = lines[line] if 0 <= line < len(lines) else ""
        return types.Position(line=max(line, 0), character=pos.to_units(text, column, self.encoding()))

    def range(self, result: an.Analysis, where: an.Range) -> types.Range:
        lines = self._lines(result, where.path)
        return types.Range(start=self.position(lines, where.line, where.column),
                           end=self.position(lines, where.end_line, where.end_column))

    def column(self, result: an.Analysis, position: types.Position) -> tuple[int, int]:
        """A client position as (line, code-point column) of the document."""
        text = result.lines[position.line] if position.line < len(result.lines) else ""
        return position.line, pos.from_units(text, position.character, self.encoding())

    # -------------------------------------------------------------- diagnostics
    def publish(self, uri: str) -> None:
        if uri not in self.workspace.text_documents:
            return
        result = self.analysis(uri)
        base = result.path.parent if result.path is not None else None
        out = []
        for problem in result.diagnostics(base):
            related = []
            for file, line, column, text, message in problem.related:  # a problem in an imported file
                start = types.Position(line=max(line, 0), character=pos.to_units(text, column, self.encoding()))
                end = types.Position(line=max(line, 0), character=pos.to_units(text, column + 1, self.encoding()))
                related.append(types.DiagnosticRelatedInformation(
                    location=types.Location(uri=uris.from_fs_path(file) or file, range=types.Range(start=start, end=end)),
                    message=message))
            out.append(types.Diagnostic(range=self.range(result, problem.range), message=problem.message,
                                        severity=_SEVERITIES.get(problem.severity, types.DiagnosticSeverity.Error),
                                        code=problem.code, source=NAME, related_information=related or None))
        document = self.workspace.get_text_document(uri)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=out, version=document.version))

    def schedule(self, uri: str, delay: float) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()

        async def later() -> None:
            await asyncio.sleep(delay)
            self.pending.pop(uri, None)
            try:
                self.publish(uri)
            except Exception:  # a bug must cost one check, not the server: logged for the editor's output
                logger.exception("cannot check %s", uri)

        self.pending[uri] = asyncio.get_running_loop().create_task(later())


server = RulesServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: RulesServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.generation += 1
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: RulesServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.generation += 1
    ls.schedule(params.text_document.uri, DEBOUNCE_SECONDS)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: RulesServer, params: types.DidSaveTextDocumentParams) -> None:
    # The checker reads imported files from disk: a saved file may change what every open file reports.
    ls.generation += 1
    for uri in list(ls.workspace.text_documents):
        ls.schedule(uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: RulesServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.generation += 1
    ls.forget(params.text_document.uri)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: RulesServer, params: types.HoverParams) -> types.Hover | None:
    result = ls.analysis(params.text_document.uri)
    found = result.hover(*ls.column(result, params.position))
    if found is None:
        return None
    text, where = found
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
                       range=ls.range(result, where))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: RulesServer, params: types.DefinitionParams) -> types.Location | None:
    result = ls.analysis(params.text_document.uri)
    where = result.definition(*ls.column(result, params.position))
    if where is None:
        return None
    uri = params.text_document.uri if where.path is None else uris.from_fs_path(where.path)
    if uri is None:
        return None
    return types.Location(uri=uri, range=ls.range(result, where))


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[".", "=", "{", ",", " "]))
def completion(ls: RulesServer, params: types.CompletionParams) -> types.CompletionList:
    result = ls.analysis(params.text_document.uri)
    line, column = ls.column(result, params.position)
    start, found = result.completions(line, column)
    lines = result.lines
    replaced = types.Range(start=ls.position(lines, line, start), end=ls.position(lines, line, column))
    items = [types.CompletionItem(
        label=c.label, kind=_COMPLETION_KINDS.get(c.kind), detail=c.detail or None,
        documentation=types.MarkupContent(kind=types.MarkupKind.PlainText, value=c.documentation)
        if c.documentation else None,
        sort_text=c.sort or None, text_edit=types.TextEdit(range=replaced, new_text=c.label))
        for c in found]
    return types.CompletionList(is_incomplete=False, items=items)


def _symbol(ls: RulesServer, result: an.Analysis, symbol: an.Symbol) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=symbol.name, detail=symbol.detail or None, kind=_SYMBOL_KINDS.get(symbol.kind, types.SymbolKind.Object),
        range=ls.range(result, symbol.range), selection_range=ls.range(result, symbol.selection),
        children=[_symbol(ls, result, child) for child in symbol.children] or None)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbol(ls: RulesServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    result = ls.analysis(params.text_document.uri)
    return [_symbol(ls, result, s) for s in result.symbols()]


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: RulesServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
    result = ls.analysis(params.text_document.uri)
    formatted = result.formatted()
    if formatted is None:
        return []
    line, character = pos.end_of(result.text, ls.encoding())
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=line, character=character))
    return [types.TextEdit(range=whole, new_text=formatted)]


def main() -> int:
    """Serve over standard input and output until the client says exit (or closes the stream)."""
    server.start_io()
    return 0
