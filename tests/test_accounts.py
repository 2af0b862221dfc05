"""Accounts and regions are namespaces: the access key picks the account, the SigV4 scope the region."""

import pytest
from botocore.exceptions import ClientError


def test_default_credentials_are_account_000000000000(server):
    ident = server.client("sts").get_caller_identity()
    assert ident["Account"] == "000000000000"
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"
    assert ident["UserId"] == "000000000000"


def test_twelve_digit_access_key_selects_that_account(server):
    ident = server.client("sts", key="123456789012").get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"


def test_state_is_invisible_across_regions_and_accounts(server, unique):
    home = server.client("ec2", region="eu-west-1", key="111111111111")
    home.create_key_pair(KeyName=unique, KeyType="ed25519")
    assert [k["KeyName"] for k in home.describe_key_pairs(KeyNames=[unique])["KeyPairs"]] == [unique]
    other_region = server.client("ec2", region="eu-west-2", key="111111111111")
    other_account = server.client("ec2", region="eu-west-1", key="222222222222")
    for client in (other_region, other_account):
        assert unique not in [k["KeyName"] for k in client.describe_key_pairs()["KeyPairs"]]
        with pytest.raises(ClientError) as exc:
            client.describe_key_pairs(KeyNames=[unique])
        assert exc.value.response["Error"]["Code"] == "InvalidKeyPair.NotFound"
    # the same name is free in another namespace
    other_account.create_key_pair(KeyName=unique, KeyType="ed25519")


def test_key_pairs_are_real_keys(server, unique):
    ec2 = server.client("ec2")
    created = ec2.create_key_pair(KeyName=unique)
    assert created["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert len(created["KeyFingerprint"].split(":")) == 20  # SHA-1 of the PKCS#8 key, as AWS does
    with pytest.raises(ClientError) as exc:
        ec2.create_key_pair(KeyName=unique)
    assert exc.value.response["Error"]["Code"] == "InvalidKeyPair.Duplicate"
    info = ec2.describe_key_pairs(KeyNames=[unique], IncludePublicKey=True)["KeyPairs"][0]
    assert info["PublicKey"].startswith("ssh-rsa ")
    assert info["KeyPairId"] == created["KeyPairId"]
    ec2.delete_key_pair(KeyName=unique)
    assert unique not in [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]]


def test_concurrent_creates_of_one_name_give_one_key(server, unique):
    from concurrent.futures import ThreadPoolExecutor

    def create(_):
        try:
            return server.client("ec2").create_key_pair(KeyName=unique)["KeyPairId"]
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(create, range(4)))
    winners = [r for r in results if r.startswith("key-")]
    assert len(winners) == 1
    assert sorted(r for r in results if not r.startswith("key-")) == ["InvalidKeyPair.Duplicate"] * 3
    assert server.client("ec2").describe_key_pairs(KeyNames=[unique])["KeyPairs"][0]["KeyPairId"] == winners[0]
