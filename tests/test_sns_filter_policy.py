"""SNS subscription filter policies, checked against the examples of the SNS Developer Guide's
"Amazon SNS message filtering" pages and against AWS's recorded answers (the validation
messages, with their positions, are those AWS returned: LocalStack's tests/aws/services/sns
snapshots). Rows marked "engine" follow aws/event-ruler, the rule engine SNS runs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.sns.filter_policy import FilterPolicyError, compile_policy

ATTRIBUTES, BODY = "MessageAttributes", "MessageBody"
SUBSCRIBE = "Invalid parameter: Attributes Reason: "


def attributes(**values: Any) -> dict[str, dict[str, Any]]:
    """Publish's MessageAttributes from plain values: str is String, int/float Number, list
    String.Array, bytes Binary; a (DataType, StringValue) pair is taken as written."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        if isinstance(value, tuple):
            out[name] = {"DataType": value[0], "StringValue": value[1]}
        elif isinstance(value, bytes):
            out[name] = {"DataType": "Binary", "BinaryValue": value}
        elif isinstance(value, list):
            out[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = {"DataType": "Number", "StringValue": str(value)}
        else:
            out[name] = {"DataType": "String", "StringValue": value}
    return out


def by_attributes(policy: dict[str, Any], message: dict[str, dict[str, Any]]) -> bool:
    return compile_policy(json.dumps(policy), ATTRIBUTES).matches(message, "ignored body")


def by_body(policy: dict[str, Any], body: Any) -> bool:
    text = body if isinstance(body, str) else json.dumps(body)
    return compile_policy(json.dumps(policy), BODY).matches({}, text)


def refusal(policy: Any, scope: str = ATTRIBUTES) -> FilterPolicyError:
    text = policy if isinstance(policy, str) else json.dumps(policy)
    with pytest.raises(FilterPolicyError) as caught:
        compile_policy(text, scope)
    return caught.value


INTERESTS = {"customer_interests": ["rugby", "tennis"]}
BUT_INTERESTS = {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}
BUT_ORDER = {"event": [{"anything-but": {"prefix": "order-"}}]}
PREFIX = {"customer_interests": [{"prefix": "bas"}]}
SUFFIX = {"customer_interests": [{"suffix": "ball"}]}
IGNORE_CASE = {"customer_interests": [{"equals-ignore-case": "tennis"}]}
SOURCE_IP = {"source_ip": [{"cidr": "10.0.0.0/24"}]}
SOURCE_IP6 = {"source_ip": [{"cidr": "2001:db8:1234:1a00::/64"}]}
PRICE_EQ = {"price_usd": [{"numeric": ["=", 301.5]}]}
PRICE_BUT = {"price": [{"anything-but": [100, 500]}]}
PRICE_NEGATIVE = {"price_usd": [{"numeric": ["<", 0]}]}
PRICE_RANGE = {"price_usd": [{"numeric": [">", 0, "<=", 150]}]}
STORE = {"store": [{"exists": True}]}
NO_STORE = {"store": [{"exists": False}]}
AND = {"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]}
OR = {"customer_interests": ["rugby", "football", "baseball"]}
DOLLAR_OR = {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}


ATTRIBUTE_CASES = [
    # guide, "String value matching": exact matching, String.Array element by element
    ("exact", INTERESTS, attributes(customer_interests="rugby"), True),
    ("exact, second value", INTERESTS, attributes(customer_interests="tennis"), True),
    ("exact, String.Array", INTERESTS, attributes(customer_interests=["rugby", "tennis"]), True),
    ("exact, no match", INTERESTS, attributes(customer_interests="baseball"), False),
    ("exact, String.Array no match", INTERESTS, attributes(customer_interests=["baseball"]), False),
    ("exact is case-sensitive", INTERESTS, attributes(customer_interests="Rugby"), False),
    ("custom String type", INTERESTS, attributes(customer_interests=("String.sport", "rugby")), True),
    # anything-but
    ("anything-but", BUT_INTERESTS, attributes(customer_interests="baseball"), True),
    ("anything-but, other value", BUT_INTERESTS, attributes(customer_interests="football"), True),
    ("anything-but, listed", BUT_INTERESTS, attributes(customer_interests="rugby"), False),
    ("anything-but needs the key", BUT_INTERESTS, attributes(other="baseball"), False),
    ("anything-but, String.Array none listed", BUT_INTERESTS, attributes(customer_interests=["soccer", "golf"]), True),
    ("anything-but, String.Array one listed", BUT_INTERESTS, attributes(customer_interests=["rugby", "baseball"]), False),
    ("anything-but or exists false", {"k": [{"anything-but": "x"}, {"exists": False}]}, attributes(other="y"), True),
    ("anything-but single value", {"k": [{"anything-but": "x"}]}, attributes(k="y"), True),
    ("anything-but string, number value", {"k": [{"anything-but": ["100"]}]}, attributes(k=100), True),
    ("anything-but prefix", BUT_ORDER, attributes(event="data-entry"), True),
    ("anything-but prefix, underscore", BUT_ORDER, attributes(event="order_number"), True),
    ("anything-but prefix, prefixed", BUT_ORDER, attributes(event="order-cancelled"), False),
    # prefix, suffix, equals-ignore-case
    ("prefix", PREFIX, attributes(customer_interests="baseball"), True),
    ("prefix, basketball", PREFIX, attributes(customer_interests="basketball"), True),
    ("prefix, no match", PREFIX, attributes(customer_interests="rugby"), False),
    ("suffix", SUFFIX, attributes(customer_interests="baseball"), True),
    ("suffix, no match", SUFFIX, attributes(customer_interests="rugby"), False),
    ("equals-ignore-case", IGNORE_CASE, attributes(customer_interests="TENNIS"), True),
    ("equals-ignore-case, mixed", IGNORE_CASE, attributes(customer_interests="Tennis"), True),
    ("equals-ignore-case, no match", IGNORE_CASE, attributes(customer_interests="rugby"), False),
    ("prefix is for strings only", {"n": [{"prefix": "1"}]}, attributes(n=100), False),
    # IP address matching
    ("cidr, network address", SOURCE_IP, attributes(source_ip="10.0.0.0"), True),
    ("cidr, last address", SOURCE_IP, attributes(source_ip="10.0.0.255"), True),
    ("cidr, outside", SOURCE_IP, attributes(source_ip="10.1.1.0"), False),
    ("cidr, not an address", SOURCE_IP, attributes(source_ip="10.0.0.256"), False),
    ("cidr IPv6", SOURCE_IP6, attributes(source_ip="2001:0db8:1234:1a00:0000:0000:0000:0000"), True),
    ("cidr IPv6, outside", SOURCE_IP6, attributes(source_ip="2001:0db8:123f:1a01::"), False),
    ("cidr IPv4 against IPv6", SOURCE_IP6, attributes(source_ip="10.0.0.1"), False),
    ("exact IP compares addresses (engine)", {"ip": ["2001:db8::1"]}, attributes(ip="2001:0DB8:0:0:0:0:0:1"), True),
    # wildcard (engine)
    ("wildcard", {"k": [{"wildcard": "dir/*.png"}]}, attributes(k="dir/a/b.png"), True),
    ("wildcard, no match", {"k": [{"wildcard": "dir/*.png"}]}, attributes(k="dir/a.jpg"), False),
    ("wildcard, escaped star", {"k": [{"wildcard": "a\\*b"}]}, attributes(k="a*b"), True),
    ("wildcard, escaped star is literal", {"k": [{"wildcard": "a\\*b"}]}, attributes(k="axb"), False),
    # guide, "Numeric value matching"
    ("numeric =", PRICE_EQ, attributes(price_usd=301.5), True),
    ("numeric =, exponent", PRICE_EQ, attributes(price_usd=("Number", "3.015e2")), True),
    ("numeric =, no match", PRICE_EQ, attributes(price_usd=301.6), False),
    ("numeric, five decimals", {"p": [100.123456789]}, attributes(p=("Number", "100.1234567")), True),
    ("numeric anything-but", PRICE_BUT, attributes(price=101), True),
    ("numeric anything-but, decimal", PRICE_BUT, attributes(price=100.1), True),
    ("numeric anything-but, listed", PRICE_BUT, attributes(price=100), False),
    ("numeric <", PRICE_NEGATIVE, attributes(price_usd=-0.5), True),
    ("numeric <, zero", PRICE_NEGATIVE, attributes(price_usd=0), False),
    ("range, inside", PRICE_RANGE, attributes(price_usd=75), True),
    ("range, closed top", PRICE_RANGE, attributes(price_usd=150), True),
    ("range, open bottom", PRICE_RANGE, attributes(price_usd=0), False),
    ("range, above", PRICE_RANGE, attributes(price_usd=150.00001), False),
    ("range, a string is not a number", PRICE_RANGE, attributes(price_usd="75"), False),
    ("range, recorded 99 in (0, 100]", {"attr1": [{"numeric": [">", 0, "<=", 100]}]}, attributes(attr1=99), True),
    ("range, recorded 111 outside", {"attr1": [{"numeric": [">", 0, "<=", 100]}]}, attributes(attr1=111), False),
    ("exact number vs String", {"price": [100]}, attributes(price="100"), False),
    ("exact number, String.Array", {"price": [100, 500]}, attributes(price=[100, 50]), True),
    ("String.Array holding a JSON scalar", {"price": [100, 500]}, attributes(price=("String.Array", "100")), True),
    ("String.Array, no listed number", {"price": [500]}, attributes(price=[100, 50]), False),
    ("String.Array that is not JSON", {"price": [100]}, attributes(price=("String.Array", "one hundred")), False),
    ("number beyond 1e9 matches as written", {"account": [123456789012]}, attributes(account=123456789012), True),
    # guide, "Key matching"
    ("exists", STORE, attributes(store="fans", customer_interests=["baseball", "basketball"]), True),
    ("exists, absent", STORE, attributes(customer_interests=["baseball", "basketball"]), False),
    ("exists false, present", NO_STORE, attributes(store="fans"), False),
    ("exists false, absent", NO_STORE, attributes(customer_interests=["baseball"]), True),
    ("exists false, no attributes", NO_STORE, {}, True),
    ("Binary attributes are ignored", STORE, attributes(store=b"\x00"), False),
    ("Binary attributes are ignored, whatever they hold", {"k": ["v"]}, attributes(k=("Binary", "v")), False),
    ("Binary attributes count as absent", NO_STORE, attributes(store=b"\x00"), True),
    ("null does not match an absent key", {"attr1": [None, {"anything-but": "whatever"}]}, {}, False),
    # guide, "AND/OR logic"
    ("AND", AND, attributes(customer_interests="rugby", price_usd=101), True),
    ("AND, one fails", AND, attributes(customer_interests="rugby", price_usd=100), False),
    ("AND, one missing", AND, attributes(customer_interests="rugby"), False),
    ("OR within a key", OR, attributes(customer_interests="football"), True),
    ("$or, first branch", DOLLAR_OR, attributes(source="aws.cloudwatch", metricName="CPUUtilization"), True),
    ("$or, second branch", DOLLAR_OR, attributes(source="aws.cloudwatch", namespace="AWS/EC2"), True),
    ("$or, no branch", DOLLAR_OR, attributes(source="aws.cloudwatch", namespace="AWS/ES"), False),
    ("$or, AND part fails", DOLLAR_OR, attributes(source="aws.events", metricName="CPUUtilization"), False),
    ("keys the policy does not name are ignored", INTERESTS, attributes(customer_interests="rugby", x="y"), True),
    ("dotted attribute names", {"a.b": ["c"]}, attributes(**{"a.b": "c"}), True),
]


@pytest.mark.parametrize(("policy", "message", "expected"), [case[1:] for case in ATTRIBUTE_CASES],
                         ids=[case[0] for case in ATTRIBUTE_CASES])
def test_attribute_policies_match_as_the_guide_shows(policy: dict[str, Any], message: dict[str, Any], expected: bool) -> None:
    assert by_attributes(policy, message) is expected


S3_POLICY = {"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}}, "eventName": [{"prefix": "ObjectCreated:"}]}}


def s3_event(*records: tuple[str, str]) -> dict[str, Any]:
    return {"Records": [{"eventSource": "aws:s3", "eventName": name, "s3": {"object": {"key": key, "size": 17}}}
                        for name, key in records]}


NESTED = {"object": {"key": [{"prefix": "auto-"}, "hardcodedvalue"], "nested_key": [{"exists": False}]},
          "test": [{"exists": False}]}
DETAIL_OR = {"$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}],
             "detail": {"scope": ["Service"], "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change"]}]}}

BODY_CASES = [
    # the guide's string, numeric and key examples, in the body
    ("exact", INTERESTS, {"customer_interests": "rugby"}, True),
    ("exact, no match", INTERESTS, {"customer_interests": "baseball"}, False),
    ("exact, array element", INTERESTS, {"customer_interests": ["golf", "tennis"]}, True),
    ("anything-but, array with an unlisted element", BUT_INTERESTS, {"customer_interests": ["rugby", "baseball"]}, True),
    ("anything-but, array of listed", BUT_INTERESTS, {"customer_interests": ["rugby"]}, False),
    ("anything-but prefix", BUT_ORDER, {"event": "order_number"}, True),
    ("anything-but prefix, prefixed", BUT_ORDER, {"event": "order-cancelled"}, False),
    ("prefix", PREFIX, {"customer_interests": "basketball"}, True),
    ("suffix", SUFFIX, {"customer_interests": "football"}, True),
    ("suffix, no match", SUFFIX, {"customer_interests": "rugby"}, False),
    ("equals-ignore-case", IGNORE_CASE, {"customer_interests": "TeNnIs"}, True),
    ("cidr", SOURCE_IP, {"source_ip": "10.0.0.255"}, True),
    ("cidr, outside", SOURCE_IP, {"source_ip": "10.1.1.0"}, False),
    ("numeric =", PRICE_EQ, {"price_usd": 301.5}, True),
    ("numeric =, exponent", PRICE_EQ, '{"price_usd": 3.015e2}', True),
    ("numeric, string value", PRICE_EQ, {"price_usd": "301.5"}, False),
    ("numeric anything-but", PRICE_BUT, {"price": 101}, True),
    ("numeric anything-but, array", PRICE_BUT, {"price": [100, 50]}, True),
    ("numeric anything-but, listed", PRICE_BUT, {"price": 100}, False),
    ("range", PRICE_RANGE, {"price_usd": 150}, True),
    ("range, no match", PRICE_RANGE, {"price_usd": -1}, False),
    ("exact true", {"flag": [True]}, {"flag": True}, True),
    ("exact true vs the string", {"flag": [True]}, {"flag": "true"}, False),
    ("exact null", {"flag": [None]}, {"flag": None}, True),
    ("exists", STORE, {"store": "fans", "customer_interests": ["baseball", "basketball"]}, True),
    ("exists, absent", STORE, {"customer_interests": ["baseball", "basketball"]}, False),
    ("exists false", NO_STORE, {"customer_interests": ["baseball", "basketball"]}, True),
    ("exists false, present", NO_STORE, {"store": "fans"}, False),
    ("exists is for leaves: an object is not one (engine)", STORE, {"store": {"name": "fans"}}, False),
    ("exists false at an object (engine)", NO_STORE, {"store": {"name": "fans"}}, True),
    ("exists, an empty array has no leaf", STORE, {"store": []}, False),
    ("AND", AND, {"customer_interests": "rugby", "price_usd": 101}, True),
    ("AND, one fails", AND, {"customer_interests": "rugby", "price_usd": 99}, False),
    # nesting (recorded): the policy nests to the message's depth, keys are dotted paths
    ("nested, prefix", NESTED, {"object": {"key": "auto-test"}}, True),
    ("nested, exact", NESTED, {"object": {"key": "hardcodedvalue"}}, True),
    ("nested, no prefix", NESTED, {"object": {"key": "test-auto"}}, False),
    ("nested, exists false at top", NESTED, {"object": {"key": "auto-test"}, "test": "just-exists"}, False),
    ("nested, exists false inside", NESTED, {"object": {"key": "auto-test", "nested_key": "x"}}, False),
    ("nested, missing key", NESTED, {"object": {"test": "auto-test"}}, False),
    ("dotted policy key, nested message", {"object.nested": ["v"]}, {"object": {"nested": "v"}}, True),
    ("dotted policy key, dotted message", {"object.nested": ["v"]}, {"object.nested": "v"}, True),
    ("nested policy, dotted message", {"object": {"nested": ["v"]}}, {"object": {"nested.x": "v", "nested": "w"}}, False),
    ("deeper, mixed dots", {"object.nested.test": ["v"]}, {"object": {"nested.test": "v"}}, True),
    ("empty array elsewhere (recorded)", {"detail": {"eventVersion": [""]}},
     {"resources": [], "detail": {"eventVersion": "", "responseElements": None}}, True),
    # arrays (recorded): scalars element by element, objects anywhere on the path
    ("array of scalars", {"headers": {"route-to": ["queue1"]}}, {"headers": {"route-to": ["queue1", "queue2"]}}, True),
    ("array of scalars, no match", {"headers": {"route-to": ["queue1"]}}, {"headers": {"route-to": ["queue3"]}}, False),
    ("S3 event", S3_POLICY, s3_event(("ObjectCreated:Put", "auto-insurance-2314.xml")), True),
    ("S3 event, removed", S3_POLICY, s3_event(("ObjectRemoved:Delete", "auto-insurance-2314.xml")), False),
    ("S3 event, other key", S3_POLICY, s3_event(("ObjectCreated:Put", "home-insurance-2314.xml")), False),
    ("S3 event, one matching record of two", S3_POLICY,
     s3_event(("ObjectRemoved:Delete", "home-1.xml"), ("ObjectCreated:Put", "auto-1.xml")), True),
    ("S3 event, array of arrays of objects", S3_POLICY,
     {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": [[{"key": "auto-1.xml"}]]}}]}, True),
    ("array elements are not mixed (engine)", S3_POLICY,
     s3_event(("ObjectCreated:Put", "home-1.xml"), ("ObjectRemoved:Delete", "auto-1.xml")), False),
    # $or in the body (recorded)
    ("$or nested, first", DETAIL_OR, {"metricName": "CPUUtilization", "detail": {"scope": "Service", "source": "aws.cloudwatch"}}, True),
    ("$or nested, second", DETAIL_OR, {"namespace": "AWS/ES", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}}, True),
    ("$or nested, wrong scope", DETAIL_OR, {"metricName": "CPUUtilization", "detail": {"scope": "x", "source": "aws.cloudwatch"}}, False),
    ("$or nested, no inner branch", DETAIL_OR, {"metricName": "CPUUtilization", "detail": {"scope": "Service"}}, False),
    ("$or nested, not nested", DETAIL_OR, {"metricName": "CPUUtilization", "scope": "Service", "source": "aws.cloudwatch"}, False),
    # a body that is no JSON object matches nothing (recorded)
    ("plain text", NO_STORE, "Regular string message", False),
    ("a JSON string", NO_STORE, json.dumps("Regular string message"), False),
    ("a JSON array", NO_STORE, "[]", False),
    ("invalid JSON", NO_STORE, "{", False),
]


@pytest.mark.parametrize(("policy", "body", "expected"), [case[1:] for case in BODY_CASES], ids=[case[0] for case in BODY_CASES])
def test_body_policies_match_as_the_guide_shows(policy: dict[str, Any], body: Any, expected: bool) -> None:
    assert by_body(policy, body) is expected


def test_attribute_scope_reads_attributes_and_body_scope_the_body() -> None:
    text = json.dumps({"k": ["v"]})
    assert compile_policy(text, ATTRIBUTES).matches(attributes(k="v"), "{}")
    assert not compile_policy(text, ATTRIBUTES).matches({}, '{"k": "v"}')
    assert compile_policy(text, BODY).matches({}, '{"k": "v"}')
    assert not compile_policy(text, BODY).matches(attributes(k="v"), "{}")


def test_a_policy_is_compiled_once() -> None:
    text = json.dumps({"k": ["compiled-once"]})
    assert compile_policy(text) is compile_policy(text)
    assert compile_policy(text, BODY) is not compile_policy(text)


def _recorded(policy: str, reason: str, column: int | None) -> tuple[str, str]:
    """A recorded Subscribe refusal: the compact policy AWS quotes and its message."""
    where = f'\n at [Source: (String)"{policy}"; line: 1, column: {column}]' if column else ""
    return policy, f"{SUBSCRIBE}FilterPolicy: {reason}{where}"


RECORDED_REFUSALS = [  # each policy sent with spaces (json.dumps); AWS quotes it compacted
    _recorded('{"key":[["value"]]}', "Match value must be String, number, true, false, or null", 10),
    _recorded('{"key":[{"wrong-operator":true}]}', "Unrecognized match type wrong-operator", 31),
    _recorded('{"key":[{"suffix":"value","prefix":"value2"}]}', "Only one key allowed in match expression", 37),
    _recorded('{"key":[]}', "Empty arrays are not allowed", 10),
    _recorded('{"key":[{"suffix":100}]}', "suffix match pattern must be a string", 22),
    _recorded('{"key":[{"suffix":null}]}', "suffix match pattern must be a string", 23),
    _recorded('{"key":{"suffix":"value"}}', '"suffix" must be an object or an array', 19),
    _recorded('{"key":[{"suffix":[]}]}', "suffix match pattern must be a string", 20),
    _recorded('{"key":[{"suffix":["test","test2"]}]}', "suffix match pattern must be a string", 20),
    _recorded('{"key":{"suffix":"value","prefix":"value"}}', '"suffix" must be an object or an array', 19),
    _recorded('{"key":{"not-an-operator":"value"}}', '"not-an-operator" must be an object or an array', 28),
    _recorded('{"key":[{"cidr":["bad-filter"]}]}', "prefix match pattern must be a string", 18),
    _recorded('{"key":[{"cidr":"bad-filter"}]}', "Malformed CIDR, one '/' required", None),
    _recorded('{"key":[{"cidr":"bad-filter/64"}]}', "Nonstandard IP address: bad-filter", None),
    _recorded('{"key":[{"cidr":"bad-/64filter"}]}', "Malformed CIDR, mask bits must be an integer", None),
    _recorded('{"key":[{"cidr":"xx.11.xx/8"}]}', "Nonstandard IP address: xx.11.xx", None),
    _recorded('{"key":[{"cidr":"xxxx:db8:1234:1a00::/64"}]}', "Nonstandard IP address: xxxx:db8:1234:1a00::", None),
    _recorded('{"key":[{"numeric":[]}]}', "Invalid member in numeric match: ]", 22),
    _recorded('{"key":[{"numeric":["operator"]}]}', "Unrecognized numeric range operator: operator", 32),
    _recorded('{"key":[{"numeric":[1,"<="]}]}', "Invalid member in numeric match: 1", 22),
    _recorded('{"key":[{"numeric":["=","000"]}]}', "Value of equals must be numeric", 26),
    _recorded('{"key":[{"numeric":[">="]}]}', "Value of >= must be numeric", 26),
    _recorded('{"key":[{"numeric":["<",100,">",10]}]}', "Too many elements in numeric expression", 30),
    _recorded('{"key":[{"numeric":[">=",1,">",2]}]}', "Bad numeric range operator: >", 31),
    _recorded('{"key":[{"numeric":[">",3,"<",1]}]}', "Bottom must be less than top", 33),
    _recorded('{"key":[{"numeric":[">",20,"<="]}]}', "Value of <= must be numeric", 33),
    _recorded('{"key":[{"numeric":[">",20,30]}]}', "Bad value in numeric range: 30", 30),
    _recorded('{"key":[{"numeric":[">",20,"test"]}]}', "Bad numeric range operator: test", 34),
    _recorded('{"key":[{"numeric":[">","20","<","30"]}]}', "Value of > must be numeric", 26),
    _recorded('{"key":[{"numeric":[">",20,"<","30"]}]}', "Value of < must be numeric", 33),
    _recorded('{"key":[{"numeric":[">",20,"<",30,"<",50]}]}', "Too many terms in numeric range expression", 36),
    _recorded('{"key":[{"exists":null}]}', "exists match pattern must be either true or false.", 23),
    _recorded('{"key":[{"exists":"no"}]}', "exists match pattern must be either true or false.", 20),
    _recorded('{"key":[{"anything-but":{"wrong-operator":null}}]}', "Unsupported anything-but pattern: wrong-operator", 47),
    _recorded('{"key":[{"anything-but":{"suffix":"test"}}]}', "Unsupported anything-but pattern: suffix", 36),
    _recorded('{"key":[{"anything-but":{"exists":false}}]}', "Unsupported anything-but pattern: exists", 40),
    _recorded('{"key":[{"anything-but":{"prefix":false}}]}', "prefix match pattern must be a string", 40),
    _recorded(json.dumps({"key": [f"value{i}" for i in range(151)]}), "Filter policy is too complex", None),
    _recorded(json.dumps({"key1": [f"v{i}" for i in range(100)], "key2": [f"v{i}" for i in range(51)]}), "Filter policy is too complex", None),
    _recorded(json.dumps({f"key{i}": [f"value{i}"] for i in range(1, 7)}), "Filter policy can not have more than 5 keys", None),
]


@pytest.mark.parametrize(("compact", "message"), RECORDED_REFUSALS, ids=[m.split("FilterPolicy: ")[1][:60] for _, m in RECORDED_REFUSALS])
def test_refusals_word_and_place_the_error_as_aws_recorded(compact: str, message: str) -> None:
    spaced = json.dumps(json.loads(compact))  # sent as LocalStack's recording test sent it
    error = refusal(spaced)
    assert SUBSCRIBE + error.reason == message
    assert error.message == "Invalid parameter: " + message.removeprefix(SUBSCRIBE)


OR_152 = {"source": ["aws.cloudwatch", "aws.events", "aws.test", "aws.test2"],
          "$or": [{"metricName": ["CPUUtilization", "ReadLatency", "t1", "t2", "t3", "t4"]},
                  {"metricType": ["MetricType", "TestType", "TestType2", "TestType3"],
                   "$or": [{"metricId": [1234, 4321, 5678, 9012]}, {"spaceId": [1, 2, 3, 4]}]}]}
OR_150 = {"source": ["aws.cloudwatch", "aws.events", "aws.test"],
          "$or": [{"metricName": ["CPUUtilization", "ReadLatency", "T1", "T2", "T3", "T4"]},
                  {"metricType": ["MetricType", "TestType", "TestType2", "TestType3"],
                   "$or": [{"metricId": [1234, 4321, 5678, 9012]}, {"spaceId": [1, 2, 3, 4, 5, 6, 7]}]}]}
OR_160 = {"$or": [{"metricName": ["CPUUtilization", "ReadLatency", "TestValue"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}],
          "detail": {"scope": ["Service", "Test"],
                     "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change", "TestValue", "TestValue2"]}]}}
GUIDE_72 = {"key_a": {"key_b": {"key_c": ["value_one", "value_two", "value_three", "value_four"]}},
            "key_d": {"key_e": ["value_one", "value_two", "value_three"]}}


def test_combinations_add_up_across_or_branches_and_multiply_by_depth() -> None:
    assert refusal(OR_152).message == "Invalid parameter: FilterPolicy: Filter policy is too complex"  # 24 + 64 + 64
    compile_policy(json.dumps(OR_150))  # 18 + 48 + 84: exactly the limit
    assert refusal(OR_160, BODY).reason == "FilterPolicy: Filter policy is too complex"  # 24 + 72 + 16 + 48
    compile_policy(json.dumps(GUIDE_72), BODY)  # the guide's "3 x 4 x 2 x 3 = 72"
    too_many = {**GUIDE_72, "key_f": ["value_one", "value_two", "value_three"]}  # 72 x 3 (recorded)
    assert refusal(too_many, BODY).message == "Invalid parameter: FilterPolicy: Filter policy is too complex"


def test_five_keys_count_parent_keys_only() -> None:
    nested = {"a": {"b": ["1"], "c": ["2"], "d": ["3"], "e": ["4"], "f": ["5"], "g": ["6"]}}
    compile_policy(json.dumps(nested), BODY)  # one parent key, six leaves
    five = {k: ["v"] for k in "abcde"}
    assert compile_policy(json.dumps(five)).matches(attributes(**{k: "v" for k in "abcde"}), "")
    six = {k: ["v"] for k in "abcdef"}
    assert refusal(six, BODY).message == "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"


def test_nesting_is_refused_for_attributes_after_the_engine_checks() -> None:
    nested = {"object": {"key": [{"prefix": "auto-"}]}}
    assert refusal(nested).message == "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    compile_policy(json.dumps(nested), BODY)
    assert refusal({"key_a": "value_one"}, BODY).message == (  # recorded, through SetSubscriptionAttributes
        'Invalid parameter: FilterPolicy: "key_a" must be an object or an array\n'
        ' at [Source: (String)"{"key_a":"value_one"}"; line: 1, column: 11]')


REDACTED = "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)"
SYNTAX_REFUSALS = [
    # recorded
    ("{invalidjson}", "Unexpected character ('i' (code 105)): was expecting double-quote to start field name", 2),
    ("invalid-json", "Unrecognized token 'invalid': was expecting (JSON String, Number, Array, Object or token "
                     "'null', 'true' or 'false')", 8),
    # Jackson's wording, unverified against AWS
    ('{"a":["b"],}', "Unexpected character ('}' (code 125)): was expecting double-quote to start field name", 12),
    ('{"a" ["b"]}', "Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value", 6),
    ('{"a":["b" "c"]}', "Unexpected character ('\"' (code 34)): was expecting comma to separate Array entries", 11),
    ('{"a":["b"]', "Unexpected end-of-input: expected close marker for Object (start marker at "
                   f"{REDACTED}; line: 1, column: 1])", 11),
    ('{"a":[01]}', "Invalid numeric value: Leading zeroes not allowed", 8),
    ('{"a":[NaN]}', "Non-standard token 'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow", 10),
    ('{"a":["\\q"]}', "Unrecognized character escape 'q' (code 113)", 10),
]


@pytest.mark.parametrize(("text", "reason", "column"), SYNTAX_REFUSALS, ids=[t for t, _, _ in SYNTAX_REFUSALS])
def test_json_syntax_errors_are_jacksons(text: str, reason: str, column: int) -> None:
    assert refusal(text).message == f"Invalid parameter: FilterPolicy: failed to parse JSON. {reason}\n at {REDACTED}; line: 1, column: {column}]"


ENGINE_REFUSALS = [  # aws/event-ruler's messages for cases AWS answers were not recorded for
    ({}, "Empty objects are not allowed", '{}', 3),
    ([1], "Filter is not an object", '[1]', 2),
    ({"a": [{}]}, "Match expression name not found", '{"a":[{}]}', 9),
    ({"$or": [{"a": ["1"]}]}, "There must have at least 2 Objects in $or relationship.", '{"$or":[{"a":["1"]}]}', 21),
    ({"$or": {"a": ["1"]}}, "It must be an Array followed with $or.", '{"$or":{"a":["1"]}}', 9),
    ({"$or": [{"a": ["1"]}, "b"]}, "Only JSON object is allowed in array of $or relationship.", '{"$or":[{"a":["1"]},"b"]}', 22),
    ({"$or": [{"prefix": ["1"]}, {"b": ["1"]}]}, "prefix is Ruler reserved fieldName which cannot be used inside $or.",
     '{"$or":[{"prefix":["1"]},{"b":["1"]}]}', 20),
    ({"a": [{"numeric": 5}]}, "Value of numeric must be an array.", '{"a":[{"numeric":5}]}', 19),
    ({"a": [{"numeric": ["=", 1e2, 3]}]}, "Too many elements in numeric expression", '{"a":[{"numeric":["=",100.0,3]}]}', 30),
    ({"a": [{"numeric": ["<", 2e9]}]}, "Value must be between -1.0E9 and 1.0E9, inclusive", '{"a":[{"numeric":["<",2.0E9]}]}', 29),
    ({"a": [{"numeric": [">", 5, "<", 5]}]}, "Bottom must be less than top", '{"a":[{"numeric":[">",5,"<",5]}]}', 31),
    ({"a": [{"anything-but": [1, "x"]}]}, "Inside anything but list, either all values are number or string, mixed type is not supported",
     '{"a":[{"anything-but":[1,"x"]}]}', 30),
    ({"a": [{"anything-but": True}]}, "Value of anything-but must be an array or single string/number value.",
     '{"a":[{"anything-but":true}]}', 27),
    ({"a": [{"anything-but": {"prefix": ""}}]}, "Null prefix not allowed", '{"a":[{"anything-but":{"prefix":""}}]}', 35),
    ({"a": [{"wildcard": "a**"}]}, "Consecutive wildcard characters at pos 2", '{"a":[{"wildcard":"a**"}]}', 24),
    ({"a": [{"exists": True, "b": 1}]}, "Only one key allowed in match expression", '{"a":[{"exists":true,"b":1}]}', 27),
    ({"a": [{"cidr": "10.0.0.0/32"}]}, "IPv4 mask bits must be < 32", None, None),
    ({"a": [{"cidr": "10.0.0.300/8"}]}, "Invalid IP address: 10.0.0.300", None, None),
    ({"a": [{"anything-but": 2e9}]}, "Value must be between -1.0E9 and 1.0E9, inclusive", None, None),
]


@pytest.mark.parametrize(("policy", "reason", "compact", "column"), ENGINE_REFUSALS, ids=[r[1][:50] for r in ENGINE_REFUSALS])
def test_the_engines_other_refusals(policy: Any, reason: str, compact: str | None, column: int | None) -> None:
    where = f'\n at [Source: (String)"{compact}"; line: 1, column: {column}]' if compact else ""
    assert refusal(policy, BODY).message == f"Invalid parameter: FilterPolicy: {reason}{where}"


def test_the_anything_but_list_error_carries_its_position_twice() -> None:
    where = '\n at [Source: (String)"{"a":[{"anything-but":[null]}]}"; line: 1, column: 28]'
    assert refusal({"a": [{"anything-but": [None]}]}).reason == (
        f"FilterPolicy: Inside anything but list, start|null|boolean is not supported.{where}{where}")


def test_an_unknown_scope_is_refused_with_aws_wording() -> None:
    with pytest.raises(FilterPolicyError) as caught:
        compile_policy('{"a": ["b"]}', "RandomValue")
    assert caught.value.message == ("Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. "
                                    "Please use either MessageBody or MessageAttributes")


def test_a_policy_over_256_kb_is_refused() -> None:
    text = json.dumps({"k": ["x" * (256 * 1024)]})
    assert refusal(text, BODY).reason == "FilterPolicy: Filter policy can not be larger than 256 KB"


def test_the_engine_reads_jacksons_rewrite_of_the_policy() -> None:
    duplicated = '{"k": ["first"], "other": ["x"], "k": ["last"]}'  # Jackson keeps the last value, in the first place
    policy = compile_policy(duplicated)
    assert policy.matches(attributes(k="last", other="x"), "")
    assert not policy.matches(attributes(k="first", other="x"), "")
    assert compile_policy('{"n": [1e2]}').matches(attributes(n=100), "")
    assert compile_policy('{"k": ["v"]} trailing text Jackson never reads').matches(attributes(k="v"), "")
    multiline = '{\n  "key": [\n    []\n  ]\n}'
    assert refusal(multiline).reason == ('FilterPolicy: Match value must be String, number, true, false, or null\n'
                                         ' at [Source: (String)"{"key":[[]]}"; line: 1, column: 10]')
