"""S3 Object Lock (notes §4, "객체 잠금"): retention modes, legal holds and default retention
decide which versions can be deleted, on the virtual clock."""

from datetime import datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from conftest import aws_error, enforcing_server, own_server
from test_enforcement import allow, doc, make_user

# A server of its own: retention runs out as its virtual clock moves.
server = own_server


def _locked_bucket(s3, name, default=None):
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    if default:
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": default}})


def _in(srv, days: float) -> datetime:
    """`days` from the server's virtual now (the module's tests move its clock)."""
    now = datetime.fromisoformat(srv.admin("/_pocketcloud/clock")["now"].replace("Z", "+00:00"))
    return now + timedelta(days=days)


def test_configuration_and_versioning(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_object_lock_configuration(Bucket=unique)
    assert aws_error(exc) == ("ObjectLockConfigurationNotFoundError", 404)
    with pytest.raises(ClientError) as exc:  # versioning must be on first
        s3.put_object_lock_configuration(Bucket=unique, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert aws_error(exc) == ("InvalidBucketState", 409)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=unique, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=_in(server, 1))
    assert aws_error(exc) == ("InvalidRequest", 400)

    locked = unique + "-l"
    _locked_bucket(s3, locked, {"Mode": "GOVERNANCE", "Days": 1})
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"
    config = s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"]
    assert config == {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=locked, VersioningConfiguration={"Status": "Suspended"})
    assert aws_error(exc) == ("InvalidBucketState", 409)
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0}}})
    assert aws_error(exc) == ("InvalidArgument", 400)


def test_compliance_retention_holds_until_its_date(server, unique):
    s3 = server.client("s3")
    _locked_bucket(s3, unique)
    version = s3.put_object(Bucket=unique, Key="k", Body=b"kept", ObjectLockMode="COMPLIANCE",
                            ObjectLockRetainUntilDate=_in(server, 2))["VersionId"]
    head = s3.head_object(Bucket=unique, Key="k")
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"] > _in(server, 1.9)
    assert s3.get_object_retention(Bucket=unique, Key="k")["Retention"]["Mode"] == "COMPLIANCE"
    for bypass in (False, True):
        with pytest.raises(ClientError) as exc:
            s3.delete_object(Bucket=unique, Key="k", VersionId=version, BypassGovernanceRetention=bypass)
        assert aws_error(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:  # a compliance retention is never shortened
        s3.put_object_retention(Bucket=unique, Key="k",
                                Retention={"Mode": "COMPLIANCE", "RetainUntilDate": _in(server, 1)})
    assert aws_error(exc) == ("AccessDenied", 403)
    s3.put_object_retention(Bucket=unique, Key="k",
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": _in(server, 3)})
    # Deleting the key only adds a delete marker; the version stays.
    assert s3.delete_object(Bucket=unique, Key="k")["DeleteMarker"] is True
    assert s3.get_object(Bucket=unique, Key="k", VersionId=version)["Body"].read() == b"kept"
    server.admin("/_pocketcloud/clock", {"advance": "4d"})
    s3.delete_object(Bucket=unique, Key="k", VersionId=version)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=unique, Key="k", VersionId=version)
    assert aws_error(exc)[1] in (400, 404)


def test_governance_gives_way_to_bypass_and_default_retention_applies(server, unique):
    s3 = server.client("s3")
    _locked_bucket(s3, unique, {"Mode": "GOVERNANCE", "Days": 30})
    version = s3.put_object(Bucket=unique, Key="g", Body=b"g")["VersionId"]
    retention = s3.get_object_retention(Bucket=unique, Key="g")["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=unique, Key="g", VersionId=version)
    assert aws_error(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=unique, Key="g",
                                Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _in(server, 1)})
    assert aws_error(exc) == ("AccessDenied", 403)
    s3.delete_object(Bucket=unique, Key="g", VersionId=version, BypassGovernanceRetention=True)
    assert s3.list_object_versions(Bucket=unique).get("Versions", []) == []


def test_legal_hold_blocks_deletion_until_released(server, unique):
    s3 = server.client("s3")
    _locked_bucket(s3, unique)
    version = s3.put_object(Bucket=unique, Key="h", Body=b"h", ObjectLockLegalHoldStatus="ON")["VersionId"]
    assert s3.get_object_legal_hold(Bucket=unique, Key="h")["LegalHold"]["Status"] == "ON"
    assert s3.get_object(Bucket=unique, Key="h")["ObjectLockLegalHoldStatus"] == "ON"
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=unique, Key="h")
    assert aws_error(exc) == ("NoSuchObjectLockConfiguration", 404)
    out = s3.delete_objects(Bucket=unique, Delete={"Objects": [{"Key": "h", "VersionId": version}]})
    assert out["Errors"][0]["Code"] == "AccessDenied"
    s3.put_object_legal_hold(Bucket=unique, Key="h", LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=unique, Key="h", VersionId=version)
    assert s3.list_object_versions(Bucket=unique).get("Versions", []) == []


def test_a_copy_takes_its_own_lock(server, unique):
    s3 = server.client("s3")
    _locked_bucket(s3, unique)
    s3.put_object(Bucket=unique, Key="src", Body=b"s", ObjectLockLegalHoldStatus="ON")
    s3.copy_object(Bucket=unique, Key="dst", CopySource={"Bucket": unique, "Key": "src"},
                   ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=_in(server, 1))
    head = s3.head_object(Bucket=unique, Key="dst")
    assert head["ObjectLockMode"] == "GOVERNANCE" and "ObjectLockLegalHoldStatus" not in head


def test_multipart_upload_takes_the_default_retention(server, unique):
    s3 = server.client("s3")
    _locked_bucket(s3, unique, {"Mode": "COMPLIANCE", "Days": 1})
    upload = s3.create_multipart_upload(Bucket=unique, Key="m")["UploadId"]
    etag = s3.upload_part(Bucket=unique, Key="m", UploadId=upload, PartNumber=1, Body=b"m")["ETag"]
    version = s3.complete_multipart_upload(Bucket=unique, Key="m", UploadId=upload,
                                           MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})["VersionId"]
    assert s3.head_object(Bucket=unique, Key="m")["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=unique, Key="m", VersionId=version)
    assert aws_error(exc) == ("AccessDenied", 403)


def test_lifecycle_leaves_retained_versions(server, unique):
    s3 = server.client("s3")
    _locked_bucket(s3, unique, {"Mode": "COMPLIANCE", "Days": 10})
    old = s3.put_object(Bucket=unique, Key="v", Body=b"old")["VersionId"]
    s3.put_object(Bucket=unique, Key="v", Body=b"new")
    s3.put_bucket_lifecycle_configuration(Bucket=unique, LifecycleConfiguration={"Rules": [{
        "ID": "old", "Status": "Enabled", "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    server.admin("/_pocketcloud/clock", {"advance": "3d"})  # noncurrent for 3 days, retained for 10
    versions = [v["VersionId"] for v in s3.list_object_versions(Bucket=unique)["Versions"]]
    assert old in versions
    server.admin("/_pocketcloud/clock", {"advance": "9d"})  # past its retention: expired
    versions = [v["VersionId"] for v in s3.list_object_versions(Bucket=unique)["Versions"]]
    assert old not in versions and len(versions) == 1


# A server enforcing signatures and IAM policies (conftest).
strict = enforcing_server


def test_bypassing_governance_takes_its_own_permission(strict, unique):
    root = strict.client("s3")
    _locked_bucket(root, unique, {"Mode": "GOVERNANCE", "Days": 5})
    version = root.put_object(Bucket=unique, Key="g", Body=b"g")["VersionId"]
    deleter = make_user(strict, unique, inline=doc(allow("s3:DeleteObjectVersion", f"arn:aws:s3:::{unique}/*")))
    with pytest.raises(ClientError) as exc:
        deleter("s3").delete_object(Bucket=unique, Key="g", VersionId=version, BypassGovernanceRetention=True)
    assert aws_error(exc) == ("AccessDenied", 403)
    bypasser = make_user(strict, unique + "b", inline=doc(
        allow(["s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"], f"arn:aws:s3:::{unique}/*")))
    bypasser("s3").delete_object(Bucket=unique, Key="g", VersionId=version, BypassGovernanceRetention=True)
    assert root.list_object_versions(Bucket=unique).get("Versions", []) == []
