"""The grammar itself, and how parser.py builds and runs it.

Run-time builds skip Lark's terminal-collision analysis (it takes seconds), so
this file runs it: Lark in strict mode refuses a grammar in which two
terminals could match the same text with nothing to rank them, and an LALR
conflict.
"""

from __future__ import annotations

import gc
import threading

import lark
import pytest

from supervisor_rules.lang import parser  # noqa: E402
from supervisor_rules.errors import PolicySyntaxError
from supervisor_rules.resources import grammar_path, policies_dir


def test_grammar_is_clean_in_lark_strict_mode():
    import interegular  # noqa: F401 - strict mode needs it (the `test` extra)
    text = grammar_path().read_text(encoding="utf-8")
    # No cache and the standard contextual lexer: the full analysis, as Lark does it by default.
    lark.Lark(text, parser="lalr", lexer="contextual", strict=True, maybe_placeholders=False)


def test_strict_mode_would_catch_a_collision():
    import interegular  # noqa: F401 - strict mode needs it (the `test` extra)
    text = grammar_path().read_text(encoding="utf-8")
    # A second, unranked spelling of `when` as its own terminal collides with WHEN.
    broken = text.replace("\nWHEN.2:", "\nWHEN2.2: /(?:when|当)(?!\\w)/\nwhen2: WHEN2\nWHEN.2:", 1)
    broken = broken.replace("require: REQUIRE expr (WHEN expr)?", "require: REQUIRE expr (WHEN expr)? when2?", 1)
    with pytest.raises(lark.exceptions.LexError, match="Collision"):
        lark.Lark(broken, parser="lalr", lexer="contextual", strict=True, maybe_placeholders=False)


def test_a_path_is_one_token_whose_later_parts_may_spell_keywords():
    module = parser.parse_module("policy p\ninvariant i cites article 1 then decision.status = active\n")
    assert module.invariants[0].then.left.parts == ("decision", "status")
    with pytest.raises(PolicySyntaxError, match="`status` is a keyword"):
        parser.parse_module("policy p\narticle 1\n  require status.x\n")
    # `article` is a fine field name; only the Chinese markers are shaped like one word.
    assert parser.parse_module("policy p\narticle 1\n  require s.article\n").articles[0].rules[0].condition.parts == (
        "s", "article")


@pytest.mark.parametrize("text", ["s.第二条", "第三章.x", "s.第一款.y"])
def test_a_path_part_shaped_like_a_marker_is_refused_at_the_path(text):
    with pytest.raises(PolicySyntaxError, match="marker, not a name") as exc:
        parser.parse_module(f"policy p\narticle 1\n  require {text}\n")
    assert (exc.value.line, exc.value.column) == (3, 11)


# ------------------------------------------------------------------ the garbage collector
def test_the_collector_is_back_on_after_a_parse_and_after_a_failed_one():
    assert gc.isenabled()
    parser.parse_module("policy p\n")
    assert gc.isenabled()
    with pytest.raises(PolicySyntaxError):
        parser.parse_module("policy p\narticle 1\n  require (\n")
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_application_stays_off():
    gc.disable()
    try:
        parser.parse_module("policy p\n")
        assert not gc.isenabled()
    finally:
        gc.enable()


# ------------------------------------------------------------------ threads
def test_parses_from_many_threads_each_get_their_own_file():
    texts = {name: (policies_dir() / f"{name}.rules").read_text(encoding="utf-8") for name in ("guangxi", "wuhan")}
    expected = {name: parser.parse_module(text, name) for name, text in texts.items()}
    results, errors = [], []

    def work(name):
        try:
            for _ in range(5):
                results.append((name, parser.parse_module(texts[name], name)))
                with pytest.raises(PolicySyntaxError) as exc:
                    parser.parse_module("policy p\narticle 1\n  require (\n", f"{name}-broken")
                assert exc.value.diagnostics[0].source == f"{name}-broken"
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("guangxi", "wuhan") for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 30
    assert all(module == expected[name] for name, module in results)


# ------------------------------------------------------------------ the grammar cache
def test_the_grammar_cache_is_per_user_and_prunes_other_versions(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("SUPERVISOR_RULES_NO_CACHE", raising=False)
    folder = tmp_path / "supervisor-rules"
    folder.mkdir()
    stale = folder / "grammar-0123456789abcdef-nodes.lark-cache"
    stale.write_bytes(b"from an older version")
    unrelated = folder / "notes.txt"
    unrelated.write_text("not ours to remove")
    text = grammar_path().read_text(encoding="utf-8")
    path = parser._cache_file(text, "nodes")
    assert path.parent == folder and path.name.endswith("-nodes.lark-cache")
    assert not stale.exists() and unrelated.exists()
    parser._make_lark("nodes", transformer=parser._Builder())  # writes the cache
    assert path.exists()
    sibling = parser._cache_file(text, "tree")
    assert path.exists(), "the current version's other parser keeps its cache"
    assert sibling != path


def test_no_cache_when_asked(monkeypatch):
    monkeypatch.setenv("SUPERVISOR_RULES_NO_CACHE", "1")
    assert parser._cache_file(grammar_path().read_text(encoding="utf-8"), "nodes") is None


def test_every_terminal_is_described_in_words():
    # Error messages list what was expected; a terminal must never show as its bare name (`path`).
    for term in parser.terminals():
        if term.name.startswith("__ANON") or term.name in ("COMMENT",) or term.name.startswith("__"):
            continue
        words = parser.describe_terminal(term.name)
        assert "`" in words or words.startswith(("a ", "an ", "the ", "quoted")), (term.name, words)
