"""JSONata for `QueryLanguage: "JSONata"`: expressions, templates, the functions Step
Functions adds ("JSONata functions provided by Step Functions") and the causes of
States.QueryEvaluationError, checked against executions recorded on AWS (LocalStack's
AWS snapshots, named in each test)."""

from __future__ import annotations

import hashlib
import json
import random
import re
import types
from typing import Any

import pytest
from jsonata import Jsonata, Utils

from services.stepfunctions.data.jsonata_eval import (
    UNDEFINED,
    JsonataEnv,
    JsonataEvaluationError,
    JsonataLimits,
    JsonataSyntaxError,
    compile_expression,
    compile_template,
    is_expression,
    jsonata_type,
)
from services.stepfunctions.data.jsonata_functions import java_random_double


def env(
    input: Any = None,
    variables: dict[str, Any] | None = None,
    *,
    now: float = 1_700_000_000.25,
    seed: int = 7,
    limits: JsonataLimits | None = None,
    **states: Any,
) -> JsonataEnv:
    extra = {"limits": limits} if limits is not None else {}
    states = {"input": input, **states}
    return JsonataEnv(states=states, variables=variables or {}, now=now, random=random.Random(seed), **extra)


def evaluate(text: str, input: Any = None, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return compile_expression(text).evaluate(env(input, variables, **kwargs))


def failure(text: str, input: Any = None, variables: dict[str, Any] | None = None, **kwargs: Any) -> str:
    with pytest.raises(JsonataEvaluationError) as caught:
        compile_expression(text, location="Output").evaluate(env(input, variables, **kwargs))
    return caught.value.message


# --- what an expression is ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["{% 1 %}", "{%1%}", "{% $states.input %}"])
def test_a_string_in_delimiters_is_an_expression(text: str) -> None:
    assert is_expression(text)


@pytest.mark.parametrize("text", [" {% 1 %}", "{% 1 %} ", "{% 1", "1 %}", "{%}", "$.a", 1, None, ["{% 1 %}"]])
def test_surrounding_spaces_or_a_missing_delimiter_make_no_expression(text: Any) -> None:
    assert not is_expression(text)


@pytest.mark.parametrize("text", [" {% $x %}", "{% $x %} ", "{% $x"])
def test_text_that_is_not_exactly_an_expression_is_a_constant(text: str) -> None:
    # recorded on AWS (outputdecl base_literals): " {% states.input %} " comes out as written
    template = compile_template({"a": text}, location="Output")
    assert template.is_constant and template.evaluate(env()) == {"a": text}


@pytest.mark.parametrize("text", ["{% $states.input. %}", "{% ( %}", "{% %}", "{% 'abc %}", "{% 1 +* 2 %}"])
def test_syntax_errors_are_found_at_compile_time(text: str) -> None:
    with pytest.raises(JsonataSyntaxError) as caught:
        compile_template({"result": text}, location="Output")
    assert caught.value.location == "Output/result"
    assert caught.value.message.startswith(
        "The value for the field 'result' must be a valid JSONata expression: S0"
    )


def test_a_syntax_error_quotes_jsonatas_own_message() -> None:
    with pytest.raises(JsonataSyntaxError) as caught:
        compile_expression("{% ($x := 1 %}", location="Output")
    assert caught.value.message == (
        "The value for the field 'Output' must be a valid JSONata expression:"
        ' S0203: Expected ")" before end of expression'
    )


# --- values --------------------------------------------------------------------------------


def test_states_input_and_paths() -> None:
    data = {"a": {"b": [1, 2]}, "n": None, "items": [{"id": 1}, {"id": 2}]}
    assert evaluate("{% $states.input %}", data) == data
    assert evaluate("{% $states.input.a.b %}", data) == [1, 2]
    assert evaluate("{% $states.input.items.id %}", data) == [1, 2]
    assert evaluate("{% $states.input.n %}", data) is None
    assert evaluate("{% $states.input.missing %}", data) is UNDEFINED
    assert evaluate("{% $states.result.Payload %}", result={"Payload": 3}) == 3


def test_integer_arithmetic_gives_integers() -> None:
    three = evaluate("{% 1 + 2 %}")
    assert three == 3 and type(three) is int
    assert type(evaluate("{% 1.5 * 2 %}")) is int
    assert evaluate("{% 3 / 2 %}") == 1.5
    assert evaluate("{% $sum($states.input) %}", [1, 2, 3]) == 6


def test_json_null_is_a_value_and_undefined_is_not() -> None:
    assert evaluate("{% null %}") is None
    assert evaluate("{% {'a': null, 'b': [null]} %}") == {"a": None, "b": [None]}
    assert evaluate("{% $nothing %}") is UNDEFINED
    assert evaluate("{% {'a': $nothing} %}") == {}  # JSONata drops it from an object it builds


def test_variables_are_bound_including_null_ones() -> None:
    variables = {"x": 5, "nul": None, "obj": {"k": "v"}, "list": [1, 2]}
    assert evaluate("{% $x * 2 %}", variables=variables) == 10
    assert evaluate("{% $nul %}", variables=variables) is None
    assert evaluate("{% $exists($nul) and $nul = null %}", variables=variables) is True
    assert evaluate("{% $obj.k %}", variables=variables) == "v"
    assert evaluate("{% $list[1] %}", variables=variables) == 2


def test_states_may_be_any_mapping() -> None:
    mapping = JsonataEnv(
        states=types.MappingProxyType({"input": {"a": 1}}), variables={}, now=0.0, random=random.Random(1)
    )
    assert compile_expression("{% $states.input.a + 1 %}").evaluate(mapping) == 2
    assert compile_expression("{% $states.input.a %}").evaluate(mapping) == 1


@pytest.mark.parametrize(
    "path",
    ["$states.input", "$states.input.a", "$states.input.a.b", "$states.input.l", "$states.input.l.b",
     "$states.input.n", "$states.input.n.x", "$states.input.s.x", "$states.input.z", "$v", "$v.a", "$w.a.b"],
)
def test_the_fast_path_gives_what_jsonata_python_gives(path: str) -> None:
    data = {"a": {"b": {"c": 1}}, "l": [{"b": 1}, {"b": [2, 3]}, {"x": 1}], "n": None, "s": "text"}
    variables = {"v": {"a": [1]}, "w": [{"a": {"b": 1}}, {"a": {"b": 2}}]}
    library = Jsonata(path)
    library.set_output_convert_nulls(False)  # keep null and undefined apart
    raw = library.evaluate(None, {"states": {"input": data}, **variables})
    expected = UNDEFINED if raw is None else Utils.convert_nulls(raw)
    for text in (f"{{% {path} %}}", f"{{% ({path}) %}}"):  # bare (walked here), in a block (the engine)
        assert evaluate(text, data, variables) == expected, text


def test_jsonata_regular_expressions() -> None:
    # recorded: test_base_evaluate_expressions.py::test_base_jsonata_regular_expressions
    assert evaluate(r"""{% $contains("hello$world", /^hello\$/) %}""") is True
    assert evaluate(r"""{% $contains('hello$world', /^hello\ /) %}""") is False


def test_merge_of_input_objects() -> None:
    # recorded: test_base_evaluate_expressions.py::test_merge_with_dynamic_args
    data = {"part1": {"hello": "world"}, "part2": {"foo": "bar"}}
    merged = evaluate("{% $merge([$states.input.part1, $states.input.part2]) %}", data)
    assert merged == {"hello": "world", "foo": "bar"}


# --- Step Functions' functions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "size", "expected"),
    [  # recorded: test_array_jsonata.py::test_array_partition
        ([0], 1, [[0]]),
        ([0], 5, [[0]]),
        ([0, 1], 1, [[0], [1]]),
        ([0, 1], 2, [[0, 1]]),
        ([0, 1, 2], 1, [[0], [1], [2]]),
        ([0, 1, 2], 2, [[0, 1], [2]]),
        ([0, 1, 2, 3], 3, [[0, 1, 2], [3]]),
        ([0, 1, 2, 3], 5, [[0, 1, 2, 3]]),
    ],
)
def test_partition(array: list, size: int, expected: list) -> None:
    data = {"FunctionInput": {"fst": array, "snd": size}}
    text = "{% $partition($states.input.FunctionInput.fst, $states.input.FunctionInput.snd) %}"
    assert evaluate(text, data) == expected


def test_partition_rounds_the_size_down_and_refuses_a_size_below_one() -> None:
    assert evaluate("{% $partition([1, 2, 3], 2.9) %}") == [[1, 2], [3]]
    assert failure("{% $partition([1], 0) %}").endswith(
        "threw an error during evaluation."
        " Invalid arguments in $partition: the chunk size must be greater than 0, but was 0"
    )


@pytest.mark.parametrize(
    ("start", "end", "step", "expected"),
    [  # recorded: test_array_jsonata.py::test_array_range
        (0, 9, 3, [0, 3, 6, 9]),
        (0, 10, 3, [0, 3, 6, 9]),
        (1, 9, 9, 1),  # a single item is returned as itself (a JSONata sequence)
        (1, 9, 2, [1, 3, 5, 7, 9]),
    ],
)
def test_range(start: int, end: int, step: int, expected: Any) -> None:
    data = {"FunctionInput": {"fst": start, "snd": end, "trd": step}}
    arguments = ", ".join(f"$states.input.FunctionInput.{name}" for name in ("fst", "snd", "trd"))
    text = f"{{% $range({arguments}) %}}"
    assert evaluate(text, data) == expected


def test_range_counts_down_and_refuses_a_zero_step() -> None:
    assert evaluate("{% $range(0, 10, 2) %}") == [0, 2, 4, 6, 8, 10]  # the guide's example
    assert evaluate("{% $range(10, 0, -3) %}") == [10, 7, 4, 1]
    assert evaluate("{% $range(5, 1, 1) %}") is UNDEFINED
    assert failure("{% $range(0, 1, 0) %}").endswith("Invalid arguments in $range: the step cannot be 0")


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [("MD5", "md5"), ("SHA-1", "sha1"), ("SHA-256", "sha256"), ("SHA-384", "sha384"), ("SHA-512", "sha512")],
)
def test_hash(algorithm: str, digest: str) -> None:
    text = "Hello ünïcode"
    expected = hashlib.new(digest, text.encode()).hexdigest()
    assert evaluate("{% $hash($states.input.v, $states.input.a) %}", {"v": text, "a": algorithm}) == expected


def test_hash_refuses_other_algorithms() -> None:
    assert failure("{% $hash('a', 'SHA-3') %}").endswith(
        "Invalid arguments in $hash: the hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512,"
        ' but was "SHA-3"'
    )


@pytest.mark.parametrize(
    ("seed", "expected"),
    [  # new java.util.Random(seed).nextDouble(), from a JVM
        (42, 0.7275636800328681),
        (0, 0.730967787376657),
        (1, 0.7308781907032909),
        (-1, 0.26894263088050496),
        (123456789, 0.664038103272266),
        (2**63 - 1, 0.26894263088050496),
    ],
)
def test_java_random(seed: int, expected: float) -> None:
    assert java_random_double(seed) == expected


def test_seeded_random_is_java_random() -> None:
    assert evaluate("{% $random(42) %}") == 0.7275636800328681
    assert evaluate("{% $random($states.input.seed) %}", {"seed": 123456789}) == 0.664038103272266
    assert evaluate("{% $random(42.9) %}") == 0.7275636800328681  # rounded down, as the guide says


def test_unseeded_random_and_uuid_come_from_the_executions_generator() -> None:
    text = "{% [$random(), $uuid()] %}"
    first, second, other = evaluate(text, seed=3), evaluate(text, seed=3), evaluate(text, seed=4)
    assert first == second != other
    number, identifier = first
    assert 0 <= number < 1
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", identifier)


def test_random_refuses_a_seed_that_is_not_a_number() -> None:
    assert failure("{% $random('a') %}").endswith(
        'threw an error during evaluation. T0410: Argument 1 of function "random"'
        " does not match function signature"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # recorded: test_json_manipulation_jsonata.py::test_parse
        ("-0", 0),
        ("1", 1),
        ("1.1", 1.1),
        ("true", True),
        ('"HelloWorld"', "HelloWorld"),
        ('[1, 2, "HelloWorld"]', [1, 2, "HelloWorld"]),
        ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []}),
    ],
)
def test_parse(text: str, expected: Any) -> None:
    assert evaluate("{% $parse($states.input.FunctionInput) %}", {"FunctionInput": text}) == expected


def test_parse_of_null_is_null_and_of_bad_json_an_error() -> None:
    assert evaluate("{% $parse('null') %}") is None
    assert failure("{% $parse('{') %}").endswith('in $parse: the string "{" is not valid JSON')
    assert failure("{% $parse('NaN') %}").endswith('the string "NaN" is not valid JSON')


def test_now_and_millis_read_the_service_clock() -> None:
    assert evaluate("{% $millis() %}", now=1_700_000_000.25) == 1_700_000_000_250
    assert evaluate("{% $now() %}", now=1_700_000_000.25) == "2023-11-14T22:13:20.250Z"
    assert evaluate("{% $now() %}", now=86_400.0) == "1970-01-02T00:00:00.000Z"
    assert evaluate("{% $now('[Y0001]-[M01]-[D01]') %}", now=86_400.0) == "1970-01-02"


def test_eval_is_not_available() -> None:
    # AWS: "$eval is not available"; an unknown function is T1006 (recorded: test_math_random_seeded)
    assert failure("{% $eval('1 + 1') %}") == (
        "The JSONata expression '$eval('1 + 1')' specified for the field 'Output'"
        " threw an error during evaluation. T1006: Attempted to invoke a non-function"
    )


# --- causes of States.QueryEvaluationError ------------------------------------------------


def test_an_unknown_function_is_t1006() -> None:
    # recorded: test_math_operations_jsonata.py::test_math_random_seeded
    text = "{% $randomSeeded($states.input.FunctionInput.fst) %}"
    expression = compile_expression(text, location="Output/FunctionResult")
    with pytest.raises(JsonataEvaluationError) as caught:
        expression.evaluate(env({"FunctionInput": "fst"}))
    assert caught.value.message == (
        "The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for the field"
        " 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function"
    )
    assert caught.value.location == "Output/FunctionResult"
    assert caught.value.expression == "$randomSeeded($states.input.FunctionInput.fst)"


def test_type_errors_are_worded_as_jsonata_js_words_them() -> None:
    assert failure("{% 'a' + 1 %}").endswith(
        'T2001: The left side of the "+" operator must evaluate to a number'
    )
    assert failure("{% $uppercase(1) %}").endswith(
        'T0410: Argument 1 of function "uppercase" does not match function signature'
    )
    assert failure("{% $number('x') %}").endswith('D3030: Unable to cast value to a number: "x"')
    assert failure("{% -'a' %}").endswith('D1002: Cannot negate a non-numeric value: "a"')
    assert failure("{% 1 / 0 %}").endswith("D1001: Number out of range: null")
    assert failure("{% $error('boom') %}").endswith("threw an error during evaluation. D3137: boom")


def test_a_function_result_is_unsupported() -> None:
    # recorded: test_base_scenarios.py::test_map_state_items_eval_jsonata_fail[function]
    expression = compile_expression("{% $fn := function($x){$x} %}", location="Items")
    with pytest.raises(JsonataEvaluationError) as caught:
        expression.evaluate(env())
    assert caught.value.message == (
        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items'"
        " returned an unsupported result type."
    )
    assert failure("{% {'f': $sum} %}").endswith("returned an unsupported result type.")


@pytest.mark.parametrize(
    ("literal", "cause"),
    [  # recorded: test_base_scenarios.py::test_map_state_items_eval_jsonata_fail
        ("1", "Expected 'array', but was 'number' for value: 1"),
        ("'string'", "Expected 'array', but was 'string' for value: \"string\""),
        ("true", "Expected 'array', but was 'boolean' for value: true"),
        ("{'foo': 'bar'}", "Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}"),
        ("null", "Expected 'array', but was 'null' for value: null"),
    ],
)
def test_unexpected_result_types_for_fields_that_want_one(literal: str, cause: str) -> None:
    expression = compile_expression(f"{{% {literal} %}}", location="Items")
    value = expression.evaluate(env())
    assert jsonata_type(value) != "array"
    assert expression.unexpected_type_error(value, "array").message == (
        f"The JSONata expression '{literal}' specified for the field 'Items'"
        f" returned an unexpected result type. {cause}"
    )


# --- templates -----------------------------------------------------------------------------


def test_a_template_replaces_expressions_at_any_depth() -> None:
    template = compile_template(
        {"static": "Hello", "title": "{% $states.input.title %}", "name": "{% $customerName %}",
         "not-evaluated": "$customerName", "nested": [1, {"deep": "{% $states.input.n + 1 %}"}]},
        location="Arguments",
    )
    assert not template.is_constant
    assert template.evaluate(env({"title": "Doctor", "n": 1}, {"customerName": "María"})) == {
        "static": "Hello", "title": "Doctor", "name": "María", "not-evaluated": "$customerName",
        "nested": [1, {"deep": 2}],
    }


def test_array_items_are_evaluated() -> None:
    # recorded: test_base_evaluate_expressions.py::test_base_map[ITEMS] and [ITEMS_DOUBLE_QUOTES]
    assert compile_template([1, "{% $number('2') %}", 3], location="Items").evaluate(env()) == [1, 2, 3]
    assert compile_template([1, '{% $number("2") %}', 3], location="Items").evaluate(env()) == [1, 2, 3]


@pytest.mark.parametrize(
    ("template", "location", "where"),
    [  # recorded: test_assign_reference_variables.py (base_undefined_* templates)
        ("{% $doesNotExist %}", "Output", "Output"),
        ({"result": "{% $doesNotExist %}"}, "Output", "Output/result"),
        ({"result": "{% $doesNotExist %}"}, "Assign", "Assign/result"),
        ({"FunctionName": "{% $doesNotExist %}"}, "Arguments", "Arguments/FunctionName"),
        ([1, "{% $doesNotExist %}"], "Items", "Items/1"),  # assumed: nothing recorded for arrays
    ],
)
def test_an_undefined_expression_in_a_template_fails(template: Any, location: str, where: str) -> None:
    with pytest.raises(JsonataEvaluationError) as caught:
        compile_template(template, location=location).evaluate(env())
    assert caught.value.message == (
        f"The JSONata expression '$doesNotExist' specified for the field '{where}'"
        " returned nothing (undefined)."
    )
    assert caught.value.location == where


def test_a_constant_template_is_copied_each_time() -> None:
    template = compile_template({"a": [1, {"b": 2}], "c": "text"})
    assert template.is_constant and template.variables() == frozenset()
    first = template.evaluate(env())
    first["a"][1]["b"] = 99
    assert template.evaluate(env()) == {"a": [1, {"b": 2}], "c": "text"}


def test_template_results_do_not_alias_each_other() -> None:
    template = compile_template({"a": "{% [1, 2] %}", "k": {"x": [1]}})
    first = template.evaluate(env())
    first["a"].append(3)
    first["k"]["x"].append(2)
    assert template.evaluate(env()) == {"a": [1, 2], "k": {"x": [1]}}


# --- variables() ---------------------------------------------------------------------------


def test_variables_lists_the_workflow_variables_read() -> None:
    expression = compile_expression("{% $a + $states.input.b + $sum([$c]) + $count($states.result) %}")
    assert expression.variables() == frozenset({"a", "c"})


def test_variables_leaves_out_local_bindings_and_functions() -> None:
    text = "{% ($local := $outer; $map($list, function($v, $i) { $v + $local + $i })) ~> $partition(2) %}"
    assert compile_expression(text).variables() == frozenset({"outer", "list"})
    assert compile_expression("{% $states.input.items#$pos.name %}").variables() == frozenset()
    assert compile_expression("{% $ %}").variables() == frozenset()


def test_a_template_lists_the_variables_of_all_its_expressions() -> None:
    template = compile_template(
        {"a": "{% $x %}", "b": ["{% $y.z %}", "$notAnExpression"], "c": "{% $states.input %}"}
    )
    assert template.variables() == frozenset({"x", "y"})


# --- bounds --------------------------------------------------------------------------------


def test_a_runaway_expression_times_out() -> None:
    limits = JsonataLimits(timeout_seconds=0.02)
    assert failure("{% ($loop := function($n){ $loop($n + 1) }; $loop(0)) %}", limits=limits).endswith(
        "threw an error during evaluation."
        " D1012: Evaluation timeout after 20 milliseconds. Check for infinite loop"
    )


def test_deep_recursion_is_stopped() -> None:
    limits = JsonataLimits(max_depth=60)
    text = "{% ($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f($states.input)) %}"
    assert evaluate(text, 5, limits=limits) == 5
    assert failure(text, 100, limits=limits).endswith(
        "D1011: Stack overflow. Check for non-terminating recursive function."
        "  Consider rewriting as tail-recursive"
    )


def test_a_result_beyond_the_size_bound_fails() -> None:
    limits = JsonataLimits(max_result_size=1000)
    assert len(evaluate("{% [1..100] %}", limits=limits)) == 100
    too_large = "returned a result larger than the emulator's bound."
    assert failure("{% [1..1000] %}", limits=limits).endswith(too_large)
    assert failure("{% $pad('', 2000, 'x') %}", limits=limits).endswith(too_large)
    assert failure("{% $range(0, 5000, 1) %}", limits=limits).endswith(
        "Invalid arguments in $range: the range would contain 5001 items, more than 1000"
    )


def test_evaluation_leaves_no_state_behind() -> None:
    expression = compile_expression("{% $x := $states.input %}")
    assert expression.evaluate(env(1)) == 1
    assert compile_expression("{% $x %}").evaluate(env(2)) is UNDEFINED
    assert json.dumps(compile_expression("{% [1..3] %}").evaluate(env())) == "[1, 2, 3]"
