"""Optional part "iam": what --enforce-iam costs per request.

Drives the ASGI app in-process (as part "profile" does: no server, no socket) and prints the
CPU microseconds per request with enforcement on and off, on the same app, interleaved:
  - STS GetCallerIdentity by the root user (no policy to evaluate: the floor);
  - IAM ListUsers by an IAM user holding ReadOnlyAccess (a ~120-action document) and an inline
    policy with a condition, through its group too: the common case of a real evaluation;
  - the same user's EC2 DescribeRegions, denied (the refusal path, encoded message included).
"""

from __future__ import annotations

import asyncio
import json

import boto3
from botocore.config import Config

from bench import awsreq, inproc
from bench import harness as h


def _signed(service: str, method: str, operation: str, marker: bytes, key: str, secret: str) -> awsreq.Signed:
    api = boto3.session.Session().client(service, endpoint_url="http://127.0.0.1:4566", region_name="us-east-1",
                                         aws_access_key_id=key, aws_secret_access_key=secret,
                                         config=Config(retries={"max_attempts": 1}))
    return awsreq.capture(api, method, 4566, marker)


def _cpu_any_status(app, signed, seconds) -> float:
    """inproc._cpu_per_request wants 200s; a refusal is measured the same way, by its own status."""
    import time

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(inproc._drive(app, signed, 50))
        count, spent = 0, 0.0
        while spent < seconds:
            start = time.process_time()
            loop.run_until_complete(inproc._drive(app, signed, 200))
            spent += time.process_time() - start
            count += 200
        return spent / count * 1e6
    finally:
        loop.close()


def run(seconds: float = 1.5) -> dict:
    from pocketcloud.config import Settings
    from pocketcloud.gateway.app import create_app

    h.section("iam: --enforce-iam cost per request (in-process CPU)")
    settings = Settings()
    settings.ephemeral = True
    gateway = create_app(settings)
    call = gateway.runtime.providers.call
    acct, region = "000000000000", "us-east-1"

    async def setup():
        await call("iam", "CreateUser", {"UserName": "bench"}, acct, region)
        await call("iam", "CreateGroup", {"GroupName": "readers"}, acct, region)
        await call("iam", "AddUserToGroup", {"GroupName": "readers", "UserName": "bench"}, acct, region)
        await call("iam", "AttachGroupPolicy", {"GroupName": "readers",
                                                "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, acct, region)
        await call("iam", "PutUserPolicy", {"UserName": "bench", "PolicyName": "deny-ec2", "PolicyDocument": json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:*", "Resource": "*",
                                                     "Condition": {"StringEquals": {"aws:RequestedRegion": region}}}]})},
                   acct, region)
        return (await call("iam", "CreateAccessKey", {"UserName": "bench"}, acct, region))["AccessKey"]

    key = asyncio.run(setup())
    workloads = {
        "sts GetCallerIdentity (root)": (awsreq.signed_request("sts GetCallerIdentity", 4566), True),
        "iam ListUsers (user, allowed)": (_signed("iam", "list_users", "ListUsers", b"<Users>",
                                                  key["AccessKeyId"], key["SecretAccessKey"]), True),
        "ec2 DescribeRegions (user, denied)": (_signed("ec2", "describe_regions", "DescribeRegions", b"",
                                                       key["AccessKeyId"], key["SecretAccessKey"]), False),
    }
    rows, results = [], {}
    for name, (signed, succeeds) in workloads.items():
        measure = inproc._cpu_per_request if succeeds else _cpu_any_status
        on_runs, off_runs = [], []
        for _ in range(3):  # interleaved, so a busy moment hits both sides
            settings.enforce_iam = True
            on_runs.append(measure(gateway, signed, seconds / 3))
            settings.enforce_iam = False
            off_runs.append(measure(gateway, signed, seconds / 3))
        on, off = sorted(on_runs)[1], sorted(off_runs)[1]
        results[name] = (on, off)
        rows.append([name, on, off, on - off, on / off])
    print(h.table(["workload", "enforced us/req", "not enforced us/req", "enforcement us", "x"], rows))
    return results
