"""A crash loses nothing that was acknowledged: SIGKILL during a burst of writes, restart, check."""

import sqlite3
import time
from datetime import datetime, timezone

import cbor2
import msgspec
from conftest import Server, kill_during_burst

EXPIRES = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


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


def test_s3_documents_written_as_cbor_by_earlier_versions_still_read(tmp_path):
    # S3's object documents were CBOR before they became MessagePack (services/s3/index.py): a
    # data directory from then must serve its objects, and take new writes beside them.
    srv = Server(data_dir=tmp_path / "d").start()
    try:
        s3 = srv.client("s3")
        s3.create_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="old", Body=b"written long ago", Metadata={"era": "cbor"})
        s3.put_object(Bucket="kept", Key="expiring", Body=b"x", Expires=EXPIRES, CacheControl="max-age=60")
    finally:
        srv.stop()
    db = sqlite3.connect(tmp_path / "d" / "state.db")
    with db:
        (raw,) = db.execute("SELECT meta FROM s3_objects WHERE bucket='kept' AND key='old'").fetchone()
        assert raw[0] not in range(0xa0, 0xc0)  # written as MessagePack now
        db.execute("UPDATE s3_objects SET meta=? WHERE bucket='kept' AND key='old'",
                   (cbor2.dumps(msgspec.msgpack.decode(raw)),))
    db.close()
    again = Server(data_dir=tmp_path / "d").start()
    try:
        s3 = again.client("s3")
        got = s3.get_object(Bucket="kept", Key="old")
        assert got["Body"].read() == b"written long ago"
        assert got["Metadata"] == {"era": "cbor"}
        s3.put_object(Bucket="kept", Key="new", Body=b"written now")
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="kept")["Contents"]] == ["expiring", "new", "old"]
        assert s3.head_object(Bucket="kept", Key="old")["ContentLength"] == len(b"written long ago")
        # read back cold from its MessagePack document: the Expires datetime as it was written
        cold = s3.head_object(Bucket="kept", Key="expiring")
        assert cold["Expires"] == EXPIRES and cold["CacheControl"] == "max-age=60"
    finally:
        again.stop()


def test_s3_overwrites_after_a_restart_replace_rows_and_bodies(tmp_path, unique):
    """After a restart no key is in the index's cache: a PUT inserts new keys in one statement
    and falls back to reading and updating a key that exists. The replaced body goes."""
    data = tmp_path / "data"
    srv = Server(data_dir=data).start()
    try:
        s3 = srv.client("s3")
        s3.create_bucket(Bucket=unique)
        s3.put_object(Bucket=unique, Key="big", Body=b"a" * 100_000)  # a file of its own
        s3.put_object(Bucket=unique, Key="small", Body=b"first")
    finally:
        srv.stop()
    srv = Server(data_dir=data).start()
    try:
        s3 = srv.client("s3")
        s3.put_object(Bucket=unique, Key="big", Body=b"b" * 100_000)
        s3.put_object(Bucket=unique, Key="small", Body=b"second")
        s3.put_object(Bucket=unique, Key="new", Body=b"third")
        assert s3.get_object(Bucket=unique, Key="big")["Body"].read() == b"b" * 100_000
        assert s3.get_object(Bucket=unique, Key="small")["Body"].read() == b"second"
        assert s3.get_object(Bucket=unique, Key="new")["Body"].read() == b"third"
        listed = s3.list_objects_v2(Bucket=unique)["Contents"]
        assert [(o["Key"], o["Size"]) for o in listed] == [("big", 100_000), ("new", 5), ("small", 6)]
        blobs = data / "s3" / "blobs"

        def body_files():  # the spool's tmp/ aside
            return [p for p in blobs.rglob("*") if p.is_file() and p.relative_to(blobs).parts[0] != "tmp"]

        deadline = time.monotonic() + 5  # replaced bodies are unlinked by a worker thread
        while len(body_files()) != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(body_files()) == 1
    finally:
        srv.stop()
