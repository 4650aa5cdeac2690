"""Payload templates (Parameters, ItemSelector, ResultSelector) and InputPath/OutputPath,
with the examples of the developer guide ("InputPath, Parameters and ResultSelector",
"InputPath, ResultPath and OutputPath Examples")."""

from __future__ import annotations

from typing import Any

import pytest

from services.stepfunctions.data.jsonpath import set_result
from services.stepfunctions.data.templates import (
    TemplateError,
    apply_path,
    compile_template,
    validate_template,
)
from services.stepfunctions.failures import StatesFailure


def evaluate(template: Any, data: Any, context: dict | None = None) -> Any:
    return compile_template(template).evaluate(data, context or {})


def test_parameters_example_from_the_guide() -> None:
    data = {
        "comment": "Example for Parameters.",
        "product": {
            "details": {"color": "blue", "size": "small", "material": "cotton"},
            "availability": "in stock",
            "sku": "2317",
            "cost": "$23",
        },
    }
    template = {
        "comment": "Selecting what I care about.",
        "MyDetails": {
            "size.$": "$.product.details.size",
            "exists.$": "$.product.availability",
            "StaticValue": "foo",
        },
    }
    assert evaluate(template, data) == {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"},
    }


def test_result_selector_example_from_the_guide() -> None:
    result = {
        "resourceType": "elasticmapreduce",
        "resource": "createCluster.sync",
        "output": {
            "SdkHttpMetadata": {"HttpStatusCode": 200},
            "SdkResponseMetadata": {"RequestId": "1234-5678-9012"},
            "ClusterId": "AKIAIOSFODNN7EXAMPLE",
        },
    }
    template = {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"}
    assert evaluate(template, result) == {
        "ClusterId": "AKIAIOSFODNN7EXAMPLE",
        "ResourceType": "elasticmapreduce",
    }


def test_context_object_paths_read_the_context() -> None:
    context = {"Map": {"Item": {"Index": 2, "Value": {"id": "x"}}}, "Execution": {"Id": "arn:e"}}
    template = {"index.$": "$$.Map.Item.Index", "item.$": "$$.Map.Item.Value", "v.$": "$.v"}
    assert evaluate(template, {"v": 1}, context) == {"index": 2, "item": {"id": "x"}, "v": 1}


def test_intrinsic_functions_in_templates() -> None:
    template = {"greeting.$": "States.Format('Hello, {}', $.name)", "ids.$": "States.Array($.id, 2)"}
    assert evaluate(template, {"name": "Ana", "id": 1}) == {"greeting": "Hello, Ana", "ids": [1, 2]}


def test_indefinite_paths_give_lists() -> None:
    template = {"prices.$": "$.items[?(@.price < 10)].price", "all.$": "$.items[*].price"}
    data = {"items": [{"price": 5}, {"price": 15}]}
    assert evaluate(template, data) == {"prices": [5], "all": [5, 15]}


def test_fields_inside_arrays_and_deep_objects_are_processed() -> None:
    template = {"list": [{"a.$": "$.a"}, 1, ["x", {"b.$": "$.b"}]], "deep": {"er": {"c.$": "$"}}}
    data = {"a": 1, "b": 2}
    assert evaluate(template, data) == {
        "list": [{"a": 1}, 1, ["x", {"b": 2}]],
        "deep": {"er": {"c": data}},
    }


def test_static_values_are_copied_as_is_including_dollar_strings() -> None:
    template = {"path": "$.not.evaluated", "n": None, "nested": {"k": [1, {"x": True}]}}
    assert evaluate(template, {}) == template


def test_evaluations_do_not_share_mutable_values() -> None:
    compiled = compile_template({"static": {"list": [1]}, "v.$": "$.v"})
    first = compiled.evaluate({"v": 1}, {})
    first["static"]["list"].append(2)
    assert compiled.evaluate({"v": 1}, {}) == {"static": {"list": [1]}, "v": 1}


def test_a_template_may_be_a_plain_value() -> None:
    assert evaluate("literal", {"a": 1}) == "literal"
    assert evaluate([{"a.$": "$.a"}], {"a": 1}) == [{"a": 1}]


def test_a_path_that_matches_nothing_fails_with_the_aws_wording() -> None:
    with pytest.raises(StatesFailure) as info:
        evaluate({"address.$": "$.application.address"}, {"flagged": False})
    assert info.value.error == "States.Runtime"
    assert info.value.cause == (
        "The JSONPath '$.application.address' specified for the field 'address.$' "
        "could not be found in the input '{\"flagged\":false}'"
    )


def test_an_unsupported_path_function_fails_like_a_missing_path() -> None:
    with pytest.raises(StatesFailure) as info:
        evaluate({"Jobs.$": "$.Jobs.sum()"}, {"Jobs": [0, 1]})
    assert info.value.cause == (
        "The JSONPath '$.Jobs.sum()' specified for the field 'Jobs.$' "
        "could not be found in the input '{\"Jobs\":[0,1]}'"
    )


def test_a_missing_context_path_quotes_the_context() -> None:
    with pytest.raises(StatesFailure) as info:
        evaluate({"x.$": "$$.Nope"}, {"a": 1}, {"Execution": {}})
    assert info.value.cause.endswith("could not be found in the input '{\"Execution\":{}}'")


def test_intrinsic_failures_propagate() -> None:
    with pytest.raises(StatesFailure) as info:
        evaluate({"x.$": "States.ArrayLength($.a)"}, {"a": 1})
    assert info.value.error == "States.IntrinsicFailure"


# --- validation ------------------------------------------------------------------------


def test_a_valid_template_has_no_problems() -> None:
    template = {"a.$": "$.a", "b.$": "States.UUID()", "c": {"d.$": "$$.Execution.Id"}, "e": "$x"}
    assert validate_template(template) == []


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        (
            {"a.$": "a.b"},
            "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call at /a.$",
        ),
        (
            {"a.$": 1},
            "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call at /a.$",
        ),
        (
            {"x": [{"a.$": "$.["}]},
            "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call at /x/0/a.$",
        ),
        (
            {"x/y": {"a.$": "States.Nope()"}},
            "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call:"
            " Unknown intrinsic function 'States.Nope' at /x~1y/a.$",
        ),
    ],
)
def test_invalid_dynamic_fields_are_reported(template: Any, problem: str) -> None:
    assert validate_template(template) == [problem]
    with pytest.raises(TemplateError) as info:
        compile_template(template)
    assert str(info.value) == problem


def test_every_problem_is_reported() -> None:
    assert len(validate_template({"a.$": "x", "b": {"c.$": None}, "d.$": "$.ok"})) == 2


# --- InputPath / OutputPath ------------------------------------------------------------


def test_input_path_example_from_the_guide() -> None:
    data = {
        "comment": "Example for InputPath.",
        "dataset1": {"val1": 1, "val2": 2, "val3": 3},
        "dataset2": {"val1": "a", "val2": "b", "val3": "c"},
    }
    assert apply_path(data, "$.dataset2", {}) == {"val1": "a", "val2": "b", "val3": "c"}
    assert apply_path(data, "$", {}) == data


def test_input_result_and_output_paths_together_from_the_guide() -> None:
    raw = {
        "comment": "An input comment.",
        "data": {"val1": 23, "val2": 17},
        "extra": "foo",
        "lambda": {"who": "AWS Step Functions"},
    }
    task_input = apply_path(raw, "$.lambda", {})
    assert task_input == {"who": "AWS Step Functions"}
    result = f"Hello, {task_input['who']}!"
    combined = set_result(raw, "$.data.lambdaresult", result)
    assert apply_path(combined, "$.data", {}) == {
        "val1": 23,
        "val2": 17,
        "lambdaresult": "Hello, AWS Step Functions!",
    }


def test_a_null_path_gives_an_empty_object() -> None:
    assert apply_path({"a": 1}, None, {}) == {}


def test_a_context_path_reads_the_context() -> None:
    assert apply_path({}, "$$.Execution.Input", {"Execution": {"Input": {"a": 1}}}) == {"a": 1}


@pytest.mark.parametrize(
    ("path", "cause"),
    [
        ("$.Payload", "Invalid path '$.Payload' : No results for path: $['Payload']"),
        ("$.a.b", "Invalid path '$.a.b' : Missing property in path $['a']"),
    ],
)
def test_a_path_that_matches_nothing_is_a_runtime_failure(path: str, cause: str) -> None:
    with pytest.raises(StatesFailure) as info:
        apply_path({"other": 1}, path, {})
    assert info.value.error == "States.Runtime"
    assert info.value.cause == cause
