"""Service families: the error codes, statuses and messages AWS answers a bad signature with.

Errors are those AWS returns, which differ by service family:

  S3           SignatureDoesNotMatch 403 (with StringToSign/CanonicalRequest fields),
               RequestTimeTooSkewed 403, AccessDenied 403 "Request has expired",
               AuthorizationHeaderMalformed 400, AuthorizationQueryParametersError 400
  EC2          AuthFailure 401, RequestExpired 400 "Request has expired."
  query (STS, IAM, SNS, RDS, ...; also CloudFront, Route 53)
               SignatureDoesNotMatch 403 (also "Signature expired: ..."), IncompleteSignature 400
  JSON 1.x     InvalidSignatureException 400, IncompleteSignatureException 400
  SQS          InvalidSignatureException 403 (its JSON protocol answers 403, like its query past)
  REST-JSON    InvalidSignatureException 403, IncompleteSignatureException 403
               (Lambda, API Gateway, EFS)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pocketcloud.protocol.errors import ServiceError

if TYPE_CHECKING:
    from .credentials import Credentials

S3, EC2, QUERY, JSON, SQS, REST_JSON = "s3", "ec2", "query", "json", "sqs", "rest-json"

# Keyed by signing name and by botocore service name (the gateway may pass either).
_FAMILY_OF = {
    "s3": S3,
    "s3-object-lambda": S3,
    "ec2": EC2,
    "sqs": SQS,
    "lambda": REST_JSON,
    "apigateway": REST_JSON,
    "apigatewayv2": REST_JSON,
    "execute-api": REST_JSON,
    "elasticfilesystem": REST_JSON,
    "efs": REST_JSON,
    **{
        name: JSON
        for name in (
            "logs",
            "kms",
            "ecs",
            "events",
            "cloudtrail",
            "storagegateway",
            "shield",
            "waf",
            "waf-regional",
            "wafv2",
            "snowball",
            "dynamodb",
            "kinesis",
            "ssm",
            "secretsmanager",
            "ecr",
            "states",
        )
    },
}


def _family(service: str | None) -> str:
    return _FAMILY_OF.get(service or "", QUERY)


# (code, status) of a signature mismatch and of a malformed signature, per family.
_MISMATCH = {
    EC2: ("AuthFailure", 401),
    QUERY: ("SignatureDoesNotMatch", 403),
    JSON: ("InvalidSignatureException", 400),
    SQS: ("InvalidSignatureException", 403),
    REST_JSON: ("InvalidSignatureException", 403),
}
_INCOMPLETE = {
    EC2: ("IncompleteSignature", 400),
    QUERY: ("IncompleteSignature", 400),
    JSON: ("IncompleteSignatureException", 400),
    SQS: ("IncompleteSignatureException", 400),
    REST_JSON: ("IncompleteSignatureException", 403),
}

_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_S3_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
_EC2_AUTH_FAILURE = "AWS was not able to validate the provided access credentials"


def _incomplete(family: str, message: str) -> ServiceError:
    code, status = _INCOMPLETE.get(family, _INCOMPLETE[QUERY])
    return ServiceError(code, message, status)


def _mismatch(family: str, message: str) -> ServiceError:
    code, status = _MISMATCH.get(family, _MISMATCH[QUERY])
    return ServiceError(code, message, status)


def _s3_header_malformed(detail: str) -> ServiceError:
    return ServiceError(
        "AuthorizationHeaderMalformed", f"The authorization header is malformed; {detail}", 400
    )


def _s3_query_error(message: str) -> ServiceError:
    return ServiceError("AuthorizationQueryParametersError", message, 400)


def _s3_access_denied(message: str, **fields) -> ServiceError:
    return ServiceError("AccessDenied", message, 403, **fields)


def _s3_no_date() -> ServiceError:
    return _s3_access_denied("AWS authentication requires a valid Date or x-amz-date header")


def unknown_access_key(creds: "Credentials", service: str | None = None) -> ServiceError:
    """The error AWS gives for an access key id it does not know (for the gateway's lookup)."""
    family = _family(service or creds.service or ("s3" if creds.version == 2 else None))
    if family == S3:
        return ServiceError(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
            AWSAccessKeyId=creds.access_key,
        )
    if family == EC2:
        return ServiceError("AuthFailure", _EC2_AUTH_FAILURE, 401)
    if family == QUERY:
        return ServiceError(
            "InvalidClientTokenId", "The security token included in the request is invalid.", 403
        )
    status = 400 if family == JSON else 403
    return ServiceError(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        status,
    )


def _hex_bytes(text: str) -> str:
    return " ".join(f"{b:02x}" for b in text.encode("utf-8", "surrogateescape"))


def s3_signature_mismatch(access_key: str, string_to_sign: str, provided: str) -> ServiceError:
    """S3's SignatureDoesNotMatch, with the fields S3 adds to help a client find its mistake."""
    return ServiceError(
        "SignatureDoesNotMatch",
        _S3_MISMATCH_MESSAGE,
        403,
        AWSAccessKeyId=access_key,
        StringToSign=string_to_sign,
        SignatureProvided=provided,
        StringToSignBytes=_hex_bytes(string_to_sign),
    )


def wrong_service(creds: "Credentials", signing_name: str, service: str) -> ServiceError:
    """A signature scoped to another service than the one the request reached: valid or not,
    it must not open this one."""
    if _family(service) == S3:
        return _s3_header_malformed(
            f'incorrect service "{creds.service}". This endpoint belongs to "{signing_name}".')
    return _mismatch(_family(service), f"Credential should be scoped to correct service: '{signing_name}'. ")
