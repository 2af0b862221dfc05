"""--enforce-iam with --enforce-signatures: requests are decided by the caller's policies as AWS
decides them, and refused in each service's own AccessDenied shape."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import aws_error, enforcing_server
from test_sts import session_client, trust

ACCOUNT = "000000000000"


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# A server enforcing signatures and IAM policies, this module's own (conftest).
strict = enforcing_server


def make_user(srv, name, *, managed=(), inline=None, boundary=None, account_key="test"):
    iam = srv.client("iam", key=account_key)
    iam.create_user(UserName=name)
    for arn in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    if boundary:
        iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return lambda service, **kw: srv.client(service, key=key["AccessKeyId"], secret=key["SecretAccessKey"], **kw)


def test_root_is_allowed_everything(strict, unique):
    strict.client("iam").create_user(UserName=unique)
    assert strict.client("ec2").describe_regions()["Regions"]


def test_user_without_policies_is_denied(strict, unique):
    client = make_user(strict, unique)
    with pytest.raises(ClientError) as exc:
        client("iam").list_users()
    assert aws_error(exc) == ("AccessDenied", 403)
    assert exc.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/{unique} is not authorized to perform: iam:ListUsers on resource: * "
        "because no identity-based policy allows the iam:ListUsers action")
    # Who am I needs no permission.
    assert client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{unique}"


def test_read_only_user_reads_and_fails_to_write(strict, unique):
    client = make_user(strict, unique, managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    assert any(u["UserName"] == unique for u in client("iam").list_users()["Users"])
    assert client("ec2").describe_regions()["Regions"]
    with pytest.raises(ClientError) as exc:
        client("iam").create_user(UserName=unique + "x")
    assert aws_error(exc) == ("AccessDenied", 403)
    assert f"iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/{unique}x" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        client("ec2").create_key_pair(KeyName=unique)
    assert aws_error(exc) == ("UnauthorizedOperation", 403)
    encoded = exc.value.response["Error"]["Message"].rsplit("Encoded authorization failure message: ", 1)[1]
    # Decoding needs sts:DecodeAuthorizationMessage, which ReadOnlyAccess does not grant: root decodes.
    decoded = json.loads(strict.client("sts").decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["context"]["action"] == "ec2:CreateKeyPair"


def test_explicit_deny_beats_allow(strict, unique):
    client = make_user(strict, unique, managed=["arn:aws:iam::aws:policy/AdministratorAccess"],
                       inline=doc(deny("iam:CreateGroup")))
    client("iam").list_users()
    with pytest.raises(ClientError) as exc:
        client("iam").create_group(GroupName=unique)
    assert aws_error(exc) == ("AccessDenied", 403)
    assert exc.value.response["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")


def test_group_policies_apply_to_members(strict, unique):
    client = make_user(strict, unique)
    iam = strict.client("iam")
    iam.create_group(GroupName=unique)
    iam.put_group_policy(GroupName=unique, PolicyName="p", PolicyDocument=doc(allow("iam:List*")))
    iam.add_user_to_group(GroupName=unique, UserName=unique)
    client("iam").list_groups()


def test_permissions_boundary_caps_the_identity_policies(strict, unique):
    client = make_user(strict, unique, managed=["arn:aws:iam::aws:policy/AdministratorAccess"],
                       boundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    client("iam").list_roles()
    with pytest.raises(ClientError) as exc:
        client("ec2").describe_regions()
    assert aws_error(exc) == ("UnauthorizedOperation", 403)
    assert "no permissions boundary allows the ec2:DescribeRegions action" in exc.value.response["Error"]["Message"]


def test_policy_variables_and_conditions(strict, unique):
    own_user = allow(["iam:GetUser", "iam:ListAccessKeys"], f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")
    region_only = allow("ec2:DescribeRegions", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    client = make_user(strict, unique, inline=doc(own_user, region_only))
    assert client("iam").get_user(UserName=unique)["User"]["UserName"] == unique
    assert client("iam").get_user()["User"]["UserName"] == unique  # "myself" is the caller's own ARN
    strict.client("iam").create_user(UserName=unique + "o")
    with pytest.raises(ClientError) as exc:
        client("iam").get_user(UserName=unique + "o")
    assert aws_error(exc) == ("AccessDenied", 403)
    client("ec2", region="eu-west-1").describe_regions()
    with pytest.raises(ClientError) as exc:
        client("ec2", region="us-east-1").describe_regions()
    assert aws_error(exc) == ("UnauthorizedOperation", 403)


def test_assumed_role_sessions_and_session_policies(strict, unique):
    client = make_user(strict, unique)
    iam = strict.client("iam")
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{unique}"
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=trust({"AWS": user_arn}))
    iam.attach_role_policy(RoleName=unique, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{unique}"
    # The trust policy names the user itself: no identity policy is needed in the same account.
    creds = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="admin")["Credentials"]
    session_client(strict, "iam", creds).list_users()
    session_client(strict, "ec2", creds).describe_regions()
    narrowed = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="narrow",
                                         Policy=doc(allow("ec2:DescribeRegions")))["Credentials"]
    session_client(strict, "ec2", narrowed).describe_regions()
    with pytest.raises(ClientError) as exc:
        session_client(strict, "iam", narrowed).list_users()
    assert aws_error(exc) == ("AccessDenied", 403)
    assert exc.value.response["Error"]["Message"].startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{unique}/narrow is not authorized")
    assert "no session policy allows" in exc.value.response["Error"]["Message"]


def test_cross_account_role_needs_both_sides(strict, unique):
    # Account 111111111111's user assumes a role of account 222222222222 that trusts its account.
    client = make_user(strict, unique, account_key="111111111111")
    b = strict.client("iam", key="222222222222")
    b.create_role(RoleName=unique, AssumeRolePolicyDocument=trust({"AWS": "arn:aws:iam::111111111111:root"}))
    b.attach_role_policy(RoleName=unique, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    role_arn = f"arn:aws:iam::222222222222:role/{unique}"
    with pytest.raises(ClientError) as exc:
        client("sts").assume_role(RoleArn=role_arn, RoleSessionName="cross")
    assert aws_error(exc) == ("AccessDenied", 403)
    strict.client("iam", key="111111111111").put_user_policy(
        UserName=unique, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", role_arn)))
    creds = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="cross")["Credentials"]
    me = session_client(strict, "sts", creds).get_caller_identity()
    assert me["Account"] == "222222222222"
    assert unique in [r["RoleName"] for r in session_client(strict, "iam", creds).list_roles()["Roles"]]


def test_simulate_principal_policy_agrees_with_enforcement(strict, unique):
    make_user(strict, unique, managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"], inline=doc(deny("iam:GetUser")))
    results = strict.client("iam").simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{unique}",
        ActionNames=["iam:ListUsers", "iam:CreateUser", "iam:GetUser"])["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "implicitDeny", "explicitDeny"]
    assert results[0]["MatchedStatements"][0]["SourcePolicyId"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert results[2]["MatchedStatements"][0]["SourcePolicyType"] == "user"


def test_federation_token_is_the_callers_permissions_within_its_policy(strict, unique):
    client = make_user(strict, unique, managed=["arn:aws:iam::aws:policy/IAMReadOnlyAccess"],
                       inline=doc(allow("sts:GetFederationToken")))
    out = client("sts").get_federation_token(Name="fed", Policy=doc(allow(["iam:ListUsers", "ec2:DescribeRegions"])))
    assert out["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/fed"
    creds = out["Credentials"]
    session_client(strict, "iam", creds).list_users()
    with pytest.raises(ClientError) as exc:  # allowed by the session policy, not by the user's policies
        session_client(strict, "ec2", creds).describe_regions()
    assert aws_error(exc) == ("UnauthorizedOperation", 403)
    with pytest.raises(ClientError) as exc:  # allowed by the user's policies, not by the session policy
        session_client(strict, "iam", creds).list_roles()
    assert aws_error(exc) == ("AccessDenied", 403)
    bare = client("sts").get_federation_token(Name="bare")["Credentials"]
    with pytest.raises(ClientError) as exc:
        session_client(strict, "iam", bare).list_users()
    assert aws_error(exc) == ("AccessDenied", 403)


def test_kms_key_policy_takes_part(strict, unique):
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{unique}"
    client = make_user(strict, unique)
    root_kms = strict.client("kms")
    policy = doc({"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                  "Action": "kms:*", "Resource": "*"},
                 {"Sid": "UserEncrypts", "Effect": "Allow", "Principal": {"AWS": user_arn},
                  "Action": "kms:Encrypt", "Resource": "*"})
    key = root_kms.create_key(Policy=policy)["KeyMetadata"]
    root_kms.create_alias(AliasName=f"alias/{unique}", TargetKeyId=key["KeyId"])
    # The key policy names the user: allowed without any identity policy, by id and by alias.
    client("kms").encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    client("kms").encrypt(KeyId=f"alias/{unique}", Plaintext=b"x")
    with pytest.raises(ClientError) as exc:  # the account-wide statement only delegates to IAM
        client("kms").describe_key(KeyId=key["KeyId"])
    assert aws_error(exc) == ("AccessDeniedException", 400)
    assert f"kms:DescribeKey on resource: {key['Arn']}" in exc.value.response["Error"]["Message"]
    # An identity policy now allows everything, and the key policy denies decryption.
    strict.client("iam").put_user_policy(UserName=unique, PolicyName="all", PolicyDocument=doc(allow("kms:*")))
    root_kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": user_arn}, "Action": "kms:Decrypt", "Resource": "*"}))
    blob = client("kms").encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    client("kms").describe_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        client("kms").decrypt(CiphertextBlob=blob)
    assert aws_error(exc) == ("AccessDeniedException", 400)
    assert exc.value.response["Error"]["Message"].endswith("with an explicit deny in a resource-based policy")


def test_resource_tags_of_iam_entities(strict, unique):
    iam = strict.client("iam")
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}),
                    Tags=[{"Key": "team", "Value": "red"}])
    iam.create_role(RoleName=unique + "b", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}),
                    Tags=[{"Key": "team", "Value": "blue"}])
    client = make_user(strict, unique, inline=doc(allow("iam:GetRole",
                                                        Condition={"StringEquals": {"aws:ResourceTag/team": "red"}})))
    client("iam").get_role(RoleName=unique)
    with pytest.raises(ClientError) as exc:
        client("iam").get_role(RoleName=unique + "b")
    assert aws_error(exc) == ("AccessDenied", 403)


def test_mfa_condition_needs_an_mfa_session(strict, unique):
    mfa_only = allow("iam:ListUsers", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    client = make_user(strict, unique, inline=doc(mfa_only, allow("sts:GetSessionToken")))
    with pytest.raises(ClientError) as exc:
        client("iam").list_users()
    assert aws_error(exc) == ("AccessDenied", 403)
    iam = strict.client("iam")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique)["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName=unique, SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="234567")
    plain = client("sts").get_session_token()["Credentials"]
    with pytest.raises(ClientError) as exc:
        session_client(strict, "iam", plain).list_users()
    assert aws_error(exc) == ("AccessDenied", 403)
    with_mfa = client("sts").get_session_token(SerialNumber=serial, TokenCode="345678")["Credentials"]
    session_client(strict, "iam", with_mfa).list_users()


def test_source_ip_and_time_conditions(strict, unique):
    local = allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})
    remote = allow("iam:ListRoles", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    past = allow("iam:ListGroups", Condition={"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})
    client = make_user(strict, unique, inline=doc(local, remote, past))
    client("iam").list_users()
    for call in ("list_roles", "list_groups"):
        with pytest.raises(ClientError) as exc:
            getattr(client("iam"), call)()
        assert aws_error(exc) == ("AccessDenied", 403)


def test_kms_resource_tags_decide_with_abac(strict, unique):
    abac = allow(["kms:Encrypt", "kms:DescribeKey"], Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})
    iam = strict.client("iam")
    client = make_user(strict, unique, inline=doc(abac))
    iam.tag_user(UserName=unique, Tags=[{"Key": "team", "Value": "red"}])
    kms = strict.client("kms")
    red = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "red"}])["KeyMetadata"]["KeyId"]
    blue = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "blue"}])["KeyMetadata"]["KeyId"]
    client("kms").encrypt(KeyId=red, Plaintext=b"x")
    with pytest.raises(ClientError) as exc:
        client("kms").encrypt(KeyId=blue, Plaintext=b"x")
    assert aws_error(exc) == ("AccessDeniedException", 400)
