"""STS through boto3: caller identity, AssumeRole with the trust policy evaluated, temporary
credentials that work on other services and expire on the virtual clock, GetSessionToken,
AssumeRoleWithWebIdentity, GetAccessKeyInfo, DecodeAuthorizationMessage."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from conftest import Server


def trust(principal, condition=None, action="sts:AssumeRole"):
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def error(exc) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def session_client(server, service, creds, region="us-east-1"):
    import boto3
    from botocore.config import Config

    return boto3.client(service, endpoint_url=server.endpoint, region_name=region,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 1}))


def test_caller_identity_of_root_and_user(server, unique):
    sts = server.client("sts")
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
    iam = server.client("iam")
    user = iam.create_user(UserName=unique)["User"]
    key = iam.create_access_key(UserName=unique)["AccessKey"]
    me = server.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"]).get_caller_identity()
    assert me == {**me, "Arn": user["Arn"], "UserId": user["UserId"], "Account": "000000000000"}
    assert sts.get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == "000000000000"


def test_assume_role_evaluates_the_trust_policy(server, unique):
    iam, sts = server.client("iam"), server.client("sts")
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))
    role_arn = f"arn:aws:iam::000000000000:role/{unique}"
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert error(exc) == ("AccessDenied", 403)
    iam.update_assume_role_policy(RoleName=unique, PolicyDocument=trust(
        {"AWS": "arn:aws:iam::000000000000:root"}, {"StringEquals": {"sts:ExternalId": "secret-42"}}))
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="wrong")
    assert error(exc) == ("AccessDenied", 403)
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="secret-42")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::000000000000:assumed-role/{unique}/s1"
    me = session_client(server, "sts", creds).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert iam.get_role(RoleName=unique)["Role"]["RoleLastUsed"]["Region"] == "us-east-1"
    assert me["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]
    # The credentials work on other services.
    regions = session_client(server, "ec2", creds).describe_regions()["Regions"]
    assert any(r["RegionName"] == "us-east-1" for r in regions)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="secret-42", DurationSeconds=7200)
    assert error(exc) == ("ValidationError", 400)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/nope" + unique, RoleSessionName="s1")
    assert error(exc) == ("AccessDenied", 403)


def test_session_token_must_match(server, unique):
    iam, sts = server.client("iam"), server.client("sts")
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=trust({"AWS": "000000000000"}))
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::000000000000:role/{unique}", RoleSessionName="xx")["Credentials"]
    forged = dict(creds, SessionToken=creds["SessionToken"][:-4] + "AAAA")
    with pytest.raises(ClientError) as exc:
        session_client(server, "sts", forged).get_caller_identity()
    assert error(exc) == ("InvalidClientTokenId", 403)
    no_token = server.client("iam", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    with pytest.raises(ClientError) as exc:
        no_token.list_users()
    assert error(exc) == ("InvalidClientTokenId", 403)


def test_temporary_credentials_expire_on_the_virtual_clock():
    srv = Server("--enforce-iam").start()
    try:
        srv.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=trust({"AWS": "000000000000"}))
        out = srv.client("sts").assume_role(RoleArn="arn:aws:iam::000000000000:role/r", RoleSessionName="xx",
                                            DurationSeconds=900)
        creds = out["Credentials"]
        session_client(srv, "sts", creds).get_caller_identity()
        srv.admin("/_pocketcloud/clock", {"advance": "16m"})
        with pytest.raises(ClientError) as exc:
            session_client(srv, "sts", creds).get_caller_identity()
        assert error(exc) == ("ExpiredToken", 403)
        with pytest.raises(ClientError) as exc:
            session_client(srv, "iam", creds).list_users()
        assert error(exc) == ("ExpiredToken", 403)
        # With policies enforced (and signatures not), a deleted key does not fall back to root.
        iam = srv.client("iam")
        iam.create_user(UserName="gone")
        key = iam.create_access_key(UserName="gone")["AccessKey"]
        iam.delete_access_key(UserName="gone", AccessKeyId=key["AccessKeyId"])
        with pytest.raises(ClientError) as exc:
            srv.client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"]).list_users()
        assert error(exc) == ("InvalidClientTokenId", 403)
    finally:
        srv.stop()


def test_get_session_token(server, unique):
    iam = server.client("iam")
    iam.create_user(UserName=unique)
    key = iam.create_access_key(UserName=unique)["AccessKey"]
    sts = server.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    me = session_client(server, "sts", creds).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::000000000000:user/{unique}"
    with pytest.raises(ClientError) as exc:
        session_client(server, "sts", creds).get_session_token()
    assert error(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(SerialNumber=f"arn:aws:iam::000000000000:mfa/{unique}", TokenCode="123456")
    assert error(exc) == ("AccessDenied", 403)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique)["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName=unique, SerialNumber=device, AuthenticationCode1="111111", AuthenticationCode2="222222")
    mfa_creds = sts.get_session_token(SerialNumber=device, TokenCode="123456")["Credentials"]
    assert mfa_creds["AccessKeyId"].startswith("ASIA")


def _jwt(claims: dict) -> str:
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_assume_role_with_web_identity(server, unique):
    iam = server.client("iam")
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=trust(
        {"Federated": "accounts.google.com"}, {"StringEquals": {"accounts.google.com:aud": "my-app"}},
        action="sts:AssumeRoleWithWebIdentity"))
    sts = server.client("sts")
    role_arn = f"arn:aws:iam::000000000000:role/{unique}"
    token = _jwt({"iss": "https://accounts.google.com", "sub": "user-1", "aud": "my-app", "exp": 4102444800})
    out = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="web", WebIdentityToken=token)
    assert out["SubjectFromWebIdentityToken"] == "user-1" and out["Audience"] == "my-app"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    other = _jwt({"iss": "https://accounts.google.com", "sub": "user-1", "aud": "other-app"})
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="web", WebIdentityToken=other)
    assert error(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="web", WebIdentityToken="not-a-jwt-token")
    assert error(exc) == ("InvalidIdentityToken", 400)


def test_decode_authorization_message_rejects_garbage(server):
    with pytest.raises(ClientError) as exc:
        server.client("sts").decode_authorization_message(EncodedMessage="garbage")
    assert error(exc) == ("InvalidAuthorizationMessageException", 400)


def test_web_identity_through_an_account_oidc_provider(server, unique):
    iam, sts = server.client("iam"), server.client("sts")
    host = f"oidc.{unique}.example.com"
    provider = iam.create_open_id_connect_provider(Url=f"https://{host}", ClientIDList=["sts.amazonaws.com"],
                                                   ThumbprintList=["b" * 40])["OpenIDConnectProviderArn"]
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=trust(
        {"Federated": provider}, {"StringEquals": {f"{host}:sub": "system:serviceaccount:default:app"}},
        action="sts:AssumeRoleWithWebIdentity"))
    role_arn = f"arn:aws:iam::000000000000:role/{unique}"
    token = _jwt({"iss": f"https://{host}", "sub": "system:serviceaccount:default:app", "aud": "sts.amazonaws.com"})
    out = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="pod", WebIdentityToken=token)
    assert out["Provider"] == host
    wrong_aud = _jwt({"iss": f"https://{host}", "sub": "system:serviceaccount:default:app", "aud": "other"})
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="pod", WebIdentityToken=wrong_aud)
    assert error(exc) == ("InvalidIdentityToken", 400)
    unknown = _jwt({"iss": "https://unknown.example.com", "sub": "x", "aud": "sts.amazonaws.com"})
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="pod", WebIdentityToken=unknown)
    assert error(exc) == ("InvalidIdentityToken", 400)


def _saml_assertion(role_arn: str, provider_arn: str, audience="https://signin.aws.amazon.com/saml") -> str:
    xml = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
  <saml:Issuer>https://idp.example.com</saml:Issuer>
  <saml:Assertion>
    <saml:Subject><saml:NameID>jane@example.com</saml:NameID></saml:Subject>
    <saml:Conditions><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>{role_arn},{provider_arn}</saml:AttributeValue></saml:Attribute>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>jane</saml:AttributeValue></saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>"""
    return base64.b64encode(xml.encode()).decode()


def test_assume_role_with_saml(server, unique):
    iam, sts = server.client("iam"), server.client("sts")
    provider = iam.create_saml_provider(Name=unique, SAMLMetadataDocument="<md>" + "m" * 1200 + "</md>")["SAMLProviderArn"]
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=trust(
        {"Federated": provider}, {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
        action="sts:AssumeRoleWithSAML"))
    role_arn = f"arn:aws:iam::000000000000:role/{unique}"
    out = sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider,
                                    SAMLAssertion=_saml_assertion(role_arn, provider))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::000000000000:assumed-role/{unique}/jane"
    assert out["Subject"] == "jane@example.com" and out["Issuer"] == "https://idp.example.com"
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider,
                                  SAMLAssertion=_saml_assertion(role_arn, provider, audience="https://elsewhere"))
    assert error(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider,
                                  SAMLAssertion=base64.b64encode(b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>").decode())
    assert error(exc) == ("InvalidIdentityToken", 400)

