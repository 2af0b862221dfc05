"""S3 buckets (notes §4): naming, one global namespace, location rules, configurations."""

import json

import pytest
from botocore.exceptions import ClientError
from conftest import aws_error


@pytest.mark.parametrize("name", ["ab", "UPPER-case", "a..b", "192.168.1.1", "-start", "end-", "xn--abc",
                                  "bucket-s3alias", "under_score", "a" * 64])
def test_invalid_bucket_names(server, name):
    with pytest.raises(ClientError) as exc:
        server.client("s3").create_bucket(Bucket=name)
    assert aws_error(exc) == ("InvalidBucketName", 400)


def test_global_namespace_across_accounts_and_regions(server, unique):
    mine = server.client("s3")
    mine.create_bucket(Bucket=unique)
    # Same owner, us-east-1: the legacy 200; another region: BucketAlreadyOwnedByYou.
    mine.create_bucket(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        server.client("s3", region="eu-west-1").create_bucket(
            Bucket=unique, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert aws_error(exc) == ("BucketAlreadyOwnedByYou", 409)
    other = server.client("s3", key="111122223333")
    with pytest.raises(ClientError) as exc:
        other.create_bucket(Bucket=unique)
    assert aws_error(exc) == ("BucketAlreadyExists", 409)
    assert unique not in [b["Name"] for b in other.list_buckets()["Buckets"]]
    assert unique in [b["Name"] for b in mine.list_buckets()["Buckets"]]


def test_location_constraint_rules(server, unique):
    eu = server.client("s3", region="eu-central-1")
    with pytest.raises(ClientError) as exc:
        eu.create_bucket(Bucket=unique)
    assert aws_error(exc) == ("IllegalLocationConstraintException", 400)
    with pytest.raises(ClientError) as exc:
        eu.create_bucket(Bucket=unique, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert aws_error(exc) == ("IllegalLocationConstraintException", 400)
    with pytest.raises(ClientError) as exc:
        server.client("s3").create_bucket(Bucket=unique, CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert aws_error(exc) == ("InvalidLocationConstraint", 400)
    eu.create_bucket(Bucket=unique, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert eu.get_bucket_location(Bucket=unique)["LocationConstraint"] == "eu-central-1"
    head = eu.head_bucket(Bucket=unique)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-central-1"
    server.client("s3").create_bucket(Bucket=unique + "-use1")
    assert server.client("s3").get_bucket_location(Bucket=unique + "-use1")["LocationConstraint"] is None


def test_head_and_delete_bucket(server, unique):
    s3 = server.client("s3")
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=unique)
    assert aws_error(exc) == ("404", 404)
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=unique)
    assert aws_error(exc) == ("NoSuchBucket", 404)
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=unique)
    assert aws_error(exc) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=unique, Key="k")
    assert s3.delete_bucket(Bucket=unique)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="k")
    assert aws_error(exc) == ("NoSuchBucket", 404)


def test_bucket_tagging(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=unique)
    assert aws_error(exc) == ("NoSuchTagSet", 404)
    s3.put_bucket_tagging(Bucket=unique, Tagging={"TagSet": [{"Key": "team", "Value": "core"}]})
    assert s3.get_bucket_tagging(Bucket=unique)["TagSet"] == [{"Key": "team", "Value": "core"}]
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_tagging(Bucket=unique, Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]})
    assert aws_error(exc) == ("InvalidTag", 400)
    s3.delete_bucket_tagging(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=unique)
    assert aws_error(exc) == ("NoSuchTagSet", 404)


def test_defaults_of_a_new_bucket(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    pab = s3.get_public_access_block(Bucket=unique)["PublicAccessBlockConfiguration"]
    assert pab == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                   "RestrictPublicBuckets": True}
    rules = s3.get_bucket_ownership_controls(Bucket=unique)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    enc = s3.get_bucket_encryption(Bucket=unique)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_acl(Bucket=unique, ACL="public-read")
    assert aws_error(exc) == ("AccessControlListNotSupported", 400)
    acl = s3.get_bucket_acl(Bucket=unique)
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"


def test_acl_public_access_block_and_ownership(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_bucket_ownership_controls(Bucket=unique, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_acl(Bucket=unique, ACL="public-read")
    assert aws_error(exc) == ("AccessDenied", 403)
    s3.delete_public_access_block(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=unique)
    assert aws_error(exc) == ("NoSuchPublicAccessBlockConfiguration", 404)
    s3.put_bucket_acl(Bucket=unique, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=unique)["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"} in [g["Grantee"] for g in grants]
    s3.delete_bucket_ownership_controls(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=unique)
    assert aws_error(exc) == ("OwnershipControlsNotFoundError", 404)


def test_bucket_policy_stored_and_returned(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=unique)
    assert aws_error(exc) == ("NoSuchBucketPolicy", 404)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=unique, Policy="not json")
    assert aws_error(exc) == ("MalformedPolicy", 400)
    public = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{unique}/*"}]})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=unique, Policy=public)
    assert aws_error(exc) == ("AccessDenied", 403)
    s3.put_public_access_block(Bucket=unique, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    s3.put_bucket_policy(Bucket=unique, Policy=public)
    assert json.loads(s3.get_bucket_policy(Bucket=unique)["Policy"]) == json.loads(public)
    assert s3.get_bucket_policy_status(Bucket=unique)["PolicyStatus"]["IsPublic"] is True
    s3.delete_bucket_policy(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=unique)
    assert aws_error(exc) == ("NoSuchBucketPolicy", 404)


def test_cors_configuration(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=unique)
    assert aws_error(exc) == ("NoSuchCORSConfiguration", 404)
    rules = [{"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://example.com"], "AllowedHeaders": ["*"],
              "MaxAgeSeconds": 300, "ExposeHeaders": ["ETag"]}]
    s3.put_bucket_cors(Bucket=unique, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=unique)["CORSRules"] == rules
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=unique, CORSConfiguration={"CORSRules": [
            {"AllowedMethods": ["PATCH"], "AllowedOrigins": ["*"]}]})
    assert aws_error(exc) == ("InvalidRequest", 400)
    s3.delete_bucket_cors(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=unique)
    assert aws_error(exc) == ("NoSuchCORSConfiguration", 404)


def test_accelerate_configuration(server, unique):
    import requests

    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=unique)
    s3.put_bucket_accelerate_configuration(Bucket=unique, AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=unique)["Status"] == "Enabled"
    s3.put_object(Bucket=unique, Key="fast", Body=b"accelerated")
    host = {"Host": f"{unique}.s3-accelerate.amazonaws.com"}
    got = requests.get(f"{server.endpoint}/fast", headers=host)
    assert got.status_code == 200 and got.content == b"accelerated"
    assert requests.put(f"{server.endpoint}/up", data=b"x", headers=host).status_code == 200
    s3.put_bucket_accelerate_configuration(Bucket=unique, AccelerateConfiguration={"Status": "Suspended"})
    refused = requests.get(f"{server.endpoint}/fast", headers=host)
    assert refused.status_code == 400 and "<Code>InvalidRequest</Code>" in refused.text
    s3.create_bucket(Bucket=unique + ".dotted")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_accelerate_configuration(Bucket=unique + ".dotted", AccelerateConfiguration={"Status": "Enabled"})
    assert aws_error(exc) == ("InvalidRequest", 400)


def test_virtual_hosted_style_addressing(server, unique):
    import requests

    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="dir/file.txt", Body=b"vhost")
    port = server.port
    got = requests.get(f"http://127.0.0.1:{port}/dir/file.txt", headers={"Host": f"{unique}.s3.localhost:{port}"})
    assert got.status_code == 200 and got.content == b"vhost"
    got = requests.get(f"http://127.0.0.1:{port}/dir/file.txt",
                       headers={"Host": f"{unique}.s3.us-east-1.amazonaws.com"})
    assert got.status_code == 200 and got.content == b"vhost"
    vhost = server.client("s3", s3={"addressing_style": "virtual"})
    assert vhost.get_object(Bucket=unique, Key="dir/file.txt")["Body"].read() == b"vhost"


def test_list_buckets_pages_and_prefix(server, unique):
    s3 = server.client("s3", key="444455556666")
    names = [f"{unique}-{i}" for i in range(5)]
    for name in names:
        s3.create_bucket(Bucket=name)
    first = s3.list_buckets(MaxBuckets=2, Prefix=unique)
    assert [b["Name"] for b in first["Buckets"]] == names[:2] and first["ContinuationToken"]
    rest = s3.list_buckets(MaxBuckets=10, Prefix=unique, ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == names[2:] and "ContinuationToken" not in rest
    assert all(b["BucketRegion"] == "us-east-1" for b in rest["Buckets"])
