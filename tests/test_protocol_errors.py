"""Unimplemented operations and malformed requests get AWS-shaped errors, never a 500 or a hang."""

import json

import pytest
import requests
from botocore.exceptions import ClientError

# One operation nobody implements yet, per protocol family, through boto3 itself.
UNIMPLEMENTED = [
    ("iam", "list_organizations_features", {}, "query", "ListOrganizationsFeatures"),
    ("ec2", "describe_instances", {}, "ec2", "DescribeInstances"),
    ("kms", "list_keys", {}, "json", "ListKeys"),
    ("lambda", "list_code_signing_configs", {}, "rest-json", "ListCodeSigningConfigs"),
    ("s3", "list_buckets", {}, "rest-xml", "ListBuckets"),
    ("route53", "list_hosted_zones", {}, "rest-xml", "ListHostedZones"),
    ("cloudwatch", "list_metrics", {}, "smithy-rpc-v2-cbor", "ListMetrics"),
    ("snowball", "list_jobs", {}, "smithy-rpc-v2-cbor", "ListJobs"),
    ("elbv2", "describe_load_balancers", {}, "query", "DescribeLoadBalancers"),
    ("elb", "describe_load_balancers", {}, "query", "DescribeLoadBalancers"),
    ("apigatewayv2", "list_portals", {}, "rest-json", "ListPortals"),
]


@pytest.mark.parametrize("service,method,kwargs,protocol,operation", UNIMPLEMENTED)
def test_unimplemented_operation_is_501_naming_it(bare_server, service, method, kwargs, protocol, operation):
    client = bare_server.client(service)
    with pytest.raises(ClientError) as exc:
        getattr(client, method)(**kwargs)
    err = exc.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert err["Error"]["Code"] == "NotImplemented"
    assert operation in err["Error"]["Message"]
    assert err["ResponseMetadata"]["RequestId"]


def has_xml_code(r, code: str) -> bool:
    return f"<Code>{code}</Code>" in r.text


def has_json_type(r, code: str) -> bool:
    return r.json()["__type"].endswith(code)


def has_cbor_type(r, code: str) -> bool:
    import cbor2
    return cbor2.loads(r.content)["__type"].endswith(code)


XML_BOMB = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<Tagging><TagSet><Tag><Key>&b;</Key><Value>v</Value></Tag></TagSet></Tagging>")

# Requests a client should never send, each answered 400 with the code the real service uses:
# (name, send(server) -> response, how the protocol carries the code, the code).
BAD_REQUESTS = [
    ("query_unknown_action_is_invalid_action",
     lambda server: post_form(server, "iam", {"Action": "FlyToTheMoon", "Version": "2010-05-08"}),
     has_xml_code, "InvalidAction"),
    ("json_unknown_target_is_unknown_operation",
     lambda server: post_kms(server, "FlyToTheMoon", "{}"),
     has_json_type, "UnknownOperationException"),
    ("bad_json_is_serialization_exception",
     lambda server: post_kms(server, "ListKeys", "{not json"),
     has_json_type, "SerializationException"),
    ("bad_cbor_is_serialization_exception",
     lambda server: requests.post(
         server.endpoint + "/service/GraniteServiceVersion20100801/operation/ListMetrics",
         data=b"\xff\xfe\x00garbage", headers={
             "smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
             "Accept": "application/cbor", **signed("monitoring")}),
     has_cbor_type, "SerializationException"),
    ("bad_xml_is_malformed_xml",
     lambda server: put_bucket_tagging(server, b"<Tagging><TagSet><Tag>"),
     has_xml_code, "MalformedXML"),
    ("xml_entities_are_refused",
     lambda server: put_bucket_tagging(server, XML_BOMB),
     has_xml_code, "MalformedXML"),
    # an empty UserName breaks the model's min length: a validation error, not a 500
    ("missing_required_member_query",
     lambda server: post_form(server, "iam", {"Action": "GetUser", "Version": "2010-05-08", "UserName": ""}),
     has_xml_code, "ValidationError"),
    ("missing_required_member_ec2",
     lambda server: post_form(server, "ec2", {"Action": "CreateKeyPair", "Version": "2016-11-15"}),
     has_xml_code, "MissingParameter"),
    ("missing_required_member_json",
     lambda server: post_kms(server, "DescribeKey", "{}"),
     has_json_type, "ValidationException"),
]


@pytest.mark.parametrize("send,has_code,code", [case[1:] for case in BAD_REQUESTS],
                         ids=[case[0] for case in BAD_REQUESTS])
def test_bad_request_is_400_with_the_service_code(server, send, has_code, code):
    r = send(server)
    assert r.status_code == 400
    assert has_code(r, code)


def test_wrong_type_is_rejected(server):
    r = post_kms(server, "ListKeys", json.dumps({"Limit": "many"}))
    assert r.status_code == 400
    assert r.json()["__type"].split("#")[-1] in ("SerializationException", "ValidationException")


def test_oversized_body_is_413(server):
    # bounded request sizes: a declared length over the limit is refused before it is read
    import socket
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n"
                     b"Authorization: " + _auth("iam").encode() + b"\r\nX-Amz-Date: 20260101T000000Z\r\n\r\nx")
        data = _read_error_response(sock)
    text = data.decode("latin-1")
    assert text.startswith("HTTP/1.1 413")
    assert "<Code>RequestEntityTooLarge</Code>" in text


def _auth(service: str) -> str:
    return (f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


def signed(service: str) -> dict:
    """Headers of a request signed for `service` (the signature is not checked by default)."""
    return {"Authorization": _auth(service), "X-Amz-Date": "20260101T000000Z"}


def post_form(server, service: str, params: dict):
    """A query/ec2-protocol request with these form parameters."""
    return requests.post(server.endpoint, data=params, headers=signed(service))


def post_kms(server, operation: str, body: str):
    """An awsJson 1.1 request to KMS with any body, well-formed or not."""
    return requests.post(server.endpoint, data=body, headers={
        "X-Amz-Target": f"TrentService.{operation}", "Content-Type": "application/x-amz-json-1.1",
        **signed("kms")})


def put_bucket_tagging(server, body: bytes):
    """S3 PutBucketTagging with any body, well-formed or not."""
    return requests.put(server.endpoint + "/some-bucket?tagging", data=body,
                        headers={**signed("s3"), "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})


def _read_error_response(sock) -> bytes:
    """What the server sends on a raw socket, up to the end of its <ErrorResponse>."""
    data = b""
    while b"</ErrorResponse>" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_oversized_header_section_is_refused(server):
    import socket
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        filler = "".join(f"x-amz-meta-f{i}: {'v' * 1000}\r\n" for i in range(70))
        sock.sendall(f"GET /bkt/key HTTP/1.1\r\nHost: x\r\n{filler}\r\n".encode())
        data = _read_error_response(sock)
    assert data.startswith(b"HTTP/1.1 400")
    assert b"<Code>RequestHeaderSectionTooLarge</Code>" in data


def test_bounds_of_members_the_parser_types_are_still_checked(server):
    """URI, query and header members arrive typed by the REST parser, so only their bounds are
    checked again: a query integer out of its range and a label or query string too long are
    refused with the service's validation error; in range they pass."""
    import boto3
    from botocore.config import Config

    client = boto3.client("lambda", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test",
                          config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    for call in (lambda: client.list_functions(MaxItems=0), lambda: client.list_functions(MaxItems=10001),
                 lambda: client.get_function(FunctionName="f" * 257),
                 lambda: client.get_function(FunctionName="f", Qualifier="q" * 129)):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"  # Lambda's word for it
    assert client.list_functions(MaxItems=10000)["ResponseMetadata"]["HTTPStatusCode"] == 200
