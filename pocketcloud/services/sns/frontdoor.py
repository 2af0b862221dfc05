"""SNS's URLs outside the API (front door /_aws/sns/):

GET /_aws/sns/SimpleNotificationService-<hash>.pem     the signing certificate (SigningCertURL)
GET /_aws/sns/?Action=ConfirmSubscription&TopicArn=..&Token=..   the SubscribeURL of a confirmation
GET /_aws/sns/?Action=Unsubscribe&SubscriptionArn=..             the UnsubscribeURL of a notification

The last two answer as the API would (XML), in the account of the ARN they carry, so a receiver
that just fetches the URL behaves as it does on AWS.
"""

from __future__ import annotations

from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from pocketcloud.protocol.errors import ServiceError
from pocketcloud.protocol.http import HttpResponse

from . import signing

_NS = "http://sns.amazonaws.com/doc/2010-03-31/"


def _xml(status: int, body: str) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "text/xml")], body.encode())


def _error(error: ServiceError) -> HttpResponse:
    return _xml(error.status, f'<ErrorResponse xmlns="{_NS}"><Error><Type>Sender</Type><Code>{escape(error.code)}'
                              f"</Code><Message>{escape(error.message)}</Message></Error></ErrorResponse>")


async def handle(gateway, request, receive) -> HttpResponse:
    runtime = gateway.runtime
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(405, [("Content-Type", "text/plain")], b"Method Not Allowed")
    tail = request.path[len("/_aws/sns/"):]
    if tail.endswith(".pem"):
        found = signing.material(runtime)
        if tail != found["name"]:
            return HttpResponse(404, [("Content-Type", "text/plain")], b"Not Found")
        return HttpResponse(200, [("Content-Type", "application/x-pem-file")], found["cert"])
    query = dict(parse_qsl(request.query_string))
    provider = gateway.providers.provider("sns")
    try:
        if query.get("Action") == "ConfirmSubscription" and query.get("TopicArn") and query.get("Token"):
            from .subscriptions import confirm_subscription

            arn = confirm_subscription(provider, runtime, {"TopicArn": query["TopicArn"], "Token": query["Token"]},
                                       authenticated=False)
            return _xml(200, f'<ConfirmSubscriptionResponse xmlns="{_NS}"><ConfirmSubscriptionResult>'
                             f"<SubscriptionArn>{escape(arn['SubscriptionArn'])}</SubscriptionArn>"
                             "</ConfirmSubscriptionResult></ConfirmSubscriptionResponse>")
        if query.get("Action") == "Unsubscribe" and query.get("SubscriptionArn"):
            from .subscriptions import unsubscribe

            unsubscribe(provider, runtime, {"SubscriptionArn": query["SubscriptionArn"]}, authenticated=False)
            return _xml(200, f'<UnsubscribeResponse xmlns="{_NS}"><ResponseMetadata><RequestId>'
                             "0</RequestId></ResponseMetadata></UnsubscribeResponse>")
    except ServiceError as exc:
        return _error(exc)
    return _error(ServiceError("InvalidAction", "Unknown SNS URL", 400))
