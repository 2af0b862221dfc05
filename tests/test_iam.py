"""IAM entities through boto3: users, groups, roles, policies and versions, keys, MFA, instance
profiles, the password policy, AWS managed policies; AWS's errors and limits."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from conftest import aws_error

ALLOW_S3_READ = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]})
TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


def test_user_lifecycle_and_case_insensitive_names(iam, unique):
    user = iam.create_user(UserName=unique, Path="/team/", Tags=[{"Key": "k", "Value": "v"}])["User"]
    assert user["Arn"] == f"arn:aws:iam::000000000000:user/team/{unique}"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=unique.upper())
    assert aws_error(exc) == ("EntityAlreadyExists", 409)
    assert iam.get_user(UserName=unique.upper())["User"]["UserName"] == unique
    assert unique in [u["UserName"] for u in iam.list_users(PathPrefix="/team/")["Users"]]
    assert iam.list_user_tags(UserName=unique)["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.update_user(UserName=unique, NewUserName=unique + "x")
    assert iam.get_user(UserName=unique + "x")["User"]["Arn"].endswith(f"/team/{unique}x")
    iam.delete_user(UserName=unique + "x")
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=unique + "x")
    assert aws_error(exc) == ("NoSuchEntity", 404)
    assert exc.value.response["Error"]["Message"] == f"The user with name {unique}x cannot be found."


def test_bad_names_and_paths_are_validation_errors(iam, unique):
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName="has space")
    assert aws_error(exc) == ("ValidationError", 400)
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=unique, Path="no-slashes")
    assert aws_error(exc) == ("ValidationError", 400)


def test_managed_policy_versions_limit_and_default(iam, unique):
    arn = iam.create_policy(PolicyName=unique, PolicyDocument=ALLOW_S3_READ)["Policy"]["Arn"]
    assert arn == f"arn:aws:iam::000000000000:policy/{unique}"
    for n in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_S3_READ, SetAsDefault=n == 3)
        assert v["PolicyVersion"]["VersionId"] == f"v{n}"
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_S3_READ)
    assert aws_error(exc) == ("LimitExceeded", 409)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    with pytest.raises(ClientError) as exc:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert aws_error(exc) == ("DeleteConflict", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    doc = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]["Document"]
    assert doc["Statement"][0]["Action"] == ["s3:GetObject", "s3:ListBucket"]
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v4", "v3", "v2", "v1"]
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=unique, PolicyDocument=ALLOW_S3_READ)
    assert aws_error(exc) == ("EntityAlreadyExists", 409)


@pytest.mark.parametrize("document, message", [
    ("not json", "This policy contains invalid Json"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}),
     "Policy statement must contain resources."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}),
     "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}),
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                                                          "Resource": "*"}]}),
     "Policy document should not specify a principal."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                          "Condition": {"StringEqualz": {"a:b": "c"}}}]}),
     "Invalid Condition type : StringEqualz"),
    (json.dumps({"Version": "2001-01-01", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
     "The policy failed legacy parsing"),
])
def test_grammar_errors_are_malformed_policy_document(iam, unique, document, message):
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=unique, PolicyDocument=document)
    assert aws_error(exc) == ("MalformedPolicyDocument", 400)
    assert exc.value.response["Error"]["Message"] == message


def test_aws_managed_policies_have_their_documents(iam):
    policies = {p["PolicyName"]: p for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]}
    for name in ("AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "AmazonS3FullAccess",
                 "AmazonS3ReadOnlyAccess", "AmazonSQSFullAccess", "AmazonEC2FullAccess", "IAMFullAccess",
                 "AWSLambdaBasicExecutionRole", "AWSLambda_FullAccess", "AmazonDynamoDBFullAccess"):
        assert name in policies
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert sorted(doc["Statement"][0]["Action"]) == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    power = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")["Policy"]
    doc = iam.get_policy_version(PolicyArn=power["Arn"], VersionId=power["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert doc["Statement"][0]["NotAction"] == ["iam:*", "organizations:*", "account:*"]
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert aws_error(exc) == ("InvalidInput", 400)


def test_attach_limit_and_delete_conflicts(iam, unique):
    iam.create_user(UserName=unique)
    arns = [iam.create_policy(PolicyName=f"{unique}-{i}", PolicyDocument=ALLOW_S3_READ)["Policy"]["Arn"]
            for i in range(10)]
    for arn in arns:
        iam.attach_user_policy(UserName=unique, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=unique, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert aws_error(exc) == ("LimitExceeded", 409)
    assert iam.get_policy(PolicyArn=arns[0])["Policy"]["AttachmentCount"] == 1
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arns[0])
    assert aws_error(exc) == ("DeleteConflict", 409)
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=unique)
    assert aws_error(exc) == ("DeleteConflict", 409)
    entities = iam.list_entities_for_policy(PolicyArn=arns[0])
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [unique]
    for arn in arns:
        iam.detach_user_policy(UserName=unique, PolicyArn=arn)
        iam.delete_policy(PolicyArn=arn)
    iam.put_user_policy(UserName=unique, PolicyName="inline", PolicyDocument=ALLOW_S3_READ)
    assert iam.list_user_policies(UserName=unique)["PolicyNames"] == ["inline"]
    assert iam.get_user_policy(UserName=unique, PolicyName="inline")["PolicyDocument"]["Statement"][0]["Effect"] == "Allow"
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=unique)
    assert aws_error(exc) == ("DeleteConflict", 409)
    iam.delete_user_policy(UserName=unique, PolicyName="inline")
    iam.delete_user(UserName=unique)


def test_inline_policy_size_limit(iam, unique):
    iam.create_user(UserName=unique)
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"s3:GetObject{i}" for i in range(150)], "Resource": "*"}]})
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=unique, PolicyName="big", PolicyDocument=big)
    assert aws_error(exc) == ("LimitExceeded", 409)


def test_access_keys_two_per_user_secret_once(iam, unique):
    iam.create_user(UserName=unique)
    first = iam.create_access_key(UserName=unique)["AccessKey"]
    assert first["AccessKeyId"].startswith("AKIA") and len(first["AccessKeyId"]) == 20
    assert len(first["SecretAccessKey"]) == 40
    iam.create_access_key(UserName=unique)
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=unique)
    assert aws_error(exc) == ("LimitExceeded", 409)
    listed = iam.list_access_keys(UserName=unique)["AccessKeyMetadata"]
    assert len(listed) == 2 and all("SecretAccessKey" not in k for k in listed)
    iam.update_access_key(UserName=unique, AccessKeyId=first["AccessKeyId"], Status="Inactive")
    assert {k["Status"] for k in iam.list_access_keys(UserName=unique)["AccessKeyMetadata"]} == {"Active", "Inactive"}
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=unique)
    assert aws_error(exc) == ("DeleteConflict", 409)
    info = iam.get_access_key_last_used(AccessKeyId=first["AccessKeyId"])
    assert info["UserName"] == unique


def test_groups_membership(iam, unique):
    iam.create_group(GroupName=unique)
    iam.create_user(UserName=unique)
    iam.add_user_to_group(GroupName=unique, UserName=unique)
    group = iam.get_group(GroupName=unique)
    assert [u["UserName"] for u in group["Users"]] == [unique]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=unique)["Groups"]] == [unique]
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=unique)
    assert aws_error(exc) == ("DeleteConflict", 409)
    iam.attach_group_policy(GroupName=unique, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert iam.list_attached_group_policies(GroupName=unique)["AttachedPolicies"][0]["PolicyName"] == "ReadOnlyAccess"
    iam.remove_user_from_group(GroupName=unique, UserName=unique)
    iam.detach_group_policy(GroupName=unique, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_group(GroupName=unique)


def test_roles_instance_profiles_and_boundaries(iam, unique):
    role = iam.create_role(RoleName=unique, AssumeRolePolicyDocument=TRUST_EC2, MaxSessionDuration=7200)["Role"]
    assert role["RoleId"].startswith("AROA")
    assert iam.get_role(RoleName=unique)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == \
        {"Service": "ec2.amazonaws.com"}
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=unique + "b", AssumeRolePolicyDocument=ALLOW_S3_READ)
    assert aws_error(exc) == ("MalformedPolicyDocument", 400)
    iam.create_instance_profile(InstanceProfileName=unique)
    iam.add_role_to_instance_profile(InstanceProfileName=unique, RoleName=unique)
    iam.create_role(RoleName=unique + "2", AssumeRolePolicyDocument=TRUST_EC2)
    with pytest.raises(ClientError) as exc:
        iam.add_role_to_instance_profile(InstanceProfileName=unique, RoleName=unique + "2")
    assert aws_error(exc) == ("LimitExceeded", 409)
    profile = iam.get_instance_profile(InstanceProfileName=unique)["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [unique]
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=unique)
    assert aws_error(exc) == ("DeleteConflict", 409)
    iam.put_role_permissions_boundary(RoleName=unique, PermissionsBoundary="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    assert iam.get_role(RoleName=unique)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith("AmazonS3FullAccess")
    iam.remove_role_from_instance_profile(InstanceProfileName=unique, RoleName=unique)
    iam.delete_instance_profile(InstanceProfileName=unique)
    iam.delete_role(RoleName=unique)


def test_service_linked_role_is_protected(iam):
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role["RoleName"])
    assert aws_error(exc) == ("UnmodifiableEntity", 400)
    task = iam.delete_service_linked_role(RoleName=role["RoleName"])["DeletionTaskId"]
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"


def test_login_profile_password_policy_and_mfa(iam, unique):
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True)
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 12
    iam.create_user(UserName=unique)
    with pytest.raises(ClientError) as exc:
        iam.create_login_profile(UserName=unique, Password="short")
    assert aws_error(exc) == ("PasswordPolicyViolation", 400)
    iam.create_login_profile(UserName=unique, Password="long-enough-1234", PasswordResetRequired=True)
    assert iam.get_login_profile(UserName=unique)["LoginProfile"]["PasswordResetRequired"] is True
    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as exc:
        iam.get_account_password_policy()
    assert aws_error(exc) == ("NoSuchEntity", 404)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique)["VirtualMFADevice"]
    assert device["SerialNumber"] == f"arn:aws:iam::000000000000:mfa/{unique}"
    iam.enable_mfa_device(UserName=unique, SerialNumber=device["SerialNumber"], AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    assert iam.list_mfa_devices(UserName=unique)["MFADevices"][0]["SerialNumber"] == device["SerialNumber"]
    with pytest.raises(ClientError) as exc:
        iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
    assert aws_error(exc) == ("DeleteConflict", 409)
    iam.deactivate_mfa_device(UserName=unique, SerialNumber=device["SerialNumber"])
    iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])


def test_iam_is_global_and_per_account(server, unique):
    server.client("iam", region="eu-west-1").create_user(UserName=unique)
    assert server.client("iam", region="us-west-2").get_user(UserName=unique)["User"]["UserName"] == unique
    other = server.client("iam", key="111111111111")
    with pytest.raises(ClientError) as exc:
        other.get_user(UserName=unique)
    assert aws_error(exc) == ("NoSuchEntity", 404)


def test_account_summary_and_alias(iam):
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["AccessKeysPerUserQuota"] == 2 and summary["VersionsPerPolicyQuota"] == 5
    iam.create_account_alias(AccountAlias="pocket-test")
    assert iam.list_account_aliases()["AccountAliases"] == ["pocket-test"]
    iam.delete_account_alias(AccountAlias="pocket-test")


def test_pagination(iam, unique):
    for i in range(3):
        iam.create_user(UserName=f"{unique}{i}", Path=f"/{unique}/")
    first = iam.list_users(PathPrefix=f"/{unique}/", MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    rest = iam.list_users(PathPrefix=f"/{unique}/", MaxItems=2, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and len(rest["Users"]) == 1


def test_oidc_providers(iam, unique):
    url = f"https://oidc.{unique}.example.com/id"
    arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=["sts.amazonaws.com"],
                                              ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::000000000000:oidc-provider/oidc.{unique}.example.com/id"
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=url, ThumbprintList=["a" * 40])
    assert aws_error(exc) == ("EntityAlreadyExists", 409)
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["sts.amazonaws.com", "app"]
    assert {"Arn": arn} in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert aws_error(exc) == ("NoSuchEntity", 404)


def test_account_authorization_details_context_keys_and_credential_report(server, unique):
    iam = server.client("iam", key="333333333333")
    iam.create_user(UserName=unique)
    iam.put_user_policy(UserName=unique, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}))
    details = iam.get_account_authorization_details(Filter=["User"])
    user = next(u for u in details["UserDetailList"] if u["UserName"] == unique)
    assert user["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "s3:*"
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=f"arn:aws:iam::333333333333:user/{unique}")
    assert keys["ContextKeyNames"] == ["aws:RequestedRegion"]
    with pytest.raises(ClientError) as exc:
        iam.get_credential_report()
    assert aws_error(exc) == ("ReportNotPresent", 410)
    iam.generate_credential_report()
    report = iam.get_credential_report()["Content"].decode()
    assert f"arn:aws:iam::333333333333:user/{unique}" in report


def test_tags_on_roles_policies_and_instance_profiles(iam, unique):
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=TRUST_EC2)
    iam.tag_role(RoleName=unique, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}])
    iam.untag_role(RoleName=unique, TagKeys=["team"])
    assert iam.list_role_tags(RoleName=unique)["Tags"] == [{"Key": "env", "Value": "dev"}]
    arn = iam.create_policy(PolicyName=unique, PolicyDocument=ALLOW_S3_READ)["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "k", "Value": "1"}])
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "K", "Value": "2"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "K", "Value": "2"}]
    iam.untag_policy(PolicyArn=arn, TagKeys=["k"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == []
    iam.create_instance_profile(InstanceProfileName=unique)
    iam.tag_instance_profile(InstanceProfileName=unique, Tags=[{"Key": "a", "Value": "b"}])
    assert iam.list_instance_profile_tags(InstanceProfileName=unique)["Tags"] == [{"Key": "a", "Value": "b"}]
    with pytest.raises(ClientError) as exc:
        iam.tag_role(RoleName=unique, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}])
    assert aws_error(exc) == ("InvalidInput", 400)


def _self_signed_pem() -> str:
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pocketcloud.test")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_certificates_ssh_keys_and_service_credentials(iam, unique):
    pem = _self_signed_pem()
    meta = iam.upload_server_certificate(ServerCertificateName=unique, CertificateBody=pem,
                                         PrivateKey="unused")["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::000000000000:server-certificate/{unique}"
    assert iam.get_server_certificate(ServerCertificateName=unique)["ServerCertificate"]["CertificateBody"] == pem
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName=unique + "b", CertificateBody="nope", PrivateKey="x")
    assert aws_error(exc) == ("MalformedCertificate", 400)
    iam.delete_server_certificate(ServerCertificateName=unique)
    iam.create_user(UserName=unique)
    body = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGVzY2FwZWQtZm9yLXRlc3RzLW9ubHktMDEyMzQ1Njc4OQ== me@host"
    key = iam.upload_ssh_public_key(UserName=unique, SSHPublicKeyBody=body)["SSHPublicKey"]
    assert key["SSHPublicKeyId"].startswith("APKA")
    iam.update_ssh_public_key(UserName=unique, SSHPublicKeyId=key["SSHPublicKeyId"], Status="Inactive")
    assert iam.list_ssh_public_keys(UserName=unique)["SSHPublicKeys"][0]["Status"] == "Inactive"
    cert = iam.upload_signing_certificate(UserName=unique, CertificateBody=pem)["Certificate"]
    cred = iam.create_service_specific_credential(UserName=unique, ServiceName="codecommit.amazonaws.com")
    assert cred["ServiceSpecificCredential"]["ServicePassword"]
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=unique)
    assert aws_error(exc) == ("DeleteConflict", 409)
    iam.delete_ssh_public_key(UserName=unique, SSHPublicKeyId=key["SSHPublicKeyId"])
    iam.delete_signing_certificate(UserName=unique, CertificateId=cert["CertificateId"])
    iam.delete_service_specific_credential(
        UserName=unique, ServiceSpecificCredentialId=cred["ServiceSpecificCredential"]["ServiceSpecificCredentialId"])
    iam.delete_user(UserName=unique)


def test_saml_providers(iam, unique):
    metadata = "<EntityDescriptor>" + "x" * 1200 + "</EntityDescriptor>"
    arn = iam.create_saml_provider(Name=unique, SAMLMetadataDocument=metadata)["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::000000000000:saml-provider/{unique}"
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == metadata
    assert arn in [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_saml_provider(SAMLProviderArn=arn)
    assert aws_error(exc) == ("NoSuchEntity", 404)


def test_users_change_their_own_password(server, unique):
    iam = server.client("iam")
    iam.create_user(UserName=unique)
    iam.create_login_profile(UserName=unique, Password="first-Password-1", PasswordResetRequired=True)
    key = iam.create_access_key(UserName=unique)["AccessKey"]
    me = server.client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    me.change_password(OldPassword="first-Password-1", NewPassword="second-Password-2")
    assert iam.get_login_profile(UserName=unique)["LoginProfile"]["PasswordResetRequired"] is False


def test_aws_cli_creates_and_reads_iam(server, unique):
    import os
    import subprocess

    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}

    def aws(*args):
        done = subprocess.run(["aws", "--endpoint-url", server.endpoint, "--output", "json", *args], env=env,
                              capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    code, out, _ = aws("iam", "create-user", "--user-name", unique)
    assert code == 0 and json.loads(out)["User"]["UserName"] == unique
    code, out, _ = aws("iam", "attach-user-policy", "--user-name", unique, "--policy-arn",
                       "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    assert code == 0
    code, out, _ = aws("iam", "list-attached-user-policies", "--user-name", unique)
    assert json.loads(out)["AttachedPolicies"] == [{"PolicyName": "AmazonS3ReadOnlyAccess",
                                                    "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}]
    code, _, err = aws("iam", "get-user", "--user-name", unique + "-missing")
    assert code != 0 and "NoSuchEntity" in err


def test_policies_granting_service_access_and_last_accessed(iam, unique):
    iam.create_user(UserName=unique)
    iam.attach_user_policy(UserName=unique, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    iam.put_user_policy(UserName=unique, PolicyName="queues", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    arn = f"arn:aws:iam::000000000000:user/{unique}"
    out = iam.list_policies_granting_service_access(Arn=arn, ServiceNamespaces=["s3", "sqs", "ec2"])
    found = {e["ServiceNamespace"]: [p["PolicyName"] for p in e["Policies"]] for e in out["PoliciesGrantingServiceAccess"]}
    assert found == {"s3": ["AmazonS3ReadOnlyAccess"], "sqs": ["queues"], "ec2": []}
    job = iam.generate_service_last_accessed_details(Arn=arn)["JobId"]
    details = iam.get_service_last_accessed_details(JobId=job)
    assert details["JobStatus"] == "COMPLETED"
    assert {s["ServiceNamespace"] for s in details["ServicesLastAccessed"]} >= {"s3", "sqs"}
