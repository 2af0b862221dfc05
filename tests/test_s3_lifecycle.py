"""Storage classes, Glacier restores and lifecycle rules (notes §4), on the virtual clock.

These tests move the clock by days, so they share a server of their own."""

import pytest
from botocore.exceptions import ClientError

from conftest import aws_error, own_server

KIB = 1024


server = own_server  # a server of this module's own: the clock moves by months here


def _advance(server, amount):
    server.admin("/_pocketcloud/clock", {"advance": amount})


def test_glacier_objects_need_a_restore(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="cold", Body=b"frozen", StorageClass="GLACIER")
    s3.put_object(Bucket=unique, Key="deep", Body=b"deeper", StorageClass="DEEP_ARCHIVE")
    assert s3.head_object(Bucket=unique, Key="cold")["StorageClass"] == "GLACIER"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="cold")
    assert aws_error(exc) == ("InvalidObjectState", 403)
    with pytest.raises(ClientError) as exc:
        s3.restore_object(Bucket=unique, Key="deep", RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}})
    assert aws_error(exc) == ("InvalidArgument", 400)
    s3.put_object(Bucket=unique, Key="warm", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.restore_object(Bucket=unique, Key="warm", RestoreRequest={"Days": 1})
    assert aws_error(exc) == ("InvalidObjectState", 403)
    out = s3.restore_object(Bucket=unique, Key="cold", RestoreRequest={"Days": 2, "GlacierJobParameters": {"Tier": "Standard"}})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert s3.head_object(Bucket=unique, Key="cold")["Restore"] == 'ongoing-request="true"'
    with pytest.raises(ClientError) as exc:
        s3.restore_object(Bucket=unique, Key="cold", RestoreRequest={"Days": 2})
    assert aws_error(exc) == ("RestoreAlreadyInProgress", 409)
    _advance(server, "4h")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="cold")
    assert aws_error(exc) == ("InvalidObjectState", 403)
    _advance(server, "61m")  # Standard: 3-5 hours
    assert s3.get_object(Bucket=unique, Key="cold")["Body"].read() == b"frozen"
    restore = s3.head_object(Bucket=unique, Key="cold")["Restore"]
    assert restore.startswith('ongoing-request="false", expiry-date=')
    _advance(server, "3d")  # the restored copy lasts the requested days
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="cold")
    assert aws_error(exc) == ("InvalidObjectState", 403)
    out = s3.restore_object(Bucket=unique, Key="deep", RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Bulk"}})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    _advance(server, "47h")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="deep")
    assert aws_error(exc) == ("InvalidObjectState", 403)
    _advance(server, "2h")  # Deep Archive Bulk: up to 48 hours
    assert s3.get_object(Bucket=unique, Key="deep")["Body"].read() == b"deeper"


def test_lifecycle_validation(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=unique)
    assert aws_error(exc) == ("NoSuchLifecycleConfiguration", 404)
    bad_rules = [
        ({"ID": "ia", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 10, "StorageClass": "STANDARD_IA"}]},
         ("InvalidArgument", 400)),
        ({"ID": "oz", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 29, "StorageClass": "ONEZONE_IA"}]},
         ("InvalidArgument", 400)),
        ({"ID": "none", "Status": "Enabled", "Filter": {"Prefix": "x"}}, ("InvalidRequest", 400)),
        ({"ID": "order", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 30},
          "Transitions": [{"Days": 60, "StorageClass": "GLACIER"}]}, ("InvalidArgument", 400)),
    ]
    for rule, expected in bad_rules:
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_lifecycle_configuration(Bucket=unique, LifecycleConfiguration={"Rules": [rule]})
        assert aws_error(exc) == expected, rule["ID"]
    rules = [{"ID": "ok", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
              "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
              "Expiration": {"Days": 365}}]
    s3.put_bucket_lifecycle_configuration(Bucket=unique, LifecycleConfiguration={"Rules": rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=unique)
    assert got["Rules"] == rules and got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    s3.delete_bucket_lifecycle(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=unique)
    assert aws_error(exc) == ("NoSuchLifecycleConfiguration", 404)


def test_transitions_and_expiration_run_on_the_clock(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_bucket_lifecycle_configuration(Bucket=unique, LifecycleConfiguration={"Rules": [
        {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
         "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 60, "StorageClass": "GLACIER"}],
         "Expiration": {"Days": 90}},
        {"ID": "tmp", "Status": "Enabled", "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "kind", "Value": "scratch"}]}},
         "Expiration": {"Days": 1}},
        {"ID": "big", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 300 * KIB},
         "Transitions": [{"Days": 30, "StorageClass": "ONEZONE_IA"}]},
        {"ID": "off", "Status": "Disabled", "Filter": {"Prefix": "keep/"}, "Expiration": {"Days": 1}},
    ]})
    body = b"l" * (200 * KIB)  # above the 128 KiB transition minimum
    put = s3.put_object(Bucket=unique, Key="logs/app.log", Body=body)
    assert 'rule-id="logs"' in put["Expiration"]
    s3.put_object(Bucket=unique, Key="logs/tiny.log", Body=b"small")
    s3.put_object(Bucket=unique, Key="tmp/a", Body=b"x", Tagging="kind=scratch")
    s3.put_object(Bucket=unique, Key="tmp/b", Body=b"x", Tagging="kind=keep")
    s3.put_object(Bucket=unique, Key="keep/c", Body=b"x")
    s3.put_object(Bucket=unique, Key="other/big", Body=b"b" * (400 * KIB))
    s3.put_object(Bucket=unique, Key="other/small", Body=b"b" * (200 * KIB))
    _advance(server, "2d")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=unique)["Contents"]}
    assert "tmp/a" not in keys and {"tmp/b", "keep/c", "logs/app.log"} <= keys
    _advance(server, "30d")
    classes = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=unique)["Contents"]}
    assert classes["logs/app.log"] == "STANDARD_IA"
    assert classes["logs/tiny.log"] == "STANDARD"  # under 128 KiB: not transitioned
    assert classes["other/big"] == "ONEZONE_IA" and classes["other/small"] == "STANDARD"
    _advance(server, "30d")
    assert s3.head_object(Bucket=unique, Key="logs/app.log")["StorageClass"] == "GLACIER"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="logs/app.log")
    assert aws_error(exc) == ("InvalidObjectState", 403)
    _advance(server, "31d")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=unique)["Contents"]}
    assert "logs/app.log" not in keys and "logs/tiny.log" not in keys and "keep/c" in keys


def test_noncurrent_versions_markers_and_uploads(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_bucket_versioning(Bucket=unique, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(Bucket=unique, TransitionDefaultMinimumObjectSize="varies_by_storage_class",
                                          LifecycleConfiguration={"Rules": [
        {"ID": "versions", "Status": "Enabled", "Filter": {},
         "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "STANDARD_IA"}],
         "NoncurrentVersionExpiration": {"NoncurrentDays": 40},
         "Expiration": {"ExpiredObjectDeleteMarker": True},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]})
    old = s3.put_object(Bucket=unique, Key="doc", Body=b"old")["VersionId"]
    s3.put_object(Bucket=unique, Key="doc", Body=b"new")
    gone = s3.put_object(Bucket=unique, Key="gone", Body=b"x")["VersionId"]
    s3.delete_object(Bucket=unique, Key="gone")
    upload = s3.create_multipart_upload(Bucket=unique, Key="stale")["UploadId"]
    _advance(server, "8d")
    assert s3.list_multipart_uploads(Bucket=unique).get("Uploads", []) == []
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket=unique, Key="stale", UploadId=upload)
    assert aws_error(exc) == ("NoSuchUpload", 404)
    _advance(server, "24d")
    versions = {v["VersionId"]: v for v in s3.list_object_versions(Bucket=unique)["Versions"]}
    assert versions[old]["StorageClass"] == "STANDARD_IA"
    _advance(server, "10d")
    listed = s3.list_object_versions(Bucket=unique)
    ids = [v["VersionId"] for v in listed.get("Versions", [])]
    assert old not in ids and gone not in ids
    assert s3.get_object(Bucket=unique, Key="doc")["Body"].read() == b"new"
    _advance(server, "2d")  # the delete marker of "gone" is now alone: expired
    assert [m["Key"] for m in s3.list_object_versions(Bucket=unique).get("DeleteMarkers", [])] == []
