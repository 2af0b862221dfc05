"""Amazon SQS: standard and FIFO queues with real visibility timeouts, delays, retention,
dead-letter queues and long polling, on the virtual clock, durable in the store.

Other services import the URL helpers from here (SNS delivering to a queue by its ARN).
"""

from .urls import queue_arn, queue_url, queue_url_from_arn

__all__ = ["queue_arn", "queue_url", "queue_url_from_arn"]
