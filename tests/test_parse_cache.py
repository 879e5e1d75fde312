"""The per-user cache of parsed rule files (``lang/parse_cache.py``): a hit gives the same syntax tree
without parsing, anything unusual falls back to parsing, and the cache stays bounded."""

from __future__ import annotations

import pytest

import supervisor_rules as sr
from supervisor_rules import policy as policy_module
from supervisor_rules.lang import parse_cache, parser
from supervisor_rules.resources import policies_dir

TEXT = (policies_dir() / "guangxi.rules").read_text(encoding="utf-8")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("SUPERVISOR_RULES_NO_CACHE", raising=False)
    return tmp_path / "supervisor-rules"


def _entries(folder):
    return sorted(folder.glob("parsed-*.pickle"))


def test_a_second_parse_reads_the_tree_and_parses_nothing(cache, monkeypatch):
    first = parser.parse_module(TEXT, "guangxi.rules", cache=True)
    assert len(_entries(cache)) == 1

    def no_parsing(*args):
        raise AssertionError("parsed again")
    monkeypatch.setattr(parser, "_parse", no_parsing)
    again = parser.parse_module(TEXT, "guangxi.rules", cache=True)
    assert again == first and again is not first
    assert [a.span for a in again.articles] == [a.span for a in first.articles]  # spans are part of it


def test_the_key_is_the_text_the_name_and_the_front_end(cache, monkeypatch):
    parser.parse_module(TEXT, "guangxi.rules", cache=True)
    parser.parse_module(TEXT, "other-name.rules", cache=True)  # spans name their file: another entry
    parser.parse_module(TEXT + "\n", "guangxi.rules", cache=True)
    assert len(_entries(cache)) == 3
    parse_cache._front_end_digest.cache_clear()
    monkeypatch.setattr(parse_cache, "_front_end_digest", lambda: "another grammar or builder")
    parser.parse_module(TEXT, "guangxi.rules", cache=True)
    assert len(_entries(cache)) == 4


def test_a_damaged_entry_is_parsed_again(cache):
    first = parser.parse_module(TEXT, "guangxi.rules", cache=True)
    (entry,) = _entries(cache)
    for damage in (b"", b"not a pickle", entry.read_bytes()[:100]):
        entry.write_bytes(damage)
        assert parser.parse_module(TEXT, "guangxi.rules", cache=True) == first


def test_syntax_errors_are_not_cached_and_still_reported(cache):
    with pytest.raises(sr.PolicySyntaxError):
        parser.parse_module("policy broken 没有结尾 ((", "broken.rules", cache=True)
    assert _entries(cache) == []
    with pytest.raises(sr.PolicySyntaxError):
        parser.parse_module("policy broken 没有结尾 ((", "broken.rules", cache=True)


def test_off_by_environment_and_bounded(cache, monkeypatch):
    monkeypatch.setenv("SUPERVISOR_RULES_NO_CACHE", "1")
    parser.parse_module(TEXT, "guangxi.rules", cache=True)
    assert not cache.exists() or _entries(cache) == []
    monkeypatch.delenv("SUPERVISOR_RULES_NO_CACHE")
    monkeypatch.setattr(parse_cache, "MAX_ENTRIES", 3)
    for number in range(6):
        parser.parse_module(TEXT, f"copy-{number}.rules", cache=True)
    assert len(_entries(cache)) == 3
    monkeypatch.setattr(parse_cache, "MAX_ENTRY_BYTES", 10)
    parser.parse_module(TEXT, "too-big.rules", cache=True)
    assert len(_entries(cache)) == 3  # the big one was not kept (names are hashes: count them)


def test_only_files_are_cached(cache):
    parser.parse_module(TEXT, "guangxi.rules")  # text given in the call (an editor, a test): not kept
    assert _entries(cache) == []


def test_a_policy_loads_the_same_from_the_cache(cache):
    policy_module._parse_imported.cache_clear()  # the vocabulary, parsed earlier in this process, is read again
    cold = sr.load_policy(policies_dir() / "guangxi.rules")  # parsed, and kept
    warm = sr.load_policy(policies_dir() / "guangxi.rules")  # read from the cache
    assert len(_entries(cache)) == 2  # the policy and the vocabulary it imports
    case = {"as_of": "2024-05-01", "appointment": {"start": "2021-01-04"}}
    assert cold.evaluate(case).to_dict() == warm.evaluate(case).to_dict()
    assert cold.sha256 == warm.sha256
