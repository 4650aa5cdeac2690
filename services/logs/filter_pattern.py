"""CloudWatch Logs filter patterns (FilterLogEvents' `filterPattern`), parsed once into a
predicate on a message.

Supported, as AWS's "Filter pattern syntax" describes them:
- terms: `ERROR Exception` (every term), `"exact phrase"`, `?ERROR ?WARN` (any of them),
  `-DEBUG` / `-"a phrase"` (none of them); case-sensitive. A term matches where it is not
  part of a longer alphanumeric word (AWS matches whole terms, not substrings).
- JSON: `{ $.a.b[0] = "value" }`, unquoted values, `*` wildcards in strings, `=`, `!=`, `<`,
  `<=`, `>`, `>=` on numbers, `&&`, `||`, parentheses, `IS NULL`, `NOT EXISTS`, `IS TRUE`,
  `IS FALSE`.
- regular expressions: `%regex%` alone, or as a JSON string value (Python's `re`, without
  the `()` AWS refuses).

Not supported (refused with InvalidParameterException saying so): space-delimited patterns
(`[ip, user, ...]`) and `$.*` / `[*]` selectors. A message that is not JSON never matches a
JSON pattern.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Matcher = Callable[[str], bool]

_MISSING = object()


class FilterPatternError(ValueError):
    """The pattern is invalid, or uses syntax stepstack does not support (the message says which)."""


def compile_filter_pattern(pattern: str | None) -> Matcher:
    """A predicate on a message; raises FilterPatternError."""
    text = (pattern or "").strip()
    if not text:
        return lambda message: True
    if text.startswith("{"):
        if not text.endswith("}"):
            raise FilterPatternError("Invalid filter pattern: a JSON pattern must end with '}'.")
        return _json_matcher(text[1:-1])
    if text.startswith("["):
        raise FilterPatternError("stepstack does not support space-delimited filter patterns ([...]) yet.")
    if len(text) >= 2 and text.startswith("%") and text.endswith("%") and text.count("%") == 2:
        regex = _regex(text[1:-1])
        return lambda message: regex.search(message) is not None
    return _terms_matcher(text)


# -- terms ----------------------------------------------------------------------------------


def _term_regex(term: str) -> re.Pattern[str]:
    """`term` where it is not glued to more letters or digits on an alphanumeric edge."""
    left = r"(?<![A-Za-z0-9])" if term[:1].isalnum() else ""
    right = r"(?![A-Za-z0-9])" if term[-1:].isalnum() else ""
    return re.compile(left + re.escape(term) + right)


def split_terms(text: str) -> list[tuple[str, str]]:
    """(`+`|`?`|`-`, term) for each term of a plain pattern."""
    terms: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        sign = "+"
        if text[i] in "?-" and i + 1 < n and not text[i + 1].isspace():
            sign, i = text[i], i + 1
        if text[i] == '"':
            j, chars = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                chars.append(text[j])
                j += 1
            if j >= n:
                raise FilterPatternError("Invalid filter pattern: unterminated quoted term.")
            term, i = "".join(chars), j + 1
        else:
            j = i
            while j < n and not text[j].isspace():
                j += 1
            term, i = text[i:j], j
            if '"' in term:
                raise FilterPatternError(f"Invalid filter pattern: unexpected '\"' in term {term}.")
        if term:
            terms.append((sign, term))
    return terms


def _terms_matcher(text: str) -> Matcher:
    terms = split_terms(text)
    required = [_term_regex(t) for s, t in terms if s == "+"]
    optional = [_term_regex(t) for s, t in terms if s == "?"]
    excluded = [_term_regex(t) for s, t in terms if s == "-"]

    def match(message: str) -> bool:
        return (
            all(r.search(message) for r in required)
            and not any(r.search(message) for r in excluded)
            and (not optional or any(r.search(message) for r in optional))
        )

    return match


def _regex(body: str) -> re.Pattern[str]:
    if "(" in body or ")" in body:
        raise FilterPatternError("Invalid filter pattern: the () operator is not supported in regular expressions.")
    try:
        return re.compile(body)
    except re.error as error:
        raise FilterPatternError(f"Invalid filter pattern: invalid regular expression %{body}%: {error}.") from None


# -- JSON -------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<regex>%[^%]*%)
    | (?P<word>[^\s()=!<>&|"]+)
    )""",
    re.VERBOSE,
)
_PATH_PART = re.compile(r"\.([A-Za-z0-9_@$-]+)|\[(\d+)\]")


@dataclass(frozen=True)
class _Tok:
    kind: str  # op | string | regex | word
    text: str


def _tokens(body: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    body = body.rstrip()
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if m is None or m.end() == pos:
            raise FilterPatternError(f"Invalid filter pattern: unexpected {body[pos:].strip()[:20]!r}.")
        kind = m.lastgroup or "word"
        out.append(_Tok(kind, m.group(kind)))
        pos = m.end()
    return out


def parse_selector(text: str) -> list[str | int]:
    """`$.a.b[0]` -> ["a", "b", 0]."""
    if not text.startswith("$"):
        raise FilterPatternError(f"Invalid filter pattern: expected a selector starting with $, found {text}.")
    if "*" in text:
        raise FilterPatternError("stepstack does not support wildcard selectors ($.* or [*]) in filter patterns yet.")
    path: list[str | int] = []
    pos = 1
    while pos < len(text):
        m = _PATH_PART.match(text, pos)
        if m is None:
            raise FilterPatternError(f"Invalid filter pattern: invalid selector {text}.")
        path.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not path:
        raise FilterPatternError("Invalid filter pattern: a selector must name a field ($.field).")
    return path


def _select(document: Any, path: list[str | int]) -> Any:
    value = document
    for part in path:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return _MISSING
            value = value[part]
        else:
            if not isinstance(value, dict) or part not in value:
                return _MISSING
            value = value[part]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _string_test(text: str) -> Callable[[str], bool]:
    if "*" not in text:
        return lambda value: value == text
    glob = re.compile("".join(".*" if c == "*" else re.escape(c) for c in text), re.DOTALL)
    return lambda value: glob.fullmatch(value) is not None


Predicate = Callable[[Any], bool]


def _comparison(path: list[str | int], op: str, value: _Tok) -> Predicate:
    number = _number(value.text) if value.kind == "word" else None
    if op in ("<", "<=", ">", ">="):
        if number is None:
            raise FilterPatternError(f"Invalid filter pattern: {op} needs a number, found {value.text}.")
        compare = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}[op]
        return lambda doc: _is_number(v := _select(doc, path)) and compare(float(v), number)
    if number is not None:
        def equal(v: Any) -> bool:
            return _is_number(v) and float(v) == number
    elif value.kind == "regex":
        regex = _regex(value.text[1:-1])

        def equal(v: Any) -> bool:
            return isinstance(v, str) and regex.search(v) is not None
    else:
        text = json.loads(value.text) if value.kind == "string" else value.text
        test = _string_test(text)

        def equal(v: Any) -> bool:
            if isinstance(v, bool):
                return value.kind == "word" and text == ("true" if v else "false")
            return isinstance(v, str) and test(v)

    if op == "=":
        return lambda doc: (v := _select(doc, path)) is not _MISSING and equal(v)
    return lambda doc: (v := _select(doc, path)) is not _MISSING and not equal(v)


class _JsonParser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise FilterPatternError("Invalid filter pattern: the JSON expression ends too early.")
        self.pos += 1
        return tok

    def parse(self) -> Predicate:
        if not self.tokens:
            raise FilterPatternError("Invalid filter pattern: empty JSON expression.")
        pred = self.disjunction()
        if self.peek() is not None:
            raise FilterPatternError(f"Invalid filter pattern: unexpected {self.peek().text}.")  # type: ignore[union-attr]
        return pred

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while (tok := self.peek()) is not None and tok.text == "||" and tok.kind == "op":
            self.pos += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda doc: any(p(doc) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.primary()]
        while (tok := self.peek()) is not None and tok.text == "&&" and tok.kind == "op":
            self.pos += 1
            parts.append(self.primary())
        return parts[0] if len(parts) == 1 else (lambda doc: all(p(doc) for p in parts))

    def primary(self) -> Predicate:
        tok = self.take()
        if tok.kind == "op" and tok.text == "(":
            inner = self.disjunction()
            close = self.take()
            if close.text != ")":
                raise FilterPatternError(f"Invalid filter pattern: expected ')', found {close.text}.")
            return inner
        if tok.kind != "word":
            raise FilterPatternError(f"Invalid filter pattern: expected a selector, found {tok.text}.")
        path = parse_selector(tok.text)
        nxt = self.take()
        if nxt.kind == "word" and nxt.text.upper() in ("IS", "NOT"):
            word = self.take().text.upper()
            if nxt.text.upper() == "NOT" and word == "EXISTS":
                return lambda doc: _select(doc, path) is _MISSING
            if nxt.text.upper() == "IS" and word in ("NULL", "TRUE", "FALSE"):
                wanted = {"NULL": None, "TRUE": True, "FALSE": False}[word]
                return lambda doc: _select(doc, path) is wanted
            raise FilterPatternError(f"Invalid filter pattern: unknown test {nxt.text} {word}.")
        if nxt.kind != "op" or nxt.text in ("(", ")", "&&", "||"):
            raise FilterPatternError(f"Invalid filter pattern: expected a comparison after {tok.text}, found {nxt.text}.")
        value = self.take()
        if value.kind == "op":
            raise FilterPatternError(f"Invalid filter pattern: expected a value after {nxt.text}, found {value.text}.")
        return _comparison(path, nxt.text, value)


def _json_matcher(body: str) -> Matcher:
    predicate = _JsonParser(_tokens(body)).parse()

    def match(message: str) -> bool:
        text = message.strip()
        if not text.startswith(("{", "[")):
            return False
        try:
            document = json.loads(text)
        except ValueError:
            return False
        return predicate(document)

    return match
