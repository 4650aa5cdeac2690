"""Intrinsic functions, with the examples and outputs of the Step Functions developer guide
("Intrinsic functions for JSONPath states")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from services.stepfunctions.data.intrinsics import (
    IntrinsicCall,
    IntrinsicSyntaxError,
    Literal,
    PathArg,
    evaluate_intrinsic,
    is_intrinsic,
    parse_intrinsic,
)
from services.stepfunctions.data.references import ContextObject
from services.stepfunctions.failures import StatesFailure


def run(text: str, data: Any = None, context: dict | None = None) -> Any:
    context = {} if context is None else context  # an empty ContextObject may carry variables
    return evaluate_intrinsic(parse_intrinsic(text), data if data is not None else {}, context)


def failure(text: str, data: Any = None) -> StatesFailure:
    with pytest.raises(StatesFailure) as info:
        run(text, data)
    return info.value


# --- parsing ---------------------------------------------------------------------------


def test_parse_builds_a_call_tree() -> None:
    call = parse_intrinsic("States.Format('Hello {}', $.name, States.Array(1, -2.5, true, null))")
    assert call.name == "States.Format"
    assert call.args[0] == Literal("Hello {}", "Hello {}")
    assert call.args[1] == PathArg("$.name")
    nested = call.args[2]
    assert isinstance(nested, IntrinsicCall) and nested.name == "States.Array"
    assert [a.value for a in nested.args] == [1, -2.5, True, None]  # type: ignore[union-attr]


def test_parse_accepts_spaces_between_arguments() -> None:
    call = parse_intrinsic("  States.Array( 1 ,$.a ,  'x' )  ")
    assert call.args == (Literal(1), PathArg("$.a"), Literal("x", "x"))


def test_parse_accepts_complex_path_arguments() -> None:
    call = parse_intrinsic("States.Array($.a[?(@.b == 'x, y')], $['c)d'], $.e.length(), $$.Map.Item.Value)")
    assert call.args == (
        PathArg("$.a[?(@.b == 'x, y')]"),
        PathArg("$['c)d']"),
        PathArg("$.e.length()"),
        PathArg("$$.Map.Item.Value"),
    )


def test_parse_decodes_string_escapes() -> None:
    call = parse_intrinsic(r"States.Array('it\'s \{x\} \\ done')")
    assert call.args[0].value == "it's {x} \\ done"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("States.Nope(1)", "Unknown intrinsic function 'States.Nope'"),
        ("States.Format(", "expected a string"),
        ("States.Array(1", "expected ',' or ')'"),
        ("States.Array(1) x", "unexpected text"),
        ("States.Array('abc)", "unterminated string"),
        (r"States.Array('a\b')", "open escape backslash"),
        ("States.Array(foo)", "expected a string"),
        ("States.Array($.a[)", "Invalid path"),
        ("Format('x')", "expected an intrinsic function call"),
        ("States.UUID(1)", "States.UUID takes 0 arguments but 1 was given"),
        ("States.ArrayLength()", "States.ArrayLength takes 1 argument but 0 were given"),
        ("States.MathRandom(1)", "States.MathRandom takes 2 to 3 arguments but 1 was given"),
        ("States.Format()", "States.Format takes at least 1 argument"),
        ("States.JsonMerge($.a, $.b)", "takes 3 arguments but 2 were given"),
    ],
)
def test_malformed_calls_are_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(IntrinsicSyntaxError) as info:
        parse_intrinsic(text)
    assert message in str(info.value)


def test_nesting_is_limited_to_ten_functions() -> None:
    ten = "States.Array(" * 10 + "1" + ")" * 10
    assert run(ten) == [[[[[[[[[[1]]]]]]]]]]
    with pytest.raises(IntrinsicSyntaxError):
        parse_intrinsic("States.Array(" * 11 + "1" + ")" * 11)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('x')", True),
        ("States.UUID()", True),
        (" States.Array ($.a)", True),
        ("$.a", False),
        ("States.Format", False),
        ("Hello States.Format('x')", False),
        (3, False),
    ],
)
def test_is_intrinsic(text: Any, expected: bool) -> None:
    assert is_intrinsic(text) is expected


# --- generic ---------------------------------------------------------------------------


def test_format_from_the_guide() -> None:
    data = {"name": "Arnav", "template": "Hello, my name is {}."}
    assert run("States.Format('Hello, my name is {}.', $.name)", data) == "Hello, my name is Arnav."
    assert run("States.Format($.template, $.name)", data) == "Hello, my name is Arnav."


def test_format_renders_numbers_booleans_and_null_as_json() -> None:
    assert run("States.Format('{} {} {} {} {}', 1, 2.5, true, null, 'x')") == "1 2.5 true null x"


def test_format_keeps_escaped_braces() -> None:
    assert run(r"States.Format('\{\} {} \\ it\'s', 'v')") == "{} v \\ it's"


def test_format_with_a_template_from_a_path_keeps_backslashes() -> None:
    assert run("States.Format($.t, 1)", {"t": "a\\b {}"}) == "a\\b 1"


def test_format_placeholders_must_match_the_arguments() -> None:
    f = failure("States.Format('{} and {}', 'one')")
    assert f.error == "States.IntrinsicFailure"
    assert "placeholders" in f.cause


def test_format_renders_an_object_as_a_java_map() -> None:
    # recorded on AWS: {"Arg1": 1, "Arg2": []} is written {Arg1=1, Arg2=[]}
    data = {"fst": {"Arg1": 1, "Arg2": []}}
    assert run("States.Format('fst={}.', $.fst)", data) == "fst={Arg1=1, Arg2=[]}."


def test_format_renders_context_objects_with_unquoted_strings_in_order() -> None:
    context = {"StateMachine": {"Id": "arn:aws:states:us-east-1:1:stateMachine:m", "Name": "m"}}
    assert run("States.Format('{}', $$.StateMachine)", {}, context) == (
        "{Id=arn:aws:states:us-east-1:1:stateMachine:m, Name=m}"
    )


def test_format_renders_nested_values_as_java_would() -> None:
    data = {"o": {"a": {"b": ["x", "y z"]}, "n": None, "t": True, "f": False, "i": 1, "d": 1.0, "e": 1e20}}
    assert run("States.Format('{}', $.o)", data) == (
        "{a={b=[x, y z]}, n=null, t=true, f=false, i=1, d=1.0, e=1.0E20}"
    )


def test_format_renders_an_array_as_a_java_list() -> None:
    assert run("States.Format('{}', $.a)", {"a": ["s", 2, 2.5, None, [], {}]}) == "[s, 2, 2.5, null, [], {}]"
    assert run("States.Format('{}', $.a)", {"a": []}) == "[]"


def test_format_writes_a_string_that_looks_like_json_as_is() -> None:
    # recorded on AWS: a string argument is not parsed, nor quoted
    assert run("States.Format('{}', $.s)", {"s": '{"Arg1": 1, "Arg2": []}'}) == '{"Arg1": 1, "Arg2": []}'


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.1, "1.1"), (1.0, "1.0"), (100.0, "100.0"), (0.001, "0.001"), (9999999.0, "9999999.0"),
     (1e7, "1.0E7"), (0.0005, "5.0E-4"), (-2.5e-10, "-2.5E-10"), (123456789.0, "1.23456789E8"),
     (0.0, "0.0"), (-0.0, "-0.0")],
)
def test_format_writes_fractional_numbers_as_java_doubles(value: float, text: str) -> None:
    assert run("States.Format('{}', $.v)", {"v": value}) == text


def test_nested_calls_from_the_guide() -> None:
    data = {"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/r.x/1.0.0"}}
    text = (
        "States.Format('{}.{}', "
        "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), "
        "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))"
    )
    assert run(text, data) == "1.0"


def test_a_missing_path_argument_is_a_runtime_failure_naming_the_whole_expression() -> None:
    f = failure("States.Format('{}', $.nope)", {"other": 1})
    assert f.error == "States.Runtime"
    assert f.cause == (
        "The function 'States.Format('{}', $.nope)' had the following error: "
        "The JsonPath argument for the field '$.nope' could not be found in the input '{\"other\":1}'"
    )


def test_a_missing_path_in_a_nested_call_names_the_outer_expression() -> None:
    f = failure("States.Array(States.ArrayLength($.xs))", {})
    assert f.cause.startswith("The function 'States.Array(States.ArrayLength($.xs))' had")


def test_path_arguments_may_start_at_a_variable() -> None:
    context = ContextObject({}, variables={"template": "It's {}!", "n": {"xs": [4, 5]}})
    assert run("States.Format($template, $.name)", {"name": "Pikachu"}, context) == "It's Pikachu!"
    assert run("States.MathAdd($n.xs[1], $n.xs[0])", {}, context) == 9


def test_a_missing_variable_is_a_runtime_failure() -> None:
    f = failure("States.Array($nope)", {"a": 1})
    assert f.error == "States.Runtime"
    assert "'$nope' could not be found in the input '{\"a\":1}'" in f.cause


def test_context_paths_read_the_context_object() -> None:
    assert run("States.Format('{}', $$.Execution.Name)", {}, {"Execution": {"Name": "e1"}}) == "e1"


# --- JSON ------------------------------------------------------------------------------


def test_string_to_json_from_the_guide() -> None:
    assert run("States.StringToJson($.escapedJsonString)", {"escapedJsonString": '{"foo": "bar"}'}) == {
        "foo": "bar"
    }


def test_string_to_json_rejects_invalid_json() -> None:
    assert failure("States.StringToJson('{nope')").error == "States.IntrinsicFailure"
    assert failure("States.StringToJson(1)").error == "States.IntrinsicFailure"


def test_json_to_string_from_the_guide() -> None:
    assert run("States.JsonToString($.unescapedJson)", {"unescapedJson": {"foo": "bar"}}) == '{"foo":"bar"}'


def test_json_merge_from_the_guide_is_shallow() -> None:
    data = {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}
    assert run("States.JsonMerge($.json1, $.json2, false)", data) == {
        "a": {"a3": 1, "a4": 2},
        "b": 2,
        "c": 3,
    }


def test_json_merge_deep_is_not_supported() -> None:
    f = failure("States.JsonMerge($.a, $.a, true)", {"a": {}})
    assert f.error == "States.IntrinsicFailure"
    assert "shallow" in f.cause


def test_json_merge_needs_objects() -> None:
    assert failure("States.JsonMerge($.a, $.b, false)", {"a": [], "b": {}}).error == "States.IntrinsicFailure"


# --- arrays ----------------------------------------------------------------------------

NINE = {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}


def test_array_from_the_guide() -> None:
    assert run("States.Array($.Id)", {"Id": 123456}) == [123456]
    assert run("States.Array()") == []


def test_array_partition_from_the_guide() -> None:
    assert run("States.ArrayPartition($.inputArray, 4)", NINE) == [[1, 2, 3, 4], [5, 6, 7, 8], [9]]


@pytest.mark.parametrize("size", ["0", "-1", "1.5", "'2'"])
def test_array_partition_needs_a_positive_integer_chunk_size(size: str) -> None:
    f = failure(f"States.ArrayPartition($.inputArray, {size})", NINE)
    assert f.error == "States.IntrinsicFailure"


def test_array_contains_from_the_guide() -> None:
    assert run("States.ArrayContains($.inputArray, $.lookingFor)", {**NINE, "lookingFor": 5}) is True
    assert run("States.ArrayContains($.inputArray, 10)", NINE) is False


def test_array_contains_compares_json_values() -> None:
    data = {"a": [{"x": [1, 2]}, 1.0, "s"]}
    assert run("States.ArrayContains($.a, $.probe)", {**data, "probe": {"x": [1, 2]}}) is True
    assert run("States.ArrayContains($.a, 1)", data) is True
    assert run("States.ArrayContains($.a, true)", {"a": [1]}) is False


def test_array_range_from_the_guide() -> None:
    assert run("States.ArrayRange(1, 9, 2)") == [1, 3, 5, 7, 9]


def test_array_range_counts_down_and_includes_the_end() -> None:
    assert run("States.ArrayRange(5, 1, -2)") == [5, 3, 1]
    assert run("States.ArrayRange(1, 1, 1)") == [1]
    assert run("States.ArrayRange(1, 0, 1)") == []


def test_array_range_allows_at_most_1000_items() -> None:
    assert len(run("States.ArrayRange(1, 1000, 1)")) == 1000
    f = failure("States.ArrayRange(1, 1001, 1)")
    assert f.error == "States.IntrinsicFailure"
    assert "1000" in f.cause


@pytest.mark.parametrize("args", ["1, 5, 0", "1.5, 5, 1", "'1', 5, 1"])
def test_array_range_rejects_bad_arguments(args: str) -> None:
    assert failure(f"States.ArrayRange({args})").error == "States.IntrinsicFailure"


def test_array_get_item_from_the_guide() -> None:
    assert run("States.ArrayGetItem($.inputArray, $.index)", {**NINE, "index": 5}) == 6


@pytest.mark.parametrize("index", ["9", "-1", "'0'"])
def test_array_get_item_rejects_bad_indexes(index: str) -> None:
    assert failure(f"States.ArrayGetItem($.inputArray, {index})", NINE).error == "States.IntrinsicFailure"


def test_array_length_from_the_guide() -> None:
    assert run("States.ArrayLength($.inputArray)", NINE) == 9


def test_array_length_needs_an_array() -> None:
    f = failure("States.ArrayLength($.s)", {"s": "abc"})
    assert f.error == "States.IntrinsicFailure"
    assert "array" in f.cause


def test_array_unique_from_the_guide() -> None:
    assert run("States.ArrayUnique($.values)", {"values": [1, 2, 3, 3, 3, 3, 3, 3, 4]}) == [1, 2, 3, 4]


def test_array_unique_keeps_first_occurrences_of_json_values() -> None:
    data = {"v": [{"a": 1}, "1", 1, {"a": 1}, True, 1.0]}
    assert run("States.ArrayUnique($.v)", data) == [{"a": 1}, "1", 1, True]


def test_indefinite_path_arguments_give_lists() -> None:
    assert run("States.ArrayLength($.a[?(@ > 1)])", {"a": [1, 2, 3]}) == 2


# --- encoding, hashing -----------------------------------------------------------------


def test_base64_from_the_guide() -> None:
    assert run("States.Base64Encode($.input)", {"input": "Data to encode"}) == "RGF0YSB0byBlbmNvZGU="
    assert run("States.Base64Decode($.base64)", {"base64": "RGF0YSB0byBlbmNvZGU="}) == "Data to encode"


def test_base64_round_trips_unicode() -> None:
    encoded = run("States.Base64Encode('héllo ✓')")
    assert run("States.Base64Decode($.e)", {"e": encoded}) == "héllo ✓"


def test_base64_input_is_limited_to_10000_characters() -> None:
    assert len(run("States.Base64Encode($.s)", {"s": "a" * 10_000})) > 10_000
    f = failure("States.Base64Encode($.s)", {"s": "a" * 10_001})
    assert f.error == "States.IntrinsicFailure"
    assert "10000" in f.cause
    assert failure("States.Base64Decode($.s)", {"s": "QQ==" * 2501}).error == "States.IntrinsicFailure"


def test_base64_decode_rejects_invalid_input() -> None:
    assert failure("States.Base64Decode('not base64!')").error == "States.IntrinsicFailure"
    assert failure("States.Base64Encode(1)").error == "States.IntrinsicFailure"


def test_hash_from_the_guide() -> None:
    data = {"Data": "input data", "Algorithm": "SHA-1"}
    assert run("States.Hash($.Data, $.Algorithm)", data) == "aaff4a450a104cd177d28d18d74485e8cae074b7"


@pytest.mark.parametrize(
    ("algorithm", "length"),
    [("MD5", 32), ("SHA-1", 40), ("SHA-256", 64), ("SHA-384", 96), ("SHA-512", 128)],
)
def test_hash_algorithms(algorithm: str, length: int) -> None:
    digest = run(f"States.Hash('x', '{algorithm}')")
    assert re.fullmatch(f"[0-9a-f]{{{length}}}", digest)


def test_hash_md5_of_a_known_value() -> None:
    assert run("States.Hash('', 'MD5')") == "d41d8cd98f00b204e9800998ecf8427e"


def test_hash_rejects_unknown_algorithms_and_long_input() -> None:
    f = failure("States.Hash('x', 'SHA-3')")
    assert f.error == "States.IntrinsicFailure" and "SHA-512" in f.cause
    assert failure("States.Hash($.s, 'MD5')", {"s": "a" * 10_001}).error == "States.IntrinsicFailure"
    assert failure("States.Hash(null, 'MD5')").error == "States.IntrinsicFailure"


# --- math ------------------------------------------------------------------------------


def test_math_random_from_the_guide_is_within_the_range() -> None:
    for _ in range(50):
        value = run("States.MathRandom($.start, $.end)", {"start": 1, "end": 999})
        assert isinstance(value, int) and 1 <= value < 999


def test_math_random_start_is_inclusive_and_end_exclusive() -> None:
    assert {run("States.MathRandom(3, 4)") for _ in range(10)} == {3}


def test_math_random_with_a_seed_is_reproducible() -> None:
    first = run("States.MathRandom(0, 1000000, 7)")
    assert all(run("States.MathRandom(0, 1000000, 7)") == first for _ in range(5))


def test_math_random_rejects_bad_arguments() -> None:
    assert failure("States.MathRandom(5, 5)").error == "States.IntrinsicFailure"
    assert failure("States.MathRandom('1', 5)").error == "States.IntrinsicFailure"


def test_math_add_from_the_guide() -> None:
    assert run("States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}) == 110


def test_math_add_rejects_non_numbers_and_numbers_beyond_32_bits() -> None:
    assert run("States.MathAdd(1.0, 2)") == 3
    assert failure("States.MathAdd(true, 2)").error == "States.IntrinsicFailure"
    assert failure("States.MathAdd('1', 2)").error == "States.IntrinsicFailure"
    assert failure("States.MathAdd(2147483648, 1)").error == "States.IntrinsicFailure"
    assert failure("States.MathAdd(2147483647.5, 1)").error == "States.IntrinsicFailure"


# recorded on AWS (test_math_add): each argument is rounded as Java's Math.round, then added
@pytest.mark.parametrize(
    ("fst", "snd", "total"),
    [(-9, 3, -6), (1.49, 1.50, 3), (1.50, 1.51, 4), (-1.49, -1.50, -2), (-1.50, -1.51, -3),
     (1.49, 0, 1), (1.49, -1.49, 0), (1.50, 0, 2), (1.51, 0, 2), (-1.49, 0, -1), (-1.50, 0, -1),
     (-1.51, 0, -2), (0.5, 0, 1), (1.5, 0, 2), (2.5, 0, 3), (3.5, 0, 4), (-0.5, 0.5, 1),
     (-0.5, 0, 0), (-1.5, 0, -1), (-2.5, 0, -2), (-3.5, 0, -3)],
)
def test_math_add_rounds_halves_toward_positive_infinity(fst: float, snd: float, total: int) -> None:
    result = run("States.MathAdd($.fst, $.snd)", {"fst": fst, "snd": snd})
    assert result == total and isinstance(result, int)


def test_math_add_rounds_just_below_a_half_down() -> None:
    assert run("States.MathAdd($.x, 0)", {"x": 0.49999999999999994}) == 0  # floor(x + 0.5) would give 1
    assert run("States.MathAdd(2.5, -2.5)") == 1


def test_math_random_accepts_fractional_bounds() -> None:
    # recorded on AWS: (12.5, 44.51) succeeds; here the bounds are rounded as MathAdd's are
    values = {run("States.MathRandom($.fst, $.snd)", {"fst": 12.5, "snd": 44.51}) for _ in range(300)}
    assert all(isinstance(v, int) and 13 <= v < 45 for v in values)
    assert {13, 44} <= values
    assert {run("States.MathRandom(2.5, 3.5)") for _ in range(10)} == {3}


def test_math_random_accepts_a_fractional_seed() -> None:
    assert run("States.MathRandom(0, 1000, 7.4)") == run("States.MathRandom(0, 1000, 7)")


# --- strings, ids ----------------------------------------------------------------------


def test_string_split_from_the_guide() -> None:
    assert run("States.StringSplit($.inputString, $.splitter)", {"inputString": "1,2,3,4,5", "splitter": ","}) == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    data = {"inputString": "This.is+a,test=string", "splitter": ".+,="}
    assert run("States.StringSplit($.inputString, $.splitter)", data) == ["This", "is", "a", "test", "string"]


def test_string_split_drops_empty_tokens() -> None:
    assert run("States.StringSplit(',a,,b,', ',')") == ["a", "b"]


def test_string_split_needs_strings() -> None:
    assert failure("States.StringSplit(1, ',')").error == "States.IntrinsicFailure"


def test_uuid_is_a_version_4_uuid() -> None:
    first, second = run("States.UUID()"), run("States.UUID()")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
    assert first != second


def test_type_errors_name_the_function_and_argument() -> None:
    f = failure("States.ArrayLength($.x)", {"x": {"a": 1}})
    assert f.cause == (
        "Invalid arguments in States.ArrayLength: argument 1 must be of type array,"
        ' but was object ({"a":1})'
    )
