"""S3 Intelligent-Tiering: automatic access tiers, the optional archive tiers of bucket
configurations, restores, on the virtual clock.

These tests move the clock by months, so they share a server of their own."""

import json

import pytest
from botocore.exceptions import ClientError

import test_s3_lifecycle
from conftest import Server, aws_error, queue_arn
from test_s3_lifecycle import _advance

server = test_s3_lifecycle.server  # a server of this module's own: the clock moves freely

BIG = b"t" * (130 * 1024)  # monitored: 128 KiB or more
TIER = "x-pocketcloud-access-tier"


def _tier(s3, bucket, key):
    return s3.head_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPHeaders"].get(TIER)


def _config(config_id, tierings, **extra):
    return {"Id": config_id, "Status": "Enabled",
            "Tierings": [{"AccessTier": tier, "Days": days} for tier, days in tierings], **extra}


def _put_config(s3, bucket, config):
    s3.put_bucket_intelligent_tiering_configuration(Bucket=bucket, Id=config["Id"],
                                                    IntelligentTieringConfiguration=config)


def test_configurations_are_validated_listed_and_deleted(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    archive = _config("archive", [("ARCHIVE_ACCESS", 90), ("DEEP_ARCHIVE_ACCESS", 180)],
                      Filter={"And": {"Prefix": "logs/", "Tags": [{"Key": "team", "Value": "a"}]}})
    _put_config(s3, unique, archive)
    got = s3.get_bucket_intelligent_tiering_configuration(Bucket=unique, Id="archive")
    assert got["IntelligentTieringConfiguration"] == archive
    _put_config(s3, unique, _config("deep", [("DEEP_ARCHIVE_ACCESS", 730)], Filter={"Prefix": "old/"}))
    listed = s3.list_bucket_intelligent_tiering_configurations(Bucket=unique)
    assert [c["Id"] for c in listed["IntelligentTieringConfigurationList"]] == ["archive", "deep"]
    assert listed["IsTruncated"] is False
    bad = [
        _config("low", [("ARCHIVE_ACCESS", 89)]),
        _config("high", [("ARCHIVE_ACCESS", 731)]),
        _config("deeplow", [("DEEP_ARCHIVE_ACCESS", 179)]),
        _config("twice", [("ARCHIVE_ACCESS", 90), ("ARCHIVE_ACCESS", 100)]),
    ]
    for config in bad:
        with pytest.raises(ClientError) as exc:
            _put_config(s3, unique, config)
        assert aws_error(exc) == ("InvalidArgument", 400), config["Id"]
    for config in (dict(_config("status", [("ARCHIVE_ACCESS", 90)]), Status="On"),
                   _config("tier", [("GLACIER", 90)]), _config("none", [])):
        with pytest.raises(ClientError) as exc:
            _put_config(s3, unique, config)
        assert aws_error(exc) == ("MalformedXML", 400), config["Id"]
    with pytest.raises(ClientError) as exc:
        _put_config(s3, unique, _config("bad id!", [("ARCHIVE_ACCESS", 90)]))
    assert aws_error(exc) == ("InvalidConfigurationId", 400)
    s3.delete_bucket_intelligent_tiering_configuration(Bucket=unique, Id="deep")
    for call in (s3.get_bucket_intelligent_tiering_configuration,
                 s3.delete_bucket_intelligent_tiering_configuration):
        with pytest.raises(ClientError) as exc:
            call(Bucket=unique, Id="deep")
        assert aws_error(exc) == ("NoSuchConfiguration", 404)
    with pytest.raises(ClientError) as exc:
        s3.list_bucket_intelligent_tiering_configurations(Bucket=unique + "-none")
    assert aws_error(exc) == ("NoSuchBucket", 404)


def test_at_most_1000_configurations_paged_by_100(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    for n in range(1000):
        _put_config(s3, unique, _config(f"c{n:04d}", [("ARCHIVE_ACCESS", 90)]))
    with pytest.raises(ClientError) as exc:
        _put_config(s3, unique, _config("one-more", [("ARCHIVE_ACCESS", 90)]))
    assert aws_error(exc) == ("TooManyConfigurations", 400)
    _put_config(s3, unique, _config("c0000", [("ARCHIVE_ACCESS", 100)]))  # replacing one is fine
    seen, token = [], None
    while True:
        page = s3.list_bucket_intelligent_tiering_configurations(
            Bucket=unique, **({"ContinuationToken": token} if token else {}))
        seen += [c["Id"] for c in page["IntelligentTieringConfigurationList"]]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert len(seen) == 1000 and seen == sorted(seen)


def test_automatic_tiers_follow_days_without_access(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="big", Body=BIG, StorageClass="INTELLIGENT_TIERING")
    s3.put_object(Bucket=unique, Key="small", Body=b"s" * 1024, StorageClass="INTELLIGENT_TIERING")
    s3.put_object(Bucket=unique, Key="standard", Body=BIG)
    assert _tier(s3, unique, "big") == "FREQUENT"
    assert _tier(s3, unique, "standard") is None
    _advance(server, "31d")
    assert _tier(s3, unique, "big") == "INFREQUENT"
    assert _tier(s3, unique, "small") == "FREQUENT"  # not monitored
    _advance(server, "60d")
    head = s3.head_object(Bucket=unique, Key="big")
    assert head["ResponseMetadata"]["HTTPHeaders"][TIER] == "ARCHIVE_INSTANT"
    assert head["StorageClass"] == "INTELLIGENT_TIERING" and "ArchiveStatus" not in head
    listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=unique)["Contents"]}
    assert listed == {"big": "INTELLIGENT_TIERING", "small": "INTELLIGENT_TIERING", "standard": "STANDARD"}
    got = s3.get_object(Bucket=unique, Key="big")  # Archive Instant Access is readable...
    assert got["Body"].read() == BIG
    assert got["ResponseMetadata"]["HTTPHeaders"][TIER] == "FREQUENT"  # ...and an access brings it back
    assert _tier(s3, unique, "big") == "FREQUENT"
    _advance(server, "1d")  # the daily pass writes the access down
    assert _tier(s3, unique, "big") == "FREQUENT"
    _advance(server, "30d")
    assert _tier(s3, unique, "big") == "INFREQUENT"


def test_archive_access_needs_a_restore(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    _put_config(s3, unique, _config("cold", [("ARCHIVE_ACCESS", 90)], Filter={"Prefix": "cold/"}))
    s3.put_object(Bucket=unique, Key="cold/a", Body=BIG, StorageClass="INTELLIGENT_TIERING")
    s3.put_object(Bucket=unique, Key="warm/b", Body=BIG, StorageClass="INTELLIGENT_TIERING")
    with pytest.raises(ClientError) as exc:  # Frequent Access: nothing to restore
        s3.restore_object(Bucket=unique, Key="cold/a", RestoreRequest={})
    assert aws_error(exc) == ("InvalidObjectState", 403)
    _advance(server, "91d")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="cold/a")
    assert aws_error(exc) == ("InvalidObjectState", 403)
    assert exc.value.response["Error"]["StorageClass"] == "INTELLIGENT_TIERING"
    assert exc.value.response["Error"]["AccessTier"] == "ARCHIVE_ACCESS"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=unique, Key="copy", CopySource={"Bucket": unique, "Key": "cold/a"})
    assert aws_error(exc) == ("InvalidObjectState", 403)
    head = s3.head_object(Bucket=unique, Key="cold/a")
    assert head["ArchiveStatus"] == "ARCHIVE_ACCESS" and head["StorageClass"] == "INTELLIGENT_TIERING"
    assert "Restore" not in head
    assert s3.get_object(Bucket=unique, Key="warm/b")["Body"].read() == BIG  # no configuration: instant
    out = s3.restore_object(Bucket=unique, Key="cold/a", RestoreRequest={"GlacierJobParameters": {"Tier": "Expedited"}})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert s3.head_object(Bucket=unique, Key="cold/a")["Restore"] == 'ongoing-request="true"'
    with pytest.raises(ClientError) as exc:
        s3.restore_object(Bucket=unique, Key="cold/a", RestoreRequest={})
    assert aws_error(exc) == ("RestoreAlreadyInProgress", 409)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="cold/a")
    assert aws_error(exc) == ("InvalidObjectState", 403)
    _advance(server, "6m")
    assert s3.get_object(Bucket=unique, Key="cold/a")["Body"].read() == BIG
    head = s3.head_object(Bucket=unique, Key="cold/a")
    assert "ArchiveStatus" not in head and "Restore" not in head
    assert head["ResponseMetadata"]["HTTPHeaders"][TIER] == "FREQUENT"
    assert [o["StorageClass"] for o in s3.list_objects_v2(Bucket=unique)["Contents"]] == \
        ["INTELLIGENT_TIERING", "INTELLIGENT_TIERING"]


def test_deep_archive_access_by_tag_and_its_restore_tiers(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    _put_config(s3, unique, _config("deep", [("ARCHIVE_ACCESS", 90), ("DEEP_ARCHIVE_ACCESS", 180)],
                                    Filter={"Tag": {"Key": "keep", "Value": "long"}}))
    s3.put_object(Bucket=unique, Key="tagged", Body=BIG, StorageClass="INTELLIGENT_TIERING", Tagging="keep=long")
    s3.put_object(Bucket=unique, Key="other", Body=BIG, StorageClass="INTELLIGENT_TIERING", Tagging="keep=short")
    _advance(server, "91d")
    assert s3.head_object(Bucket=unique, Key="tagged")["ArchiveStatus"] == "ARCHIVE_ACCESS"
    assert "ArchiveStatus" not in s3.head_object(Bucket=unique, Key="other")
    _advance(server, "90d")
    assert s3.head_object(Bucket=unique, Key="tagged")["ArchiveStatus"] == "DEEP_ARCHIVE_ACCESS"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="tagged")
    assert aws_error(exc) == ("InvalidObjectState", 403)
    assert exc.value.response["Error"]["AccessTier"] == "DEEP_ARCHIVE_ACCESS"
    with pytest.raises(ClientError) as exc:
        s3.restore_object(Bucket=unique, Key="tagged", RestoreRequest={"GlacierJobParameters": {"Tier": "Expedited"}})
    assert aws_error(exc) == ("InvalidArgument", 400)
    out = s3.restore_object(Bucket=unique, Key="tagged", RestoreRequest={"GlacierJobParameters": {"Tier": "Standard"}})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    _advance(server, "11h")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique, Key="tagged")
    assert aws_error(exc) == ("InvalidObjectState", 403)
    _advance(server, "2h")
    assert s3.get_object(Bucket=unique, Key="tagged")["Body"].read() == BIG


def test_an_access_restarts_the_count(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    _put_config(s3, unique, _config("all", [("ARCHIVE_ACCESS", 90)]))
    s3.put_object(Bucket=unique, Key="k", Body=BIG, StorageClass="INTELLIGENT_TIERING")
    _advance(server, "80d")
    assert s3.get_object(Bucket=unique, Key="k")["Body"].read() == BIG
    _advance(server, "20d")  # 100 days since the upload, 20 since the access
    assert "ArchiveStatus" not in s3.head_object(Bucket=unique, Key="k")
    _advance(server, "71d")
    assert s3.head_object(Bucket=unique, Key="k")["ArchiveStatus"] == "ARCHIVE_ACCESS"


def test_lifecycle_transition_feeds_intelligent_tiering(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_bucket_lifecycle_configuration(Bucket=unique, LifecycleConfiguration={"Rules": [
        {"ID": "to-it", "Status": "Enabled", "Filter": {"Prefix": ""},
         "Transitions": [{"Days": 10, "StorageClass": "INTELLIGENT_TIERING"}]}]})
    _put_config(s3, unique, _config("all", [("ARCHIVE_ACCESS", 90)]))
    s3.put_object(Bucket=unique, Key="k", Body=BIG)
    _advance(server, "11d")
    head = s3.head_object(Bucket=unique, Key="k")
    assert head["StorageClass"] == "INTELLIGENT_TIERING"
    assert head["ResponseMetadata"]["HTTPHeaders"][TIER] == "FREQUENT"  # days count from the transition
    _advance(server, "85d")  # 96 days since the upload, 85 in Intelligent-Tiering
    assert "ArchiveStatus" not in s3.head_object(Bucket=unique, Key="k")
    _advance(server, "6d")
    assert s3.head_object(Bucket=unique, Key="k")["ArchiveStatus"] == "ARCHIVE_ACCESS"


def test_accesses_and_restores_survive_a_restart(tmp_path, unique):
    srv = Server(data_dir=tmp_path).start()
    try:
        s3, sqs = srv.client("s3"), srv.client("sqs")
        url = sqs.create_queue(QueueName=unique)["QueueUrl"]
        arn = queue_arn(sqs, url)
        s3.create_bucket(Bucket=unique)
        s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": arn, "Events": ["s3:ObjectRestore:Completed"]}]})
        _put_config(s3, unique, _config("all", [("ARCHIVE_ACCESS", 90)]))
        s3.put_object(Bucket=unique, Key="k", Body=BIG, StorageClass="INTELLIGENT_TIERING")
        _advance(srv, "80d")
        s3.get_object(Bucket=unique, Key="k")["Body"].read()  # recorded in memory only
        srv.stop()  # a clean stop writes it down
        srv = Server(data_dir=tmp_path).start()
        s3, sqs = srv.client("s3"), srv.client("sqs")
        _advance(srv, "20d")
        assert "ArchiveStatus" not in s3.head_object(Bucket=unique, Key="k")
        _advance(srv, "71d")
        assert s3.head_object(Bucket=unique, Key="k")["ArchiveStatus"] == "ARCHIVE_ACCESS"
        s3.restore_object(Bucket=unique, Key="k", RestoreRequest={"GlacierJobParameters": {"Tier": "Expedited"}})
        srv.stop()
        srv = Server(data_dir=tmp_path).start()
        s3, sqs = srv.client("s3"), srv.client("sqs")
        assert s3.head_object(Bucket=unique, Key="k")["Restore"] == 'ongoing-request="true"'
        _advance(srv, "6m")  # the restore finishes on time (not at the next daily pass)
        assert _events(sqs, url) == [("ObjectRestore:Completed", "k")]
        assert s3.get_object(Bucket=unique, Key="k")["Body"].read() == BIG
    finally:
        srv.stop()


def _events(sqs, url) -> list:
    """(eventName, key) of the S3 events in a queue (read until some come, for a few seconds)."""
    names = []
    for _ in range(5):
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            names += [(r["eventName"], r["s3"]["object"]["key"]) for r in json.loads(message["Body"]).get("Records", [])]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if names:
            break
    return names


def test_archive_moves_and_restores_are_notified(server, unique):
    s3, sqs = server.client("s3"), server.client("sqs")
    url = sqs.create_queue(QueueName=unique)["QueueUrl"]
    arn = queue_arn(sqs, url)
    s3.create_bucket(Bucket=unique)
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": arn, "Events": ["s3:IntelligentTiering", "s3:ObjectRestore:*"]}]})
    _put_config(s3, unique, _config("all", [("ARCHIVE_ACCESS", 90)]))
    s3.put_object(Bucket=unique, Key="k", Body=BIG, StorageClass="INTELLIGENT_TIERING")

    _advance(server, "91d")
    assert _events(sqs, url) == [("IntelligentTiering", "k")]
    s3.restore_object(Bucket=unique, Key="k", RestoreRequest={"GlacierJobParameters": {"Tier": "Bulk"}})
    assert _events(sqs, url) == [("ObjectRestore:Post", "k")]
    _advance(server, "13h")
    assert _events(sqs, url) == [("ObjectRestore:Completed", "k")]
    assert s3.get_object(Bucket=unique, Key="k")["Body"].read() == BIG
