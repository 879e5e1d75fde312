"""A Language Server Protocol server for rule files (``supervisor-rules lsp``; docs/editors.md).

``positions`` converts between the project's 1-based code-point columns and LSP's UTF-16 code
units; ``analysis`` answers every question an editor asks (diagnostics, hover, definition,
completion, outline, formatting) on plain text with no LSP library; ``server`` is the thin pygls
layer over it (the ``lsp`` extra); ``textmate`` writes the VS Code grammar from the keyword table.
"""
