"""The rule engine's reading of a filter policy: its checks, in its order, with its messages.

SNS runs two parsers over a policy, and their messages are what AWS answers:

1. SNS reads the text into a tree with Jackson (``JacksonReader``, redacted): a syntax error is
   Jackson's message with a redacted position ("... at [Source: REDACTED (...); line: L, column: C]").
2. SNS writes the tree back out compactly (filter_policy.py), and AWS's rule engine (aws/event-ruler's
   ``JsonRuleCompiler``, in the late-2022 form SNS still answers like: ``anything-but`` accepts
   only ``prefix``) compiles that text (``compile_rules``). Most of its messages end with the
   position of its own Jackson parser: "... at [Source: (String)"<policy>"; line: 1, column: 10]".
   That column is wherever Jackson's reader stood, so ``JacksonReader`` moves exactly as Jackson does:
   after a field name it has already read the start of the value (all of a number or literal,
   only the opening quote of a string), and a string is read only when its text is asked for.

Sources, cited at each message: [rec] AWS's answer recorded in LocalStack's
tests/aws/services/sns/*.snapshot.json; [ruler] aws/event-ruler's source; [jackson] Jackson 2.16's
parser, unverified against AWS; [ours] no AWS wording found. Where this differs from AWS: see
filter_policy.py.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, NoReturn

NUMBER_BOUND = 1e9  # SNS Developer Guide: "the value can range from -10^9 to 10^9"
DECIMALS = 100_000  # ... "with five digits of accuracy after the decimal point"

_REDACTED = "REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)"  # [rec]
_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"  # [rec]
_STRING_END = re.compile(r'["\\\x00-\x1f]')
_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")  # [ruler] Constants.IPv4_REGEX
_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")  # [ruler] Constants.IPv6_REGEX
_JAVA_INT = re.compile(r"[+-]?[0-9]+")
_DIGITS = re.compile(r"[0-9]*")
_WILDCARD_PARTS = re.compile(rb"\\[*\\]|\\|\*\*")  # an escape, a lone backslash, two stars
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}.get
_MAX_DEPTH = 1000  # [jackson] StreamReadConstraints.DEFAULT_MAX_DEPTH
# [ruler] Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP
_RESERVED_IN_OR = frozenset((
    "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard", "numeric", "cidr",
    "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case", "date-after", "date-on-or-after",
    "date-before", "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range"))
NUMBER_TOKENS = ("int", "float")


class PolicyTextError(Exception):
    """The engine's or Jackson's message, before SNS puts "FilterPolicy: " in front."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """One entry of a key's list. ``operand`` by kind: string/prefix/suffix/equals-ignore-case/
    wildcard/anything-but-prefix: str; ip: (version, address); number: (value, quantized or None);
    true/false/null: None; anything-but: (strings, quantized numbers); numeric: (low, low_open,
    high, high_open), quantized; cidr: (version, low, high); exists: bool."""

    kind: str
    operand: Any = None


@dataclass(frozen=True, slots=True)
class Condition:
    """A key of one AND-branch: its dotted path and the patterns any of which must hold."""

    path: str
    patterns: tuple[Pattern, ...]
    depth: int  # 1 for a top-level key; SNS's complexity rule multiplies by it
    parent: str  # the top-level key it sits under; SNS counts only those towards its five


Branch = tuple[Condition, ...]


def quantize(value: float) -> int | None:
    """A number as SNS compares it: fixed point, five decimals; None outside the documented range."""
    if -NUMBER_BOUND <= value <= NUMBER_BOUND:
        return round(value * DECIMALS)
    return None


@functools.lru_cache(maxsize=4096)
def parse_ip(text: str) -> tuple[int, int] | None:
    """(4 or 6, address) for an IP literal as the ruler reads one (Java's InetAddress), else None."""
    try:
        return _ip(text)
    except PolicyTextError:
        return None


def _ip(text: str) -> tuple[int, int]:
    if _IPV4.fullmatch(text):
        parts = [int(p) for p in text.split(".")]  # Java reads "010" as ten
        if max(parts) > 255:
            raise PolicyTextError(f"Invalid IP address: {text}")  # [ruler] CIDR.ipToBytes
        return 4, int.from_bytes(bytes(parts), "big")
    if _IPV6.fullmatch(text):
        try:
            address = ipaddress.IPv6Address(text)
        except ValueError:
            raise PolicyTextError(f"Invalid IP address: {text}") from None  # [ruler]
        if address.ipv4_mapped is not None:  # Java answers an Inet4Address for these
            return 4, int(address.ipv4_mapped)
        return 6, int(address)
    raise PolicyTextError(f"Nonstandard IP address: {text}")  # [rec]


def _cidr(text: str) -> tuple[int, int, int]:
    """[ruler] CIDR.cidr; its errors carry no position [rec]."""
    parts = text.split("/")
    while parts and not parts[-1]:
        parts.pop()  # Java's String.split drops trailing empty strings
    if len(parts) != 2:
        raise PolicyTextError("Malformed CIDR, one '/' required")  # [rec]
    if not _JAVA_INT.fullmatch(parts[1]) or not -(2**31) <= int(parts[1]) < 2**31:
        raise PolicyTextError("Malformed CIDR, mask bits must be an integer")  # [rec]
    bits = int(parts[1])
    if bits < 0:
        raise PolicyTextError("Malformed CIDR, mask bits must not be negative")  # [ruler]
    version, address = _ip(parts[0])  # [rec] "Nonstandard IP address: xx.11.xx"
    width = 32 if version == 4 else 128
    if bits >= width:  # [ruler] yes, a /32 is refused
        raise PolicyTextError(f"IPv{version} mask bits must be < {width}")
    host = (1 << (width - bits)) - 1
    return version, address & ~host, address | host


def _wildcard_error(text: str) -> str | None:
    """[ruler] WildcardParser, read left to right; positions count UTF-8 bytes of the quoted value."""
    for found in _WILDCARD_PARTS.finditer(('"' + text + '"').encode()):
        if found.group() == b"**":
            return f"Consecutive wildcard characters at pos {found.start()}"
        if found.group() == b"\\":
            return f"Invalid escape character at pos {found.start()}"
    return None


def _comparable(value: float) -> None:
    """[ruler] ComparableNumber.generate, with SNS's documented bound [ours]."""
    if not -NUMBER_BOUND <= value <= NUMBER_BOUND:
        raise PolicyTextError("Value must be between -1.0E9 and 1.0E9, inclusive")


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _char_desc(ch: str) -> str:
    """[jackson] ParserMinimalBase._getCharDesc."""
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"(CTRL-CHAR, code {code})"
    if code > 255:
        return f"'{ch}' (code {code} / 0x{code:x})"
    return f"'{ch}' (code {code})"


def _identifier(ch: str, start: bool = False) -> bool:  # Java's isJavaIdentifierStart/Part, near enough
    return ch.isalpha() or ch in "$_" or unicodedata.category(ch) in (
        ("Sc", "Pc", "Nl") if start else ("Sc", "Pc", "Nl", "Nd", "Mn", "Mc", "Cf"))


class JacksonReader:
    """A pull parser that stands where Jackson's ReaderBasedJsonParser stands, token by token, and
    fails with its messages; ``redacted`` sources read as SNS's own parser shows them."""

    def __init__(self, text: str, redacted: bool) -> None:
        self.s, self.i, self.line, self.line_start = text, 0, 1, 0
        self.redacted = redacted
        self.stack: list[list[Any]] = []  # [bracket, entries so far, line, column]
        self.pending: str | None = None  # the value read along with a field name
        self.current: str | None = None
        self.open_string = False  # a string token whose text has not been read yet
        self.name = ""
        self.raw = ""  # text of the last string, number or literal

    # -- positions and errors
    def where(self, back: int = 0) -> str:
        column = _utf16_len(self.s[self.line_start:self.i - back]) + 1
        return f"[Source: {self._source()}; line: {self.line}, column: {column}]"

    def _source(self) -> str:
        if self.redacted:
            return _REDACTED
        shown = "".join(ch if ch in "\r\n" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F)
                        else f"\\u{ord(ch):04X}" for ch in self.s[:500])
        rest = _utf16_len(self.s) - 500
        return f'(String)"{shown}"' + (f"[truncated {rest} chars]" if rest > 0 else "")

    def fail(self, message: str, back: int = 0, twice: bool = False) -> NoReturn:
        located = f"{message}\n at {self.where(back)}"
        if twice:  # the ruler re-wraps some errors with getMessage(), which already holds a position
            located = f"{located}\n at {self.where(back)}"
        raise PolicyTextError(located)

    def _unexpected(self, ch: str, comment: str) -> NoReturn:
        self.fail(f"Unexpected character ({_char_desc(ch)}): {comment}", back=1)  # [rec] column of the character

    def _eof(self, detail: str) -> NoReturn:
        self.fail(f"Unexpected end-of-input{detail}")

    def _marker(self, entry: list[Any]) -> str:
        return f"[Source: {self._source()}; line: {entry[2]}, column: {entry[3]}]"

    # -- tokens
    def next(self) -> str | None:
        """The next token: "{", "}", "[", "]", "name", "string", "int", "float", "true", "false", "null"; None at the end."""
        self.current = self._next()
        return self.current

    def _next(self) -> str | None:
        if self.pending is not None:
            token, self.pending = self.pending, None
            return token
        if self.open_string:
            self.text()
        ch = self._skip_space()
        top = self.stack[-1] if self.stack else None
        kind = "Object" if top and top[0] == "{" else "Array"
        if ch is None:
            if top is None:
                return None
            self._eof(f": expected close marker for {kind} (start marker at {self._marker(top)})")
        if ch in "]}":
            expected = "}" if top is None or top[0] == "{" else "]"
            if ch != expected:
                what = f"for {kind} starting at {self._marker(top)}" if top else f"for root starting at [Source: {self._source()}; line: 1, column: 0]"
                self.fail(f"Unexpected close marker '{ch}': expected '{expected}' ({what})")
            self.stack.pop()
            return ch
        if top is not None:
            if top[1]:
                if ch != ",":
                    self._unexpected(ch, f"was expecting comma to separate {kind} entries")
                ch = self._skip_space(f" within/between {kind} entries")
            top[1] += 1
            if top[0] == "{":
                if ch != '"':
                    self._unexpected(ch, "was expecting double-quote to start field name")  # [rec]
                self.name = self._string(in_name=True)
                if (ch := self._skip_space(" within/between Object entries")) != ":":
                    self._unexpected(ch, "was expecting a colon to separate field name and value")
                self.pending = self._value(self._skip_space(" within/between Object entries"))
                return "name"
        return self._value(ch)

    def text(self) -> str:
        """Jackson's getText() of the current token; reading a string's text moves the reader past it."""
        if self.current == "name":
            return self.name
        if self.current in ("{", "}", "[", "]"):
            return self.current
        if self.open_string:
            self.raw = self._string(in_name=False)
        return self.raw

    def number(self) -> float:
        return float(self.raw)

    def _skip_space(self, at_end: str | None = None) -> Any:
        """The next character past white space; at the end None, or the end-of-input error ``at_end``."""
        s = self.s
        while self.i < len(s):
            ch = s[self.i]
            self.i += 1
            if ch == " " or ch == "\t":
                continue
            if ch == "\n" or ch == "\r":
                if ch == "\r" and self.i < len(s) and s[self.i] == "\n":
                    self.i += 1
                self.line, self.line_start = self.line + 1, self.i
                continue
            if ch == "/":
                self._unexpected(ch, "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)")
            if ch < " ":
                self.fail(f"Illegal character ({_char_desc(ch)}): only regular white space (\\r, \\n, \\t) is allowed between tokens")
            return ch
        if at_end is not None:
            self._eof(at_end)
        return None

    def _value(self, ch: str) -> str:
        if ch == '"':
            self.open_string = True
            return "string"
        if ch in "[{":
            if len(self.stack) >= _MAX_DEPTH:
                self.fail(f"Document nesting depth ({len(self.stack) + 1}) exceeds the maximum allowed "
                          f"({_MAX_DEPTH}, from `StreamReadConstraints.getMaxNestingDepth()`)")
            self.stack.append([ch, 0, self.line, _utf16_len(self.s[self.line_start:self.i])])
            return ch
        if ch in "tfn":
            self.raw = {"t": "true", "f": "false", "n": "null"}[ch]
            self._literal(self.raw)
            return self.raw
        if ch == "-" or "0" <= ch <= "9":
            return self._number(ch)
        if ch == "}":
            self._unexpected(ch, "expected a value")
        if ch in "NI":
            word = "NaN" if ch == "N" else "Infinity"
            self._literal(word)
            self.fail(f"Non-standard token '{word}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow")
        if ch == "+":
            self.fail(f"Unexpected character ({_char_desc(ch)}) in numeric value: JSON spec does not allow numbers "
                      "to have plus signs: enable `JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS` to allow")
        if _identifier(ch, start=True):
            self._invalid_token(ch)
        self._unexpected(ch, f"expected a valid value {_VALUES}")

    def _literal(self, word: str) -> None:
        s = self.s
        for k in range(1, len(word)):
            if self.i >= len(s) or s[self.i] != word[k]:
                self._invalid_token(word[:k])
            self.i += 1
        if self.i < len(s) and _identifier(s[self.i]):
            self._invalid_token(word)

    def _invalid_token(self, matched: str) -> NoReturn:
        s, start = self.s, self.i
        while self.i < len(s) and _identifier(s[self.i]) and self.i - start + len(matched) < 256:
            self.i += 1
        self.fail(f"Unrecognized token '{matched}{s[start:self.i]}': was expecting {_VALUES}")  # [rec]

    def _number(self, ch: str) -> str:
        s, start = self.s, self.i - 1
        if ch == "-":
            if self.i >= len(s):
                self._eof(" in a Number value")
            ch = s[self.i]
            self.i += 1
            if not "0" <= ch <= "9":
                if ch == "I" and s.startswith("nfinity", self.i):
                    self.i += 7
                    self.fail("Non-standard token '-Infinity': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow")
                self.fail(f"Unexpected character ({_char_desc(ch)}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value")
        if ch == "0" and self.i < len(s) and "0" <= s[self.i] <= "9":
            self.fail("Invalid numeric value: Leading zeroes not allowed")
        self.i = _DIGITS.match(s, self.i).end()
        floating = False
        for mark, comment in ((".", "Decimal point not followed by a digit"), ("eE", "Exponent indicator not followed by a digit")):
            if self.i < len(s) and s[self.i] in mark:
                floating = True
                self.i += 1
                if mark == "eE" and self.i < len(s) and s[self.i] in "+-":
                    self.i += 1
                if self.i >= len(s):
                    self._eof(" in a Number value")
                if not "0" <= s[self.i] <= "9":
                    self.i += 1
                    self.fail(f"Unexpected character ({_char_desc(s[self.i - 1])}) in numeric value: {comment}")
                self.i = _DIGITS.match(s, self.i).end()
        if not self.stack and self.i < len(s) and s[self.i] not in " \t\r\n":
            self.i += 1
            self._unexpected(s[self.i - 1], "Expected space separating root-level values")
        self.raw = s[start:self.i]
        return "float" if floating else "int"

    def _string(self, in_name: bool) -> str:
        s, out = self.s, []
        self.open_string = False
        while True:
            found = _STRING_END.search(s, self.i)
            if found is None:
                self.i = len(s)
                self._eof(" in field name" if in_name else ": was expecting closing quote for a string value")
            out.append(s[self.i:found.start()])
            ch, self.i = found.group(), found.end()
            if ch == '"':
                break
            if ch != "\\":
                where = "name" if in_name else "string value"
                self.fail(f"Illegal unquoted character ({_char_desc(ch)}): has to be escaped using backslash to be included in {where}")
            out.append(self._escape())
        text = "".join(out)
        if any(0xD800 <= ord(c) <= 0xDFFF for c in text):  # \ud83d\ude00 pairs into one character
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return text

    def _escape(self) -> str:
        s = self.s
        if self.i >= len(s):
            self._eof(" in character escape sequence")
        ch = s[self.i]
        self.i += 1
        if (plain := _ESCAPES(ch)) is not None:
            return plain
        if ch != "u":
            self.fail(f"Unrecognized character escape {_char_desc(ch)}")
        digits = s[self.i:self.i + 4]
        for digit in digits:
            self.i += 1
            if digit not in "0123456789abcdefABCDEF":
                self._unexpected(digit, "expected a hex-digit for character escape sequence")
        if len(digits) < 4:
            self._eof(" in character escape sequence")
        return chr(int(digits, 16))


class _Compiler:
    """The ruler's JsonRuleCompiler walk: fields AND together, lists OR, ``$or`` forks the branches."""

    def __init__(self, text: str) -> None:
        self.r = JacksonReader(text, redacted=False)
        self.rules: list[dict[str, Condition]] = []
        self.path: list[str] = []

    def compile(self) -> list[dict[str, Condition]]:
        if self.r.next() != "{":
            self.r.fail("Filter is not an object")  # [ruler]
        self._object(inside_or=False)
        return self.rules

    def _object(self, inside_or: bool) -> None:
        r, present = self.r, False
        while r.next() != "}":
            present, name = True, r.name
            if name == "$or":
                self._or()
                continue
            if inside_or and name in _RESERVED_IN_OR:
                r.fail(f"{name} is Ruler reserved fieldName which cannot be used inside $or.")  # [ruler]
            token = r.next()
            if token == "{":
                self.path.append(name)
                self._object(inside_or)
                self.path.pop()
            elif token == "[":
                self._values(name)
            else:
                r.fail(f'"{name}" must be an object or an array')  # [rec]
        if not present:
            r.fail("Empty objects are not allowed")  # [ruler]

    def _or(self) -> None:
        r, before, after, count = self.r, [dict(rule) for rule in self.rules], [], 0
        if r.next() != "[":
            r.fail("It must be an Array followed with $or.")  # [ruler]
        while (token := r.next()) != "]":
            count += 1
            if token != "{":
                r.fail("Only JSON object is allowed in array of $or relationship.")  # [ruler]
            self.rules = [dict(rule) for rule in before] or [{}]
            self._object(inside_or=True)
            after.extend(self.rules)
        if count < 2:
            r.fail("There must have at least 2 Objects in $or relationship.")  # [ruler]
        self.rules = after

    def _values(self, name: str) -> None:
        r, patterns = self.r, []
        while (token := r.next()) != "]":
            if token == "{":
                patterns.append(self._expression())
            elif token == "string":
                text = r.text()
                ip = parse_ip(text)
                patterns.append(Pattern("ip", ip) if ip else Pattern("string", text))
            elif token in NUMBER_TOKENS:  # out of range it still matches as written (AWS account ids) [ruler]
                value = int(r.raw) if token == "int" else r.number()
                patterns.append(Pattern("number", (value, quantize(value))))
            elif token in ("true", "false", "null"):
                patterns.append(Pattern(token))
            else:
                r.fail("Match value must be String, number, true, false, or null")  # [rec]
        if not patterns:
            r.fail("Empty arrays are not allowed")  # [rec]
        condition = Condition(".".join([*self.path, name]), tuple(patterns), len(self.path) + 1,
                              self.path[0] if self.path else name)
        if not self.rules:
            self.rules.append({})
        for rule in self.rules:
            rule[condition.path] = condition  # a path given twice: the last one wins, as in the ruler

    def _expression(self) -> Pattern:
        r = self.r
        if r.next() != "name":
            r.fail("Match expression name not found")  # [ruler]
        kind = r.name
        if kind in ("exactly", "prefix", "suffix", "equals-ignore-case", "wildcard", "cidr"):
            if r.next() != "string":
                label = {"exactly": "exact", "cidr": "prefix"}.get(kind, kind)  # [rec] cidr says "prefix"
                r.fail(f"{label} match pattern must be a string")  # [rec]
            text = r.text()
            if kind == "wildcard" and (problem := _wildcard_error(text)):
                r.fail(problem)  # [ruler]
            pattern = Pattern("cidr", _cidr(text)) if kind == "cidr" else Pattern("string" if kind == "exactly" else kind, text)
            self._close("Only one key allowed in match expression")  # [rec]
            return pattern
        if kind == "numeric":
            if r.next() != "[":
                r.fail("Value of numeric must be an array.")  # [ruler]
            pattern = self._numeric()
            self._close("Too many elements in numeric expression")  # [ruler]
            return pattern
        if kind == "anything-but":
            return self._anything_but()
        if kind == "exists":
            token = r.next()
            if token not in ("true", "false"):
                r.fail("exists match pattern must be either true or false.")  # [rec]
            self._close("Only one key allowed in match expression")
            return Pattern("exists", token == "true")
        r.fail(f"Unrecognized match type {kind}")  # [rec]

    def _close(self, message: str) -> None:
        if self.r.next() != "}":
            self.r.fail(message)

    def _numeric(self) -> Pattern:
        """[rec] every message and position of numeric's checks; [ruler] their order."""
        r = self.r
        if r.next() != "string":
            r.fail(f"Invalid member in numeric match: {r.text()}")
        operator = r.text()
        token = r.next()
        if operator not in ("=", ">", ">=", "<", "<="):
            r.fail(f"Unrecognized numeric range operator: {operator}")
        if token not in NUMBER_TOKENS:
            r.fail(f"Value of {'equals' if operator == '=' else operator} must be numeric")
        value = r.number()
        token = r.next()
        if operator == "=":
            if token != "]":
                r.fail("Too many elements in numeric expression")
            self._guard(_comparable, value)
            q = quantize(value)
            return Pattern("numeric", (q, False, q, False))
        if operator[0] == "<":
            if token != "]":
                r.fail("Too many elements in numeric expression")
            return self._range(-NUMBER_BOUND, False, value, operator == "<")
        if token == "]":
            return self._range(value, operator == ">", NUMBER_BOUND, False)
        if token != "string":
            r.fail(f"Bad value in numeric range: {r.text()}")
        upper = r.text()
        if upper not in ("<", "<="):
            r.fail(f"Bad numeric range operator: {upper}")
        if r.next() not in NUMBER_TOKENS:
            r.fail(f"Value of {upper} must be numeric")
        top = r.number()
        if r.next() != "]":
            r.fail("Too many terms in numeric range expression")
        return self._range(value, operator == ">", top, upper == "<")

    def _range(self, low: float, low_open: bool, high: float, high_open: bool) -> Pattern:
        if low >= high:
            self.r.fail("Bottom must be less than top")  # [rec]
        self._guard(_comparable, low)
        self._guard(_comparable, high)
        return Pattern("numeric", (quantize(low), low_open, quantize(high), high_open))

    def _guard(self, check: Any, value: float, twice: bool = False) -> None:
        """The ruler turns an IllegalArgumentException raised here into a positioned error."""
        try:
            check(value)
        except PolicyTextError as error:
            self.r.fail(str(error), twice=twice)

    def _anything_but(self) -> Pattern:
        r = self.r
        token = r.next()
        if token == "{":
            if r.next() != "name":
                r.fail("Anything-But expression name not found")  # [ruler]
            if r.name != "prefix":
                r.fail(f"Unsupported anything-but pattern: {r.name}")  # [rec] even suffix
            if r.next() != "string":
                r.fail("prefix match pattern must be a string")  # [rec]
            prefix = r.text()
            if not prefix:
                r.fail("Null prefix not allowed")  # [ruler]
            self._close("Only one key allowed in match expression")
            self._close("Only one key allowed in match expression")
            return Pattern("anything-but-prefix", prefix)
        if token == "[":
            pattern = self._anything_but_list()
        elif token == "string":
            pattern = Pattern("anything-but", (frozenset((r.text(),)), frozenset()))
        elif token in NUMBER_TOKENS:
            _comparable(r.number())  # [ruler] not caught here: the message has no position
            pattern = Pattern("anything-but", (frozenset(), frozenset((quantize(r.number()),))))
        else:
            r.fail("Value of anything-but must be an array or single string/number value.")  # [ruler]
        self._close("Too many elements in numeric expression")  # [ruler]
        return pattern

    def _anything_but_list(self) -> Pattern:
        r, strings, numbers = self.r, set(), set()
        while (token := r.next()) != "]":
            if token == "string":
                strings.add(r.text())
            elif token in NUMBER_TOKENS:
                self._guard(_comparable, r.number())
                numbers.add(quantize(r.number()))
            else:  # raised inside the ruler's try, then re-wrapped: the position appears twice
                r.fail("Inside anything but list, start|null|boolean is not supported.", twice=True)
        if bool(strings) == bool(numbers):
            r.fail("Inside anything but list, either all values are number or string, mixed type is not supported")
        return Pattern("anything-but", (frozenset(strings), frozenset(numbers)))


def compile_rules(text: str) -> list[dict[str, Condition]]:
    """The AND-branches (one unless ``$or`` forks the policy) of ``jackson_text``'s output."""
    return _Compiler(text).compile()
