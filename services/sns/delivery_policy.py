"""SNS delivery policies: their validation, the four-phase HTTP/S retry schedule, the fixed
schedules of other endpoints, and the policy texts the Get*Attributes operations return.

Pure logic: the SNS service asks `delay_before(n)` and waits on its own clock.

Sources. AWS SNS Developer Guide, "Amazon SNS message delivery retries": the four phases, the
field table (ranges and defaults), the 3,600 s limit, the managed schedules. Its older page
"Setting Amazon SNS Delivery Retry Policies for HTTP/HTTPS Endpoints": the backoff phase gets
numRetries minus the three other phases, minDelayTarget is the delay of its first retry and
maxDelayTarget of its last, and linear from 20 s to 40 s over 3 retries is 20, 30, 40 s.
Responses recorded from AWS (LocalStack's snapshots, the Ballerina SNS connector's tests, user
reports): EffectiveDeliveryPolicy texts and their key order; the errors
"DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be greater than or equal to 1" and
"DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must be less than or equal to 100";
that a healthyRetryPolicy without minDelayTarget, maxDelayTarget and numRetries is refused.

LIMITATIONS (where we differ from AWS, or had to guess):
- AWS jitters its retries; these schedules are exact, so a test can move a clock by hand.
- AWS shows arithmetic, geometric and exponential only as a graph; the curves are ours (`_curve`).
- The 3,600 s limit is applied to the schedule (a retry that would take the total of delays
  past it is not made), not by refusing the policy: AWS documents the limit, not an error.
- Only the two messages above are recorded; the others follow their pattern. Unknown keys are
  ignored, numbers must be integers (20.0 passes), any string is a headerContentType.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

BACKOFF_FUNCTIONS = ("arithmetic", "exponential", "geometric", "linear")
MAX_RETRIES = 100
MAX_DELAY_TARGET = 3600
MAX_TOTAL_DELAY = 3600.0  # "total policy retry time for an HTTP/S endpoint cannot be greater than 3,600 seconds"
DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"

# The order AWS writes a retry policy's keys in (recorded), whatever order they were given in.
_RETRY_KEYS = (
    "minDelayTarget", "maxDelayTarget", "numRetries",
    "numMaxDelayRetries", "numNoDelayRetries", "numMinDelayRetries", "backoffFunction",
)
_REQUIRED = ("minDelayTarget", "maxDelayTarget", "numRetries")
_PHASE_COUNTS = ("numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries")
DEFAULT_HTTP_RETRY = MappingProxyType({
    "minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3,
    "numMaxDelayRetries": 0, "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear",
})


class DeliveryPolicyError(Exception):
    """A DeliveryPolicy that AWS refuses with InvalidParameter.

    `message` is the text of SetTopicAttributes/SetSubscriptionAttributes; CreateTopic and
    Subscribe give the same reason after "Attributes Reason: " (`attributes_message`)."""

    def __init__(self, problem: str) -> None:
        self.reason = f"DeliveryPolicy: {problem}"
        self.message = f"Invalid parameter: {self.reason}"
        super().__init__(self.message)

    @property
    def attributes_message(self) -> str:
        return f"Invalid parameter: Attributes Reason: {self.reason}"


@dataclass(frozen=True)
class _Layout:
    """Where a level keeps its sections, and how AWS names them in errors."""

    prefix: str
    retry: str
    throttle: str
    request: str


_TOPIC = _Layout("http.", "defaultHealthyRetryPolicy", "defaultThrottlePolicy", "defaultRequestPolicy")
_SUBSCRIPTION = _Layout("", "healthyRetryPolicy", "throttlePolicy", "requestPolicy")


# --- validation -------------------------------------------------------------------------------

def parse_delivery_policy(text: str, *, level: str) -> Mapping[str, Any]:
    """The policy as AWS accepts it: present, non-null sections only, keys in AWS's order.

    level "topic": {"http": {...}} (a topic's DeliveryPolicy); "subscription": a subscription's."""
    if level not in ("topic", "subscription"):
        raise ValueError(f"level must be 'topic' or 'subscription', not {level!r}")
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except ValueError:
        raise DeliveryPolicyError("failed to parse JSON.") from None
    if not isinstance(document, dict):
        raise DeliveryPolicyError("failed to parse JSON.")
    if level == "subscription":
        return _sections(document, _SUBSCRIPTION)
    http = document.get("http")
    if http is None:
        return {}
    if not isinstance(http, dict):
        raise DeliveryPolicyError("http must be a JSON object")
    return {"http": _sections(http, _TOPIC)}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python reads NaN and Infinity; JSON has neither


def _sections(raw: dict[str, Any], layout: _Layout) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if raw.get(layout.retry) is not None:
        out[layout.retry] = _retry_policy(raw[layout.retry], layout.prefix + layout.retry)
    if layout is _TOPIC and raw.get("disableSubscriptionOverrides") is not None:
        if not isinstance(raw["disableSubscriptionOverrides"], bool):
            raise DeliveryPolicyError("http.disableSubscriptionOverrides must be a boolean")
        out["disableSubscriptionOverrides"] = raw["disableSubscriptionOverrides"]
    if raw.get(layout.throttle) is not None:
        out[layout.throttle] = _throttle_policy(raw[layout.throttle], layout.prefix + layout.throttle)
    if raw.get(layout.request) is not None:
        out[layout.request] = _request_policy(raw[layout.request], layout.prefix + layout.request)
    if layout is _SUBSCRIPTION:
        if isinstance(raw.get("sicklyRetryPolicy"), dict):  # deprecated: kept as given
            out["sicklyRetryPolicy"] = raw["sicklyRetryPolicy"]
        if raw.get("guaranteed") is not None:
            if not isinstance(raw["guaranteed"], bool):
                raise DeliveryPolicyError("guaranteed must be a boolean")
            out["guaranteed"] = raw["guaranteed"]
    return out


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DeliveryPolicyError(f"{path} must be a JSON object")
    return value


def _integer(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DeliveryPolicyError(f"{path} must be an integer")
    if isinstance(value, float) and not value.is_integer():
        raise DeliveryPolicyError(f"{path} must be an integer")
    return int(value)


def _at_least(value: int, limit: int, path: str, limit_name: str | None = None) -> None:
    if value < limit:
        raise DeliveryPolicyError(f"{path} must be greater than or equal to {limit_name or limit}")


def _at_most(value: int, limit: int, path: str) -> None:
    if value > limit:
        raise DeliveryPolicyError(f"{path} must be less than or equal to {limit}")


def _retry_policy(value: Any, path: str) -> dict[str, Any]:
    raw = _object(value, path)
    for key in _REQUIRED:
        if raw.get(key) is None:
            raise DeliveryPolicyError(f"{path}.{key} must be specified")
    out: dict[str, Any] = {}
    for key in _RETRY_KEYS[:-1]:
        if raw.get(key) is not None:
            out[key] = _integer(raw[key], f"{path}.{key}")
    backoff = raw.get("backoffFunction")
    if backoff is not None:
        if backoff not in BACKOFF_FUNCTIONS:
            raise DeliveryPolicyError(f"{path}.backoffFunction must be one of: {', '.join(BACKOFF_FUNCTIONS)}")
        out["backoffFunction"] = backoff
    low, high, retries = out["minDelayTarget"], out["maxDelayTarget"], out["numRetries"]
    _at_least(low, 1, f"{path}.minDelayTarget")
    _at_most(high, MAX_DELAY_TARGET, f"{path}.maxDelayTarget")
    _at_least(high, low, f"{path}.maxDelayTarget", "minDelayTarget")
    _at_least(retries, 0, f"{path}.numRetries")
    _at_most(retries, MAX_RETRIES, f"{path}.numRetries")
    for key in _PHASE_COUNTS:
        _at_least(out.get(key, 0), 0, f"{path}.{key}")
    if sum(out.get(key, 0) for key in _PHASE_COUNTS) > retries:
        raise DeliveryPolicyError(
            f"{path}.numRetries must be greater than or equal to total of "
            "numMinDelayRetries, numNoDelayRetries and numMaxDelayRetries"
        )
    return out


def _throttle_policy(value: Any, path: str) -> dict[str, Any]:
    raw = _object(value, path)
    if raw.get("maxReceivesPerSecond") is None:
        return {}
    rate = _integer(raw["maxReceivesPerSecond"], f"{path}.maxReceivesPerSecond")
    _at_least(rate, 1, f"{path}.maxReceivesPerSecond")
    return {"maxReceivesPerSecond": rate}


def _request_policy(value: Any, path: str) -> dict[str, Any]:
    raw = _object(value, path)
    content_type = raw.get("headerContentType")
    if content_type is None:
        return {}
    if not isinstance(content_type, str) or not content_type:
        raise DeliveryPolicyError(f"{path}.headerContentType must be a non-empty string")
    return {"headerContentType": content_type}


# --- schedules --------------------------------------------------------------------------------

def _curve(function: str, low: float, high: float, index: int, count: int) -> float:
    """Delay of backoff retry `index` (0-based) of `count`, from `low` (first) to `high` (last).

    AWS documents the endpoints and that linear grows at a constant rate (20, 30, 40 s), and shows
    the other three only in a graph (5 s to 260 s over 10 retries), so these shapes are our choice:
    each is monotonic, stays within [low, high] and meets both endpoints exactly.
    - linear: constant step.
    - arithmetic: the steps themselves grow by a constant amount (quadratic in the position).
    - geometric: a constant ratio between successive delays.
    - exponential: the steps double from one retry to the next.
    A one-retry backoff phase waits `low`, the delay AWS gives its first retry.
    """
    if count <= 1 or index <= 0 or high == low:
        return float(low)
    if index >= count - 1:
        return float(high)
    t = index / (count - 1)
    if function == "arithmetic":
        return low + (high - low) * t * t
    if function == "geometric" and low > 0:
        return low * (high / low) ** t
    if function == "exponential":
        return low + (high - low) * (2.0 ** index - 1) / (2.0 ** (count - 1) - 1)
    return low + (high - low) * t


@dataclass(frozen=True)
class _Phases:
    """A four-phase schedule: no delay, at `low`, backing off from `low` to `high`, at `high`."""

    no_delay: int
    at_low: int
    backoff: int
    at_high: int
    low: float
    high: float
    function: str

    @property
    def total(self) -> int:
        return self.no_delay + self.at_low + self.backoff + self.at_high

    def delays(self) -> Iterator[float]:
        return (self._delay(n) for n in range(self.total))

    def delay(self, retry: int) -> float | None:
        """Seconds before retry number `retry` (1-based); None past the last retry."""
        return self._delay(retry - 1) if 1 <= retry <= self.total else None

    def _delay(self, n: int) -> float:
        if n < self.no_delay:
            return 0.0
        n -= self.no_delay
        if n < self.at_low:
            return float(self.low)
        n -= self.at_low
        if n < self.backoff:
            return _curve(self.function, self.low, self.high, n, self.backoff)
        return float(self.high)


# AWS-managed endpoints (Lambda, SQS, Firehose): 3 immediate, 2 at 1 s, 10 backing off
# exponentially from 1 s to 20 s, 100,000 at 20 s: 100,015 retries over 23 days.
_MANAGED = _Phases(3, 2, 10, 100_000, 1, 20, "exponential")
# Customer-managed endpoints (SMTP, SMS, mobile push): 0 immediate, 2 at 10 s, 10 backing off
# exponentially from 10 s to 600 s, 38 at 600 s: 50 retries over 6 hours.
_CUSTOMER_MANAGED = _Phases(0, 2, 10, 38, 10, 600, "exponential")


def managed_delay_before(retry: int) -> float | None:
    """Seconds before retry `retry` (1-based) to an AWS-managed endpoint; None after the last."""
    return _MANAGED.delay(retry)


def customer_managed_delay_before(retry: int) -> float | None:
    """Seconds before retry `retry` (1-based) to an SMTP, SMS or mobile push endpoint."""
    return _CUSTOMER_MANAGED.delay(retry)


@dataclass(frozen=True)
class HttpRetryPolicy:
    """An HTTP/S healthy retry policy with every field known (defaults filled in)."""

    min_delay: int
    max_delay: int
    num_retries: int
    num_no_delay: int
    num_min_delay: int
    num_max_delay: int
    backoff: str
    max_receives_per_second: int | None = None

    @classmethod
    def from_policy(cls, retry: Mapping[str, Any] | None, throttle: Mapping[str, Any] | None = None) -> HttpRetryPolicy:
        """From a (valid) healthyRetryPolicy and throttlePolicy; missing fields take AWS's defaults."""
        given = {**DEFAULT_HTTP_RETRY, **{k: v for k, v in (retry or {}).items() if v is not None}}
        return cls(
            int(given["minDelayTarget"]), int(given["maxDelayTarget"]), int(given["numRetries"]),
            int(given["numNoDelayRetries"]), int(given["numMinDelayRetries"]), int(given["numMaxDelayRetries"]),
            str(given["backoffFunction"]), _rate(throttle),
        )

    @property
    def num_backoff(self) -> int:
        """Retries in the backoff phase: numRetries less the three other phases (AWS's formula)."""
        return max(0, self.num_retries - self.num_no_delay - self.num_min_delay - self.num_max_delay)

    def _phases(self) -> _Phases:
        return _Phases(
            self.num_no_delay, self.num_min_delay, self.num_backoff, self.num_max_delay,
            self.min_delay, self.max_delay, self.backoff,
        )

    def schedule(self) -> tuple[float, ...]:
        """Every delay in order, ending where the next would take the total past 3,600 s."""
        delays: list[float] = []
        total = 0.0
        for delay in self._phases().delays():
            total += delay
            if total > MAX_TOTAL_DELAY:
                break
            delays.append(delay)
        return tuple(delays)

    def delay_before(self, retry: int) -> float | None:
        """Seconds to wait before retry `retry` (1-based) after the previous attempt; None when
        no retry is left."""
        delays = self.schedule()
        return delays[retry - 1] if 1 <= retry <= len(delays) else None

    def to_json(self) -> dict[str, Any]:
        """The retry policy as AWS writes it in an EffectiveDeliveryPolicy."""
        return {
            "minDelayTarget": self.min_delay, "maxDelayTarget": self.max_delay, "numRetries": self.num_retries,
            "numMaxDelayRetries": self.num_max_delay, "numNoDelayRetries": self.num_no_delay,
            "numMinDelayRetries": self.num_min_delay, "backoffFunction": self.backoff,
        }


def _rate(throttle: Mapping[str, Any] | None) -> int | None:
    rate = (throttle or {}).get("maxReceivesPerSecond")
    return None if rate is None else int(rate)


# --- effective policies -----------------------------------------------------------------------

def _http(topic_policy: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return (topic_policy or {}).get("http") or {}


def _overridable(topic_policy: Mapping[str, Any] | None, subscription_policy: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The subscription's sections, or none if the topic disables subscription overrides."""
    if _http(topic_policy).get("disableSubscriptionOverrides") is True:
        return {}
    return subscription_policy or {}


def effective_http_policy(
    topic_policy: Mapping[str, Any] | None, subscription_policy: Mapping[str, Any] | None,
) -> HttpRetryPolicy:
    """The retry policy an HTTP/S delivery follows: the subscription's healthyRetryPolicy, unless it
    has none or the topic sets disableSubscriptionOverrides; else the topic's
    defaultHealthyRetryPolicy; else AWS's default (3 retries, 20 s apart). The throttle is chosen
    the same way, section by section."""
    http, own = _http(topic_policy), _overridable(topic_policy, subscription_policy)
    retry = own.get("healthyRetryPolicy") or http.get("defaultHealthyRetryPolicy")
    throttle = own.get("throttlePolicy") or http.get("defaultThrottlePolicy")
    return HttpRetryPolicy.from_policy(retry, throttle)


def effective_content_type(topic_policy: Mapping[str, Any] | None, subscription_policy: Mapping[str, Any] | None) -> str:
    """The Content-Type of notifications to an HTTP/S endpoint."""
    own = _overridable(topic_policy, subscription_policy).get("requestPolicy") or {}
    topic = _http(topic_policy).get("defaultRequestPolicy") or {}
    return own.get("headerContentType") or topic.get("headerContentType") or DEFAULT_CONTENT_TYPE


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))  # AWS's texts are compact (recorded)


def effective_policy_json(topic_policy: Mapping[str, Any] | None) -> str:
    """A topic's EffectiveDeliveryPolicy attribute: its policy with AWS's defaults filled in."""
    http = _http(topic_policy)
    effective: dict[str, Any] = {
        "defaultHealthyRetryPolicy": HttpRetryPolicy.from_policy(http.get("defaultHealthyRetryPolicy")).to_json(),
        "disableSubscriptionOverrides": bool(http.get("disableSubscriptionOverrides", False)),
    }
    if http.get("defaultThrottlePolicy"):
        effective["defaultThrottlePolicy"] = dict(http["defaultThrottlePolicy"])
    effective["defaultRequestPolicy"] = {"headerContentType": effective_content_type(topic_policy, None)}
    return _dumps({"http": effective})


def topic_policy_json(policy: Mapping[str, Any]) -> str:
    """A topic's DeliveryPolicy attribute as AWS returns it: the sections given (retry fields not
    filled in), keys in AWS's order, disableSubscriptionOverrides always present."""
    http = _http(policy)
    out: dict[str, Any] = {}
    if http.get("defaultHealthyRetryPolicy"):
        out["defaultHealthyRetryPolicy"] = _ordered(http["defaultHealthyRetryPolicy"])
    out["disableSubscriptionOverrides"] = bool(http.get("disableSubscriptionOverrides", False))
    for key in ("defaultThrottlePolicy", "defaultRequestPolicy"):
        if http.get(key) is not None:
            out[key] = dict(http[key])
    return _dumps({"http": out})


def subscription_policy_json(policy: Mapping[str, Any]) -> str:
    """A subscription's DeliveryPolicy attribute as AWS returns it: every section, null if not given."""
    retry = policy.get("healthyRetryPolicy")
    return _dumps(_subscription_shape(
        _ordered(retry) if retry else None, policy.get("sicklyRetryPolicy"),
        policy.get("throttlePolicy"), policy.get("requestPolicy"), bool(policy.get("guaranteed", False)),
    ))


def subscription_effective_policy_json(
    topic_policy: Mapping[str, Any] | None, subscription_policy: Mapping[str, Any] | None,
) -> str:
    """An HTTP/S subscription's EffectiveDeliveryPolicy: each section the subscription's own, else
    the topic's default, the retry policy with AWS's defaults filled in (recorded shape)."""
    own, http = _overridable(topic_policy, subscription_policy), _http(topic_policy)
    throttle = own.get("throttlePolicy") or http.get("defaultThrottlePolicy")
    return _dumps(_subscription_shape(
        effective_http_policy(topic_policy, subscription_policy).to_json(),
        own.get("sicklyRetryPolicy"),
        dict(throttle) if throttle else None,
        {"headerContentType": effective_content_type(topic_policy, subscription_policy)},
        bool(own.get("guaranteed", False)),
    ))


def _subscription_shape(retry: Any, sickly: Any, throttle: Any, request: Any, guaranteed: bool) -> dict[str, Any]:
    return {
        "healthyRetryPolicy": retry, "sicklyRetryPolicy": sickly, "throttlePolicy": throttle,
        "requestPolicy": request, "guaranteed": guaranteed,
    }


def _ordered(retry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: retry[key] for key in _RETRY_KEYS if retry.get(key) is not None}


__all__ = (
    "BACKOFF_FUNCTIONS", "DEFAULT_CONTENT_TYPE", "DEFAULT_HTTP_RETRY", "DeliveryPolicyError", "HttpRetryPolicy",
    "customer_managed_delay_before", "effective_content_type", "effective_http_policy", "effective_policy_json",
    "managed_delay_before", "parse_delivery_policy", "subscription_effective_policy_json",
    "subscription_policy_json", "topic_policy_json",
)
