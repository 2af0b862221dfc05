"""KMS (notes §15): real AES-256-GCM, RSA/ECC/HMAC keys, aliases, policies, grants, through boto3."""

import base64
import hashlib
import json

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding


def _code(exc) -> str:
    return exc.value.response["Error"]["Code"]


def _status(exc) -> int:
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


def test_create_describe_and_list_keys(kms):
    meta = kms.create_key(Description="first", Tags=[{"TagKey": "team", "TagValue": "red"}])["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeyManager"] == "CUSTOMER" and meta["Origin"] == "AWS_KMS"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:000000000000:key/{meta['KeyId']}"
    described = kms.describe_key(KeyId=meta["Arn"])["KeyMetadata"]
    assert described["KeyId"] == meta["KeyId"] and described["Description"] == "first"
    assert kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "red"}]
    ids = set()
    marker = None
    for _ in range(100):
        page = kms.list_keys(Limit=1, **({"Marker": marker} if marker else {}))
        assert len(page["Keys"]) <= 1
        ids |= {k["KeyId"] for k in page["Keys"]}
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert meta["KeyId"] in ids


def test_unknown_keys_are_not_found(kms):
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId="1234abcd-12ab-34cd-56ef-1234567890ab")
    assert _code(exc) == "NotFoundException" and _status(exc) == 400
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId="alias/nope")
    assert _code(exc) == "NotFoundException"
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId="not-a-key", Plaintext=b"x")
    assert _code(exc) == "NotFoundException"


def test_encrypt_decrypt_without_key_id_and_with_context(kms):
    key = kms.create_key()["KeyMetadata"]
    ctx = {"purpose": "test", "tenant": "42"}
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret data", EncryptionContext=ctx)
    assert out["KeyId"] == key["Arn"] and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert b"secret data" not in out["CiphertextBlob"]
    # The blob names its key: no KeyId needed.
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext=ctx)
    assert back["Plaintext"] == b"secret data" and back["KeyId"] == key["Arn"]
    # The context is authenticated: a different or missing one fails.
    for wrong in ({"purpose": "test", "tenant": "43"}, {}):
        with pytest.raises(ClientError) as exc:
            kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext=wrong)
        assert _code(exc) == "InvalidCiphertextException" and _status(exc) == 400
    # A tampered blob fails too.
    blob = bytearray(out["CiphertextBlob"])
    blob[-1] ^= 1
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=bytes(blob), EncryptionContext=ctx)
    assert _code(exc) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=b"garbage that is not a blob at all, not even close to one")
    assert _code(exc) == "InvalidCiphertextException"


def test_decrypt_with_the_wrong_key_id_is_incorrect_key(kms):
    a = kms.create_key()["KeyMetadata"]["KeyId"]
    b = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=a, Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob, KeyId=b)
    assert _code(exc) == "IncorrectKeyException"
    assert kms.decrypt(CiphertextBlob=blob, KeyId=a)["Plaintext"] == b"x"


def test_re_encrypt_moves_ciphertext_to_another_key(kms):
    a = kms.create_key()["KeyMetadata"]
    b = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=a["KeyId"], Plaintext=b"moving", EncryptionContext={"k": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"k": "1"},
                         DestinationKeyId=b["KeyId"], DestinationEncryptionContext={"k": "2"})
    assert out["SourceKeyId"] == a["Arn"] and out["KeyId"] == b["Arn"]
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "2"})
    assert back["Plaintext"] == b"moving" and back["KeyId"] == b["Arn"]


def test_generate_data_keys_and_random(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    out = kms.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext={"a": "b"})
    assert len(out["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"a": "b"})["Plaintext"] == out["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key, NumberOfBytes=64)["Plaintext"]) == 64
    assert len(kms.generate_data_key(KeyId=key, KeySpec="AES_128")["Plaintext"]) == 16
    bare = kms.generate_data_key_without_plaintext(KeyId=key, KeySpec="AES_256")
    assert "Plaintext" not in bare and len(kms.decrypt(CiphertextBlob=bare["CiphertextBlob"])["Plaintext"]) == 32
    with pytest.raises(ClientError) as exc:
        kms.generate_data_key(KeyId=key)
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        kms.generate_data_key(KeyId=key, KeySpec="AES_256", NumberOfBytes=32)
    assert _code(exc) == "ValidationException"
    assert len(kms.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024
    assert len(kms.generate_random(NumberOfBytes=1)["Plaintext"]) == 1
    with pytest.raises(ClientError) as exc:
        kms.generate_random(NumberOfBytes=1025)
    assert _code(exc) == "ValidationException"


def test_data_key_pair_private_key_decrypts_and_matches(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    out = kms.generate_data_key_pair(KeyId=key, KeyPairSpec="ECC_NIST_P256")
    private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], None)
    public = serialization.load_der_public_key(out["PublicKey"])
    assert private.public_key().public_numbers() == public.public_numbers()
    assert kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"])["Plaintext"] == out["PrivateKeyPlaintext"]
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=key, KeyPairSpec="RSA_2048")
    assert "PrivateKeyPlaintext" not in bare and bare["KeyPairSpec"] == "RSA_2048"
    private = serialization.load_der_private_key(kms.decrypt(CiphertextBlob=bare["PrivateKeyCiphertextBlob"])["Plaintext"], None)
    assert private.key_size == 2048


def test_rsa_encryption_key_encrypts_with_oaep(kms):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    assert key["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    # Encrypted locally with the public key, decrypted by KMS.
    blob = public.encrypt(b"hello rsa", padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    out = kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert out["Plaintext"] == b"hello rsa" and out["EncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"via kms", EncryptionAlgorithm="RSAES_OAEP_SHA_1")["CiphertextBlob"]
    assert len(blob) == 256
    assert kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"via kms"
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="SYMMETRIC_DEFAULT")
    assert _code(exc) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as exc:
        kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert _code(exc) == "InvalidKeyUsageException"


@pytest.mark.parametrize("spec,algorithm", [
    ("RSA_2048", "RSASSA_PSS_SHA_256"), ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384"),
    ("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"), ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
])
def test_sign_and_verify(kms, spec, algorithm):
    key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert algorithm in key["SigningAlgorithms"]
    sig = kms.sign(KeyId=key["KeyId"], Message=b"signed message", SigningAlgorithm=algorithm)["Signature"]
    assert kms.verify(KeyId=key["KeyId"], Message=b"signed message", Signature=sig,
                      SigningAlgorithm=algorithm)["SignatureValid"] is True
    with pytest.raises(ClientError) as exc:
        kms.verify(KeyId=key["KeyId"], Message=b"another message", Signature=sig, SigningAlgorithm=algorithm)
    assert _code(exc) == "KMSInvalidSignatureException"
    # The signature verifies outside KMS with the public key GetPublicKey returns.
    got = kms.get_public_key(KeyId=key["KeyId"])
    assert got["KeyUsage"] == "SIGN_VERIFY" and got["KeySpec"] == spec
    public = serialization.load_der_public_key(got["PublicKey"])
    digest = getattr(hashes, "SHA" + algorithm[-3:])()
    if algorithm.startswith("ECDSA"):
        public.verify(sig, b"signed message", ec.ECDSA(digest))
    elif "PSS" in algorithm:
        public.verify(sig, b"signed message", padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size), digest)
    else:
        public.verify(sig, b"signed message", padding.PKCS1v15(), digest)


def test_sign_digest_message_type(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    digest = hashlib.sha256(b"big document").digest()
    sig = kms.sign(KeyId=key, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    # A DIGEST signature is the signature of the RAW message it digests.
    assert kms.verify(KeyId=key, Message=b"big document", Signature=sig, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    with pytest.raises(ClientError) as exc:
        kms.sign(KeyId=key, Message=b"short", MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        kms.sign(KeyId=key, Message=b"x", SigningAlgorithm="ECDSA_SHA_384")
    assert _code(exc) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=key, Plaintext=b"x")
    assert _code(exc) == "InvalidKeyUsageException"


def test_hmac_keys(kms):
    for spec, length in (("HMAC_224", 28), ("HMAC_256", 32), ("HMAC_384", 48), ("HMAC_512", 64)):
        key = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
        algorithm = f"HMAC_SHA_{spec[5:]}"
        assert key["MacAlgorithms"] == [algorithm]
        mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"msg", MacAlgorithm=algorithm)["Mac"]
        assert len(mac) == length
        assert kms.verify_mac(KeyId=key["KeyId"], Message=b"msg", Mac=mac, MacAlgorithm=algorithm)["MacValid"] is True
        with pytest.raises(ClientError) as exc:
            kms.verify_mac(KeyId=key["KeyId"], Message=b"other", Mac=mac, MacAlgorithm=algorithm)
        assert _code(exc) == "KMSInvalidMacException"
    with pytest.raises(ClientError) as exc:
        kms.create_key(KeySpec="HMAC_256", KeyUsage="ENCRYPT_DECRYPT")
    assert _code(exc) == "ValidationException"


def test_aliases(kms, unique):
    key = kms.create_key()["KeyMetadata"]
    other = kms.create_key()["KeyMetadata"]
    name = f"alias/{unique}"
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert _code(exc) == "AlreadyExistsException"
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert kms.describe_key(KeyId=f"arn:aws:kms:us-east-1:000000000000:{name}")["KeyMetadata"]["KeyId"] == key["KeyId"]
    blob = kms.encrypt(KeyId=name, Plaintext=b"by alias")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"by alias"
    listed = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in listed] == [name]
    assert listed[0]["AliasArn"] == f"arn:aws:kms:us-east-1:000000000000:{name}"
    kms.update_alias(AliasName=name, TargetKeyId=other["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == other["KeyId"]
    kms.delete_alias(AliasName=name)
    with pytest.raises(ClientError) as exc:
        kms.delete_alias(AliasName=name)
    assert _code(exc) == "NotFoundException"
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName=unique, TargetKeyId=key["KeyId"])
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key["KeyId"])
    assert _code(exc) == "NotAuthorizedException"


def test_key_policy_default_and_put(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.list_key_policies(KeyId=key)["PolicyNames"] == ["default"]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert policy["Id"] == "key-default-1"
    assert policy["Statement"] == [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                                    "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                                    "Action": "kms:*", "Resource": "*"}]
    new = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                   "Action": "kms:Decrypt", "Resource": "*"}]}
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(new))
    assert json.loads(kms.get_key_policy(KeyId=key)["Policy"]) == new
    with pytest.raises(ClientError) as exc:
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy="{not json")
    assert _code(exc) == "MalformedPolicyDocumentException"


def test_grants(kms):
    key = kms.create_key()["KeyMetadata"]
    grantee = "arn:aws:iam::000000000000:role/worker"
    retiree = "arn:aws:iam::000000000000:role/janitor"
    made = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee, RetiringPrincipal=retiree,
                            Operations=["Encrypt", "Decrypt"], Name="g1",
                            Constraints={"EncryptionContextSubset": {"app": "x"}})
    assert len(made["GrantId"]) == 64 and made["GrantToken"]
    grants = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert len(grants) == 1
    assert grants[0]["GranteePrincipal"] == grantee and grants[0]["Operations"] == ["Encrypt", "Decrypt"]
    assert grants[0]["KeyId"] == key["Arn"] and grants[0]["Constraints"] == {"EncryptionContextSubset": {"app": "x"}}
    assert [g["GrantId"] for g in kms.list_retirable_grants(RetiringPrincipal=retiree)["Grants"]] == [made["GrantId"]]
    kms.retire_grant(GrantToken=made["GrantToken"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    second = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee, Operations=["Decrypt"])
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=second["GrantId"])
    with pytest.raises(ClientError) as exc:
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=second["GrantId"])
    assert _code(exc) == "NotFoundException"
    with pytest.raises(ClientError) as exc:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee, Operations=["Fly"])
    assert _code(exc) == "ValidationException"


def test_disable_and_enable(kms):
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    for call in (lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"), lambda: kms.decrypt(CiphertextBlob=blob)):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == "DisabledException" and _status(exc) == 400
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_tags(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
    kms.untag_resource(KeyId=key, TagKeys=["a"])
    assert kms.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]
    with pytest.raises(ClientError) as exc:
        kms.tag_resource(KeyId=key, Tags=[{"TagKey": "aws:x", "TagValue": "1"}])
    assert _code(exc) == "TagException"


def test_accounts_and_regions_are_separate(server):
    key = server.client("kms").create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as exc:
        server.client("kms", region="eu-west-1").describe_key(KeyId=key["KeyId"])
    assert _code(exc) == "NotFoundException"
    with pytest.raises(ClientError) as exc:
        server.client("kms", key="111111111111").describe_key(KeyId=key["KeyId"])
    assert _code(exc) == "NotFoundException"
    # The full ARN reaches the key from another region's endpoint, as a cross-region ARN does.
    assert server.client("kms", region="eu-west-1").describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_cli_encrypts_and_decrypts(server, tmp_path):
    import os
    import subprocess

    key = server.client("kms").create_key()["KeyMetadata"]["KeyId"]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    (tmp_path / "plain.txt").write_bytes(b"from the cli")
    out = subprocess.run(["aws", "--endpoint-url", server.endpoint, "kms", "encrypt", "--key-id", key,
                          "--plaintext", f"fileb://{tmp_path / 'plain.txt'}", "--output", "json"],
                         capture_output=True, env=env, check=True)
    blob = base64.b64decode(json.loads(out.stdout)["CiphertextBlob"])
    assert server.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"from the cli"


def test_dry_run_and_description(kms, unique):
    key = kms.create_key(Description="old")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=key, Plaintext=b"x", DryRun=True)
    assert _code(exc) == "DryRunOperationException" and _status(exc) == 412
    kms.update_key_description(KeyId=key, Description="new")
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["Description"] == "new"
    for i in range(3):
        kms.create_alias(AliasName=f"alias/{unique}-{i}", TargetKeyId=key)
    page = kms.list_aliases(KeyId=key, Limit=2)
    assert len(page["Aliases"]) == 2 and page["Truncated"] is True
    rest = kms.list_aliases(KeyId=key, Limit=2, Marker=page["NextMarker"])
    assert [a["AliasName"] for a in page["Aliases"] + rest["Aliases"]] == [f"alias/{unique}-{i}" for i in range(3)]
    assert rest["Truncated"] is False
    with pytest.raises(ClientError) as exc:
        kms.list_keys(Marker="not-a-marker!")
    assert _code(exc) == "InvalidMarkerException"


def test_derive_shared_secret(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    assert key["KeyAgreementAlgorithms"] == ["ECDH"]
    mine = ec.generate_private_key(ec.SECP256R1())
    mine_public = mine.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    out = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=mine_public)
    theirs = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert out["SharedSecret"] == mine.exchange(ec.ECDH(), theirs)
    other = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ClientError) as exc:
        kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=other)
    assert _code(exc) == "InvalidKeyUsageException"
