"""Service and operation detection: signing name, X-Amz-Target, Action/Version, REST templates,
the Smithy RPC v2 path, and S3 by path and Host for unsigned requests."""

import uuid

import cbor2
import pytest
import requests
from botocore.exceptions import ClientError

from test_protocol_errors import signed


def operation_named(response_text: str) -> str:
    """The operation a NotImplemented answer names."""
    marker = "The operation "
    start = response_text.index(marker) + len(marker)
    return response_text[start:].split(" ", 1)[0]


@pytest.fixture(scope="module")
def routed_bucket(server):
    """A bucket (and a dotted one) whose answers tell which S3 operation a request reached."""
    name = "route" + uuid.uuid4().hex[:10]
    s3 = server.client("s3")
    s3.create_bucket(Bucket=name)
    s3.create_bucket(Bucket=name + ".dotted")
    s3.put_object(Bucket=name + ".dotted", Key="photo.jpg", Body=b"dotted")
    s3.put_object(Bucket=name, Key="photo.jpg", Body=b"plain")
    return name


# S3 is implemented, so each operation is recognised by what it answers ({b} is the bucket).
@pytest.mark.parametrize("method,path,query,host,status,marker", [
    ("GET", "/", "", None, 200, "<ListAllMyBucketsResult"),
    ("GET", "/{b}", "", None, 200, "<Marker></Marker>"),  # ListObjects (v1)
    ("GET", "/{b}/", "list-type=2", None, 200, "<KeyCount>"),  # ListObjectsV2
    ("GET", "/{b}/some/key.txt", "", None, 404, "<Code>NoSuchKey</Code>"),  # GetObject
    ("HEAD", "/{b}/some/key.txt", "", None, 404, None),
    ("PUT", "/{b}/a%20b/c", "partNumber=1&uploadId=x", None, 404, "<Code>NoSuchUpload</Code>"),  # UploadPart
    ("POST", "/{b}/k", "uploads", None, 200, "<InitiateMultipartUploadResult"),
    ("POST", "/{b}", "delete", None, 200, "<DeleteResult"),
    ("GET", "/{b}", "versioning", None, 200, "<VersioningConfiguration"),
    ("GET", "/", "", "{b}.s3.amazonaws.com", 200, "<Marker></Marker>"),  # ListObjects
    ("GET", "/photo.jpg", "", "{b}.s3.us-west-2.amazonaws.com", 200, "plain"),  # GetObject
    ("GET", "/photo.jpg", "", "{b}.dotted.s3.localhost.localstack.cloud:4566", 200, "dotted"),
    ("GET", "/photo.jpg", "", "{b}.localhost:4566", 200, "plain"),
    ("GET", "/", "tagging", "{b}.s3.amazonaws.com", 404, "<Code>NoSuchTagSet</Code>"),  # GetBucketTagging
])
def test_unsigned_s3_requests_route_by_path_and_host(server, routed_bucket, method, path, query, host, status,
                                                     marker):
    headers = {"Host": host.format(b=routed_bucket)} if host else {}
    body = None
    if query == "delete":
        body = b"<Delete><Object><Key>a</Key></Object></Delete>"
    r = requests.request(method, server.endpoint + path.format(b=routed_bucket) + ("?" + query if query else ""),
                         headers=headers, data=body)
    assert r.status_code == status, r.text
    if marker is not None:
        assert marker in r.text


def test_boto3_s3_operations_route(server, routed_bucket):
    s3 = server.client("s3")
    assert s3.list_objects_v2(Bucket=routed_bucket, Prefix="none/")["KeyCount"] == 0
    assert s3.put_object(Bucket=routed_bucket, Key="dir/a b+c", Body=b"hello")["ETag"]
    assert s3.get_object(Bucket=routed_bucket, Key="dir/a b+c")["Body"].read() == b"hello"
    assert s3.create_multipart_upload(Bucket=routed_bucket, Key="k")["UploadId"]
    assert s3.get_bucket_location(Bucket=routed_bucket)["LocationConstraint"] is None


def test_elb_and_elbv2_are_told_apart_by_version(server):
    for service, expected in (("elb", "Elastic Load Balancing "), ("elbv2", "Elastic Load Balancing v2 ")):
        with pytest.raises(ClientError) as exc:
            server.client(service).describe_load_balancers()
        assert f"service {expected}".rstrip() in exc.value.response["Error"]["Message"]
        assert exc.value.response["Error"]["Message"].endswith("not implemented by pocketcloud yet.")


def test_api_gateway_v1_and_v2_are_told_apart_by_path(server):
    with pytest.raises(ClientError) as exc:
        server.client("apigateway").get_rest_apis()
    assert "GetRestApis" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        server.client("apigatewayv2").get_apis()
    assert "GetApis" in exc.value.response["Error"]["Message"]


def test_cloudwatch_answers_in_each_of_its_three_protocols(server):
    cbor = requests.post(server.endpoint + "/service/GraniteServiceVersion20100801/operation/ListMetrics",
                         data=cbor2.dumps({}), headers={"smithy-protocol": "rpc-v2-cbor",
                                                        "Content-Type": "application/cbor",
                                                        "Accept": "application/cbor", **signed("monitoring")})
    assert cbor.status_code == 501
    assert cbor2.loads(cbor.content)["__type"].endswith("NotImplemented")
    as_json = requests.post(server.endpoint, data="{}", headers={
        "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics",
        "Content-Type": "application/x-amz-json-1.0", **signed("monitoring")})
    assert as_json.status_code == 501
    assert as_json.json()["__type"].endswith("NotImplemented")
    as_query = requests.post(server.endpoint, data={"Action": "ListMetrics", "Version": "2010-08-01"},
                             headers=signed("monitoring"))
    assert as_query.status_code == 501
    assert "<Code>NotImplemented</Code>" in as_query.text


def test_unsigned_query_request_routes_by_action_and_version(server):
    # AssumeRoleWithWebIdentity is called without credentials in AWS
    r = requests.post(server.endpoint, data={"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                                             "RoleArn": "arn:aws:iam::000000000000:role/r" + "x" * 20,
                                             "RoleSessionName": "session", "WebIdentityToken": "t" * 10})
    assert r.status_code == 501
    assert operation_named(r.text) == "AssumeRoleWithWebIdentity"


def test_signing_name_of_a_service_we_do_not_serve(server):
    r = requests.post(server.endpoint, data="{}", headers={
        "Content-Type": "application/x-amz-json-1.0", **signed("dynamodb")})
    assert r.status_code == 501
    assert "dynamodb" in r.text
