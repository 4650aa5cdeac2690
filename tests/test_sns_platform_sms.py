"""SNS mobile push (platform applications and endpoints) and SMS settings through boto3, checked
against the answers AWS recorded; pushes and texts are recorded and inspectable, never sent."""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from services.core.errors import AwsError
from tests.conftest import Server
from tests.inprocess import InProcess
from tests.sns_helpers import unique

CREDENTIALS = {"PlatformPrincipal": "client-id", "PlatformCredential": "client-secret"}


def fresh_account() -> str:
    """An account of its own (a 12-digit access key names it): SMS settings are per account."""
    return f"{random.randrange(10**11, 10**12)}"


@pytest.fixture
def account() -> str:
    return fresh_account()


@pytest.fixture
def sns(server: Server, account: str) -> Any:
    return server.client("sns", access_key=account)


def error(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def application(sns: Any, platform: str = "ADM", **attributes: str) -> str:
    return sns.create_platform_application(
        Name=unique("app"), Platform=platform, Attributes=attributes or CREDENTIALS
    )["PlatformApplicationArn"]


def endpoint(sns: Any, app_arn: str, token: str = "token_1", **params: Any) -> str:
    return sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token=token, **params)["EndpointArn"]


def inspect(server: Server, view: str, account: str, **query: str) -> list[dict[str, Any]]:
    params = "".join(f"&{k}={quote(v, safe='')}" for k, v in query.items())
    status, body = server.admin("GET", f"/_stepstack/sns/{view}?Account={account}&Region=us-east-1{params}")
    assert status == 200, body
    return body["Messages"]


# -- platform applications -------------------------------------------------------------------


def test_a_platform_application_shows_enabled_and_never_its_credentials(sns: Any, account: str) -> None:
    name = unique("app")
    arn = sns.create_platform_application(Name=name, Platform="ADM", Attributes=CREDENTIALS)["PlatformApplicationArn"]
    assert arn == f"arn:aws:sns:us-east-1:{account}:app/ADM/{name}"
    assert sns.get_platform_application_attributes(PlatformApplicationArn=arn)["Attributes"] == {"Enabled": "true"}
    assert sns.list_platform_applications()["PlatformApplications"] == [
        {"PlatformApplicationArn": arn, "Attributes": {"Enabled": "true"}}
    ]


@pytest.mark.parametrize(("name", "message"), [
    ("a" * 257, f"Invalid parameter: {'a' * 257} Reason: must be at most 256 characters long"),
    ("", "Invalid parameter:  Reason: cannot be empty"),
    ("@name", "Invalid parameter: @name Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'"),
], ids=["too-long", "empty", "invalid-char"])
def test_application_names_are_checked(sns: Any, name: str, message: str) -> None:
    assert error(sns.create_platform_application, Name=name, Platform="ADM", Attributes=CREDENTIALS) == (
        "InvalidParameter", message, 400)


def test_an_unsupported_platform_is_refused(sns: Any) -> None:
    assert error(sns.create_platform_application, Name=unique(), Platform="AAA", Attributes=CREDENTIALS) == (
        "InvalidParameter", "Invalid parameter: Platform Reason: AAA is not supported", 400)


@pytest.mark.parametrize(("attributes", "message"), [
    ({"PlatformPrincipal": "dummy"}, "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential"),
    ({"PlatformCredential": "dummy"}, "Invalid parameter: Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal"),
], ids=["missing-credential", "missing-principal"])
def test_the_credentials_come_in_pairs(sns: Any, attributes: dict[str, str], message: str) -> None:
    assert error(sns.create_platform_application, Name=unique(), Platform="ADM", Attributes=attributes) == (
        "InvalidParameter", message, 400)


def test_gcm_has_a_credential_and_no_principal(sns: Any) -> None:
    arn = application(sns, "GCM", PlatformCredential="api-key")
    assert arn.split(":")[5].startswith("app/GCM/")


def test_an_application_needs_attributes(sns: Any) -> None:
    assert error(sns.create_platform_application, Name=unique(), Platform="ADM", Attributes={}) == (
        "ValidationError",
        "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null",
        400,
    )


def test_set_platform_application_attributes_adds_to_what_get_shows(sns: Any) -> None:
    arn = application(sns)
    sns.set_platform_application_attributes(PlatformApplicationArn=arn, Attributes={"SuccessFeedbackSampleRate": "50"})
    assert sns.get_platform_application_attributes(PlatformApplicationArn=arn)["Attributes"] == {
        "Enabled": "true", "SuccessFeedbackSampleRate": "50"}


def test_an_unknown_application_attribute_is_refused(sns: Any) -> None:
    code, message, _ = error(sns.set_platform_application_attributes, PlatformApplicationArn=application(sns),
                             Attributes={"Colour": "blue"})
    assert (code, message) == ("InvalidParameter", "Invalid parameter: Attributes Reason: Invalid attribute name: Colour")


def test_unknown_applications(sns: Any, account: str) -> None:
    missing = f"arn:aws:sns:us-east-1:{account}:app/ADM/NonExistingApp"
    assert error(sns.get_platform_application_attributes, PlatformApplicationArn="invalid-arn") == (
        "InvalidParameter", "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 elements, not 1", 400)
    not_found = ("NotFound", "PlatformApplication does not exist", 404)
    assert error(sns.get_platform_application_attributes, PlatformApplicationArn=missing) == not_found
    assert error(sns.set_platform_application_attributes, PlatformApplicationArn=missing, Attributes={"PlatformPrincipal": "dummy"}) == not_found
    assert error(sns.create_platform_endpoint, PlatformApplicationArn=missing, Token="token_1") == not_found
    assert error(sns.list_endpoints_by_platform_application, PlatformApplicationArn=missing) == not_found


def test_platform_applications_are_listed_a_hundred_at_a_time(sns: Any) -> None:
    created = {application(sns) for _ in range(101)}
    first = sns.list_platform_applications()
    assert len(first["PlatformApplications"]) == 100 and first["NextToken"]
    second = sns.list_platform_applications(NextToken=first["NextToken"])
    assert len(second["PlatformApplications"]) == 1 and "NextToken" not in second
    listed = {a["PlatformApplicationArn"] for a in first["PlatformApplications"] + second["PlatformApplications"]}
    assert listed == created


def test_deleting_an_application_deletes_its_endpoints(sns: Any) -> None:
    app_arn = application(sns)
    endpoint_arn = endpoint(sns, app_arn)
    sns.delete_platform_application(PlatformApplicationArn=app_arn)
    assert error(sns.list_endpoints_by_platform_application, PlatformApplicationArn=app_arn) == (
        "NotFound", "PlatformApplication does not exist", 404)
    assert error(sns.get_endpoint_attributes, EndpointArn=endpoint_arn) == ("NotFound", "Endpoint does not exist", 404)
    sns.delete_endpoint(EndpointArn=endpoint_arn)  # nothing left to delete: succeeds
    sns.delete_platform_application(PlatformApplicationArn=app_arn)  # nor here
    assert sns.list_platform_applications()["PlatformApplications"] == []


# -- endpoints -------------------------------------------------------------------------------


def test_an_endpoint_has_its_token_and_is_enabled(sns: Any, account: str) -> None:
    app_arn = application(sns)
    arn = endpoint(sns, app_arn)
    assert arn.startswith(f"arn:aws:sns:us-east-1:{account}:endpoint/ADM/{app_arn.rsplit('/', 1)[1]}/")
    assert sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"] == {"Enabled": "true", "Token": "token_1"}
    assert sns.list_endpoints_by_platform_application(PlatformApplicationArn=app_arn)["Endpoints"] == [
        {"EndpointArn": arn, "Attributes": {"Enabled": "true", "Token": "token_1"}}
    ]


def test_create_platform_endpoint_is_idempotent_on_the_token(sns: Any) -> None:
    app_arn = application(sns)
    arn = endpoint(sns, app_arn)
    assert endpoint(sns, app_arn) == arn
    assert endpoint(sns, app_arn, Attributes={"Enabled": "true"}) == arn  # the default, said again
    refused = ("InvalidParameter",
               f"Invalid parameter: Token Reason: Endpoint {arn} already exists with the same Token, but different attributes.", 400)
    assert error(sns.create_platform_endpoint, PlatformApplicationArn=app_arn, Token="token_1", Attributes={"Enabled": "false"}) == refused
    assert error(sns.create_platform_endpoint, PlatformApplicationArn=app_arn, Token="token_1", CustomUserData="data") == refused
    assert endpoint(sns, app_arn, "token_2") != arn


def test_custom_user_data_in_the_attributes_wins_over_the_parameter(sns: Any) -> None:
    app_arn = application(sns)
    only_parameter = endpoint(sns, app_arn, "token_1", CustomUserData="bar")
    assert sns.get_endpoint_attributes(EndpointArn=only_parameter)["Attributes"]["CustomUserData"] == "bar"
    both = endpoint(sns, app_arn, "token_2", CustomUserData="bar", Attributes={"CustomUserData": "foo"})
    assert sns.get_endpoint_attributes(EndpointArn=both)["Attributes"] == {
        "CustomUserData": "foo", "Enabled": "true", "Token": "token_2"}


INVALID_ENDPOINT_ATTRIBUTES = [
    ({"PlatformPrincipal": "Principal"}, "Invalid parameter: Attributes Reason: Invalid attribute name: PlatformPrincipal"),
    ({"PlatformCredential": "Credential"}, "Invalid parameter: Attributes Reason: Invalid attribute name: PlatformCredential"),
    ({"InvalidKey": "Value"}, "Invalid parameter: Attributes Reason: Invalid attribute name: InvalidKey"),
    ({"CustomUserData": "A" * 2050},
     "Invalid parameter: Attributes Reason: Invalid value for attribute: CustomUserData: must be at most 2048 bytes long in UTF-8 encoding"),
]
IDS = ["Invalid_Name_Principal", "Invalid_Name_Credential", "Invalid_Name_Generic", "Data_Too_Long"]


@pytest.mark.parametrize(("attributes", "message"), INVALID_ENDPOINT_ATTRIBUTES, ids=IDS)
def test_create_platform_endpoint_checks_the_attributes(sns: Any, attributes: dict[str, str], message: str) -> None:
    app_arn = application(sns)
    assert error(sns.create_platform_endpoint, PlatformApplicationArn=app_arn, Token="token_1", Attributes=attributes) == (
        "InvalidParameter", message, 400)
    assert sns.list_endpoints_by_platform_application(PlatformApplicationArn=app_arn)["Endpoints"] == []


@pytest.mark.parametrize(("attributes", "message"), INVALID_ENDPOINT_ATTRIBUTES, ids=IDS)
def test_set_endpoint_attributes_checks_the_attributes(sns: Any, attributes: dict[str, str], message: str) -> None:
    arn = endpoint(sns, application(sns))
    assert error(sns.set_endpoint_attributes, EndpointArn=arn, Attributes=attributes) == ("InvalidParameter", message, 400)
    assert sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"] == {"Enabled": "true", "Token": "token_1"}


def test_set_endpoint_attributes_disables_the_endpoint(sns: Any) -> None:
    arn = endpoint(sns, application(sns))
    assert error(sns.set_endpoint_attributes, EndpointArn=arn, Attributes={}) == (
        "ValidationError",
        "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null",
        400,
    )
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false", "CustomUserData": "x"})
    assert sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"] == {"Enabled": "false", "Token": "token_1", "CustomUserData": "x"}


def test_endpoint_arns_are_checked(sns: Any, account: str) -> None:
    assert error(sns.get_endpoint_attributes, EndpointArn=f"arn:aws:sns:us-east-1:{account}:endpoint/ADM/app") == (
        "InvalidParameter", "Invalid parameter: EndpointArn Reason: Wrong number of slashes in relative portion of the ARN.", 400)
    missing = f"arn:aws:sns:us-east-1:{account}:endpoint/ADM/fakeapp/{unique()}"
    assert error(sns.get_endpoint_attributes, EndpointArn=missing) == ("NotFound", "Endpoint does not exist", 404)
    assert error(sns.set_endpoint_attributes, EndpointArn=missing, Attributes={"Enabled": "false"}) == (
        "NotFound", "Endpoint does not exist", 404)


def test_deleting_an_endpoint_keeps_its_subscriptions(sns: Any) -> None:
    app_arn = application(sns)
    arn = endpoint(sns, app_arn)
    topic = sns.create_topic(Name=unique())["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=arn)
    sns.delete_endpoint(EndpointArn=arn)
    sns.delete_endpoint(EndpointArn=arn)  # again: succeeds
    assert sns.list_endpoints_by_platform_application(PlatformApplicationArn=app_arn)["Endpoints"] == []
    assert [s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [arn]


# -- publishing to an endpoint ---------------------------------------------------------------


def test_publish_to_an_endpoint_is_recorded_with_its_platform_message(server: Server, sns: Any, account: str) -> None:
    app_arn = application(sns, "GCM", PlatformCredential="api-key")
    arn, other = endpoint(sns, app_arn), endpoint(sns, app_arn, "token_2")
    message = json.dumps({"default": "plain", "GCM": json.dumps({"notification": {"title": "hi"}})})
    first = sns.publish(TargetArn=arn, Message=message, MessageStructure="json")["MessageId"]
    second = sns.publish(TargetArn=arn, Message="just text", Subject="s",
                         MessageAttributes={"a": {"DataType": "String", "StringValue": "b"}})["MessageId"]
    sns.publish(TargetArn=other, Message="elsewhere")
    recorded = inspect(server, "platform-endpoint-messages", account, EndpointArn=arn)
    assert [(m["MessageId"], m["Message"]) for m in recorded] == [
        (first, json.dumps({"notification": {"title": "hi"}})), (second, "just text")]
    assert (recorded[1]["Platform"], recorded[1]["Token"], recorded[1]["Subject"]) == ("GCM", "token_1", "s")
    assert recorded[1]["MessageAttributes"] == {"a": {"DataType": "String", "StringValue": "b"}}
    assert len(inspect(server, "platform-endpoint-messages", account)) == 3


def test_a_disabled_endpoint_refuses_a_message_before_reading_it(server: Server, sns: Any, account: str) -> None:
    arn = endpoint(sns, application(sns), Attributes={"Enabled": "false"})
    assert error(sns.publish, TargetArn=arn, Message="msg", MessageStructure="json") == (
        "EndpointDisabled", "Endpoint is disabled", 400)
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "true"})
    assert error(sns.publish, TargetArn=arn, Message="msg", MessageStructure="json")[:2] == (
        "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse")
    assert inspect(server, "platform-endpoint-messages", account, EndpointArn=arn) == []


def test_publish_to_a_missing_endpoint_finds_none(sns: Any, account: str) -> None:
    arn = endpoint(sns, application(sns))
    sns.delete_endpoint(EndpointArn=arn)
    assert error(sns.publish, TargetArn=arn, Message="m") == (
        "InvalidParameter", "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified", 400)


def test_recorded_pushes_are_the_last_thousand(app: InProcess) -> None:
    app_arn = app.call("sns", "CreatePlatformApplication", {"Name": "a", "Platform": "ADM", "Attributes": CREDENTIALS})
    arn = app.call("sns", "CreatePlatformEndpoint", {"PlatformApplicationArn": app_arn["PlatformApplicationArn"], "Token": "t"})
    for i in range(1001):
        app.call("sns", "Publish", {"TargetArn": arn["EndpointArn"], "Message": f"m{i}"})
    recorded = app.dispatcher.services["sns"].inspect("platform-endpoint-messages", {"Account": "000000000000", "Region": "us-east-1"})
    messages = [m["Message"] for m in recorded["Messages"]]
    assert len(messages) == 1000 and messages[0] == "m1" and messages[-1] == "m1000"


# -- SMS attributes and opting out -------------------------------------------------------------


def test_sms_attributes_are_kept_and_filtered(sns: Any) -> None:
    sns.set_sms_attributes(attributes={
        "DeliveryStatusSuccessSamplingRate": "100", "DefaultSenderID": "LSTest", "DefaultSMSType": "Promotional"})
    assert sns.get_sms_attributes()["attributes"] == {
        "DefaultSMSType": "Promotional", "DefaultSenderID": "LSTest", "DeliveryStatusSuccessSamplingRate": "100",
        "MonthlySpendLimit": "1"}
    assert sns.get_sms_attributes(attributes=["DefaultSenderID", "DefaultSMSType"])["attributes"] == {
        "DefaultSMSType": "Promotional", "DefaultSenderID": "LSTest"}


def test_a_region_never_set_answers_the_default_spend_limit(server: Server, account: str) -> None:
    server.client("sns", access_key=account).set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})
    other_region = server.client("sns", region="eu-west-1", access_key=account)
    assert other_region.get_sms_attributes()["attributes"] == {"MonthlySpendLimit": "1"}


@pytest.mark.parametrize(("name", "value", "message"), [
    ("InvalidAttribute", "invalid", "InvalidAttribute is not a valid attribute"),
    ("DefaultSendID", "a" * 12, "DefaultSendID is not a valid attribute"),
    ("DefaultSMSType", "invalid", "DefaultSMSType is invalid"),
    ("DefaultSenderID", "123456789", "DefaultSenderID is invalid"),  # our wording: no letter in it
], ids=["InvalidAttributeName", "TooLongID", "InvalidSMSType", "NoLetterSenderID"])
def test_invalid_sms_attributes_are_refused(sns: Any, name: str, value: str, message: str) -> None:
    assert error(sns.set_sms_attributes, attributes={"DefaultSMSType": "Transactional", name: value}) == (
        "InvalidParameter", message, 400)
    assert sns.get_sms_attributes()["attributes"] == {"MonthlySpendLimit": "1"}  # nothing of it was kept


def test_no_number_has_opted_out_of_a_new_account(sns: Any) -> None:
    assert sns.check_if_phone_number_is_opted_out(phoneNumber="+430000000000")["isOptedOut"] is False
    assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == []
    sns.opt_in_phone_number(phoneNumber="+4411111111")  # never opted out: opted in all the same


@pytest.mark.parametrize("operation", ["opt_in_phone_number", "check_if_phone_number_is_opted_out"])
def test_phone_numbers_are_checked(sns: Any, operation: str) -> None:
    for number in ("invalid", "+44742LALALA"):
        assert error(getattr(sns, operation), phoneNumber=number) == (
            "InvalidParameter", "Invalid parameter: PhoneNumber Reason: input incorrectly formatted", 400)


def test_a_restored_opt_out_is_answered_and_opted_in(app: InProcess) -> None:
    app.call("sns", "SetSMSAttributes", {"attributes": {"DefaultSMSType": "Transactional"}})
    snapshot = json.loads(json.dumps(app.dispatcher.snapshot()))
    (entry,) = snapshot["services"]["sns"]
    entry["store"]["opted_out"] = ["+430000000000", "+430000000001"]
    fresh = InProcess()
    try:
        fresh.run(fresh.dispatcher.restore(snapshot))
        assert fresh.call("sns", "CheckIfPhoneNumberIsOptedOut", {"phoneNumber": "+430000000000"}) == {"isOptedOut": True}
        assert fresh.call("sns", "ListPhoneNumbersOptedOut", {})["phoneNumbers"] == ["+430000000000", "+430000000001"]
        fresh.call("sns", "OptInPhoneNumber", {"phoneNumber": "+430000000000"})
        assert fresh.call("sns", "CheckIfPhoneNumberIsOptedOut", {"phoneNumber": "+430000000000"}) == {"isOptedOut": False}
        assert fresh.call("sns", "ListPhoneNumbersOptedOut", {})["phoneNumbers"] == ["+430000000001"]
        assert fresh.call("sns", "GetSMSAttributes", {})["attributes"]["DefaultSMSType"] == "Transactional"
        with pytest.raises(AwsError) as refused:
            fresh.call("sns", "CreateSMSSandboxPhoneNumber", {"PhoneNumber": "+430000000001"})
        assert (refused.value.code, refused.value.status) == ("OptedOut", 400)
    finally:
        fresh.close()


# -- the SMS sandbox and origination numbers ---------------------------------------------------


def test_a_sandbox_number_is_verified_with_the_code_it_was_sent(server: Server, sns: Any, account: str) -> None:
    number = "+15555550100"
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is True
    sns.create_sms_sandbox_phone_number(PhoneNumber=number, LanguageCode="en-US")
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": number, "Status": "Pending"}]
    (text,) = inspect(server, "sms", account, PhoneNumber=number)
    code = text["OneTimePassword"]
    assert code in text["Message"] and len(code) == 6
    wrong = "00000" if code != "00000" else "11111"
    assert error(sns.verify_sms_sandbox_phone_number, PhoneNumber=number, OneTimePassword=wrong)[0] == "VerificationException"
    sns.verify_sms_sandbox_phone_number(PhoneNumber=number, OneTimePassword=code)
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": number, "Status": "Verified"}]
    sns.delete_sms_sandbox_phone_number(PhoneNumber=number)
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == []
    assert error(sns.delete_sms_sandbox_phone_number, PhoneNumber=number)[::2] == ("ResourceNotFound", 404)
    assert error(sns.verify_sms_sandbox_phone_number, PhoneNumber=number, OneTimePassword=code)[::2] == ("ResourceNotFound", 404)


def test_the_sandbox_holds_ten_numbers(sns: Any) -> None:
    for i in range(10):
        sns.create_sms_sandbox_phone_number(PhoneNumber=f"+1555555{i:04d}")
    assert error(sns.create_sms_sandbox_phone_number, PhoneNumber="+15555559999")[::2] == ("UserError", 400)
    page = sns.list_sms_sandbox_phone_numbers(MaxResults=4)
    assert len(page["PhoneNumbers"]) == 4 and page["NextToken"]
    assert error(sns.create_sms_sandbox_phone_number, PhoneNumber="12-34")[:2] == (
        "InvalidParameter", "Invalid parameter: PhoneNumber Reason: input incorrectly formatted")


def test_a_new_account_has_no_origination_numbers(sns: Any) -> None:
    assert sns.list_origination_numbers()["PhoneNumbers"] == []
    assert error(sns.list_origination_numbers, MaxResults=31) == (
        "ValidationException",
        "1 validation error detected: Value '31' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 30",
        400,
    )


# -- snapshots ---------------------------------------------------------------------------------


def test_applications_endpoints_and_sms_settings_survive_a_snapshot(app: InProcess) -> None:
    app_arn = app.call("sns", "CreatePlatformApplication", {"Name": "a", "Platform": "ADM", "Attributes": CREDENTIALS})["PlatformApplicationArn"]
    arn = app.call("sns", "CreatePlatformEndpoint", {"PlatformApplicationArn": app_arn, "Token": "t", "CustomUserData": "u"})["EndpointArn"]
    app.call("sns", "Publish", {"TargetArn": arn, "Message": "pushed"})
    app.call("sns", "SetSMSAttributes", {"attributes": {"DefaultSenderID": "Sender1"}})
    app.call("sns", "CreateSMSSandboxPhoneNumber", {"PhoneNumber": "+15555550100"})
    before = json.loads(json.dumps(app.dispatcher.snapshot()))
    fresh = InProcess()
    try:
        fresh.run(fresh.dispatcher.restore(before))
        assert json.loads(json.dumps(fresh.dispatcher.snapshot()))["services"]["sns"] == before["services"]["sns"]
        assert fresh.call("sns", "GetPlatformApplicationAttributes", {"PlatformApplicationArn": app_arn}) == {"Attributes": {"Enabled": "true"}}
        assert fresh.call("sns", "GetEndpointAttributes", {"EndpointArn": arn})["Attributes"] == {"Enabled": "true", "Token": "t", "CustomUserData": "u"}
        assert fresh.call("sns", "CreatePlatformEndpoint", {"PlatformApplicationArn": app_arn, "Token": "t"}) == {"EndpointArn": arn}
        assert fresh.call("sns", "GetSMSAttributes", {"attributes": ["DefaultSenderID"]}) == {"attributes": {"DefaultSenderID": "Sender1"}}
        assert fresh.call("sns", "ListSMSSandboxPhoneNumbers", {})["PhoneNumbers"] == [{"PhoneNumber": "+15555550100", "Status": "Pending"}]
        query = {"Account": "000000000000", "Region": "us-east-1"}
        assert [m["Message"] for m in fresh.dispatcher.services["sns"].inspect("platform-endpoint-messages", query)["Messages"]] == ["pushed"]
    finally:
        fresh.close()
