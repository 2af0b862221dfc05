"""CloudTrail delivers its events to a CloudWatch Logs group, where filter patterns find them."""

from __future__ import annotations

import json



def test_trail_events_reach_the_log_group(own_server):
    s3, ct, logs, kms = (own_server.client(s) for s in ("s3", "cloudtrail", "logs", "kms"))
    s3.create_bucket(Bucket="trail-bucket")
    logs.create_log_group(logGroupName="trail-group")
    group_arn = "arn:aws:logs:us-east-1:000000000000:log-group:trail-group:*"
    ct.create_trail(Name="audit", S3BucketName="trail-bucket", CloudWatchLogsLogGroupArn=group_arn,
                    CloudWatchLogsRoleArn="arn:aws:iam::000000000000:role/trail-to-logs")
    ct.start_logging(Name="audit")
    key_id = kms.create_key(Description="watched")["KeyMetadata"]["KeyId"]
    own_server.admin("/_pocketcloud/clock", {"advance": "6m"})   # the trail delivers every 5 minutes
    ct.get_trail_status(Name="audit")  # answers once the deliveries the clock move started are done
    found = logs.filter_log_events(logGroupName="trail-group", filterPattern='{ $.eventName = "CreateKey" }')
    assert len(found["events"]) == 1
    event = found["events"][0]
    assert event["logStreamName"] == "000000000000_CloudTrail_us-east-1"
    record = json.loads(event["message"])
    assert record["eventSource"] == "kms.amazonaws.com"
    assert record["responseElements"]["keyMetadata"]["keyId"] == key_id
