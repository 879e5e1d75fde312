"""``supervisor-rules lsp``: a Language Server Protocol server for rule files over standard input and
output (``supervisor_rules.lsp``; docs/editors.md). It runs until the editor stops it.

Needs the ``lsp`` extra: without it, exit 2 with ``install supervisor-rules[lsp]``. ``--stdio`` is
accepted and means what is done anyway (editors' clients pass it).
"""

from __future__ import annotations

import importlib.util
import sys

EXIT_USAGE = 2


def register(commands, options) -> None:
    p = commands.add_parser(
        "lsp", help="a language server for rule files (LSP over stdio)",
        description="A Language Server Protocol server for rule files over standard input and output: "
                    "diagnostics, hover, go to definition, completion, the outline and formatting. Runs "
                    "until the editor stops it. Needs the lsp extra: pip install 'supervisor-rules[lsp]'.")
    p.add_argument("--stdio", action="store_true", help="talk over standard input and output (the default, and the only way)")
    p.set_defaults(handler=run)


def run(args) -> int:
    missing = [name for name in ("pygls", "lsprotocol") if importlib.util.find_spec(name) is None]
    if missing:
        sys.stderr.write("supervisor-rules lsp: 错误：缺少语言服务器依赖，请安装 supervisor-rules[lsp] / error: the "
                         f"language server needs {' and '.join(missing)}: install supervisor-rules[lsp]\n")
        return EXIT_USAGE
    from supervisor_rules.lsp import server

    return server.main()
