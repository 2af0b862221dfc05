"""SAML 2.0 assertions for AssumeRoleWithSAML: read (safely: no DTD, no entities) for the
subject, the audience, the Role attribute and the session name. Signatures are not verified
(pocketcloud has no identity provider's keys); the provider must exist in IAM."""

from __future__ import annotations

import base64

from ...protocol.errors import ServiceError
from ...protocol.parsers._xml import MalformedXml, parse_xml

ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"


def _invalid(message: str = "Invalid SAML Response") -> ServiceError:
    return ServiceError("InvalidIdentityToken", message, 400)


def _walk(element):
    yield element
    for child in element.children:
        yield from _walk(child)


def read(encoded: str) -> dict:
    try:
        root = parse_xml(base64.b64decode(encoded, validate=True))
    except (ValueError, MalformedXml):
        raise _invalid() from None
    found = {"issuer": None, "subject": None, "audience": None, "roles": [], "session": None}
    for element in _walk(root):
        if element.tag == "Issuer" and found["issuer"] is None:
            found["issuer"] = element.text_value().strip()
        elif element.tag == "NameID" and found["subject"] is None:
            found["subject"] = element.text_value().strip()
        elif element.tag == "Audience" and found["audience"] is None:
            found["audience"] = element.text_value().strip()
        elif element.tag == "Attribute":
            name = element.attrs.get("Name")
            values = [c.text_value().strip() for c in element.children if c.tag == "AttributeValue"]
            if name == ROLE_ATTRIBUTE:
                found["roles"] += values
            elif name == SESSION_ATTRIBUTE and values:
                found["session"] = values[0]
    if not found["subject"] or not found["roles"]:
        raise _invalid()
    return found


def pick_role(roles: list[str], role_arn: str, principal_arn: str) -> bool:
    """Does the Role attribute pair this role with this provider ("role,provider" either way)?"""
    for value in roles:
        parts = {p.strip() for p in value.split(",")}
        if parts == {role_arn, principal_arn}:
            return True
    return False
