"""Service and operation detection: signing name, X-Amz-Target, Action/Version, REST templates,
the Smithy RPC v2 path, and S3 by path and Host for unsigned requests."""

import cbor2
import pytest
import requests
from botocore.exceptions import ClientError

from test_protocol_errors import signed


@pytest.fixture(scope="module")
def server(bare_server):
    """Routing is read from NotImplemented answers, which name the operation reached."""
    return bare_server


def operation_named(response_text: str) -> str:
    """The operation a NotImplemented answer names."""
    marker = "The operation "
    start = response_text.index(marker) + len(marker)
    return response_text[start:].split(" ", 1)[0]


@pytest.mark.parametrize("method,path,query,host,operation", [
    ("GET", "/", "", None, "ListBuckets"),
    ("GET", "/bkt", "", None, "ListObjects"),
    ("GET", "/bkt/", "list-type=2", None, "ListObjectsV2"),
    ("GET", "/bkt/some/key.txt", "", None, "GetObject"),
    ("HEAD", "/bkt/some/key.txt", "", None, None),
    ("PUT", "/bkt/a%20b/c", "partNumber=1&uploadId=x", None, "UploadPart"),
    ("POST", "/bkt/k", "uploads", None, "CreateMultipartUpload"),
    ("POST", "/bkt", "delete", None, "DeleteObjects"),
    ("GET", "/bkt", "versioning", None, "GetBucketVersioning"),
    ("GET", "/", "", "bkt.s3.amazonaws.com", "ListObjects"),
    ("GET", "/photo.jpg", "", "bkt.s3.us-west-2.amazonaws.com", "GetObject"),
    ("GET", "/photo.jpg", "", "my.dotted.bucket.s3.localhost.localstack.cloud:4566", "GetObject"),
    ("GET", "/photo.jpg", "", "bkt.localhost:4566", "GetObject"),
    ("GET", "/", "tagging", "bkt.s3.amazonaws.com", "GetBucketTagging"),
    ("GET", "/bkt", "list-type=1", None, "ListObjects"),  # a required value that differs: the next template
    ("GET", "/bkt/k", "uploads", None, "GetObject"),  # ?uploads names a bucket operation only
    ("GET", "/bkt/a%2Fb", "x-unknown=1&another", None, "GetObject"),
    ("PUT", "/bkt/", "", None, "CreateBucket"),
])
def test_unsigned_s3_requests_route_by_path_and_host(server, method, path, query, host, operation):
    headers = {"Host": host} if host else {}
    body = None
    if operation == "DeleteObjects":
        body = b"<Delete><Object><Key>a</Key></Object></Delete>"
    r = requests.request(method, server.endpoint + path + ("?" + query if query else ""), headers=headers,
                         data=body)
    assert r.status_code == 501
    if operation is None:  # HEAD: status only
        return
    assert "<Code>NotImplemented</Code>" in r.text
    assert operation_named(r.text) == operation


def test_a_required_header_and_unknown_query_keys_route(server):
    # CopyObject shares PutObject's template and is told apart by its x-amz-copy-source header;
    # query keys no operation requires (any a client makes up) change nothing.
    copy = requests.put(server.endpoint + "/bkt/k", headers={"x-amz-copy-source": "/src/k"})
    assert operation_named(copy.text) == "CopyObject"
    for n in range(40):
        r = requests.put(server.endpoint + f"/bkt/k?made-up-{n}=1", data=b"x")
        assert r.status_code == 501 and operation_named(r.text) == "PutObject"


def test_boto3_s3_operations_route(server):
    s3 = server.client("s3")
    for call, kwargs, operation in (
        ("list_objects_v2", {"Bucket": "bkt"}, "ListObjectsV2"),
        ("put_object", {"Bucket": "bkt", "Key": "dir/a b+c", "Body": b"hello"}, "PutObject"),
        ("create_multipart_upload", {"Bucket": "bkt", "Key": "k"}, "CreateMultipartUpload"),
        ("get_bucket_location", {"Bucket": "bkt"}, "GetBucketLocation"),
    ):
        with pytest.raises(ClientError) as exc:
            getattr(s3, call)(**kwargs)
        assert exc.value.response["Error"]["Code"] == "NotImplemented"
        assert operation in exc.value.response["Error"]["Message"]


def test_elb_and_elbv2_are_told_apart_by_version(server):
    for service, expected in (("elb", "Elastic Load Balancing "), ("elbv2", "Elastic Load Balancing v2 ")):
        with pytest.raises(ClientError) as exc:
            server.client(service).describe_load_balancers()
        assert f"service {expected}".rstrip() in exc.value.response["Error"]["Message"]
        assert exc.value.response["Error"]["Message"].endswith("not implemented by pocketcloud yet.")


def test_api_gateway_v1_and_v2_are_told_apart_by_path(server):
    # operations neither provider implements, so the 501's message names which one was routed
    with pytest.raises(ClientError) as exc:
        server.client("apigateway").get_sdk_types()
    assert "GetSdkTypes" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        server.client("apigatewayv2").list_portals()
    assert "ListPortals" in exc.value.response["Error"]["Message"]
    assert "ApiGatewayV2" in exc.value.response["Error"]["Message"]


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
    r = requests.post(server.endpoint, data={"Action": "ListTopics", "Version": "2010-03-31"})
    assert r.status_code == 501
    assert operation_named(r.text) == "ListTopics"


def test_signing_name_of_a_service_we_do_not_serve(server):
    r = requests.post(server.endpoint, data="{}", headers={
        "Content-Type": "application/x-amz-json-1.0", **signed("dynamodb")})
    assert r.status_code == 501
    assert "dynamodb" in r.text
