"""A crash loses nothing that was acknowledged: SIGKILL during a burst of writes, restart, check."""

from conftest import Server, kill_during_burst


def test_sigkill_during_write_burst_keeps_every_acknowledged_write(tmp_path):
    srv = Server(data_dir=tmp_path / "data").start()
    clients = [srv.client("ec2", region="ap-northeast-2") for _ in range(4)]

    def create(worker: int, n: int) -> tuple[str, str]:
        name = f"w{worker}-{n}"
        clients[worker].create_key_pair(KeyName=name, KeyType="ed25519")
        return ("ap-northeast-2", name)

    acknowledged = kill_during_burst(srv, create, at_least=150)

    again = Server(data_dir=tmp_path / "data").start()
    try:
        names = {k["KeyName"] for k in again.client("ec2", region="ap-northeast-2").describe_key_pairs()["KeyPairs"]}
        missing = [name for _, name in acknowledged if name not in names]
        assert missing == []
    finally:
        again.stop()


def test_restart_keeps_state_and_virtual_time(tmp_path):
    srv = Server(data_dir=tmp_path / "d").start()
    try:
        srv.client("ec2").create_key_pair(KeyName="kept", KeyType="ed25519")
        moved = srv.admin("/_pocketcloud/clock", {"advance": "10d"})
    finally:
        srv.stop()
    again = Server(data_dir=tmp_path / "d").start()
    try:
        assert [k["KeyName"] for k in again.client("ec2").describe_key_pairs()["KeyPairs"]] == ["kept"]
        assert again.admin("/_pocketcloud/clock")["offset_seconds"] >= moved["offset_seconds"] - 1
    finally:
        again.stop()
