"""Amazon SNS: topics, subscriptions and real push delivery (SQS, HTTP/S, Lambda, outbox)."""
