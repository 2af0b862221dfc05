"""The admin API and the paths other local clouds' CI scripts call."""

import requests


def test_health_reports_version_uptime_and_operation_counts(server):
    health = requests.get(server.endpoint + "/_pocketcloud/health").json()
    assert health["status"] == "running"
    assert health["version"]
    assert health["uptime_seconds"] >= 0
    assert len(health["services"]) == 31
    assert health["services"]["sts"]["implemented"] >= 1
    assert health["services"]["ec2"]["operations"] > 700
    assert health["services"]["cloudwatch"]["protocols"] == ["smithy-rpc-v2-cbor", "json", "query"]


def test_localstack_health_path(server):
    body = requests.get(server.endpoint + "/_localstack/health").json()
    assert body["services"]["sts"] == "running"
    assert body["services"]["redshift"] in ("running", "available")


def test_moto_reset_path_forgets_state(tmp_path):
    from conftest import Server

    srv = Server().start()
    try:
        ec2 = srv.client("ec2")
        ec2.create_key_pair(KeyName="gone", KeyType="ed25519")
        assert requests.post(srv.endpoint + "/moto-api/reset").status_code == 200
        assert ec2.describe_key_pairs()["KeyPairs"] == []
        ec2.create_key_pair(KeyName="gone", KeyType="ed25519")
        assert requests.post(srv.endpoint + "/_pocketcloud/reset").json()["reset"] is True
        assert ec2.describe_key_pairs()["KeyPairs"] == []
    finally:
        srv.stop()


def test_unknown_admin_path_is_404(server):
    r = requests.get(server.endpoint + "/_pocketcloud/nothing")
    assert r.status_code == 404
