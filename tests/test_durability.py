"""A crash loses nothing that was acknowledged: SIGKILL during a burst of writes, restart, check."""

import signal
import threading
import time

from conftest import Server


def test_sigkill_during_write_burst_keeps_every_acknowledged_write(tmp_path):
    srv = Server(data_dir=tmp_path / "data").start()
    acknowledged: list[tuple[str, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int):
        ec2 = srv.client("ec2", region="ap-northeast-2")
        n = 0
        while not stop.is_set() and n < 2000:
            name = f"w{worker}-{n}"
            try:
                ec2.create_key_pair(KeyName=name, KeyType="ed25519")
            except Exception:
                return  # the server died mid-request: this write was never acknowledged
            with lock:
                acknowledged.append(("ap-northeast-2", name))
            n += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    deadline = time.time() + 20
    while len(acknowledged) < 150 and time.time() < deadline:
        time.sleep(0.01)
    srv.kill(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acknowledged) >= 150

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
