"""AWS-shaped errors. Providers and parsers raise ServiceError; the codec serializes it."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An error AWS would return.

    code     the AWS error code (e.g. "NoSuchBucket", "ValidationException")
    message  human-readable message
    status   HTTP status code
    sender_fault  True for client errors ("Sender"), False for server errors ("Receiver")
    fields   extra members of the modelled error shape (e.g. S3's BucketName), and
             extra response headers under the key "__headers__"
    """

    def __init__(
        self,
        code: str,
        message: str = "",
        status: int = 400,
        sender_fault: bool | None = None,
        **fields: Any,
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = status < 500 if sender_fault is None else sender_fault
        self.fields = fields


def not_implemented(service: str, operation: str) -> ServiceError:
    return ServiceError(
        "NotImplemented",
        f"The operation {operation} of service {service} is not implemented by pocketcloud yet.",
        501,
        sender_fault=False,
    )


def internal_error(detail: str = "") -> ServiceError:
    msg = "We encountered an internal error. Please try again."
    if detail:
        msg = f"{msg} ({detail})"
    return ServiceError("InternalError", msg, 500, sender_fault=False)
