"""The ``supervisor-rules`` command: ``main`` parses the arguments; INTERFACE.md's commands are in
``main``, further ones in ``commands`` (one module each)."""

from supervisor_rules.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
