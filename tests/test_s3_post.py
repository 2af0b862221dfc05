"""Browser form uploads (POST multipart/form-data to a bucket, boto3's generate_presigned_post):
the policy's conditions, its expiry and signature, the file streamed in, S3's answers."""

import hashlib
import json
import os

import pytest
import requests

from conftest import aws_error, enforcing_server, own_server

# A server of its own: one test moves its virtual clock, and boto3 dates policies by real time.
server = own_server

# botocore signs forms with SigV2 (AWSAccessKeyId/signature) unless asked for s3v4.
VERSIONS = [{"signature_version": "s3v4"}, {}]


def _code(resp) -> str | None:
    return resp.text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in resp.text else None


def _form(s3, bucket, key="uploads/${filename}", fields=None, conditions=None, expires=300):
    return s3.generate_presigned_post(bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=expires)


@pytest.mark.parametrize("config", VERSIONS)
def test_form_upload_stores_the_file_with_its_fields(server, unique, config):
    s3 = server.client("s3", **config)
    s3.create_bucket(Bucket=unique)
    post = _form(s3, unique, fields={"Content-Type": "text/plain", "x-amz-meta-owner": "alice",
                                     "success_action_status": "201"},
                 conditions=[{"Content-Type": "text/plain"}, {"x-amz-meta-owner": "alice"},
                             {"success_action_status": "201"}, ["content-length-range", 1, 1024]])
    body = b"hello from a browser form"
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("note.txt", body)})
    assert resp.status_code == 201, resp.text
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    assert "<Key>uploads/note.txt</Key>" in resp.text and f"<Bucket>{unique}</Bucket>" in resp.text
    assert resp.headers["ETag"] == etag
    got = s3.get_object(Bucket=unique, Key="uploads/note.txt")
    assert got["Body"].read() == body and got["ETag"] == etag
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"owner": "alice"}


def test_tagging_field_tags_the_object(server, unique):
    s3 = server.client("s3", signature_version="s3v4")
    s3.create_bucket(Bucket=unique)
    tagging = ("<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag>"
               "<Tag><Key>stage</Key><Value>test</Value></Tag></TagSet></Tagging>")
    post = _form(s3, unique, key="t.txt", fields={"tagging": tagging}, conditions=[{"tagging": tagging}])
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("t.txt", b"t")})
    assert resp.status_code == 204, resp.text
    tags = s3.get_object_tagging(Bucket=unique, Key="t.txt")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("stage", "test"), ("team", "web")]

    post = _form(s3, unique, key="u.txt", fields={"tagging": "<Tagging>"}, conditions=[{"tagging": "<Tagging>"}])
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("u.txt", b"u")})
    assert (resp.status_code, _code(resp)) == (400, "MalformedXML")


def test_default_answer_is_204_and_a_redirect_is_followed_by_its_query(server, unique):
    s3 = server.client("s3", signature_version="s3v4")
    s3.create_bucket(Bucket=unique)
    post = _form(s3, unique, key="plain.bin")
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("x.bin", b"\x00\x01\x02")})
    assert resp.status_code == 204 and resp.content == b""
    assert s3.get_object(Bucket=unique, Key="plain.bin")["Body"].read() == b"\x00\x01\x02"

    post = _form(s3, unique, key="r.txt", fields={"success_action_redirect": "http://example.test/done"},
                 conditions=[{"success_action_redirect": "http://example.test/done"}])
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("r.txt", b"r")}, allow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith(f"http://example.test/done?bucket={unique}&key=r.txt&etag=")


def test_policy_conditions_are_enforced(server, unique):
    s3 = server.client("s3", signature_version="s3v4")
    s3.create_bucket(Bucket=unique)
    post = _form(s3, unique)  # the key must start with "uploads/"
    fields = dict(post["fields"], key="elsewhere/x.txt")
    resp = requests.post(post["url"], data=fields, files={"file": ("x.txt", b"x")})
    assert (resp.status_code, _code(resp)) == (403, "AccessDenied")
    assert "Policy Condition failed" in resp.text

    fields = dict(post["fields"], **{"x-amz-meta-sneaky": "1"})
    resp = requests.post(post["url"], data=fields, files={"file": ("x.txt", b"x")})
    assert (resp.status_code, _code(resp)) == (403, "AccessDenied")
    assert "Extra input fields: x-amz-meta-sneaky" in resp.text
    assert s3.list_objects_v2(Bucket=unique)["KeyCount"] == 0


@pytest.mark.parametrize("config", VERSIONS)
def test_tampered_signature_or_policy_is_refused(server, unique, config):
    s3 = server.client("s3", **config)
    s3.create_bucket(Bucket=unique)
    post = _form(s3, unique)
    name = "x-amz-signature" if "x-amz-signature" in post["fields"] else "signature"
    fields = dict(post["fields"])
    fields[name] = ("0" if fields[name][0] != "0" else "1") + fields[name][1:]
    resp = requests.post(post["url"], data=fields, files={"file": ("x.txt", b"x")})
    assert (resp.status_code, _code(resp)) == (403, "SignatureDoesNotMatch")

    fields[name] = "é" + fields[name][1:]  # not even ASCII
    resp = requests.post(post["url"], data=fields, files={"file": ("x.txt", b"x")})
    assert (resp.status_code, _code(resp)) == (403, "SignatureDoesNotMatch")

    other = _form(s3, unique, key="${filename}")  # a valid policy, but not the one signed
    fields = dict(post["fields"], policy=other["fields"]["policy"], key="x.txt")
    resp = requests.post(post["url"], data=fields, files={"file": ("x.txt", b"x")})
    assert (resp.status_code, _code(resp)) == (403, "SignatureDoesNotMatch")


def test_expired_policy_is_refused(server, unique):
    s3 = server.client("s3", signature_version="s3v4")
    s3.create_bucket(Bucket=unique)
    post = _form(s3, unique, expires=60)
    server.admin("/_pocketcloud/clock", {"advance": "2m"})
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("x.txt", b"x")})
    assert (resp.status_code, _code(resp)) == (403, "AccessDenied")
    assert "Policy expired" in resp.text


def test_content_length_range_refuses_and_stores_nothing(server, unique):
    s3 = server.client("s3", signature_version="s3v4")
    s3.create_bucket(Bucket=unique)
    post = _form(s3, unique, key="small.txt", conditions=[["content-length-range", 5, 10]])
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("a", b"x" * 100)})
    assert (resp.status_code, _code(resp)) == (400, "EntityTooLarge")
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("a", b"x")})
    assert (resp.status_code, _code(resp)) == (400, "EntityTooSmall")
    with pytest.raises(Exception) as exc:
        s3.head_object(Bucket=unique, Key="small.txt")
    assert aws_error(exc) == ("404", 404)
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("a", b"x" * 7)})
    assert resp.status_code == 204


def test_a_form_without_file_or_key_is_refused(server, unique):
    s3 = server.client("s3", signature_version="s3v4")
    s3.create_bucket(Bucket=unique)
    post = _form(s3, unique, key="k.txt")
    resp = requests.post(post["url"], files={name: (None, value) for name, value in post["fields"].items()})
    assert (resp.status_code, _code(resp)) == (400, "InvalidArgument")
    for missing in ("key", "x-amz-credential"):
        fields = {k: v for k, v in post["fields"].items() if k != missing}
        resp = requests.post(post["url"], data=fields, files={"file": ("k.txt", b"k")})
        assert (resp.status_code, _code(resp)) == (400, "InvalidArgument")


def test_a_large_file_streams_in(server, unique):
    s3 = server.client("s3", signature_version="s3v4")
    s3.create_bucket(Bucket=unique)
    body = os.urandom(3 * 1024 * 1024 + 5)
    post = _form(s3, unique, key="big.bin")
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("big.bin", body)})
    assert resp.status_code == 204, resp.text
    got = s3.get_object(Bucket=unique, Key="big.bin")
    assert got["ContentLength"] == len(body) and got["Body"].read() == body
    assert got["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'


# A server enforcing signatures and IAM policies, this module's own (conftest).
strict = enforcing_server


def test_enforced_policies_decide_form_uploads(strict, unique):
    strict.client("s3").create_bucket(Bucket=unique)
    iam = strict.client("iam")
    iam.create_user(UserName=unique)
    key = iam.create_access_key(UserName=unique)["AccessKey"]
    user = strict.client("s3", key=key["AccessKeyId"], secret=key["SecretAccessKey"], signature_version="s3v4")
    post = _form(user, unique, key="a.txt")
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("a.txt", b"a")})
    assert (resp.status_code, _code(resp)) == (403, "AccessDenied")

    iam.put_user_policy(UserName=unique, PolicyName="upload", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{unique}/*"}]}))
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("a.txt", b"a")})
    assert resp.status_code == 204, resp.text

    # An unsigned form is refused where signatures are enforced.
    resp = requests.post(post["url"], data={"key": "b.txt"}, files={"file": ("b.txt", b"b")})
    assert (resp.status_code, _code(resp)) == (403, "AccessDenied")
