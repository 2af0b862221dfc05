"""ListObjects, ListObjectsV2 (prefix, delimiter, pagination, start-after, encoding-type)."""

import pytest
from botocore.exceptions import ClientError
from conftest import aws_error

KEYS = ["a.txt", "photos/2024/jan/1.jpg", "photos/2024/jan/2.jpg", "photos/2024/feb/1.jpg", "photos/2025/x.jpg",
        "photos/readme", "videos/a.mp4", "videos/b.mp4", "z", "ü-key", "space key", "plus+key"]


@pytest.fixture(scope="module")
def filled(server):
    import uuid
    name = "list" + uuid.uuid4().hex[:10]
    s3 = server.client("s3")
    s3.create_bucket(Bucket=name)
    for key in KEYS:
        s3.put_object(Bucket=name, Key=key, Body=key.encode())
    return name


def test_keys_in_utf8_binary_order(server, filled):
    got = server.client("s3").list_objects_v2(Bucket=filled)
    keys = [o["Key"] for o in got["Contents"]]
    assert keys == sorted(KEYS, key=lambda k: k.encode("utf-8"))
    assert got["KeyCount"] == len(KEYS) and got["IsTruncated"] is False
    assert all(o["Size"] == len(o["Key"].encode()) and o["StorageClass"] == "STANDARD" for o in got["Contents"])


def test_prefix_and_delimiter(server, filled):
    s3 = server.client("s3")
    top = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["photos/", "videos/"]
    assert [o["Key"] for o in top["Contents"]] == ["a.txt", "plus+key", "space key", "z", "ü-key"]
    assert top["KeyCount"] == 7
    photos = s3.list_objects_v2(Bucket=filled, Prefix="photos/", Delimiter="/")
    assert [p["Prefix"] for p in photos["CommonPrefixes"]] == ["photos/2024/", "photos/2025/"]
    assert [o["Key"] for o in photos["Contents"]] == ["photos/readme"]
    jan = s3.list_objects_v2(Bucket=filled, Prefix="photos/2024/jan/")
    assert [o["Key"] for o in jan["Contents"]] == ["photos/2024/jan/1.jpg", "photos/2024/jan/2.jpg"]
    assert "Contents" not in s3.list_objects_v2(Bucket=filled, Prefix="nothing/")


def test_pagination_v2_with_delimiter(server, filled):
    s3 = server.client("s3")
    seen, token = [], None
    while True:
        kwargs = {"Bucket": filled, "Delimiter": "/", "MaxKeys": 2}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        assert page["KeyCount"] <= 2
        seen += [o["Key"] for o in page.get("Contents", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert sorted(seen) == sorted(["a.txt", "plus+key", "space key", "z", "ü-key", "photos/", "videos/"])
    assert len(seen) == 7
    paginator = s3.get_paginator("list_objects_v2")
    keys = [o["Key"] for page in paginator.paginate(Bucket=filled, PaginationConfig={"PageSize": 3})
            for o in page.get("Contents", [])]
    assert keys == sorted(KEYS, key=lambda k: k.encode("utf-8"))


def test_start_after_and_max_keys_zero(server, filled):
    s3 = server.client("s3")
    got = s3.list_objects_v2(Bucket=filled, StartAfter="videos/a.mp4")
    assert [o["Key"] for o in got["Contents"]] == ["videos/b.mp4", "z", "ü-key"]
    assert got["StartAfter"] == "videos/a.mp4"
    empty = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert empty["KeyCount"] == 0 and "Contents" not in empty


def test_list_objects_v1_markers(server, filled):
    s3 = server.client("s3")
    page = s3.list_objects(Bucket=filled, MaxKeys=3)
    assert page["IsTruncated"] is True and len(page["Contents"]) == 3
    assert "Owner" in page["Contents"][0]
    rest = s3.list_objects(Bucket=filled, Marker=page["Contents"][-1]["Key"])
    assert len(page["Contents"]) + len(rest["Contents"]) == len(KEYS)
    delimited = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=2)
    assert delimited["IsTruncated"] is True and delimited["NextMarker"] == "photos/"
    following = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=2, Marker=delimited["NextMarker"])
    assert [o["Key"] for o in following["Contents"]] == ["plus+key", "space key"]
    assert "CommonPrefixes" not in following and following["IsTruncated"] is True


def test_encoding_type_url(server, filled):
    import urllib.request
    with urllib.request.urlopen(f"{server.endpoint}/{filled}?list-type=2&encoding-type=url&prefix=space") as resp:
        text = resp.read().decode()
    assert "<Key>space%20key</Key>" in text and "<EncodingType>url</EncodingType>" in text
    with urllib.request.urlopen(f"{server.endpoint}/{filled}?list-type=2&prefix=space") as resp:
        assert "<Key>space key</Key>" in resp.read().decode()
    s3 = server.client("s3")
    got = s3.list_objects_v2(Bucket=filled, Prefix="plus")  # boto3 asks for url and decodes
    assert [o["Key"] for o in got["Contents"]] == ["plus+key"]
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket=filled, EncodingType="base64")
    assert aws_error(exc) == ("InvalidArgument", 400)


def test_invalid_continuation_token(server, filled):
    with pytest.raises(ClientError) as exc:
        server.client("s3").list_objects_v2(Bucket=filled, ContinuationToken="%%%not-a-token")
    assert aws_error(exc) == ("InvalidArgument", 400)


def test_many_keys_pages_of_1000(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket=unique, Key=f"k/{i:05d}", Body=b""), range(1100)))
    first = s3.list_objects_v2(Bucket=unique)
    assert first["KeyCount"] == 1000 and first["IsTruncated"] is True
    second = s3.list_objects_v2(Bucket=unique, ContinuationToken=first["NextContinuationToken"])
    assert second["KeyCount"] == 100 and second["Contents"][0]["Key"] == "k/01000"
    assert s3.list_objects_v2(Bucket=unique, MaxKeys=5000)["MaxKeys"] == 1000
