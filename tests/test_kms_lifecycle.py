"""KMS key states on the virtual clock (notes §15): deletion windows, rotation, AWS managed keys,
and the envelope encryption pattern end to end."""

import os

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conftest import Server


def _code(exc) -> str:
    return exc.value.response["Error"]["Code"]


def test_schedule_deletion_window_and_state(own_server):
    kms = own_server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"doomed")["CiphertextBlob"]
    for days in (6, 31):
        with pytest.raises(ClientError) as exc:
            kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days)
        assert _code(exc) == "ValidationException"
    out = kms.schedule_key_deletion(KeyId=key["KeyId"])
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 30 and out["KeyId"] == key["Arn"]
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion" and meta["DeletionDate"] == out["DeletionDate"]
    for call in (lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"), lambda: kms.decrypt(CiphertextBlob=blob),
                 lambda: kms.enable_key(KeyId=key["KeyId"]),
                 lambda: kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == "KMSInvalidStateException"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"doomed"
    with pytest.raises(ClientError) as exc:
        kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert _code(exc) == "KMSInvalidStateException"


def test_deletion_runs_on_the_virtual_clock(own_server, unique):
    kms = own_server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{unique}", TargetKeyId=key["KeyId"])
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"gone soon")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    own_server.admin("/_pocketcloud/clock", {"advance": "6d"})
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    own_server.admin("/_pocketcloud/clock", {"advance": "1d1h"})
    for call in (lambda: kms.describe_key(KeyId=key["KeyId"]), lambda: kms.decrypt(CiphertextBlob=blob),
                 lambda: kms.describe_key(KeyId=f"alias/{unique}")):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == "NotFoundException"
    assert key["KeyId"] not in {k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]}


def test_scheduled_deletion_survives_a_restart(tmp_path):
    srv = Server(data_dir=tmp_path).start()
    try:
        key = srv.client("kms").create_key()["KeyMetadata"]["KeyId"]
        srv.client("kms").schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    finally:
        srv.stop()
    srv = Server(data_dir=tmp_path).start()
    try:
        assert srv.client("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
        srv.admin("/_pocketcloud/clock", {"advance": "8d"})
        with pytest.raises(ClientError) as exc:
            srv.client("kms").describe_key(KeyId=key)
        assert _code(exc) == "NotFoundException"
    finally:
        srv.stop()


def test_automatic_and_on_demand_rotation_keep_old_material(own_server):
    kms = own_server.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
    old_blob = kms.encrypt(KeyId=key, Plaintext=b"before rotation")["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    first_due = status["NextRotationDate"]
    assert kms.list_key_rotations(KeyId=key)["Rotations"] == []
    own_server.admin("/_pocketcloud/clock", {"advance": "181d"})
    rotations = kms.list_key_rotations(KeyId=key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC", "AUTOMATIC"]
    assert rotations[0]["RotationDate"] == first_due
    kms.rotate_key_on_demand(KeyId=key)
    assert kms.list_key_rotations(KeyId=key)["Rotations"][-1]["RotationType"] == "ON_DEMAND"
    new_blob = kms.encrypt(KeyId=key, Plaintext=b"after rotation")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"before rotation"
    assert kms.decrypt(CiphertextBlob=new_blob)["Plaintext"] == b"after rotation"
    kms.disable_key_rotation(KeyId=key)
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as exc:
        kms.enable_key_rotation(KeyId=signing)
    assert _code(exc) == "UnsupportedOperationException"


def test_aws_managed_keys_appear_on_first_use(own_server):
    kms = own_server.client("kms", region="eu-central-1")
    assert not [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/s3"]
    blob = kms.encrypt(KeyId="alias/aws/s3", Plaintext=b"managed")["CiphertextBlob"]
    meta = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS" and meta["Description"].startswith("Default key that protects my S3 data")
    assert kms.decrypt(CiphertextBlob=blob)["KeyId"] == meta["Arn"]
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/aws/s3"]["TargetKeyId"] == meta["KeyId"]
    # Same key the second time, and one per service.
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"] == meta["KeyId"]
    assert kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["KeyId"] != meta["KeyId"]
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is True
    for call in (lambda: kms.schedule_key_deletion(KeyId=meta["KeyId"]), lambda: kms.disable_key(KeyId=meta["KeyId"])):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId="alias/aws/not-a-service")
    assert _code(exc) == "NotFoundException"


def test_envelope_encryption_end_to_end(server):
    """Notes §15: a data key encrypts locally, only its encrypted copy is kept, KMS gives it back."""
    kms = server.client("kms")
    master = kms.create_key(Description="envelope master")["KeyMetadata"]["KeyId"]
    context = {"file": "report.csv"}
    data_key = kms.generate_data_key(KeyId=master, KeySpec="AES_256", EncryptionContext=context)
    document = b"quarterly numbers " * 1000
    nonce = os.urandom(12)
    stored = {"encrypted_key": data_key["CiphertextBlob"], "nonce": nonce,
              "data": AESGCM(data_key["Plaintext"]).encrypt(nonce, document, None)}
    del data_key  # the plaintext key is thrown away
    plaintext_key = kms.decrypt(CiphertextBlob=stored["encrypted_key"], EncryptionContext=context)["Plaintext"]
    assert AESGCM(plaintext_key).decrypt(stored["nonce"], stored["data"], None) == document
