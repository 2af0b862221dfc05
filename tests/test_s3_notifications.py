"""Event notifications (notes §4): configuration, filters, and delivery to SQS/SNS/Lambda."""

import pytest
from botocore.exceptions import ClientError
from conftest import aws_error


def test_notification_configuration_is_validated_and_returned(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": "arn:aws:sqs:us-east-1:000000000000:q", "Events": ["s3:ObjectEaten:*"]}]})
    assert aws_error(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": "arn:aws:sqs:us-east-1:000000000000:q", "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}}}]})
    assert aws_error(exc) == ("InvalidArgument", 400)
    config = {"EventBridgeConfiguration": {}}
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration=config)
    assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket=unique)
    s3.put_object(Bucket=unique, Key="k", Body=b"x")  # delivered (or skipped) in the background
    s3.put_bucket_notification_configuration(Bucket=unique, NotificationConfiguration={})
    assert s3.get_bucket_notification_configuration(Bucket=unique).get("EventBridgeConfiguration") is None
