"""Other services reading and writing S3 in-process: Lambda code from S3, CloudWatch Logs
exports and CloudTrail log files into a bucket."""

import gzip
import time


def test_lambda_code_from_s3(server, unique):
    from test_lambda import ROLE, zipped

    s3, lam = server.client("s3"), server.client("lambda")
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="code/app.zip",
                  Body=zipped({"app.py": "def handler(event, context):\n    return {'from': 's3'}\n"}))
    lam.create_function(FunctionName=unique, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                        Code={"S3Bucket": unique, "S3Key": "code/app.zip"})
    out = lam.invoke(FunctionName=unique, Payload=b"{}")
    assert out["Payload"].read() == b'{"from": "s3"}'


def test_logs_export_lands_in_the_bucket(server, unique):
    s3, logs = server.client("s3"), server.client("logs")
    s3.create_bucket(Bucket=unique)
    logs.create_log_group(logGroupName=unique)
    logs.create_log_stream(logGroupName=unique, logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=unique, logStreamName="s", logEvents=[{"timestamp": now, "message": "hello s3"}])
    task = logs.create_export_task(logGroupName=unique, fromTime=now - 60000, to=now + 60000, destination=unique,
                                   destinationPrefix="exports")["taskId"]
    assert task
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=unique, Prefix="exports/").get("Contents", [])]
    assert keys, "no exported object"
    body = s3.get_object(Bucket=unique, Key=[k for k in keys if k.endswith(".gz")][0])["Body"].read()
    assert b"hello s3" in gzip.decompress(body)


def test_cloudtrail_delivers_log_files_to_the_bucket(server, unique):
    from test_lambda_features import wait_for

    s3, trail = server.client("s3"), server.client("cloudtrail")
    s3.create_bucket(Bucket=unique)
    trail.create_trail(Name=unique, S3BucketName=unique)
    trail.start_logging(Name=unique)
    server.client("sts").get_caller_identity()
    # Recorded first (in the background), then delivered by the trail's next 5-minute batch.
    wait_for(lambda: trail.lookup_events(LookupAttributes=[
        {"AttributeKey": "EventSource", "AttributeValue": "sts.amazonaws.com"}])["Events"])
    server.admin("/_pocketcloud/clock", {"advance": "6m"})
    wait_for(lambda: trail.get_trail_status(Name=unique).get("LatestDeliveryTime"))
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=unique, Prefix="AWSLogs/").get("Contents", [])]
    assert keys and keys[0].endswith(".json.gz")
    record_file = gzip.decompress(s3.get_object(Bucket=unique, Key=keys[0])["Body"].read())
    assert b'"eventSource": "sts.amazonaws.com"' in record_file or b'"eventSource":"sts.amazonaws.com"' in record_file
