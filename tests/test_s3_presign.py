"""Presigned URLs (notes §4/§5): GET and PUT with plain HTTP, expiry, tampering."""

import re

import pytest
import requests

from conftest import own_server


# A server of its own: its virtual clock is moved here, and presigned URLs are signed with the
# real time, so no other test's clock moves may expire them.
server = own_server


# botocore presigns S3 URLs with SigV2 (AWSAccessKeyId/Signature/Expires) unless asked for s3v4.
VERSIONS = [{}, {"signature_version": "s3v4"}]


def _error(resp):
    text = resp.text
    return text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in text else None


@pytest.mark.parametrize("config", VERSIONS)
def test_presigned_get_and_put(server, unique, config):
    s3 = server.client("s3", **config)
    s3.create_bucket(Bucket=unique)
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": unique, "Key": "up.txt"}, ExpiresIn=300)
    resp = requests.put(put_url, data=b"uploaded with a presigned URL")
    assert resp.status_code == 200, resp.text
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": unique, "Key": "up.txt"}, ExpiresIn=300)
    resp = requests.get(get_url)
    assert resp.status_code == 200 and resp.content == b"uploaded with a presigned URL"
    assert resp.headers["ETag"]


@pytest.mark.parametrize("config", VERSIONS)
def test_tampered_url_is_refused(server, unique, config):
    s3 = server.client("s3", **config)
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="a", Body=b"a")
    s3.put_object(Bucket=unique, Key="b", Body=b"secret b")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": unique, "Key": "a"}, ExpiresIn=300)
    resp = requests.get(url.replace(f"/{unique}/a?", f"/{unique}/b?"))
    assert resp.status_code == 403 and _error(resp) == "SignatureDoesNotMatch"
    longer = re.sub(r"(X-Amz-Expires=)300", r"\g<1>600", url)
    longer = re.sub(r"([?&]Expires=)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 300), longer)
    assert longer != url
    resp = requests.get(longer)
    assert resp.status_code == 403 and _error(resp) == "SignatureDoesNotMatch"
    wrong_secret = server.client("s3", secret="not-the-secret", **config)
    bad = wrong_secret.generate_presigned_url("get_object", Params={"Bucket": unique, "Key": "a"}, ExpiresIn=300)
    resp = requests.get(bad)
    assert resp.status_code == 403 and _error(resp) == "SignatureDoesNotMatch"
    # A PUT URL cannot be used for another key either.
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": unique, "Key": "p"}, ExpiresIn=300)
    resp = requests.put(put_url.replace(f"/{unique}/p?", f"/{unique}/q?"), data=b"x")
    assert resp.status_code == 403 and _error(resp) == "SignatureDoesNotMatch"


def test_presigned_urls_expire_on_the_virtual_clock(server, unique):
    """Last in the module: it moves this module's server's clock (which ages the signatures
    made before the move)."""
    urls = []
    for config in VERSIONS:
        s3 = server.client("s3", **config)
        s3.create_bucket(Bucket=unique)
        s3.put_object(Bucket=unique, Key="k", Body=b"x")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": unique, "Key": "k"}, ExpiresIn=3600)
        assert requests.get(url).status_code == 200
        urls.append(url)
    server.admin("/_pocketcloud/clock", {"advance": "2h"})
    for url in urls:
        resp = requests.get(url)
        assert resp.status_code == 403 and _error(resp) == "AccessDenied", url
        assert "Request has expired" in resp.text
