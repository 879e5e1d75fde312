"""Partial matching of an expected decision fragment against an actual decision.

The matcher lives in the package now (``supervisor_rules.expect``), where policy
test files (``supervisor-rules test``) use it too; this module re-exports it for
the fixture tests. See ``supervisor_rules/expect.py`` for the rules.
"""

from __future__ import annotations

from supervisor_rules.expect import Mismatch, brief, match, mismatches

_brief = brief

__all__ = ["Mismatch", "brief", "match", "mismatches"]
