"""S3 requests reach the right operation by path and Host (path-style, virtual-hosted-style
under AWS's and any other domain), told apart by what S3 answers."""

import uuid

import pytest
import requests


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
