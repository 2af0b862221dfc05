"""Static website hosting and CORS (notes §4), fetched with a plain HTTP client."""

import json

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import aws_error

PUBLIC_BLOCK_OFF = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                    "RestrictPublicBuckets": False}


def _site(server, name, public=True, **config):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=name)
    if public:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=PUBLIC_BLOCK_OFF)
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]}))
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration=config or {
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
    return s3


def _get(server, bucket, path, host_form=0, **kwargs):
    hosts = [f"{bucket}.s3-website-us-east-1.amazonaws.com", f"{bucket}.s3-website.us-east-1.amazonaws.com",
             f"{bucket}.s3-website.localhost:{server.port}"]
    if host_form == 3:
        return requests.get(f"{server.endpoint}/_aws/s3-website/{bucket}{path}", allow_redirects=False, **kwargs)
    return requests.get(f"{server.endpoint}{path}", headers={"Host": hosts[host_form]}, allow_redirects=False,
                        **kwargs)


def test_website_configuration_rules(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_website(Bucket=unique)
    assert aws_error(exc) == ("NoSuchWebsiteConfiguration", 404)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_website(Bucket=unique, WebsiteConfiguration={"ErrorDocument": {"Key": "e.html"}})
    assert aws_error(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_website(Bucket=unique, WebsiteConfiguration={"IndexDocument": {"Suffix": "a/index.html"}})
    assert aws_error(exc) == ("InvalidArgument", 400)
    config = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"}}
    s3.put_bucket_website(Bucket=unique, WebsiteConfiguration=config)
    got = s3.get_bucket_website(Bucket=unique)
    assert got["IndexDocument"] == {"Suffix": "index.html"} and got["ErrorDocument"] == {"Key": "404.html"}
    s3.delete_bucket_website(Bucket=unique)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_website(Bucket=unique)
    assert aws_error(exc) == ("NoSuchWebsiteConfiguration", 404)


@pytest.mark.parametrize("host_form", [0, 1, 2, 3])
def test_index_and_error_documents_on_every_endpoint_form(server, unique, host_form):
    s3 = _site(server, unique)
    s3.put_object(Bucket=unique, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    s3.put_object(Bucket=unique, Key="docs/index.html", Body=b"<h1>docs</h1>", ContentType="text/html")
    s3.put_object(Bucket=unique, Key="error.html", Body=b"<h1>oops</h1>", ContentType="text/html")
    s3.put_object(Bucket=unique, Key="style.css", Body=b"body{}", ContentType="text/css")
    home = _get(server, unique, "/", host_form)
    assert home.status_code == 200 and home.content == b"<h1>home</h1>"
    assert home.headers["Content-Type"] == "text/html"
    assert _get(server, unique, "/docs/", host_form).content == b"<h1>docs</h1>"
    css = _get(server, unique, "/style.css", host_form)
    assert css.status_code == 200 and css.content == b"body{}"
    missing = _get(server, unique, "/nope.html", host_form)
    assert missing.status_code == 404 and missing.content == b"<h1>oops</h1>"
    folder = _get(server, unique, "/docs", host_form)
    assert folder.status_code == 302 and folder.headers["Location"].endswith("/docs/")


def test_private_objects_and_missing_error_document(server, unique):
    s3 = _site(server, unique, public=False)
    s3.put_object(Bucket=unique, Key="index.html", Body=b"secret")
    denied = _get(server, unique, "/")
    assert denied.status_code == 403 and "AccessDenied" in denied.text
    other = unique + "-pub"
    s3 = _site(server, other)
    missing = _get(server, other, "/nothing")
    assert missing.status_code == 404 and "NoSuchKey" in missing.text and "text/html" in missing.headers["Content-Type"]
    assert _get(server, unique + "-none", "/").status_code == 404
    s3.create_bucket(Bucket=unique + "-plain")
    plain = _get(server, unique + "-plain", "/")
    assert plain.status_code == 404 and "NoSuchWebsiteConfiguration" in plain.text
    assert requests.post(f"{server.endpoint}/_aws/s3-website/{other}/x").status_code == 405


def test_redirects(server, unique):
    _site(server, unique, **{"RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "https"}})
    moved = _get(server, unique, "/some/page.html")
    assert moved.status_code == 301 and moved.headers["Location"] == "https://example.com/some/page.html"
    routed = unique + "-rules"
    s3 = _site(server, routed, **{
        "IndexDocument": {"Suffix": "index.html"},
        "RoutingRules": [
            {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyPrefixWith": "documents/"}},
            {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
             "Redirect": {"HostName": "fallback.example.com", "HttpRedirectCode": "302"}},
        ]})
    s3.put_object(Bucket=routed, Key="old", Body=b"", WebsiteRedirectLocation="/new")
    got = _get(server, routed, "/docs/a.html")
    assert got.status_code == 301 and got.headers["Location"].endswith("/documents/a.html")
    got = _get(server, routed, "/missing")
    assert got.status_code == 302 and got.headers["Location"] == "http://fallback.example.com/missing"
    got = _get(server, routed, "/old")
    assert got.status_code == 301 and got.headers["Location"] == "/new"


def test_cors_preflight_and_response_headers(server, unique):
    s3 = server.client("s3")
    s3.create_bucket(Bucket=unique)
    s3.put_object(Bucket=unique, Key="data.json", Body=b"{}")
    url = f"{server.endpoint}/{unique}/data.json"
    preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "content-type"}
    assert requests.options(url, headers=preflight).status_code == 403  # no rules yet
    s3.put_bucket_cors(Bucket=unique, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET", "PUT"],
         "AllowedHeaders": ["content-type"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]})
    ok = requests.options(url, headers=preflight)
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "PUT" in ok.headers["Access-Control-Allow-Methods"]
    assert ok.headers["Access-Control-Allow-Headers"] == "content-type"
    assert ok.headers["Access-Control-Max-Age"] == "600"
    bad = requests.options(url, headers={**preflight, "Origin": "https://evil.test"})
    assert bad.status_code == 403 and "AccessForbidden" in bad.text
    bad = requests.options(url, headers={**preflight, "Access-Control-Request-Method": "DELETE"})
    assert bad.status_code == 403
    assert requests.options(url, headers={"Origin": "https://app.example.com"}).status_code == 400
    assert requests.options(url).status_code == 405  # no Origin: not a preflight, no such S3 operation
    got = requests.get(url, headers={"Origin": "https://app.example.com"})
    assert got.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert got.headers["Access-Control-Expose-Headers"] == "ETag"
    assert "Access-Control-Allow-Origin" not in requests.get(url, headers={"Origin": "https://evil.test"}).headers
