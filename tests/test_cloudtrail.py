"""CloudTrail (notes §20): every API call becomes an event; LookupEvents; trails and selectors."""

import json
import random
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from conftest import Server


def _code(exc) -> str:
    return exc.value.response["Error"]["Code"]


@pytest.fixture
def account():
    """A fresh account per test (12-digit access keys name accounts), so histories do not mix."""
    return "".join(random.choice("123456789") for _ in range(12))


def _bucket(server, account, name) -> str:
    """Trails need their S3 bucket to exist."""
    server.client("s3", key=account).create_bucket(Bucket=name)
    return name


def _events(ct, **kwargs):
    return ct.lookup_events(**kwargs)["Events"]


def test_api_call_becomes_an_event_with_aws_fields(server, account):
    kms = server.client("kms", key=account)
    created = kms.create_key(Description="audited")
    request_id = created["ResponseMetadata"]["RequestId"]
    key = created["KeyMetadata"]
    events = _events(server.client("cloudtrail", key=account),
                     LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}])
    assert len(events) == 1
    event = events[0]
    assert event["EventSource"] == "kms.amazonaws.com" and event["ReadOnly"] == "false"
    assert event["Username"] == "root" and event["AccessKeyId"] == account
    assert {"ResourceType": "AWS::KMS::Key", "ResourceName": key["Arn"]} in event["Resources"]
    record = json.loads(event["CloudTrailEvent"])
    assert record["eventName"] == "CreateKey" and record["eventSource"] == "kms.amazonaws.com"
    assert record["userIdentity"] == {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                                      "accountId": account, "accessKeyId": account}
    assert record["awsRegion"] == "us-east-1" and record["sourceIPAddress"] == "127.0.0.1"
    assert record["userAgent"].startswith("Boto3/")
    assert record["requestParameters"] == {"description": "audited"}
    assert record["responseElements"]["keyMetadata"]["keyId"] == key["KeyId"]
    assert record["requestID"] == request_id and record["eventID"] == event["EventId"]
    assert record["eventType"] == "AwsApiCall" and record["managementEvent"] is True
    assert record["recipientAccountId"] == account and record["readOnly"] is False
    assert record["eventCategory"] == "Management" and record["eventVersion"].startswith("1.")
    when = datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert event["EventTime"] == when


def test_source_ip_is_the_connections_not_a_forwarded_header(server, account):
    # AWS records the address the call came from; a header any local process can send must not
    # change it (nor aws:SourceIp, which is read from the same address).
    kms = server.client("kms", key=account)
    kms.meta.events.register("before-send.kms.CreateKey",
                             lambda request, **_: request.headers.__setitem__("X-Forwarded-For", "203.0.113.9"))
    kms.create_key(Description="forwarded")
    events = _events(server.client("cloudtrail", key=account),
                     LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}])
    assert len(events) == 1
    assert json.loads(events[0]["CloudTrailEvent"])["sourceIPAddress"] == "127.0.0.1"


def test_reads_have_no_response_elements_and_secrets_are_hidden(server, account):
    kms = server.client("kms", key=account)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key, Plaintext=b"top secret")
    kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    ct = server.client("cloudtrail", key=account)
    (enc,) = _events(ct, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}])
    record = json.loads(enc["CloudTrailEvent"])
    assert record["requestParameters"]["plaintext"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert "top secret" not in enc["CloudTrailEvent"] and "dG9wIHNlY3JldA" not in enc["CloudTrailEvent"]
    assert record["readOnly"] is True and record["responseElements"] is None
    (gdk,) = _events(ct, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GenerateDataKey"}])
    assert json.loads(gdk["CloudTrailEvent"])["responseElements"] is None


def test_failed_calls_carry_error_code_and_message(server, account):
    kms = server.client("kms", key=account)
    with pytest.raises(ClientError):
        kms.describe_key(KeyId="alias/missing")
    (event,) = _events(server.client("cloudtrail", key=account),
                       LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DescribeKey"}])
    record = json.loads(event["CloudTrailEvent"])
    assert record["errorCode"] == "NotFoundException"
    assert record["errorMessage"] == f"Alias arn:aws:kms:us-east-1:{account}:alias/missing is not found."


def test_lookup_attributes(server, account):
    kms = server.client("kms", key=account)
    key = kms.create_key()["KeyMetadata"]
    kms.describe_key(KeyId=key["KeyId"])
    kms.list_keys()
    ct = server.client("cloudtrail", key=account)
    all_events = _events(ct, LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "kms.amazonaws.com"}])
    names = [e["EventName"] for e in all_events]
    assert names[:3] == ["ListKeys", "DescribeKey", "CreateKey"]  # newest first

    def names_for(key_name, value):
        return [e["EventName"] for e in _events(ct, LookupAttributes=[{"AttributeKey": key_name, "AttributeValue": value}])]

    assert [n for n in names_for("ReadOnly", "true") if n != "LookupEvents"] == ["ListKeys", "DescribeKey"]
    assert names_for("ReadOnly", "false")[-1] == "CreateKey"
    assert names_for("EventId", all_events[1]["EventId"]) == ["DescribeKey"]
    assert set(names_for("Username", "root")) >= {"ListKeys", "DescribeKey", "CreateKey"}
    assert names_for("ResourceName", key["KeyId"]) == ["DescribeKey"]
    assert "CreateKey" in names_for("ResourceType", "AWS::KMS::Key")
    assert set(names_for("EventSource", "kms.amazonaws.com")) >= {"ListKeys", "DescribeKey", "CreateKey"}
    assert names_for("EventSource", "s3.amazonaws.com") == []
    assert "CreateKey" in names_for("AccessKeyId", account)
    # Regions keep their own history.
    assert [e for e in _events(server.client("cloudtrail", key=account, region="eu-west-1"))
            if e["EventSource"] == "kms.amazonaws.com"] == []


def test_lookup_time_range_and_pages(server, account):
    kms = server.client("kms", key=account)
    for _ in range(5):
        kms.list_keys()
    ct = server.client("cloudtrail", key=account)
    seen, token = [], None
    for _ in range(10):
        page = ct.lookup_events(MaxResults=2, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListKeys"}],
                                **({"NextToken": token} if token else {}))
        assert len(page["Events"]) <= 2
        seen += [e["EventId"] for e in page["Events"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == 5 == len(set(seen))
    now = datetime.fromisoformat(server.admin("/_pocketcloud/clock")["now"].replace("Z", "+00:00"))
    assert _events(ct, StartTime=now + timedelta(hours=1), EndTime=now + timedelta(hours=2)) == []
    assert len(_events(ct, StartTime=now - timedelta(hours=1), EndTime=now + timedelta(hours=1))) >= 5
    with pytest.raises(ClientError) as exc:
        ct.lookup_events(StartTime=now, EndTime=now - timedelta(hours=1))
    assert _code(exc) == "InvalidTimeRangeException"
    with pytest.raises(ClientError) as exc:
        ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "A"},
                                           {"AttributeKey": "ReadOnly", "AttributeValue": "true"}])
    assert _code(exc) == "InvalidLookupAttributesException"
    with pytest.raises(ClientError) as exc:
        ct.lookup_events(NextToken="!!not-a-token!!")
    assert _code(exc) == "InvalidNextTokenException"


def test_event_history_keeps_ninety_days():
    srv = Server().start()
    try:
        srv.client("kms").list_keys()
        ct = srv.client("cloudtrail")
        assert [e for e in _events(ct) if e["EventName"] == "ListKeys"]
        srv.admin("/_pocketcloud/clock", {"advance": "89d"})
        assert [e for e in _events(ct) if e["EventName"] == "ListKeys"]
        srv.admin("/_pocketcloud/clock", {"advance": "2d"})
        assert [e for e in _events(ct) if e["EventName"] == "ListKeys"] == []
    finally:
        srv.stop()


def test_events_survive_a_restart(tmp_path):
    srv = Server(data_dir=tmp_path).start()
    try:
        srv.client("kms").create_key(Description="before restart")
    finally:
        srv.stop()  # a clean stop: what was queued is written before the process ends
    srv = Server(data_dir=tmp_path).start()
    try:
        events = _events(srv.client("cloudtrail"), LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}])
        assert len(events) == 1
    finally:
        srv.stop()


def test_trail_crud_and_validation(server, account, unique):
    ct = server.client("cloudtrail", key=account)
    _bucket(server, account, f"{unique}-logs")
    made = ct.create_trail(Name=unique, S3BucketName=f"{unique}-logs", S3KeyPrefix="audit",
                           EnableLogFileValidation=True)
    arn = f"arn:aws:cloudtrail:us-east-1:{account}:trail/{unique}"
    assert made["TrailARN"] == arn and made["LogFileValidationEnabled"] is True and made["IsMultiRegionTrail"] is False
    trail = ct.get_trail(Name=unique)["Trail"]
    assert trail["HomeRegion"] == "us-east-1" and trail["S3KeyPrefix"] == "audit"
    assert ct.get_trail(Name=arn)["Trail"]["Name"] == unique
    assert [t["Name"] for t in ct.describe_trails()["trailList"]] == [unique]
    assert ct.list_trails()["Trails"] == [{"TrailARN": arn, "Name": unique, "HomeRegion": "us-east-1"}]
    with pytest.raises(ClientError) as exc:
        ct.create_trail(Name=unique, S3BucketName=f"{unique}-logs")
    assert _code(exc) == "TrailAlreadyExistsException"
    for bad in ("a", "-starts-with-dash", "has..dots", "has space"):
        with pytest.raises(ClientError) as exc:
            ct.create_trail(Name=bad, S3BucketName=f"{unique}-logs")
        assert _code(exc) == "InvalidTrailNameException"
    with pytest.raises(ClientError) as exc:
        ct.get_trail(Name="nope-trail")
    assert _code(exc) == "TrailNotFoundException"
    with pytest.raises(ClientError) as exc:
        ct.create_trail(Name=f"{unique}-cw", S3BucketName=f"{unique}-logs", CloudWatchLogsLogGroupArn="not-an-arn",
                        CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/ct")
    assert _code(exc) == "InvalidCloudWatchLogsLogGroupArnException"
    updated = ct.update_trail(Name=unique, IsMultiRegionTrail=True)
    assert updated["IsMultiRegionTrail"] is True
    # A multi-region trail shows in every region, and is changed only from its home region.
    other = server.client("cloudtrail", key=account, region="ap-northeast-2")
    assert [t["Name"] for t in other.describe_trails()["trailList"]] == [unique]
    assert other.describe_trails(includeShadowTrails=False)["trailList"] == []
    with pytest.raises(ClientError) as exc:
        other.update_trail(Name=unique, S3KeyPrefix="x")
    assert _code(exc) == "InvalidHomeRegionException"
    ct.add_tags(ResourceId=arn, TagsList=[{"Key": "team", "Value": "sec"}])
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [{"Key": "team", "Value": "sec"}]
    ct.delete_trail(Name=unique)
    with pytest.raises(ClientError) as exc:
        ct.get_trail_status(Name=unique)
    assert _code(exc) == "TrailNotFoundException"


def test_start_and_stop_logging(server, account, unique):
    ct = server.client("cloudtrail", key=account)
    ct.create_trail(Name=unique, S3BucketName=_bucket(server, account, f"{unique}-logs"))
    assert ct.get_trail_status(Name=unique)["IsLogging"] is False
    ct.start_logging(Name=unique)
    status = ct.get_trail_status(Name=unique)
    assert status["IsLogging"] is True and "StartLoggingTime" in status and "TimeLoggingStarted" in status
    ct.stop_logging(Name=unique)
    status = ct.get_trail_status(Name=unique)
    assert status["IsLogging"] is False and "StopLoggingTime" in status


def test_event_selectors(server, account, unique):
    ct = server.client("cloudtrail", key=account)
    ct.create_trail(Name=unique, S3BucketName=_bucket(server, account, f"{unique}-logs"))
    default = ct.get_event_selectors(TrailName=unique)["EventSelectors"]
    assert default == [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                        "ExcludeManagementEventSources": []}]
    basic = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
              "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{unique}-data/"]}]}]
    out = ct.put_event_selectors(TrailName=unique, EventSelectors=basic)
    assert out["EventSelectors"][0]["DataResources"] == basic[0]["DataResources"]
    assert ct.get_event_selectors(TrailName=unique)["EventSelectors"][0]["ReadWriteType"] == "WriteOnly"
    assert ct.get_trail(Name=unique)["Trail"]["HasCustomEventSelectors"] is True
    advanced = [{"Name": "S3 writes", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "readOnly", "Equals": ["false"]}]}]
    ct.put_event_selectors(TrailName=unique, AdvancedEventSelectors=advanced)
    got = ct.get_event_selectors(TrailName=unique)
    assert got["AdvancedEventSelectors"] == advanced and "EventSelectors" not in got
    with pytest.raises(ClientError) as exc:
        ct.put_event_selectors(TrailName=unique, EventSelectors=[{"DataResources": [{"Type": "AWS::Nope::Thing", "Values": ["arn:aws:x"]}]}])
    assert _code(exc) == "InvalidEventSelectorsException"
    with pytest.raises(ClientError) as exc:
        ct.put_event_selectors(TrailName=unique, AdvancedEventSelectors=[{"FieldSelectors": [{"Field": "eventName", "Equals": ["x"]}]}])
    assert _code(exc) == "InvalidEventSelectorsException"


def test_list_public_keys(server, account):
    keys = server.client("cloudtrail", key=account).list_public_keys()["PublicKeyList"]
    assert len(keys) == 1
    public = serialization.load_der_public_key(_spki(keys[0]["Value"]))
    assert public.key_size == 2048
    import hashlib

    assert keys[0]["Fingerprint"] == hashlib.md5(keys[0]["Value"]).hexdigest()


def _spki(pkcs1: bytes) -> bytes:
    """The PKCS#1 RSAPublicKey ListPublicKeys returns, loaded through cryptography."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

    try:
        return load_der_public_key(pkcs1).public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except ValueError:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers  # noqa: F401

        raise


def test_iam_users_and_assumed_roles_in_user_identity(server, account, unique):
    iam = server.client("iam", key=account)
    user = iam.create_user(UserName=unique)["User"]
    creds = iam.create_access_key(UserName=unique)["AccessKey"]
    kms = server.client("kms", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    kms.list_keys()
    ct = server.client("cloudtrail", key=account)
    (event,) = _events(ct, LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": unique}])
    identity = json.loads(event["CloudTrailEvent"])["userIdentity"]
    assert identity == {"type": "IAMUser", "principalId": user["UserId"], "arn": user["Arn"], "accountId": account,
                        "userName": unique, "accessKeyId": creds["AccessKeyId"]}
    # CreateAccessKey's response is shown, without the secret.
    (made,) = _events(ct, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateAccessKey"}])
    assert creds["SecretAccessKey"] not in made["CloudTrailEvent"]
    record = json.loads(made["CloudTrailEvent"])
    assert record["responseElements"]["accessKey"]["accessKeyId"] == creds["AccessKeyId"]
    assert record["responseElements"]["accessKey"]["secretAccessKey"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert record["eventSource"] == "iam.amazonaws.com" and record["awsRegion"] == "us-east-1"
    # IAM is global: its events are recorded in us-east-1 whichever region signed the call.
    server.client("iam", key=account, region="eu-west-1").list_users()
    assert _events(ct, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListUsers"}])

    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}
    role = iam.create_role(RoleName=f"{unique}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    temp = server.client("sts", key=account).assume_role(RoleArn=role["Arn"], RoleSessionName="auditor")["Credentials"]
    boto3.client("kms", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=temp["AccessKeyId"],
                 aws_secret_access_key=temp["SecretAccessKey"], aws_session_token=temp["SessionToken"]).list_aliases()
    (event,) = _events(ct, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListAliases"}])
    identity = json.loads(event["CloudTrailEvent"])["userIdentity"]
    assert identity["type"] == "AssumedRole" and event["Username"] == "auditor"
    assert identity["arn"] == f"arn:aws:sts::{account}:assumed-role/{unique}-role/auditor"
    assert identity["principalId"] == f"{role['RoleId']}:auditor"
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == role["Arn"]
    assert identity["sessionContext"]["attributes"]["creationDate"].endswith("Z")
    assert identity["accessKeyId"] == temp["AccessKeyId"]


def test_refused_calls_are_recorded_under_enforcement(unique):
    srv = Server("--enforce-iam").start()
    try:
        iam = srv.client("iam")
        iam.create_user(UserName=unique)
        creds = iam.create_access_key(UserName=unique)["AccessKey"]
        with pytest.raises(ClientError) as exc:
            srv.client("kms", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"]).list_keys(Limit=5)
        assert _code(exc) == "AccessDeniedException"
        (event,) = _events(srv.client("cloudtrail"), LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": unique}])
        record = json.loads(event["CloudTrailEvent"])
        assert record["eventName"] == "ListKeys" and record["errorCode"] == "AccessDeniedException"
        assert record["requestParameters"] == {"limit": 5}
        assert record["userIdentity"]["type"] == "IAMUser" and record["userIdentity"]["userName"] == unique
    finally:
        srv.stop()
