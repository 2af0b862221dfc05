"""SigV4: credentials from the Authorization header and presigned URLs; verification with
--enforce-signatures; presigned expiry always."""

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import Server


def code_of(exc) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_correct_signatures_pass_in_every_protocol(bare_strict_server):
    assert bare_strict_server.client("sts").get_caller_identity()["Account"] == "000000000000"
    assert bare_strict_server.client("sts", key="123456789012").get_caller_identity()["Account"] == "123456789012"
    assert bare_strict_server.client("ec2", region="ap-northeast-2").describe_availability_zones()["AvailabilityZones"]
    # signed correctly but not implemented: the signature check passed
    for service, call in (("s3", "list_buckets"), ("kms", "list_keys"), ("lambda", "list_functions"),
                          ("cloudwatch", "list_metrics")):
        with pytest.raises(ClientError) as exc:
            getattr(bare_strict_server.client(service), call)()
        assert code_of(exc) == ("NotImplemented", 501)


@pytest.mark.parametrize("service,call,expected", [
    ("sts", "get_caller_identity", ("SignatureDoesNotMatch", 403)),
    ("ec2", "describe_regions", ("AuthFailure", 401)),
    ("kms", "list_keys", ("InvalidSignatureException", 400)),
    ("s3", "list_buckets", ("SignatureDoesNotMatch", 403)),
    ("lambda", "list_functions", ("InvalidSignatureException", 403)),
])
def test_wrong_secret_is_rejected(strict_server, service, call, expected):
    client = strict_server.client(service, secret="not-the-secret")
    with pytest.raises(ClientError) as exc:
        getattr(client, call)()
    assert code_of(exc) == expected


def test_unknown_access_key_is_rejected(strict_server):
    with pytest.raises(ClientError) as exc:
        strict_server.client("sts", key="AKIAUNKNOWNKEY000000").get_caller_identity()
    assert code_of(exc) == ("InvalidClientTokenId", 403)
    with pytest.raises(ClientError) as exc:
        strict_server.client("s3", key="AKIAUNKNOWNKEY000000").list_buckets()
    assert code_of(exc) == ("InvalidAccessKeyId", 403)


def test_unsigned_request_is_rejected_when_enforcing(strict_server):
    r = requests.post(strict_server.endpoint, data={"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    assert r.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in r.text


def test_malformed_authorization_is_incomplete_signature(server):
    r = requests.post(server.endpoint, data={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                      headers={"Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request",
                               "X-Amz-Date": "20260101T000000Z"})
    assert r.status_code == 400
    assert "<Code>IncompleteSignature</Code>" in r.text


def _signed_by_a_clock_off_by(monkeypatch, srv, service: str, body: str, minutes: int) -> requests.Response:
    """POST a query-protocol call signed by a client whose clock is `minutes` off."""
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from datetime import datetime, timedelta, timezone

    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda *a, **k: datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(minutes=minutes))
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    request = AWSRequest(method="POST", url=srv.endpoint + "/", data=body, headers=headers)
    botocore.auth.SigV4Auth(Credentials("test", "test"), service, "us-east-1").add_auth(request)
    return requests.post(srv.endpoint + "/", data=body, headers=dict(request.headers.items()))


def test_fifteen_minute_skew_rule(monkeypatch):
    """A client whose clock is off by more than 15 minutes is refused, as AWS refuses it."""
    srv = Server("--enforce-signatures").start()
    try:
        regions = "Action=DescribeRegions&Version=2016-11-15"
        assert _signed_by_a_clock_off_by(monkeypatch, srv, "ec2", regions, -14).status_code == 200
        late = _signed_by_a_clock_off_by(monkeypatch, srv, "ec2", regions, -16)
        assert late.status_code == 400 and "<Code>RequestExpired</Code>" in late.text
        ahead = _signed_by_a_clock_off_by(monkeypatch, srv, "sts", "Action=GetCallerIdentity&Version=2011-06-15", 16)
        assert ahead.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in ahead.text
    finally:
        srv.stop()


def test_moving_the_virtual_clock_does_not_skew_new_signatures():
    srv = Server("--enforce-signatures").start()
    try:
        srv.admin("/_pocketcloud/clock", {"advance": "30d"})
        assert srv.client("sts").get_caller_identity()["Account"] == "000000000000"
        # a presigned URL made now is fresh; the same URL after another hour of virtual time is not
        s3 = srv.client("s3", signature_version="s3v4")
        url = s3.generate_presigned_url("list_buckets", ExpiresIn=600)
        assert requests.get(url).status_code == 200
        srv.admin("/_pocketcloud/clock", {"advance": "1h"})
        expired = requests.get(url)
        assert expired.status_code == 403 and "Request has expired" in expired.text
    finally:
        srv.stop()


def test_presigned_urls_are_checked_for_expiry_even_without_enforcement():
    srv = Server().start()
    try:
        s3 = srv.client("s3")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"}, ExpiresIn=60)
        fresh = requests.get(url)
        assert "AccessDenied" not in fresh.text  # not expired: it reaches S3 itself
        srv.admin("/_pocketcloud/clock", {"advance": "2m"})
        expired = requests.get(url)
        assert expired.status_code == 403
        assert "<Code>AccessDenied</Code>" in expired.text
        assert "Request has expired" in expired.text
    finally:
        srv.stop()


def test_presigned_sts_url_is_verified(strict_server):
    url = strict_server.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET")
    ok = requests.get(url)
    assert ok.status_code == 200
    assert "<Account>000000000000</Account>" in ok.text
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    bad = requests.get(tampered)
    assert bad.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in bad.text


def test_presigned_s3_url_with_wrong_secret_is_rejected(strict_server):
    url = strict_server.client("s3", secret="wrong").generate_presigned_url(
        "get_object", Params={"Bucket": "bkt", "Key": "a b/c"}, ExpiresIn=300)
    r = requests.get(url)
    assert r.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in r.text
    good = strict_server.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": "bkt", "Key": "a b/c"}, ExpiresIn=300)
    assert "SignatureDoesNotMatch" not in requests.get(good).text


def test_body_must_match_the_signed_content_hash(bare_strict_server):
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed_body = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"
    url = bare_strict_server.endpoint + "/bkt?tagging"
    request = AWSRequest(method="PUT", url=url, data=signed_body)
    S3SigV4Auth(Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    good = requests.put(url, data=signed_body, headers=headers)
    assert "XAmzContentSHA256Mismatch" not in good.text and good.status_code == 501
    tampered = requests.put(url, data=signed_body.replace(b"1", b"2"), headers=headers)
    assert tampered.status_code == 400
    assert "<Code>XAmzContentSHA256Mismatch</Code>" in tampered.text


def test_credential_scope_must_name_the_service(strict_server):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=strict_server.endpoint + "/", data=b"{}",
                         headers={"X-Amz-Target": "TrentService.ListKeys",
                                  "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials("test", "test"), "sts", "us-east-1").add_auth(request)  # scoped to STS
    r = requests.post(request.url, data=b"{}", headers=dict(request.headers.items()))
    assert r.status_code == 400  # the JSON services answer signature errors with 400
    assert r.json()["__type"].endswith("InvalidSignatureException")
    assert "scoped to correct service: 'kms'" in r.json()["message"]
