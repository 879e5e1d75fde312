"""The text explanation of every sample case (``examples/cases``), in Chinese and in English, against
its snapshot in ``tests/snapshots/explanations``: each was read against the regulation when written.
``UPDATE_SNAPSHOTS=1`` rewrites them (read the diff before committing it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import supervisor_rules as sr

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "examples" / "cases").glob("*/*.json"))
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "explanations"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_the_text_explanation_matches_its_snapshot(path, lang):
    policy = sr.builtin_policy(path.parent.name)
    decision = policy.evaluate(json.loads(path.read_text(encoding="utf-8")))
    text = decision.to_text(explain=True, lang=lang) + "\n"
    snapshot = SNAPSHOTS / f"{path.parent.name}-{path.stem}.{lang}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert text == snapshot.read_text(encoding="utf-8")
    if lang == "en":  # one language per output: no Chinese outside the titles of documents (《…》)
        assert not any("\u4e00" <= ch <= "\u9fff" for line in text.splitlines() if "《" not in line
                       for ch in line), text
