"""JSONPath as Step Functions reads it: paths, reference paths and ResultPath.

Examples follow the Step Functions developer guide ("Paths", "ResultPath",
"InputPath, ResultPath and OutputPath Examples") and Jayway's book-store examples.
"""

from __future__ import annotations

import pytest

from services.stepfunctions.data.jsonpath import (
    PathNotFound,
    PathSyntaxError,
    compile_path,
    set_result,
    validate_path,
)
from services.stepfunctions.failures import StatesFailure

GUIDE_INPUT = {"foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": True}}

STORE = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
            {
                "category": "fiction",
                "author": "Herman Melville",
                "title": "Moby Dick",
                "isbn": "0-553-21311-3",
                "price": 8.99,
            },
            {
                "category": "fiction",
                "author": "J. R. R. Tolkien",
                "title": "The Lord of the Rings",
                "isbn": "0-395-19395-8",
                "price": 22.99,
            },
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "expensive": 10,
}


# --- reading ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [("$.foo", 123), ("$.bar", ["a", "b", "c"]), ("$.car.cdr", True), ("$", GUIDE_INPUT)],
)
def test_reference_paths_from_the_guide(path: str, expected: object) -> None:
    compiled = compile_path(path)
    assert compiled.is_reference
    assert compiled.get(GUIDE_INPUT) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.bar[0]", "a"),
        ("$.bar[2]", "c"),
        ("$.bar[-1]", "c"),
        ("$['foo']", 123),
        ('$["foo"]', 123),
        ("$['car']['cdr']", True),
        ("$.car.['cdr']", True),
        ("$[ 'car' ].cdr", True),
    ],
)
def test_definite_steps(path: str, expected: object) -> None:
    assert compile_path(path).get(GUIDE_INPUT) == expected


def test_bracket_notation_reads_names_with_special_characters() -> None:
    data = {"abc": {"def ghi": 1, "a.b": 2, "it's": 3}}
    assert compile_path("$.abc.['def ghi']").get(data) == 1
    assert compile_path("$.abc['a.b']").get(data) == 2
    assert compile_path("$.abc['it\\'s']").get(data) == 3

def test_a_backslash_before_a_double_quote_in_a_single_quoted_name_is_part_of_the_name() -> None:
    # recorded on AWS (test_escape_sequence_parsing): $['Test\""Name"'] reads the key Test\""Name"
    data = {'Test\\""Name"': 'Value"\\'}
    assert compile_path("$['Test\\\"\"Name\"']").get(data) == 'Value"\\'
    assert compile_path("$['a\\\"b']").get({'a\\"b': 1}) == 1
    assert compile_path("$[\"a\\'b\"]").get({"a\\'b": 2}) == 2


def test_a_backslash_escapes_the_closing_quote_and_a_backslash() -> None:
    assert compile_path("$['a\\\\b']").get({"a\\b": 1}) == 1
    assert compile_path('$["say \\"hi\\""]').get({'say "hi"': 2}) == 2
    assert compile_path("$['x\\n']").get({"x\\n": 3}) == 3  # no other escapes



def test_dot_names_may_hold_dashes_and_unicode() -> None:
    assert compile_path("$.my-key.clé").get({"my-key": {"clé": 5}}) == 5


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.store.book[*].author", ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"]),
        ("$..author", ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"]),
        ("$.store.*.color", ["red"]),
        ("$.store..price", [8.95, 12.99, 8.99, 22.99, 19.95]),
        ("$..book[2].title", ["Moby Dick"]),
        ("$..book[-1:].title", ["The Lord of the Rings"]),
        ("$..book[0,1].title", ["Sayings", "Sword"]),
        ("$..book[:2].title", ["Sayings", "Sword"]),
        ("$..book[1:3].title", ["Sword", "Moby Dick"]),
        ("$..book[::2].title", ["Sayings", "Moby Dick"]),
        ("$..book[?(@.isbn)].title", ["Moby Dick", "The Lord of the Rings"]),
        ("$.store.book[?(@.price < 10)].title", ["Sayings", "Moby Dick"]),
        ("$..book[?(@.price <= $['expensive'])].title", ["Sayings", "Moby Dick"]),
        ("$..book[?(@.price > 20)].author", ["J. R. R. Tolkien"]),
        ("$..book[?(@.price >= 12.99)].price", [12.99, 22.99]),
        ("$..book[?(@.category == 'reference')].title", ["Sayings"]),
        ('$..book[?(@.category != "fiction")].title', ["Sayings"]),
        ("$..book[?(@.isbn && @.price < 10)].title", ["Moby Dick"]),
        ("$..book[?(@.price < 9 || @.price > 20)].title", ["Sayings", "Moby Dick", "The Lord of the Rings"]),
        ("$..book[?(!@.isbn)].title", ["Sayings", "Sword"]),
        ("$..book[?(!(@.price < 10))].title", ["Sword", "The Lord of the Rings"]),
        ("$.store.bicycle['color','price']", ["red", 19.95]),
        ("$..missing", []),
    ],
)
def test_indefinite_paths_return_every_match(path: str, expected: list) -> None:
    compiled = compile_path(path)
    assert not compiled.is_reference
    assert compiled.get(STORE) == expected


def test_filters_compare_only_values_of_the_same_type() -> None:
    items = [{"v": 1}, {"v": "1"}, {"v": True}, {"v": None}, {"v": 1.0}, {}]
    assert compile_path("$[?(@.v == 1)]").get(items) == [{"v": 1}, {"v": 1.0}]
    assert compile_path("$[?(@.v == '1')]").get(items) == [{"v": "1"}]
    assert compile_path("$[?(@.v == true)]").get(items) == [{"v": True}]
    assert compile_path("$[?(@.v == null)]").get(items) == [{"v": None}]
    assert compile_path("$[?(@.v > 0)]").get(items) == [{"v": 1}, {"v": 1.0}]
    assert compile_path("$[?(@.v < 'a')]").get(items) == [{"v": "1"}]


def test_filter_on_scalars_uses_the_element_itself() -> None:
    assert compile_path("$.a[?(@ > 2)]").get({"a": [1, 2, 3, 4]}) == [3, 4]


def test_filter_on_an_object_tests_the_object() -> None:
    data = {"o": {"kind": "x"}}
    assert compile_path("$.o[?(@.kind == 'x')]").get(data) == [{"kind": "x"}]
    assert compile_path("$.o[?(@.kind == 'y')]").get(data) == []


def test_wildcard_over_an_empty_array_is_an_empty_list() -> None:
    assert compile_path("$.a[*]").get({"a": []}) == []


def test_wildcard_skips_elements_without_the_field() -> None:
    assert compile_path("$.a[*].b").get({"a": [{"b": 1}, {}, {"b": 3}, 4]}) == [1, 3]


@pytest.mark.parametrize(
    ("path", "expected"),
    [("$.bar.length()", 3), ("$.car.length()", 1), ("$..bar[*].length()", 3)],
)
def test_length_function(path: str, expected: int) -> None:
    compiled = compile_path(path)
    assert not compiled.is_reference
    assert compiled.get(GUIDE_INPUT) == expected


def test_functions_other_than_length_find_nothing() -> None:
    # AWS accepts `$.Jobs.sum()` in a definition, then fails at run time ("could not be found").
    assert validate_path("$.Jobs.sum()") is None
    with pytest.raises(PathNotFound):
        compile_path("$.Jobs.sum()").get({"Jobs": [1, 2]})


def test_length_of_a_number_is_not_found() -> None:
    with pytest.raises(PathNotFound):
        compile_path("$.foo.length()").get(GUIDE_INPUT)


def test_context_paths_are_evaluated_against_the_data_they_are_given() -> None:
    compiled = compile_path("$$.Execution.Id")
    assert compiled.is_context and compiled.is_reference
    assert compiled.get({"Execution": {"Id": "arn:x"}}) == "arn:x"
    assert compile_path("$$").get({"a": 1}) == {"a": 1}
    assert not compile_path("$.Execution.Id").is_context


# --- not found -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("$.nope", "No results for path: $['nope']"),
        ("$.car.nope", "No results for path: $['car']['nope']"),
        ("$.nope.deeper", "Missing property in path $['nope']"),
        ("$.bar[3]", "No results for path: $['bar'][3]"),
        ("$.bar[-4]", "No results for path: $['bar'][-4]"),
        ("$.foo[0]", "No results for path: $['foo'][0]"),
        ("$.bar.x", "No results for path: $['bar']['x']"),
    ],
)
def test_a_definite_path_that_matches_nothing_raises_path_not_found(path: str, detail: str) -> None:
    with pytest.raises(PathNotFound) as info:
        compile_path(path).get(GUIDE_INPUT)
    assert info.value.path == path
    assert info.value.detail == detail


def test_a_null_value_is_found() -> None:
    assert compile_path("$.a").get({"a": None}) is None
    assert compile_path("$.a").exists({"a": None})


def test_exists() -> None:
    assert compile_path("$.car.cdr").exists(GUIDE_INPUT)
    assert not compile_path("$.car.nope").exists(GUIDE_INPUT)
    assert compile_path("$.bar[*]").exists(GUIDE_INPUT)
    assert not compile_path("$.bar[?(@ == 'z')]").exists(GUIDE_INPUT)


def test_get_does_not_modify_the_data() -> None:
    data = {"a": [{"b": 1}]}
    compile_path("$..b").get(data)
    assert data == {"a": [{"b": 1}]}


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "$",
        "$$",
        "$.a",
        "$.a.b[0]",
        "$['a b'][1]",
        "$$.Execution.Input.x",
        "$$.Map.Item.Value",
        "$.a[-1]",
    ],
)
def test_valid_reference_paths(path: str) -> None:
    assert validate_path(path) is None
    assert validate_path(path, reference=True) is None


@pytest.mark.parametrize(
    "path",
    [
        "$.a[*]",
        "$.*",
        "$..a",
        "$.a[0:2]",
        "$.a[0,1]",
        "$['a','b']",
        "$.a[?(@.x)]",
        "$.a.length()",
    ],
)
def test_paths_that_are_not_reference_paths(path: str) -> None:
    assert validate_path(path) is None
    reason = validate_path(path, reference=True)
    assert reason is not None and "reference path" in reason


@pytest.mark.parametrize(
    "path",
    [
        "",
        "a.b",
        "States.Format('x')",
        "$.",
        "$a",
        "$.a.",
        "$.a b",
        "$[",
        "$.a[0",
        "$.a['b",
        "$.a[x]",
        "$.a[?(@.x <)]",
        "$.a[?(@.x == 1]",
        "$.a[::0]",
        "$.a.length().b",
        "$..",
    ],
)
def test_invalid_paths(path: str) -> None:
    assert validate_path(path) is not None
    assert validate_path(path, reference=True) is not None
    with pytest.raises(PathSyntaxError):
        compile_path(path)


def test_validate_path_rejects_non_strings() -> None:
    assert validate_path(None) is not None  # type: ignore[arg-type]


def test_compile_path_is_cached() -> None:
    assert compile_path("$.cached.x") is compile_path("$.cached.x")


# --- ResultPath ------------------------------------------------------------------------

TASK_INPUT = {
    "comment": "This is a test of the input and output of a Task state.",
    "details": "Default example",
    "who": "AWS Step Functions",
}
HELLO = "Hello, AWS Step Functions!"


def test_result_path_dollar_replaces_the_input_with_the_result() -> None:
    assert set_result(TASK_INPUT, "$", HELLO) == HELLO


def test_result_path_adds_the_result_to_the_input() -> None:
    assert set_result(TASK_INPUT, "$.taskresult", HELLO) == {**TASK_INPUT, "taskresult": HELLO}


def test_result_path_creates_missing_objects() -> None:
    assert set_result(TASK_INPUT, "$.strings.lambdaresult", HELLO) == {
        **TASK_INPUT,
        "strings": {"lambdaresult": HELLO},
    }


def test_result_path_null_discards_the_result() -> None:
    assert set_result(TASK_INPUT, None, HELLO) is TASK_INPUT


def test_result_path_replaces_an_existing_field_and_keeps_its_siblings() -> None:
    data = {"data": {"val1": 23, "val2": 17, "lambdaresult": "old"}}
    assert set_result(data, "$.data.lambdaresult", HELLO) == {
        "data": {"val1": 23, "val2": 17, "lambdaresult": HELLO}
    }


def test_result_path_does_not_modify_the_input() -> None:
    data = {"a": {"b": 1}, "list": [1, 2]}
    out = set_result(data, "$.a.c", 2)
    out2 = set_result(data, "$.list[0]", 9)
    assert data == {"a": {"b": 1}, "list": [1, 2]}
    assert out == {"a": {"b": 1, "c": 2}, "list": [1, 2]}
    assert out2 == {"a": {"b": 1}, "list": [9, 2]}


def test_result_path_with_bracket_notation() -> None:
    assert set_result({}, "$['my key']['x']", 1) == {"my key": {"x": 1}}


def test_result_path_of_a_catcher_keeps_error_output_beside_the_input() -> None:
    error = {"Error": "States.TaskFailed", "Cause": "boom"}
    assert set_result({"x": 1}, "$.error", error) == {"x": 1, "error": error}


@pytest.mark.parametrize(
    ("data", "path", "cause"),
    [
        ("text", "$.x", 'Unable to apply ReferencePath $.x to input "text"'),
        ([1, 2], "$.x", "Unable to apply ReferencePath $.x to input [1,2]"),
        ({"a": 1}, "$.a.b", 'Unable to apply ReferencePath $.a.b to input {"a":1}'),
        ({"a": [1]}, "$.a.b", 'Unable to apply ReferencePath $.a.b to input {"a":[1]}'),
        ({"a": [1]}, "$.a[3]", 'Unable to apply ReferencePath $.a[3] to input {"a":[1]}'),
        (None, "$.x", "Unable to apply ReferencePath $.x to input null"),
    ],
)
def test_result_path_that_cannot_be_applied_fails(data: object, path: str, cause: str) -> None:
    with pytest.raises(StatesFailure) as info:
        set_result(data, path, 1)
    assert info.value.error == "States.ResultPathMatchFailure"
    assert info.value.cause == cause


def test_result_path_must_be_a_reference_path() -> None:
    with pytest.raises(StatesFailure) as info:
        set_result({"a": [1]}, "$.a[*]", 1)
    assert info.value.error == "States.ResultPathMatchFailure"
