"""The CloudWatch Logs filter pattern parser, unit by unit (services/logs/filter_pattern.py)."""

from __future__ import annotations

import json

import pytest

from services.logs.filter_pattern import FilterPatternError, compile_filter_pattern, parse_selector, split_terms

DOC = json.dumps({
    "eventType": "UpdateTrail", "code": 404, "ratio": 0.5, "ok": False, "none": None,
    "ip": "123.123.4.5", "user": {"name": "ann", "roles": ["admin", "dev"]},
})


def matches(pattern: str, message: str = DOC) -> bool:
    return compile_filter_pattern(pattern)(message)


def test_empty_pattern_matches_everything() -> None:
    assert matches("", "anything") and matches("   ", "x")
    assert compile_filter_pattern(None)("x")


def test_split_terms_reads_signs_and_quoted_phrases() -> None:
    assert split_terms('ERROR ?WARN -DEBUG "a b" -"c \\"d\\""') == [
        ("+", "ERROR"), ("?", "WARN"), ("-", "DEBUG"), ("+", "a b"), ("-", 'c "d"'),
    ]
    with pytest.raises(FilterPatternError):
        split_terms('"unterminated')


@pytest.mark.parametrize(("pattern", "message", "expected"), [
    ("ERROR", "[ERROR] disk", True),
    ("ERROR", "ERRORS happen", False),  # a whole term, not part of a word
    ("ERROR", "error", False),  # case-sensitive
    ("ERROR disk", "disk ERROR", True),  # AND, any order
    ("ERROR disk", "ERROR only", False),
    ("?ERROR ?WARN", "WARN: x", True),
    ("?ERROR ?WARN", "INFO", False),
    ("ERROR -timeout", "ERROR timeout", False),
    ("ERROR -timeout", "ERROR done", True),
    ('"Server Error"', "500 Server Error!", True),
    ('"Server Error"', "Server  Error", False),
    ("user=ann", "x user=ann y", True),
    ("%^a.c$%", "abc", True),
    ("%^a.c$%", "xabc", False),
])
def test_terms(pattern: str, message: str, expected: bool) -> None:
    assert matches(pattern, message) is expected


def test_selectors_are_parsed_into_paths() -> None:
    assert parse_selector("$.user.roles[1]") == ["user", "roles", 1]
    for bad in ("user", "$", "$.a[x]", "$..a"):
        with pytest.raises(FilterPatternError):
            parse_selector(bad)
    with pytest.raises(FilterPatternError, match="does not support"):
        parse_selector("$.a[*]")


@pytest.mark.parametrize(("pattern", "expected"), [
    ('{ $.eventType = "UpdateTrail" }', True),
    ("{ $.eventType = UpdateTrail }", True),
    ('{ $.eventType = "updatetrail" }', False),
    ("{ $.eventType = Update* }", True),
    ("{ $.eventType = *Trail }", True),
    ("{ $.ip != 123.123.* }", False),
    ("{ $.ip = 123.123.* }", True),
    ("{ $.code = 404 }", True),
    ("{ $.code != 404 }", False),
    ("{ $.code >= 400 && $.code < 500 }", True),
    ("{ $.code > 404 }", False),
    ("{ $.ratio < 1 }", True),
    ('{ $.code = "404" }', False),  # a string does not equal a number
    ("{ $.user.name = ann }", True),
    ('{ $.user.roles[0] = "admin" }', True),
    ('{ $.user.roles[5] = "admin" }', False),
    ("{ $.ok IS FALSE }", True),
    ("{ $.ok IS TRUE }", False),
    ("{ $.none IS NULL }", True),
    ("{ $.code IS NULL }", False),
    ("{ $.missing NOT EXISTS }", True),
    ("{ $.code NOT EXISTS }", False),
    ('{ $.missing != "x" }', False),  # an absent field matches no comparison
    ('{ $.code = 1 || ($.eventType = "UpdateTrail" && $.ok IS FALSE) }', True),
    ('{ ($.code = 1 || $.eventType = "UpdateTrail") && $.ok IS TRUE }', False),
    ("{ $.eventType = %Update[A-Z]% }", True),
])
def test_json_patterns(pattern: str, expected: bool) -> None:
    assert matches(pattern) is expected


def test_json_patterns_never_match_messages_that_are_not_json() -> None:
    assert not matches('{ $.a = "b" }', 'a = "b"')
    assert not matches('{ $.a = "b" }', '{"a": "b"')
    assert matches('{ $.a = "b" }', ' {"a": "b"} ')


@pytest.mark.parametrize("pattern", [
    "{ $.a = }", "{ $.a }", "{ = 1 }", "{ $.a = 1", "{ $.a > x }", "{ ($.a = 1 }", "{ $.a = 1 && }",
    "{ }", "{ $.a IS MAYBE }", "%a(b)%", "[ip, user]", 'a"b',
])
def test_invalid_or_unsupported_patterns_raise(pattern: str) -> None:
    with pytest.raises(FilterPatternError):
        compile_filter_pattern(pattern)
