"""SMS settings of the account: its attributes, the opted-out numbers, the SMS sandbox and the
origination numbers. No text is ever sent: Publish to a phone number records it (delivery.py),
so does a topic's message to an `sms` subscription (deliver_sms), and so does the verification
code CreateSMSSandboxPhoneNumber "sends" (the `sms` inspector shows them all, the code as
`OneTimePassword`; LocalStack's /_aws/sns/sms-messages too, server/sns_messages.py).

LIMITATIONS (where we knowingly differ from AWS):
- a number opts out when its owner answers STOP, which cannot happen here: the list is empty
  unless a snapshot restores one; OptInPhoneNumber does not hold a number to once in 30 days;
- MonthlySpendLimit is not held to the account's quota (1 USD in a new account);
- a topic's text to a number that opted out fails at once (the delivery shows why; the wording
  is ours), and goes to no dead-letter queue;
- the account stays in the SMS sandbox, yet Publish records a text to any number;
- there are no origination numbers to list;
- recorded wordings are used where AWS's are known; the others ("... is invalid" for a bad
  value other than DefaultSMSType, the sandbox errors) are ours.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

from services.core.context import Params, Result
from services.sns.errors import InvalidParameter, OptedOut, ResourceNotFound, UserError, ValidationException, VerificationException
from services.sns.lookup import Ctx
from services.sns.records import DeliveryRecord, SubscriptionRecord
from services.sns.service import operations
from services.sns.topic_ops import page

RECENT = 1000  # recorded texts kept per store (as delivery.record_sms keeps them)
DEFAULT_ATTRIBUTES = MappingProxyType({"MonthlySpendLimit": "1"})  # what a region never set answers (recorded)
SMS_ATTRIBUTES = frozenset({
    "MonthlySpendLimit", "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate", "DefaultSenderID",
    "DefaultSMSType", "UsageReportS3Bucket",
})
SMS_TYPES = ("Promotional", "Transactional")
MAX_SANDBOX_NUMBERS = 10  # "up to 10 phone numbers" in the SMS sandbox of an account
_PHONE = re.compile(r"\+?[0-9]{1,15}")  # E.164, the plus optional
_SANDBOX_PHONE = re.compile(r"\+[0-9]{8,}|[0-9]{0,9}")  # the model's pattern
_SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}")  # 1-11 alphanumerics, at least one letter
_INCORRECT = "Invalid parameter: PhoneNumber Reason: input incorrectly formatted"


def _check_sms_attribute(name: str, value: str) -> None:
    if name not in SMS_ATTRIBUTES:
        raise InvalidParameter(f"{name} is not a valid attribute")
    if name == "DefaultSMSType":
        ok = value in SMS_TYPES
    elif name == "MonthlySpendLimit":
        ok = value.isdigit()
    elif name == "DeliveryStatusSuccessSamplingRate":
        ok = value.isdigit() and int(value) <= 100
    elif name == "DefaultSenderID":
        ok = _SENDER_ID.fullmatch(value) is not None
    else:
        ok = True
    if not ok:
        raise InvalidParameter(f"{name} is invalid")


@operations.operation("SetSMSAttributes")
async def set_sms_attributes(ctx: Ctx, req: Params) -> Result:
    given: dict[str, str] = dict(req["attributes"])
    for name, value in given.items():
        _check_sms_attribute(name, value)
    ctx.store.sms_attributes.update(given)  # all or nothing: checked before any is kept
    return {}


@operations.operation("GetSMSAttributes")
async def get_sms_attributes(ctx: Ctx, req: Params) -> Result:
    attributes = {**DEFAULT_ATTRIBUTES, **ctx.store.sms_attributes}
    wanted = req.get("attributes")
    if wanted:
        attributes = {k: v for k, v in attributes.items() if k in wanted}
    return {"attributes": attributes}


# -- opting out ------------------------------------------------------------------------------


def _phone(value: str) -> str:
    if not _PHONE.fullmatch(value):
        raise InvalidParameter(_INCORRECT)
    return value


@operations.operation("CheckIfPhoneNumberIsOptedOut")
async def check_if_phone_number_is_opted_out(ctx: Ctx, req: Params) -> Result:
    return {"isOptedOut": _phone(req["phoneNumber"]) in ctx.store.opted_out}


@operations.operation("ListPhoneNumbersOptedOut")
async def list_phone_numbers_opted_out(ctx: Ctx, req: Params) -> Result:
    numbers, token = page(list(ctx.store.opted_out), req.get("nextToken"))
    return {"phoneNumbers": numbers, **({"nextToken": token} if token else {})}


@operations.operation("OptInPhoneNumber")
async def opt_in_phone_number(ctx: Ctx, req: Params) -> Result:
    number = _phone(req["phoneNumber"])
    if number in ctx.store.opted_out:
        ctx.store.opted_out.remove(number)
    return {}  # a number that never opted out is opted in all the same (recorded)


# -- a topic's texts --------------------------------------------------------------------------


def deliver_sms(ctx: Ctx, delivery: DeliveryRecord, subscription: SubscriptionRecord, prepared: dict[str, Any]) -> None:
    """A topic's message to an `sms` subscription: recorded as a text to its number (with
    MessageStructure=json the `sms` key, else the default), or failed when the number opted out."""
    from services.sns.platform_ops import plain_attributes

    _, _, _, region, account, _ = subscription.topic_arn.split(":", 5)
    store = ctx.store_at(account, region)
    number = subscription.endpoint
    now = ctx.clock.now()
    if number in store.opted_out:
        delivery.attempts.append({"at": now, "outcome": f"OptedOut: Phone number {number} has opted out of receiving SMS messages"})
        delivery.status, delivery.due_at = "failed", None
        return
    sms = store.sms
    sms.append({
        "PhoneNumber": number, "Message": delivery.payload["message"], "MessageId": delivery.message_id, "Timestamp": now,
        "TopicArn": subscription.topic_arn, "SubscriptionArn": subscription.arn, "Subject": prepared["subject"],
        "MessageAttributes": plain_attributes(prepared["attributes"]),
        "MessageStructure": "json" if prepared["per_protocol"] is not None else None,
    })
    del sms[:-RECENT]
    delivery.attempts.append({"at": now, "outcome": "delivered"})
    delivery.status, delivery.due_at = "delivered", None


# -- the SMS sandbox -------------------------------------------------------------------------


def _sandbox_phone(value: str) -> str:
    if len(value) > 20 or not _SANDBOX_PHONE.fullmatch(value):
        raise InvalidParameter(_INCORRECT)
    return value


def _sandbox_entry(ctx: Ctx, number: str) -> dict[str, str]:
    entry = ctx.store.sandbox_numbers.get(_sandbox_phone(number))
    if entry is None:
        raise ResourceNotFound(f"Phone number {number} is not in the SMS sandbox of this account")
    return entry


def _send_code(ctx: Ctx, number: str, entry: dict[str, str]) -> None:
    """Record the verification text, as Publish records any other (never sent)."""
    code = f"{ctx.ids.random.randrange(1_000_000):06d}"
    entry["OneTimePassword"] = code
    sms = ctx.store.sms
    sms.append({
        "PhoneNumber": number, "Message": f"Your Amazon SNS verification code is: {code}", "MessageId": ctx.ids.uuid(),
        "Timestamp": ctx.clock.now(), "OneTimePassword": code,
    })
    del sms[:-RECENT]


@operations.operation("CreateSMSSandboxPhoneNumber")
async def create_sms_sandbox_phone_number(ctx: Ctx, req: Params) -> Result:
    number = _sandbox_phone(req["PhoneNumber"])
    if number in ctx.store.opted_out:
        raise OptedOut(f"Phone number {number} has opted out of receiving SMS messages")
    numbers = ctx.store.sandbox_numbers
    entry = numbers.get(number)
    if entry is not None and entry["Status"] == "Verified":
        return {}  # already verified: nothing to send
    if entry is None:
        if len(numbers) >= MAX_SANDBOX_NUMBERS:
            raise UserError(f"The SMS sandbox of this account already holds {MAX_SANDBOX_NUMBERS} phone numbers")
        entry = numbers[number] = {"Status": "Pending", "LanguageCode": req.get("LanguageCode") or "en-US"}
    _send_code(ctx, number, entry)  # a pending number gets a new code
    return {}


@operations.operation("VerifySMSSandboxPhoneNumber")
async def verify_sms_sandbox_phone_number(ctx: Ctx, req: Params) -> Result:
    entry = _sandbox_entry(ctx, req["PhoneNumber"])
    if entry["Status"] == "Verified":
        return {}
    if req["OneTimePassword"] != entry.get("OneTimePassword"):
        raise VerificationException("Invalid one-time password", Status="Pending")
    entry["Status"] = "Verified"
    entry.pop("OneTimePassword", None)
    return {}


@operations.operation("DeleteSMSSandboxPhoneNumber")
async def delete_sms_sandbox_phone_number(ctx: Ctx, req: Params) -> Result:
    _sandbox_entry(ctx, req["PhoneNumber"])
    del ctx.store.sandbox_numbers[req["PhoneNumber"]]
    return {}


def _max_results(req: Params, high: int, error: type[Exception]) -> int:
    size = req.get("MaxResults", high)
    if not 1 <= size <= high:
        bound = "greater than or equal to 1" if size < 1 else f"less than or equal to {high}"
        raise error(f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy constraint: Member must have value {bound}")
    return size


@operations.operation("ListSMSSandboxPhoneNumbers")
async def list_sms_sandbox_phone_numbers(ctx: Ctx, req: Params) -> Result:
    size = _max_results(req, 100, InvalidParameter)
    listed = [{"PhoneNumber": n, "Status": e["Status"]} for n, e in ctx.store.sandbox_numbers.items()]
    chunk, token = page(listed, req.get("NextToken"), size)
    return {"PhoneNumbers": chunk, **({"NextToken": token} if token else {})}


@operations.operation("GetSMSSandboxAccountStatus")
async def get_sms_sandbox_account_status(ctx: Ctx, req: Params) -> Result:
    return {"IsInSandbox": True}  # a new account's SMS starts in the sandbox


@operations.operation("ListOriginationNumbers")
async def list_origination_numbers(ctx: Ctx, req: Params) -> Result:
    size = _max_results(req, 30, ValidationException)
    numbers: list[dict[str, Any]] = []  # none: they are bought in the console, never here
    chunk, token = page(numbers, req.get("NextToken"), size)
    return {"PhoneNumbers": chunk, **({"NextToken": token} if token else {})}
