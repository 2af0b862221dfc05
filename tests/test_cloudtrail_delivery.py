"""CloudTrail trails delivering to S3 (notes §20): AWS's key layout, gzipped JSON log files,
digest files whose chain and signatures verify, data events chosen by selectors, CloudWatch Logs."""

import gzip
import hashlib
import json

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from conftest import Server, queue_arn

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def srv():
    """Its own server: delivery runs as the virtual clock moves."""
    server = Server().start()
    yield server
    server.stop()


def _advance(srv, duration: str, trail: str) -> None:
    """Move the clock; then GetTrailStatus, which answers once the deliveries the move set off
    (S3 and CloudWatch Logs writes, made after the clock call returns) are done."""
    srv.admin("/_pocketcloud/clock", {"advance": duration})
    srv.client("cloudtrail").get_trail_status(Name=trail)


@pytest.fixture(autouse=True)
def _trails_deleted(srv):
    """AWS allows 5 trails per region: each test removes its own."""
    yield
    ct = srv.client("cloudtrail")
    for trail in ct.list_trails()["Trails"]:
        ct.delete_trail(Name=trail["TrailARN"])


def _objects(s3, bucket: str, prefix: str = "") -> list[str]:
    keys, token = [], None
    while True:
        page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **({"ContinuationToken": token} if token else {}))
        keys += [o["Key"] for o in page.get("Contents", [])]
        token = page.get("NextContinuationToken")
        if not token:
            return keys


def _read_gz(s3, bucket: str, key: str) -> bytes:
    return gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _trail(srv, unique, **extra):
    s3 = srv.client("s3")
    bucket = f"{unique}-trail"
    s3.create_bucket(Bucket=bucket)
    ct = srv.client("cloudtrail")
    ct.create_trail(Name=unique, S3BucketName=bucket, **extra)
    ct.start_logging(Name=unique)
    return ct, s3, bucket


def test_missing_bucket_is_refused(srv, unique):
    with pytest.raises(ClientError) as exc:
        srv.client("cloudtrail").create_trail(Name=unique, S3BucketName=f"{unique}-absent")
    assert exc.value.response["Error"]["Code"] == "S3BucketDoesNotExistException"


def test_log_files_land_under_aws_key_layout(srv, unique):
    ct, s3, bucket = _trail(srv, unique, S3KeyPrefix="audit")
    srv.client("kms").create_key(Description=f"{unique}-delivered")
    _advance(srv, "6m", unique)
    assert "LatestDeliveryTime" in ct.get_trail_status(Name=unique)
    keys = _objects(s3, bucket, f"audit/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/")
    assert keys
    name = keys[-1].rsplit("/", 1)[1]
    parts = keys[-1].split("/")
    assert len(parts[5]) == 4 and len(parts[6]) == 2 and len(parts[7]) == 2  # YYYY/MM/DD
    assert name.startswith(f"{ACCOUNT}_CloudTrail_us-east-1_") and name.endswith(".json.gz")
    stamp, random = name[len(f"{ACCOUNT}_CloudTrail_us-east-1_"):-len(".json.gz")].split("_")
    assert len(stamp) == len("20260101T1205Z") and stamp.endswith("Z") and len(random) == 16
    records = [r for key in keys for r in json.loads(_read_gz(s3, bucket, key))["Records"]]
    created = [r for r in records if r["eventName"] == "CreateKey"
               and r["requestParameters"].get("description") == f"{unique}-delivered"]
    assert len(created) == 1 and created[0]["eventSource"] == "kms.amazonaws.com"
    ct.stop_logging(Name=unique)
    before = set(_objects(s3, bucket))
    srv.client("kms").list_keys()
    _advance(srv, "10m", unique)
    assert set(_objects(s3, bucket)) == before


def test_digest_files_chain_and_verify(srv, unique):
    ct, s3, bucket = _trail(srv, unique, EnableLogFileValidation=True)
    kms = srv.client("kms")
    for hour in range(3):
        kms.list_aliases()
        _advance(srv, "61m", unique)
    assert "LatestDigestDeliveryTime" in ct.get_trail_status(Name=unique)
    digest_keys = sorted(_objects(s3, bucket, f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/"))
    assert len(digest_keys) >= 3
    assert digest_keys[0].rsplit("/", 1)[1].startswith(f"{ACCOUNT}_CloudTrail-Digest_us-east-1_{unique}_us-east-1_")
    keys = {k["Fingerprint"]: serialization.load_der_public_key(k["Value"])
            for k in ct.list_public_keys()["PublicKeyList"]}
    previous = None
    log_files = 0
    for key in digest_keys:
        obj = s3.get_object(Bucket=bucket, Key=key)
        raw = gzip.decompress(obj["Body"].read())
        digest = json.loads(raw)
        assert digest["digestS3Object"] == key and digest["digestSignatureAlgorithm"] == "SHA256withRSA"
        signature = obj["Metadata"]["signature"]
        signed = "\n".join((digest["digestEndTime"], f"{bucket}/{key}", hashlib.sha256(raw).hexdigest(),
                            digest["previousDigestSignature"] or "null"))
        keys[digest["digestPublicKeyFingerprint"]].verify(bytes.fromhex(signature), signed.encode(),
                                                          padding.PKCS1v15(), hashes.SHA256())
        if previous is None:
            assert digest["previousDigestSignature"] is None
        else:
            assert digest["previousDigestS3Object"] == previous["key"]
            assert digest["previousDigestSignature"] == previous["signature"]
            assert digest["previousDigestHashValue"] == previous["hash"]
            assert digest["digestStartTime"] == previous["end"]
        for log in digest["logFiles"]:
            assert hashlib.sha256(_read_gz(s3, bucket, log["s3Object"])).hexdigest() == log["hashValue"]
            log_files += 1
        previous = {"key": key, "signature": signature, "hash": hashlib.sha256(raw).hexdigest(),
                    "end": digest["digestEndTime"]}
    assert log_files >= 3
    # A log file changed after delivery no longer matches its digest.
    first_log = next(json.loads(_read_gz(s3, bucket, k))["logFiles"][0]["s3Object"] for k in digest_keys
                     if json.loads(_read_gz(s3, bucket, k))["logFiles"])
    s3.put_object(Bucket=bucket, Key=first_log, Body=gzip.compress(b'{"Records":[]}'))
    listed = {log["s3Object"]: log["hashValue"] for k in digest_keys for log in json.loads(_read_gz(s3, bucket, k))["logFiles"]}
    assert hashlib.sha256(_read_gz(s3, bucket, first_log)).hexdigest() != listed[first_log]


def test_data_events_only_where_selected(srv, unique):
    ct, s3, bucket = _trail(srv, unique)
    data_bucket = f"{unique}-data"
    s3.create_bucket(Bucket=data_bucket)
    s3.put_object(Bucket=data_bucket, Key="before-selector.txt", Body=b"x")
    ct.put_event_selectors(TrailName=unique, EventSelectors=[{
        "ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{data_bucket}/"]}]}])
    s3.put_object(Bucket=data_bucket, Key="selected.txt", Body=b"secret body")
    s3.get_object(Bucket=data_bucket, Key="selected.txt")  # a read: not selected
    _advance(srv, "6m", unique)
    records = [r for key in _objects(s3, bucket, f"AWSLogs/{ACCOUNT}/CloudTrail/")
               for r in json.loads(_read_gz(s3, bucket, key))["Records"]]
    puts = [r for r in records if r["eventName"] == "PutObject"]
    assert [r["requestParameters"]["key"] for r in puts] == ["selected.txt"]
    assert puts[0]["managementEvent"] is False and puts[0]["eventCategory"] == "Data"
    assert puts[0]["resources"][0] == {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{data_bucket}/selected.txt",
                                       "accountId": ACCOUNT}
    assert not [r for r in records if r["eventName"] == "GetObject"]
    assert any(r["eventName"] == "PutEventSelectors" for r in records)
    # Data events never appear in event history.
    history = srv.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutObject"}])["Events"]
    assert history == []
    ct.delete_trail(Name=unique)


def test_cloudwatch_logs_delivery(srv, unique):
    logs = srv.client("logs")
    group = f"/trail/{unique}"
    logs.create_log_group(logGroupName=group)
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:*"
    ct, s3, bucket = _trail(srv, unique, CloudWatchLogsLogGroupArn=arn,
                            CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role")
    srv.client("kms").list_keys()
    _advance(srv, "6m", unique)
    assert "LatestCloudWatchLogsDeliveryTime" in ct.get_trail_status(Name=unique)
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == [f"{ACCOUNT}_CloudTrail_us-east-1"]
    events = logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"])["events"]
    assert any(json.loads(e["message"])["eventName"] == "ListKeys" for e in events)


def test_sns_notification_of_delivered_log_files(srv, unique):
    sns, sqs = srv.client("sns"), srv.client("sqs")
    topic = sns.create_topic(Name=unique)["TopicArn"]
    queue = sqs.create_queue(QueueName=unique)["QueueUrl"]
    sqs_arn = queue_arn(sqs, queue)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sqs_arn, Attributes={"RawMessageDelivery": "true"})
    ct, s3, bucket = _trail(srv, unique, SnsTopicName=unique)
    srv.client("kms").list_keys()
    _advance(srv, "6m", unique)
    status = ct.get_trail_status(Name=unique)
    assert "LatestNotificationTime" in status, status
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    notice = json.loads(messages[0]["Body"])
    assert notice["s3Bucket"] == bucket
    assert notice["s3ObjectKey"] and all(k in _objects(s3, bucket) for k in notice["s3ObjectKey"])


def test_advanced_selectors_pick_sqs_data_events(srv, unique):
    ct, s3, bucket = _trail(srv, unique)
    ct.put_event_selectors(TrailName=unique, AdvancedEventSelectors=[{"Name": "SQS sends", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::SQS::Queue"]},
        {"Field": "eventName", "Equals": ["SendMessage"]}]}])
    sqs = srv.client("sqs")
    queue = sqs.create_queue(QueueName=unique)["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="never in the log")
    sqs.receive_message(QueueUrl=queue)
    _advance(srv, "6m", unique)
    records = [r for key in _objects(s3, bucket, f"AWSLogs/{ACCOUNT}/CloudTrail/")
               for r in json.loads(_read_gz(s3, bucket, key))["Records"]]
    sends = [r for r in records if r["eventName"] == "SendMessage"]
    assert len(sends) == 1 and sends[0]["eventSource"] == "sqs.amazonaws.com"
    assert sends[0]["resources"][0]["ARN"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:{unique}"
    assert sends[0]["requestParameters"]["messageBody"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert "never in the log" not in json.dumps(records)
    # Only data events were selected: no management events, no receives.
    assert {r["eventCategory"] for r in records} == {"Data"}
    assert not [r for r in records if r["eventName"] == "ReceiveMessage"]
    ct.delete_trail(Name=unique)


def test_log_files_encrypted_with_the_trails_kms_key(srv, unique):
    kms = srv.client("kms")
    srv.client("s3").create_bucket(Bucket=f"{unique}-x")
    with pytest.raises(ClientError) as exc:
        srv.client("cloudtrail").create_trail(Name=f"{unique}-x", S3BucketName=f"{unique}-x",
                                              KmsKeyId="alias/not-there")
    assert exc.value.response["Error"]["Code"] == "KmsKeyNotFoundException"
    key = kms.create_key(Description="trail logs")["KeyMetadata"]
    ct, s3, bucket = _trail(srv, unique, KmsKeyId=key["Arn"])
    kms.list_keys()
    _advance(srv, "6m", unique)
    keys = _objects(s3, bucket, f"AWSLogs/{ACCOUNT}/CloudTrail/")
    head = s3.head_object(Bucket=bucket, Key=keys[0])
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key["Arn"]
    assert json.loads(_read_gz(s3, bucket, keys[0]))["Records"]
    with pytest.raises(ClientError) as exc:
        ct.update_trail(Name=unique, KmsKeyId="alias/not-there")
    assert exc.value.response["Error"]["Code"] == "KmsKeyNotFoundException"


def test_lambda_invocations_as_data_events(srv, unique):
    import io
    import zipfile

    ct, s3, bucket = _trail(srv, unique)
    lam = srv.client("lambda")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    function = lam.create_function(FunctionName=unique, Runtime="python3.11", Handler="app.handler",
                                   Role=f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
                                   Code={"ZipFile": code.getvalue()})["FunctionArn"]
    ct.put_event_selectors(TrailName=unique, EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": False,
        "DataResources": [{"Type": "AWS::Lambda::Function", "Values": [function]}]}])
    assert lam.invoke(FunctionName=unique, Payload=b'{"secret": "payload"}')["StatusCode"] == 200
    _advance(srv, "6m", unique)
    records = [r for key in _objects(s3, bucket, f"AWSLogs/{ACCOUNT}/CloudTrail/")
               for r in json.loads(_read_gz(s3, bucket, key))["Records"]]
    assert [r["eventName"] for r in records] == ["Invoke"]
    assert records[0]["eventSource"] == "lambda.amazonaws.com"
    assert records[0]["resources"][0] == {"type": "AWS::Lambda::Function", "ARN": function, "accountId": ACCOUNT}
    assert "secret" not in json.dumps(records)
