"""AWS STS: who am I, and temporary credentials (AssumeRole with the trust policy evaluated,
GetSessionToken, AssumeRoleWithWebIdentity), GetAccessKeyInfo, DecodeAuthorizationMessage.

The credentials work on every service and expire on the virtual clock (ExpiredToken)."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from ...protocol.errors import ServiceError

_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


def _access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, 403)


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime

    def get_caller_identity(self, ctx, params):
        if not ctx.principal_arn:
            # The default and 12-digit access keys act as the account's root user, for which
            # AWS answers with the account id as the user id.
            return {"UserId": ctx.account, "Account": ctx.account, "Arn": f"arn:aws:iam::{ctx.account}:root"}
        from ..iam.principals import identity_of

        principal = identity_of(self.runtime, ctx.account, ctx.principal_arn, ctx.access_key).principal
        return {"UserId": principal.user_id or ctx.access_key or ctx.account, "Account": ctx.account,
                "Arn": principal.arn}

    # -- shared ------------------------------------------------------------------------------------
    def _role(self, role_arn: str) -> dict:
        from ..iam.entities import ROLE, find

        parts = role_arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise _validation(f"{role_arn} is invalid")
        role = find(self.runtime, parts[4], ROLE, parts[5].rsplit("/", 1)[1])
        if role is None or role["Arn"] != role_arn:
            raise _access_denied(f"Not authorized to perform sts:AssumeRole on {role_arn}")
        return role

    def _session_policy(self, params) -> None:
        from ..iam.common import check_document

        if params.get("Policy"):
            if len("".join(params["Policy"].split())) > 2048:
                raise ServiceError("PackedPolicyTooLarge", "Packed size of consumed session policy exceeds 100 "
                                   "percent of allowed value.", 400)
            check_document(params["Policy"], "identity")
        for entry in params.get("PolicyArns") or []:
            if not entry.get("arn", "").startswith("arn:aws:iam::"):
                raise _validation(f"Invalid policy ARN: {entry.get('arn')}")

    def _trusts(self, ctx, role: dict, principal, extra_context: dict) -> bool:
        """Does the role's trust policy admit the principal (its resource side; the caller's own
        policies are checked by enforcement)?"""
        from ...policy.context import base_context
        from ...policy.document import PolicyError, parse
        from ...policy.evaluate import Source, matching_statements

        try:
            trust = Source(parse(role["AssumeRolePolicyDocument"], "trust"), "trust", "resource")
        except PolicyError:
            return False
        action = extra_context.pop("__action__", "sts:AssumeRole")
        context = {**base_context(principal, ctx.now, ctx.region), **extra_context}
        effects = [s.effect for s, _ in matching_statements(trust, action, role["Arn"], context, principal)]
        return "Allow" in effects and "Deny" not in effects

    def _duration(self, params, role, chained: bool) -> int:
        duration = params.get("DurationSeconds") or 3600
        limit = 3600 if chained else role["MaxSessionDuration"]
        if not 900 <= duration <= limit:
            raise _validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                              if duration > limit else
                              f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
                              "satisfy constraint: Member must have value greater than or equal to 900")
        return duration

    def _assumed(self, ctx, role, session_name, params, principal_context: dict, **fields) -> dict:
        from ..iam.common import check_tags
        from ..iam.entities import ROLE, put
        from .sessions import issue, packed_size

        if not _SESSION_NAME.match(session_name or ""):
            raise _validation(f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to "
                              "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
        self._session_policy(params)
        account = role["Arn"].split(":")[4]
        arn = f"arn:aws:sts::{account}:assumed-role/{role['RoleName']}/{session_name}"
        role["RoleLastUsed"] = {"LastUsedDate": ctx.now, "Region": ctx.region}
        put(self.runtime, account, ROLE, role)
        tags = {t["Key"]: t["Value"] for t in check_tags(params.get("Tags"))}
        credentials = issue(self.runtime, ctx, account, arn, fields.pop("duration"), role_arn=role["Arn"],
                            policy=params.get("Policy"), policy_arns=[p["arn"] for p in params.get("PolicyArns") or []],
                            tags=tags, source_identity=params.get("SourceIdentity"), **fields)
        out = {"Credentials": credentials,
               "AssumedRoleUser": {"AssumedRoleId": f"{role['RoleId']}:{session_name}", "Arn": arn},
               "PackedPolicySize": packed_size(params.get("Policy"), params.get("PolicyArns"), params.get("Tags"))}
        if params.get("SourceIdentity"):
            out["SourceIdentity"] = params["SourceIdentity"]
        return out

    # -- operations --------------------------------------------------------------------------------
    def assume_role(self, ctx, params):
        from ..iam.principals import identity_of

        role = self._role(params["RoleArn"])
        who = identity_of(self.runtime, ctx.account, ctx.principal_arn, ctx.access_key)
        extra = {"sts:rolesessionname": params["RoleSessionName"]}
        if params.get("ExternalId"):
            extra["sts:externalid"] = params["ExternalId"]
        if params.get("SourceIdentity"):
            extra["sts:sourceidentity"] = params["SourceIdentity"]
        for tag in params.get("Tags") or []:
            extra[f"aws:requesttag/{tag['Key'].lower()}"] = tag["Value"]
        if params.get("SerialNumber") and params.get("TokenCode"):
            extra["aws:multifactorauthpresent"] = "true"
        if not self._trusts(ctx, role, who.principal, extra):
            raise _access_denied(f"User: {who.principal.arn} is not authorized to perform: sts:AssumeRole on "
                                 f"resource: {role['Arn']}")
        chained = who.principal.kind == "assumed-role"
        duration = self._duration(params, role, chained)
        return self._assumed(ctx, role, params["RoleSessionName"], params, extra, duration=duration,
                             mfa=bool(params.get("SerialNumber") and params.get("TokenCode")))

    def assume_role_with_web_identity(self, ctx, params):
        from ...policy.evaluate import Principal
        from .webidentity import claims, provider_name

        token = claims(params["WebIdentityToken"], self.runtime.clock.time())
        role = self._role(params["RoleArn"])
        issuer = provider_name(str(token["iss"]))
        account = role["Arn"].split(":")[4]
        known = {"accounts.google.com", "graph.facebook.com", "www.amazon.com", "cognito-identity.amazonaws.com"}
        federated = issuer if issuer in known else f"arn:aws:iam::{account}:oidc-provider/{issuer}"
        aud = token["aud"] if isinstance(token["aud"], str) else (token["aud"] or [""])[0]
        if issuer not in known:
            from ..iam.federation import find_oidc

            provider = find_oidc(self.runtime, account, federated)
            if provider is None:
                raise ServiceError("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for "
                                   f"{token['iss']}", 400)
            if provider["ClientIDList"] and aud not in provider["ClientIDList"]:
                raise ServiceError("InvalidIdentityToken", "Incorrect token audience", 400)
        principal = Principal("federated-user", None, None, federated=federated)
        extra = {f"{issuer}:sub": str(token["sub"]), f"{issuer}:aud": aud, f"{issuer}:oaud": aud,
                 "sts:rolesessionname": params["RoleSessionName"], "__action__": "sts:AssumeRoleWithWebIdentity"}
        extra = {k if k == "__action__" else k.lower(): v for k, v in extra.items()}
        if not self._trusts(ctx, role, principal, extra):
            raise _access_denied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
        duration = self._duration(params, role, False)
        out = self._assumed(ctx, role, params["RoleSessionName"], params, extra, duration=duration, mfa=False)
        out.update({"SubjectFromWebIdentityToken": str(token["sub"]), "Audience": aud, "Provider": issuer})
        return out

    def assume_role_with_saml(self, ctx, params):
        from ...policy.evaluate import Principal
        from ..iam.common import iam_ns
        from .saml import pick_role, read

        assertion = read(params["SAMLAssertion"])
        role = self._role(params["RoleArn"])
        account = role["Arn"].split(":")[4]
        provider_arn = params["PrincipalArn"]
        provider = iam_ns(self.runtime, account).get("saml", provider_arn)
        if provider is None:
            raise ServiceError("InvalidIdentityToken", f"SAML provider {provider_arn} does not exist", 400)
        if not pick_role(assertion["roles"], role["Arn"], provider_arn):
            raise _access_denied("Not authorized to perform sts:AssumeRoleWithSAML")
        session_name = assertion["session"] or assertion["subject"]
        audience = assertion["audience"] or "https://signin.aws.amazon.com/saml"
        principal = Principal("federated-user", None, None, federated=provider_arn)
        extra = {"saml:aud": audience, "saml:sub": assertion["subject"], "saml:iss": assertion["issuer"] or "",
                 "sts:rolesessionname": session_name, "__action__": "sts:AssumeRoleWithSAML"}
        if not self._trusts(ctx, role, principal, extra):
            raise _access_denied("Not authorized to perform sts:AssumeRoleWithSAML")
        duration = self._duration(params, role, False)
        out = self._assumed(ctx, role, session_name, params, extra, duration=duration, mfa=False)
        out.update({"Subject": assertion["subject"], "SubjectType": "persistent", "Issuer": assertion["issuer"],
                    "Audience": audience, "NameQualifier": base64.b64encode(
                        hashlib.sha1(f"{assertion['issuer']}{account}{provider_arn.rsplit('/', 1)[1]}".encode(),
                                     usedforsecurity=False).digest()).decode()})
        return out

    def get_session_token(self, ctx, params):
        from .sessions import issue

        if ctx.access_key and ctx.access_key.startswith("ASIA"):
            raise _access_denied("Cannot call GetSessionToken with session credentials")
        root = not ctx.principal_arn
        duration = params.get("DurationSeconds") or (3600 if root else 43200)
        if not 900 <= duration <= (3600 if root else 129600):
            raise _validation(f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
                              f"satisfy constraint: Member must have value less than or equal to {3600 if root else 129600}")
        mfa = False
        if params.get("SerialNumber") or params.get("TokenCode"):
            from ..iam.keys import mfa_device_of

            code = params.get("TokenCode") or ""
            device = mfa_device_of(self.runtime, ctx.account, params.get("SerialNumber") or "")
            if device is None or not device["user"] or not (code.isdigit() and len(code) == 6):
                raise _access_denied("MultiFactorAuthentication failed with invalid MFA one time pass code.")
            mfa = True
        arn = ctx.principal_arn or f"arn:aws:iam::{ctx.account}:root"
        return {"Credentials": issue(self.runtime, ctx, ctx.account, arn, duration, mfa=mfa)}

    def get_federation_token(self, ctx, params):
        from .sessions import issue, packed_size

        if ctx.access_key and ctx.access_key.startswith("ASIA"):
            raise _access_denied("Cannot call GetFederationToken with session credentials")
        name = params["Name"]
        if not re.match(r"^[\w+=,.@-]{2,32}$", name):
            raise _validation(f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
                              "Member must satisfy regular expression pattern: [\\w+=,.@-]*")
        self._session_policy(params)
        duration = params.get("DurationSeconds") or 43200
        limit = 3600 if not ctx.principal_arn else 129600
        if not 900 <= duration <= limit:
            raise _validation(f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
                              f"satisfy constraint: Member must have value less than or equal to {limit}")
        arn = f"arn:aws:sts::{ctx.account}:federated-user/{name}"
        # A federation token's permissions are the caller's, intersected with the session policy;
        # no session policy at all means no permissions.
        credentials = issue(self.runtime, ctx, ctx.account, arn, duration, mfa=False, federated=True,
                            federated_by=ctx.principal_arn, policy=params.get("Policy"),
                            policy_arns=[p["arn"] for p in params.get("PolicyArns") or []])
        return {"Credentials": credentials,
                "FederatedUser": {"FederatedUserId": f"{ctx.account}:{name}", "Arn": arn},
                "PackedPolicySize": packed_size(params.get("Policy"), params.get("PolicyArns"), None)}

    def get_access_key_info(self, ctx, params):
        from ...core.accounts import resolve_access_key

        key = params["AccessKeyId"]
        if len(key) < 16:
            raise _validation(f"1 validation error detected: Value '{key}' at 'accessKeyId' failed to satisfy "
                              "constraint: Member must have length greater than or equal to 16")
        account, secret, _ = resolve_access_key(key)
        return {"Account": account if secret is not None else ctx.account}

    def decode_authorization_message(self, ctx, params):
        from ...policy.denial import decode_details

        details = decode_details(params["EncodedMessage"])
        if details is None:
            raise ServiceError("InvalidAuthorizationMessageException",
                               "The message is not a valid authorization message.", 400)
        return {"DecodedMessage": json.dumps(details)}
