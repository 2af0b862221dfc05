"""Mobile push (platform applications and endpoints) and SMS settings. Nothing leaves the
machine: deliveries to endpoints and phone numbers are recorded in the outbox."""

from __future__ import annotations

import re
import secrets
import uuid

from pocketcloud.core.store import Namespace
from pocketcloud.protocol.errors import ServiceError

from . import outbox
from .common import SERVICE, invalid, not_found, paginate, parse_arn

APP = "platform-application"
ENDPOINT = "platform-endpoint"
SMS = "sms-settings"
OPTED_OUT = "opted-out"
SANDBOX = "sms-sandbox-number"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PLATFORMS = ("ADM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "MACOS", "MACOS_SANDBOX", "GCM",
             "BAIDU", "MPNS", "WNS")
_APP_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
SMS_ATTRIBUTES = ("MonthlySpendLimit", "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate",
                  "DefaultSenderID", "DefaultSMSType", "UsageReportS3Bucket")


def _ns_of(runtime, arn: str, kind: str) -> tuple[Namespace, dict | None]:
    parts = parse_arn(arn)
    prefix = "app/" if kind == APP else "endpoint/"
    if not parts or parts[0] != "sns" or not parts[3].startswith(prefix):
        raise invalid(f"Invalid parameter: {'PlatformApplicationArn' if kind == APP else 'EndpointArn'}")
    ns = Namespace(runtime.store, SERVICE, parts[2], parts[1])
    return ns, ns.get(kind, arn)


def _app(runtime, arn: str) -> tuple[Namespace, dict]:
    ns, app = _ns_of(runtime, arn, APP)
    if app is None:
        raise not_found("PlatformApplication does not exist")
    return ns, app


def _endpoint(runtime, arn: str) -> tuple[Namespace, dict]:
    ns, endpoint = _ns_of(runtime, arn, ENDPOINT)
    if endpoint is None:
        raise not_found("Endpoint does not exist")
    return ns, endpoint


def create_platform_application(ctx, params: dict) -> dict:
    name, platform = params["Name"], params["Platform"]
    if not _APP_NAME.match(name):
        raise invalid("Invalid parameter: Name")
    if platform not in PLATFORMS:
        raise invalid("Invalid parameter: Platform")
    attributes = dict(params.get("Attributes") or {})
    if platform not in ("APNS", "APNS_SANDBOX") and "PlatformCredential" not in attributes:
        raise invalid("Invalid parameter: Attributes Reason: PlatformCredential attribute is required")
    arn = f"arn:aws:sns:{ctx.region}:{ctx.account}:app/{platform}/{name}"
    attributes.setdefault("Enabled", "true")
    # AWS never returns the credential once stored.
    attributes.pop("PlatformCredential", None)
    ctx.namespace().put(APP, arn, {"Arn": arn, "Platform": platform, "Attributes": attributes})
    return {"PlatformApplicationArn": arn}


def get_platform_application_attributes(ctx, params: dict) -> dict:
    _, app = _app(ctx.runtime, params["PlatformApplicationArn"])
    return {"Attributes": app["Attributes"]}


def set_platform_application_attributes(ctx, params: dict) -> dict:
    ns, app = _app(ctx.runtime, params["PlatformApplicationArn"])
    updates = dict(params["Attributes"])
    updates.pop("PlatformCredential", None)
    app["Attributes"].update(updates)
    ns.put(APP, app["Arn"], app)
    return {}


def list_platform_applications(ctx, params: dict) -> dict:
    apps = [{"PlatformApplicationArn": a["Arn"], "Attributes": a["Attributes"]} for _, a in ctx.namespace().list(APP)]
    page, token = paginate(apps, params.get("NextToken"))
    return {"PlatformApplications": page, **({"NextToken": token} if token else {})}


def delete_platform_application(ctx, params: dict) -> dict:
    ns, app = _ns_of(ctx.runtime, params["PlatformApplicationArn"], APP)
    if app is not None:
        with ctx.runtime.store.transaction():
            for arn, endpoint in ns.list(ENDPOINT):
                if endpoint["Application"] == app["Arn"]:
                    ns.delete(ENDPOINT, arn)
            ns.delete(APP, app["Arn"])
    return {}


def create_platform_endpoint(ctx, params: dict) -> dict:
    ns, app = _app(ctx.runtime, params["PlatformApplicationArn"])
    token = params["Token"]
    if not token:
        raise invalid("Invalid parameter: Token")
    attributes = {"Enabled": "true", **(params.get("Attributes") or {}), "Token": token}
    if params.get("CustomUserData") is not None:
        attributes["CustomUserData"] = params["CustomUserData"]
    with ctx.runtime.store.transaction():
        for arn, endpoint in ns.list(ENDPOINT):
            if endpoint["Application"] == app["Arn"] and endpoint["Attributes"].get("Token") == token:
                if any(endpoint["Attributes"].get(k) != v for k, v in attributes.items()):
                    raise invalid(f"Invalid parameter: Token Reason: Endpoint {arn} already exists with the same "
                                  "Token, but different attributes.")
                return {"EndpointArn": arn}
        _, platform, name = app["Arn"].split(":", 5)[5].split("/", 2)
        arn = f"arn:aws:sns:{ns.region}:{ns.account}:endpoint/{platform}/{name}/{uuid.uuid4()}"
        ns.put(ENDPOINT, arn, {"Arn": arn, "Application": app["Arn"], "Attributes": attributes})
    return {"EndpointArn": arn}


def get_endpoint_attributes(ctx, params: dict) -> dict:
    _, endpoint = _endpoint(ctx.runtime, params["EndpointArn"])
    return {"Attributes": endpoint["Attributes"]}


def set_endpoint_attributes(ctx, params: dict) -> dict:
    ns, endpoint = _endpoint(ctx.runtime, params["EndpointArn"])
    for key, value in params["Attributes"].items():
        if key not in ("CustomUserData", "Enabled", "Token"):
            raise invalid(f"Invalid parameter: Attributes Reason: Invalid attribute name: {key}")
        if key == "Enabled" and value.lower() not in ("true", "false"):
            raise invalid("Invalid parameter: Attributes Reason: Enabled must be true or false")
        endpoint["Attributes"][key] = value.lower() if key == "Enabled" else value
    ns.put(ENDPOINT, endpoint["Arn"], endpoint)
    return {}


def delete_endpoint(ctx, params: dict) -> dict:
    ns, endpoint = _ns_of(ctx.runtime, params["EndpointArn"], ENDPOINT)
    if endpoint is not None:
        ns.delete(ENDPOINT, endpoint["Arn"])
    return {}


def list_endpoints_by_platform_application(ctx, params: dict) -> dict:
    ns, app = _app(ctx.runtime, params["PlatformApplicationArn"])
    found = [{"EndpointArn": e["Arn"], "Attributes": e["Attributes"]} for _, e in ns.list(ENDPOINT)
             if e["Application"] == app["Arn"]]
    page, token = paginate(found, params.get("NextToken"))
    return {"Endpoints": page, **({"NextToken": token} if token else {})}


def publish_to_endpoint(runtime, arn: str, params: dict, messages: dict) -> dict:
    """A direct publish to one device."""
    message_id = str(uuid.uuid4())
    record_push(runtime, arn, messages, params.get("Subject"), params.get("MessageAttributes"), message_id)
    return {"MessageId": message_id}


def record_push(runtime, arn: str, messages: dict, subject, attributes, message_id: str, **origin) -> None:
    """A push to a device, recorded in the outbox with its platform's payload; NotFound or
    EndpointDisabled when it cannot be sent. `origin`: TopicArn and SubscriptionArn of a fan-out."""
    _, endpoint = _endpoint(runtime, arn)
    if endpoint["Attributes"].get("Enabled", "true") != "true":
        raise ServiceError("EndpointDisabled", "Endpoint is disabled", 400)
    platform = arn.split(":", 5)[5].split("/")[1]
    outbox.record(runtime, {
        "Protocol": "application", "Endpoint": arn, "Platform": platform, "Token": endpoint["Attributes"].get("Token"),
        **origin, "MessageId": message_id, "Subject": subject, "Message": messages.get(platform, messages["default"]),
        "MessageAttributes": {k: v.get("StringValue") for k, v in (attributes or {}).items()},
    })


# -- SMS ------------------------------------------------------------------------------------------
def set_sms_attributes(ctx, params: dict) -> dict:
    settings = ctx.namespace().get(SMS, "account") or {}
    for key, value in params["attributes"].items():
        if key not in SMS_ATTRIBUTES:
            raise invalid(f"Invalid parameter: attributes Reason: {key} is not a valid attribute")
        if key == "DefaultSMSType" and value not in ("Promotional", "Transactional"):
            raise invalid("Invalid parameter: DefaultSMSType")
        settings[key] = value
    ctx.namespace().put(SMS, "account", settings)
    return {}


def get_sms_attributes(ctx, params: dict) -> dict:
    settings = ctx.namespace().get(SMS, "account") or {}
    names = params.get("attributes") or list(settings)
    return {"attributes": {k: settings[k] for k in names if k in settings}}


def opted_out(ctx, number: str) -> bool:
    return ctx.namespace("sns").get(OPTED_OUT, number) is not None


def check_if_phone_number_is_opted_out(ctx, params: dict) -> dict:
    return {"isOptedOut": opted_out(ctx, params["phoneNumber"])}


def opt_in_phone_number(ctx, params: dict) -> dict:
    ctx.namespace().delete(OPTED_OUT, params["phoneNumber"])
    return {}


def list_phone_numbers_opted_out(ctx, params: dict) -> dict:
    numbers = [name for name, _ in ctx.namespace().list(OPTED_OUT)]
    page, token = paginate(numbers, params.get("nextToken"))
    return {"phoneNumbers": page, **({"nextToken": token} if token else {})}


def get_sms_sandbox_account_status(ctx, params: dict) -> dict:
    return {"IsInSandbox": False}


# -- the SMS sandbox: a number is verified with the one-time password "sent" to it (outbox) -------
def _sandbox_number(params: dict) -> str:
    number = params["PhoneNumber"]
    if not _E164.match(number):
        raise invalid("Invalid parameter: PhoneNumber Reason: input incorrectly formatted")
    return number


def create_sms_sandbox_phone_number(ctx, params: dict) -> dict:
    number = _sandbox_number(params)
    if opted_out(ctx, number):
        raise ServiceError("OptedOut", "Phone number is opted out", 400)
    password = f"{secrets.randbelow(10 ** 6):06d}"
    ctx.namespace().put(SANDBOX, number, {"PhoneNumber": number, "Status": "Pending", "Password": password})
    outbox.record(ctx.runtime, {"Protocol": "sms", "Endpoint": number, "MessageId": str(uuid.uuid4()),
                                "Message": f"Your verification code is {password}", "OneTimePassword": password})
    return {}


def verify_sms_sandbox_phone_number(ctx, params: dict) -> dict:
    number = _sandbox_number(params)
    ns = ctx.namespace()
    record = ns.get(SANDBOX, number)
    if record is None:
        raise ServiceError("ResourceNotFound", "No such phone number in the SMS sandbox", 404)
    if record["Status"] != "Verified":
        if params["OneTimePassword"] != record["Password"]:
            raise ServiceError("VerificationException", "Invalid one-time password", 400, Status="Failed")
        record["Status"] = "Verified"
        ns.put(SANDBOX, number, record)
    return {}


def list_sms_sandbox_phone_numbers(ctx, params: dict) -> dict:
    numbers = [{"PhoneNumber": r["PhoneNumber"], "Status": r["Status"]} for _, r in ctx.namespace().list(SANDBOX)]
    page, token = paginate(numbers, params.get("NextToken"), params.get("MaxResults") or 100)
    return {"PhoneNumbers": page, **({"NextToken": token} if token else {})}


def delete_sms_sandbox_phone_number(ctx, params: dict) -> dict:
    if not ctx.namespace().delete(SANDBOX, _sandbox_number(params)):
        raise ServiceError("ResourceNotFound", "No such phone number in the SMS sandbox", 404)
    return {}


def list_origination_numbers(ctx, params: dict) -> dict:
    return {"PhoneNumbers": []}  # no numbers are leased on this machine
