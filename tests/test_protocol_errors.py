"""Unimplemented operations and malformed requests get AWS-shaped errors, never a 500 or a hang."""

import json

import pytest
import requests
from botocore.exceptions import ClientError

# One operation nobody implements yet, per protocol family, through boto3 itself.
UNIMPLEMENTED = [
    ("iam", "list_users", {}, "query", "ListUsers"),
    ("ec2", "describe_instances", {}, "ec2", "DescribeInstances"),
    ("sqs", "list_queues", {}, "json", "ListQueues"),
    ("kms", "list_keys", {}, "json", "ListKeys"),
    ("lambda", "list_functions", {}, "rest-json", "ListFunctions"),
    ("s3", "list_buckets", {}, "rest-xml", "ListBuckets"),
    ("route53", "list_hosted_zones", {}, "rest-xml", "ListHostedZones"),
    ("cloudwatch", "list_metrics", {}, "smithy-rpc-v2-cbor", "ListMetrics"),
    ("snowball", "list_jobs", {}, "smithy-rpc-v2-cbor", "ListJobs"),
    ("elbv2", "describe_load_balancers", {}, "query", "DescribeLoadBalancers"),
    ("elb", "describe_load_balancers", {}, "query", "DescribeLoadBalancers"),
    ("apigatewayv2", "get_apis", {}, "rest-json", "GetApis"),
]


@pytest.mark.parametrize("service,method,kwargs,protocol,operation", UNIMPLEMENTED)
def test_unimplemented_operation_is_501_naming_it(server, service, method, kwargs, protocol, operation):
    client = server.client(service)
    with pytest.raises(ClientError) as exc:
        getattr(client, method)(**kwargs)
    err = exc.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert err["Error"]["Code"] == "NotImplemented"
    assert operation in err["Error"]["Message"]
    assert err["ResponseMetadata"]["RequestId"]


def test_query_unknown_action_is_invalid_action(server):
    r = requests.post(server.endpoint, data={"Action": "FlyToTheMoon", "Version": "2010-05-08"},
                      headers=signed("iam"))
    assert r.status_code == 400
    assert "<Code>InvalidAction</Code>" in r.text


def test_json_unknown_target_is_unknown_operation(server):
    r = requests.post(server.endpoint, data="{}", headers={
        "X-Amz-Target": "TrentService.FlyToTheMoon", "Content-Type": "application/x-amz-json-1.1",
        **signed("kms")})
    assert r.status_code == 400
    assert r.json()["__type"].endswith("UnknownOperationException")


def test_bad_json_is_serialization_exception(server):
    r = requests.post(server.endpoint, data="{not json", headers={
        "X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1",
        **signed("kms")})
    assert r.status_code == 400
    assert r.json()["__type"].endswith("SerializationException")


def test_bad_cbor_is_serialization_exception(server):
    r = requests.post(server.endpoint + "/service/GraniteServiceVersion20100801/operation/ListMetrics",
                      data=b"\xff\xfe\x00garbage", headers={
                          "smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
                          "Accept": "application/cbor", **signed("monitoring")})
    assert r.status_code == 400
    import cbor2
    assert cbor2.loads(r.content)["__type"].endswith("SerializationException")


def test_bad_xml_is_malformed_xml(server):
    r = requests.put(server.endpoint + "/some-bucket?tagging", data=b"<Tagging><TagSet><Tag>",
                     headers={**signed("s3"), "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    assert r.status_code == 400
    assert "<Code>MalformedXML</Code>" in r.text


def test_xml_entities_are_refused(server):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<Tagging><TagSet><Tag><Key>&b;</Key><Value>v</Value></Tag></TagSet></Tagging>")
    r = requests.put(server.endpoint + "/some-bucket?tagging", data=bomb,
                     headers={**signed("s3"), "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    assert r.status_code == 400
    assert "<Code>MalformedXML</Code>" in r.text


def test_missing_required_member_query(server):
    r = requests.post(server.endpoint, data={"Action": "GetUser", "Version": "2010-05-08", "UserName": ""},
                      headers=signed("iam"))
    # an empty UserName breaks the model's min length: a validation error, not a 500
    assert r.status_code == 400
    assert "<Code>ValidationError</Code>" in r.text


def test_missing_required_member_ec2(server):
    r = requests.post(server.endpoint, data={"Action": "CreateKeyPair", "Version": "2016-11-15"},
                      headers=signed("ec2"))
    assert r.status_code == 400
    assert "<Code>MissingParameter</Code>" in r.text


def test_missing_required_member_json(server):
    r = requests.post(server.endpoint, data="{}", headers={
        "X-Amz-Target": "TrentService.DescribeKey", "Content-Type": "application/x-amz-json-1.1",
        **signed("kms")})
    assert r.status_code == 400
    assert r.json()["__type"].endswith("ValidationException")


def test_wrong_type_is_rejected(server):
    r = requests.post(server.endpoint, data=json.dumps({"Limit": "many"}), headers={
        "X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1",
        **signed("kms")})
    assert r.status_code == 400
    assert r.json()["__type"].split("#")[-1] in ("SerializationException", "ValidationException")


def test_oversized_body_is_413(server):
    # bounded request sizes: a declared length over the limit is refused before it is read
    import socket
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n"
                     b"Authorization: " + _auth("iam").encode() + b"\r\nX-Amz-Date: 20260101T000000Z\r\n\r\nx")
        data = b""
        while b"</ErrorResponse>" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    text = data.decode("latin-1")
    assert text.startswith("HTTP/1.1 413")
    assert "<Code>RequestEntityTooLarge</Code>" in text


def _auth(service: str) -> str:
    return (f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


def signed(service: str) -> dict:
    """Headers of a request signed for `service` (the signature is not checked by default)."""
    return {"Authorization": _auth(service), "X-Amz-Date": "20260101T000000Z"}


def test_oversized_header_section_is_refused(server):
    import socket
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        filler = "".join(f"x-amz-meta-f{i}: {'v' * 1000}\r\n" for i in range(70))
        sock.sendall(f"GET /bkt/key HTTP/1.1\r\nHost: x\r\n{filler}\r\n".encode())
        data = b""
        while b"</ErrorResponse>" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 400")
    assert b"<Code>RequestHeaderSectionTooLarge</Code>" in data
