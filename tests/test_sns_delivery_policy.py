"""SNS delivery policies: validation, the four-phase HTTP/S schedule, the managed schedules and the
policy texts, checked against the AWS SNS Developer Guide and responses AWS recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.sns.delivery_policy import (
    BACKOFF_FUNCTIONS,
    DeliveryPolicyError,
    HttpRetryPolicy,
    customer_managed_delay_before,
    effective_content_type,
    effective_http_policy,
    effective_policy_json,
    managed_delay_before,
    parse_delivery_policy,
    subscription_effective_policy_json,
    subscription_policy_json,
    topic_policy_json,
)

DEFAULT_RETRY = ('{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,'
                 '"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"}')
# GetTopicAttributes of a new topic (recorded)
NEW_TOPIC_EFFECTIVE = ('{"http":{"defaultHealthyRetryPolicy":' + DEFAULT_RETRY + ','
                       '"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}')


def policy(min_delay: int = 20, max_delay: int = 20, retries: int = 3, no_delay: int = 0, at_min: int = 0,
           at_max: int = 0, backoff: str = "linear") -> HttpRetryPolicy:
    return HttpRetryPolicy(min_delay, max_delay, retries, no_delay, at_min, at_max, backoff)


def topic(text: str) -> Any:
    return parse_delivery_policy(text, level="topic")


def subscription(text: str) -> Any:
    return parse_delivery_policy(text, level="subscription")


def refused(text: str, level: str = "subscription") -> str:
    with pytest.raises(DeliveryPolicyError) as caught:
        parse_delivery_policy(text, level=level)
    return caught.value.message


def retry_policy(**fields: Any) -> str:
    base: dict[str, Any] = {"minDelayTarget": 10, "maxDelayTarget": 20, "numRetries": 5}
    base.update(fields)
    return json.dumps({"healthyRetryPolicy": {k: v for k, v in base.items() if v is not ...}})


# --- the four phases ---------------------------------------------------------------------------

def test_the_default_http_policy_is_three_retries_twenty_seconds_apart() -> None:
    assert effective_http_policy(None, None) == policy()
    assert policy().schedule() == (20.0, 20.0, 20.0)


def test_the_immediate_retry_phase_has_no_delay() -> None:
    assert policy(5, 5, 4, no_delay=2).schedule() == (0.0, 0.0, 5.0, 5.0)


def test_the_pre_backoff_phase_waits_the_minimum_delay() -> None:
    assert policy(5, 30, 3, at_min=2, at_max=1).schedule() == (5.0, 5.0, 30.0)


def test_the_post_backoff_phase_waits_the_maximum_delay() -> None:
    assert policy(5, 30, 4, at_max=3).schedule() == (5.0, 30.0, 30.0, 30.0)


def test_the_backoff_phase_gets_the_retries_the_other_phases_leave() -> None:
    p = policy(1, 60, 50, no_delay=3, at_min=2, at_max=35, backoff="exponential")  # the guide's sample policy
    assert p.num_backoff == 10
    delays = p.schedule()
    assert len(delays) == 50
    assert delays[:5] == (0.0, 0.0, 0.0, 1.0, 1.0)
    assert delays[5] == 1.0 and delays[14] == 60.0  # the backoff phase runs from min to max
    assert delays[15:] == (60.0,) * 35


def test_linear_backoff_grows_at_a_constant_rate() -> None:
    assert policy(20, 40, 3).schedule() == (20.0, 30.0, 40.0)  # the guide's example


@pytest.mark.parametrize(("function", "low", "high", "expected"), [
    ("linear", 10, 100, (10.0, 40.0, 70.0, 100.0)),
    ("arithmetic", 10, 100, (10.0, 20.0, 50.0, 100.0)),  # steps of 10, 30, 50
    ("geometric", 1, 27, (1.0, 3.0, 9.0, 27.0)),  # a constant ratio
    ("exponential", 1, 8, (1.0, 2.0, 4.0, 8.0)),  # steps of 1, 2, 4
])
def test_each_backoff_function_runs_from_the_minimum_to_the_maximum_delay(
    function: str, low: int, high: int, expected: tuple[float, ...],
) -> None:
    assert policy(low, high, 4, backoff=function).schedule() == pytest.approx(expected)


@pytest.mark.parametrize("function", BACKOFF_FUNCTIONS)
def test_every_backoff_function_rises_steadily_within_its_bounds(function: str) -> None:
    delays = policy(5, 260, 10, backoff=function).schedule()  # the guide's graph: 10 retries, 5 s to 260 s
    assert delays[0] == 5.0 and delays[-1] == 260.0
    assert all(a < b for a, b in zip(delays, delays[1:]))


def test_the_backoff_functions_rise_ever_later_from_linear_to_exponential() -> None:
    curves = [policy(5, 260, 10, backoff=f).schedule() for f in ("linear", "arithmetic", "geometric", "exponential")]
    for position in range(1, 9):
        values = [curve[position] for curve in curves]
        assert values == sorted(values, reverse=True) and len(set(values)) == 4


def test_a_backoff_phase_of_one_retry_waits_the_minimum_delay() -> None:
    assert policy(5, 6, 1).schedule() == (5.0,)


def test_no_retries_means_no_delay_to_wait() -> None:
    p = policy(1, 1, 0)
    assert p.schedule() == () and p.delay_before(1) is None


def test_delay_before_counts_retries_from_one_and_stops_after_the_last() -> None:
    p = policy(5, 30, 4, no_delay=1, at_max=1)
    assert [p.delay_before(n) for n in range(0, 6)] == [None, 0.0, 5.0, 30.0, 30.0, None]


def test_the_total_of_delays_never_passes_3600_seconds() -> None:
    p = policy(60, 60, 100)
    assert len(p.schedule()) == 60 and sum(p.schedule()) == 3600.0  # reaching the limit is allowed
    assert p.delay_before(60) == 60.0 and p.delay_before(61) is None
    assert policy(3600, 3600, 5).schedule() == (3600.0,)


# --- which policy applies ----------------------------------------------------------------------

TOPIC_RETRY = topic('{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":6,"numRetries":1},'
                    '"defaultThrottlePolicy":{"maxReceivesPerSecond":3}}}')
SUB_RETRY = subscription('{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":0},'
                         '"throttlePolicy":{"maxReceivesPerSecond":1000}}')


def test_a_subscription_policy_takes_precedence_over_the_topic_policy() -> None:
    assert effective_http_policy(TOPIC_RETRY, SUB_RETRY) == HttpRetryPolicy(1, 1, 0, 0, 0, 0, "linear", 1000)


def test_the_topic_policy_applies_to_a_subscription_without_its_own() -> None:
    own = subscription('{"requestPolicy":{"headerContentType":"text/csv"}}')
    assert effective_http_policy(TOPIC_RETRY, own) == HttpRetryPolicy(5, 6, 1, 0, 0, 0, "linear", 3)
    assert effective_http_policy(TOPIC_RETRY, None) == HttpRetryPolicy(5, 6, 1, 0, 0, 0, "linear", 3)


def test_disable_subscription_overrides_makes_the_topic_policy_win() -> None:
    closed = topic('{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":6,"numRetries":1},'
                   '"disableSubscriptionOverrides":true}}')
    assert effective_http_policy(closed, SUB_RETRY) == HttpRetryPolicy(5, 6, 1, 0, 0, 0, "linear", None)


def test_disable_subscription_overrides_without_a_topic_retry_policy_leaves_the_default() -> None:
    closed = topic('{"http":{"disableSubscriptionOverrides":true}}')
    assert effective_http_policy(closed, SUB_RETRY) == policy()


def test_missing_retry_fields_take_the_default_values() -> None:
    assert HttpRetryPolicy.from_policy({"minDelayTarget": 5, "maxDelayTarget": 6, "numRetries": 1}) == policy(5, 6, 1)


def test_the_content_type_follows_the_same_precedence() -> None:
    json_topic = topic('{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"}}}')
    csv = subscription('{"requestPolicy":{"headerContentType":"text/csv"}}')
    assert effective_content_type(None, None) == "text/plain; charset=UTF-8"
    assert effective_content_type(json_topic, None) == "application/json"
    assert effective_content_type(json_topic, csv) == "text/csv"
    closed = topic('{"http":{"disableSubscriptionOverrides":true,"defaultRequestPolicy":{"headerContentType":"application/json"}}}')
    assert effective_content_type(closed, csv) == "application/json"


# --- the fixed schedules -----------------------------------------------------------------------

def test_aws_managed_endpoints_get_100015_retries() -> None:
    delays = [managed_delay_before(n) for n in range(1, 21)]
    assert delays[:5] == [0.0, 0.0, 0.0, 1.0, 1.0]  # 3 immediate, 2 one second apart
    backoff = delays[5:15]  # 10 backing off exponentially from 1 s to 20 s
    assert backoff[0] == 1.0 and backoff[-1] == 20.0 and all(a < b for a, b in zip(backoff, backoff[1:]))
    assert delays[15:] == [20.0] * 5
    assert managed_delay_before(100_015) == 20.0  # 100,000 at 20 s: over 23 days
    assert managed_delay_before(100_016) is None and managed_delay_before(0) is None


def test_customer_managed_endpoints_get_50_retries() -> None:
    delays = [customer_managed_delay_before(n) for n in range(1, 51)]
    assert delays[:2] == [10.0, 10.0] and delays[2] == 10.0 and delays[11] == 600.0
    assert delays[12:] == [600.0] * 38
    assert customer_managed_delay_before(51) is None


# --- the texts AWS returns (recorded) ----------------------------------------------------------

def test_a_new_topic_has_the_default_effective_delivery_policy() -> None:
    assert effective_policy_json(None) == NEW_TOPIC_EFFECTIVE
    assert effective_policy_json(topic('{"http":{"defaultHealthyRetryPolicy":null}}')) == NEW_TOPIC_EFFECTIVE


def test_the_effective_policy_fills_in_a_partial_retry_policy() -> None:
    given = topic('{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":6,"numRetries":1}}}')
    assert effective_policy_json(given) == (
        '{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":6,"numRetries":1,'
        '"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},'
        '"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}'
    )


def test_the_effective_policy_keeps_the_topic_content_type_and_overrides_flag() -> None:
    given = topic('{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"},"disableSubscriptionOverrides":true}}')
    assert json.loads(effective_policy_json(given))["http"] == {
        "defaultHealthyRetryPolicy": json.loads(DEFAULT_RETRY),
        "disableSubscriptionOverrides": True,
        "defaultRequestPolicy": {"headerContentType": "application/json"},
    }


def test_a_topic_delivery_policy_comes_back_in_aws_order_with_the_overrides_flag() -> None:
    given = topic('{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"}}}')
    assert topic_policy_json(given) == (
        '{"http":{"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"application/json"}}}'
    )
    full = topic('{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":10,"maxDelayTarget":20,"numRetries":3,'
                 '"numNoDelayRetries":1,"numMinDelayRetries":1,"numMaxDelayRetries":1,"backoffFunction":"linear"},'
                 '"disableSubscriptionOverrides":true,"defaultRequestPolicy":{"headerContentType":"application/json"}}}')
    assert topic_policy_json(full) == (
        '{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":10,"maxDelayTarget":20,"numRetries":3,'
        '"numMaxDelayRetries":1,"numNoDelayRetries":1,"numMinDelayRetries":1,"backoffFunction":"linear"},'
        '"disableSubscriptionOverrides":true,"defaultRequestPolicy":{"headerContentType":"application/json"}}}'
    )


def test_a_topic_delivery_policy_keeps_a_partial_retry_policy_as_given() -> None:
    given = topic('{"http":{"defaultHealthyRetryPolicy":{"numRetries":1,"maxDelayTarget":6,"minDelayTarget":5}}}')
    assert topic_policy_json(given) == (
        '{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":6,"numRetries":1},'
        '"disableSubscriptionOverrides":false}}'
    )


SUB_FULL = ('{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":0,"numNoDelayRetries":0,'
            '"numMinDelayRetries":0,"numMaxDelayRetries":0,"backoffFunction":"linear"},'
            '"sicklyRetryPolicy":null,"throttlePolicy":{"maxReceivesPerSecond":1000},"guaranteed":false}')
SUB_FULL_RETRY = ('{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":0,"numMaxDelayRetries":0,'
                  '"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"}')


def test_a_subscription_delivery_policy_comes_back_with_every_section() -> None:
    assert subscription_policy_json(subscription(SUB_FULL)) == (
        '{"healthyRetryPolicy":' + SUB_FULL_RETRY + ',"sicklyRetryPolicy":null,'
        '"throttlePolicy":{"maxReceivesPerSecond":1000},"requestPolicy":null,"guaranteed":false}'
    )
    assert subscription_policy_json(subscription('{"requestPolicy":{"headerContentType":"text/csv"}}')) == (
        '{"healthyRetryPolicy":null,"sicklyRetryPolicy":null,"throttlePolicy":null,'
        '"requestPolicy":{"headerContentType":"text/csv"},"guaranteed":false}'
    )


def test_a_subscription_effective_policy_takes_each_missing_section_from_the_topic() -> None:
    json_topic = topic('{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"}}}')
    assert subscription_effective_policy_json(json_topic, subscription(SUB_FULL)) == (
        '{"healthyRetryPolicy":' + SUB_FULL_RETRY + ',"sicklyRetryPolicy":null,'
        '"throttlePolicy":{"maxReceivesPerSecond":1000},"requestPolicy":{"headerContentType":"application/json"},'
        '"guaranteed":false}'
    )
    csv = subscription('{"requestPolicy":{"headerContentType":"text/csv"}}')
    assert subscription_effective_policy_json(None, csv) == (
        '{"healthyRetryPolicy":' + DEFAULT_RETRY + ',"sicklyRetryPolicy":null,"throttlePolicy":null,'
        '"requestPolicy":{"headerContentType":"text/csv"},"guaranteed":false}'
    )


# --- validation --------------------------------------------------------------------------------

def test_a_valid_policy_comes_back_in_aws_order_without_null_sections() -> None:
    parsed = subscription('{"requestPolicy":null,"healthyRetryPolicy":{"numRetries":5.0,"backoffFunction":"geometric",'
                          '"maxDelayTarget":20,"minDelayTarget":10},"guaranteed":false,"sicklyRetryPolicy":null}')
    assert parsed == {"healthyRetryPolicy": {"minDelayTarget": 10, "maxDelayTarget": 20, "numRetries": 5,
                                             "backoffFunction": "geometric"}, "guaranteed": False}
    assert list(parsed["healthyRetryPolicy"]) == ["minDelayTarget", "maxDelayTarget", "numRetries", "backoffFunction"]
    assert isinstance(parsed["healthyRetryPolicy"]["numRetries"], int)


def test_policies_without_a_retry_policy_are_accepted() -> None:
    assert topic('{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"}}}') == {
        "http": {"defaultRequestPolicy": {"headerContentType": "application/json"}}}
    assert topic('{"http":{"defaultHealthyRetryPolicy":null}}') == {"http": {}}
    assert topic("{}") == {}
    assert subscription('{"requestPolicy":{"headerContentType":"text/csv"}}') == {
        "requestPolicy": {"headerContentType": "text/csv"}}


@pytest.mark.parametrize("fields", [
    {"numRetries": 100, "minDelayTarget": 1, "maxDelayTarget": 1},
    {"minDelayTarget": 3600, "maxDelayTarget": 3600},
    {"minDelayTarget": 7, "maxDelayTarget": 7},
    {"numRetries": 0},
    {"numRetries": 6, "numNoDelayRetries": 2, "numMinDelayRetries": 2, "numMaxDelayRetries": 2},
])
def test_the_limits_themselves_are_accepted(fields: dict[str, Any]) -> None:
    assert subscription(retry_policy(**fields))["healthyRetryPolicy"]["numRetries"] == fields.get("numRetries", 5)


def test_the_two_recorded_errors() -> None:
    assert refused(retry_policy(minDelayTarget=0, maxDelayTarget=0)) == (
        "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be greater than or equal to 1")
    text = '{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":10,"maxDelayTarget":20,"numRetries":300}}}'
    assert refused(text, "topic") == (
        "Invalid parameter: DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must be less than or equal to 100")


def test_create_topic_and_subscribe_give_the_reason_after_attributes_reason() -> None:
    with pytest.raises(DeliveryPolicyError) as caught:
        subscription(retry_policy(minDelayTarget=0))
    error = caught.value
    assert error.reason == "DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be greater than or equal to 1"
    assert error.attributes_message == (
        "Invalid parameter: Attributes Reason: DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be greater than or equal to 1")


@pytest.mark.parametrize(("text", "problem"), [
    ("{", "failed to parse JSON."),
    ("[]", "failed to parse JSON."),
    ('{"healthyRetryPolicy":{"minDelayTarget":NaN}}', "failed to parse JSON."),
    ('{"healthyRetryPolicy":5}', "healthyRetryPolicy must be a JSON object"),
    (retry_policy(minDelayTarget=...), "healthyRetryPolicy.minDelayTarget must be specified"),
    (retry_policy(maxDelayTarget=...), "healthyRetryPolicy.maxDelayTarget must be specified"),
    (retry_policy(numRetries=...), "healthyRetryPolicy.numRetries must be specified"),
    (retry_policy(numRetries=None), "healthyRetryPolicy.numRetries must be specified"),
    (retry_policy(minDelayTarget="10"), "healthyRetryPolicy.minDelayTarget must be an integer"),
    (retry_policy(numRetries=True), "healthyRetryPolicy.numRetries must be an integer"),
    (retry_policy(numMaxDelayRetries=1.5), "healthyRetryPolicy.numMaxDelayRetries must be an integer"),
    (retry_policy(maxDelayTarget=3601), "healthyRetryPolicy.maxDelayTarget must be less than or equal to 3600"),
    (retry_policy(minDelayTarget=21), "healthyRetryPolicy.maxDelayTarget must be greater than or equal to minDelayTarget"),
    (retry_policy(numRetries=-1), "healthyRetryPolicy.numRetries must be greater than or equal to 0"),
    (retry_policy(numRetries=101), "healthyRetryPolicy.numRetries must be less than or equal to 100"),
    (retry_policy(numNoDelayRetries=-1), "healthyRetryPolicy.numNoDelayRetries must be greater than or equal to 0"),
    (retry_policy(numMinDelayRetries=-1), "healthyRetryPolicy.numMinDelayRetries must be greater than or equal to 0"),
    (retry_policy(numMaxDelayRetries=-1), "healthyRetryPolicy.numMaxDelayRetries must be greater than or equal to 0"),
    (retry_policy(numNoDelayRetries=2, numMinDelayRetries=2, numMaxDelayRetries=2),
     "healthyRetryPolicy.numRetries must be greater than or equal to total of "
     "numMinDelayRetries, numNoDelayRetries and numMaxDelayRetries"),
    (retry_policy(backoffFunction="cubic"),
     "healthyRetryPolicy.backoffFunction must be one of: arithmetic, exponential, geometric, linear"),
    ('{"throttlePolicy":{"maxReceivesPerSecond":0}}', "throttlePolicy.maxReceivesPerSecond must be greater than or equal to 1"),
    ('{"throttlePolicy":{"maxReceivesPerSecond":"5"}}', "throttlePolicy.maxReceivesPerSecond must be an integer"),
    ('{"throttlePolicy":[]}', "throttlePolicy must be a JSON object"),
    ('{"requestPolicy":{"headerContentType":""}}', "requestPolicy.headerContentType must be a non-empty string"),
    ('{"requestPolicy":{"headerContentType":7}}', "requestPolicy.headerContentType must be a non-empty string"),
    ('{"guaranteed":"no"}', "guaranteed must be a boolean"),
])
def test_a_subscription_policy_is_refused(text: str, problem: str) -> None:
    assert refused(text) == f"Invalid parameter: DeliveryPolicy: {problem}"


@pytest.mark.parametrize(("text", "problem"), [
    ('{"http":[]}', "http must be a JSON object"),
    ('{"http":{"disableSubscriptionOverrides":"true"}}', "http.disableSubscriptionOverrides must be a boolean"),
    ('{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":4,"numRetries":1}}}',
     "http.defaultHealthyRetryPolicy.maxDelayTarget must be greater than or equal to minDelayTarget"),
    ('{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"numRetries":1}}}',
     "http.defaultHealthyRetryPolicy.maxDelayTarget must be specified"),
    ('{"http":{"defaultThrottlePolicy":{"maxReceivesPerSecond":0}}}',
     "http.defaultThrottlePolicy.maxReceivesPerSecond must be greater than or equal to 1"),
    ('{"http":{"defaultRequestPolicy":{"headerContentType":null,"x":1},"defaultHealthyRetryPolicy":"x"}}',
     "http.defaultHealthyRetryPolicy must be a JSON object"),
    ("not json", "failed to parse JSON."),
])
def test_a_topic_policy_is_refused(text: str, problem: str) -> None:
    assert refused(text, "topic") == f"Invalid parameter: DeliveryPolicy: {problem}"


def test_the_level_must_be_topic_or_subscription() -> None:
    with pytest.raises(ValueError):
        parse_delivery_policy("{}", level="queue")
