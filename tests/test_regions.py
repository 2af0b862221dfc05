"""Regions and Availability Zones (notes §1) through boto3 and the ec2 protocol."""

import pytest
from botocore.exceptions import ClientError


def test_describe_regions_lists_every_commercial_region(server):
    regions = server.client("ec2").describe_regions()["Regions"]
    names = {r["RegionName"] for r in regions}
    assert {"us-east-1", "ap-northeast-2", "eu-central-1", "sa-east-1", "ap-southeast-7", "mx-central-1"} <= names
    assert len(names) == 34
    seoul = next(r for r in regions if r["RegionName"] == "ap-northeast-2")
    assert seoul["Endpoint"] == "ec2.ap-northeast-2.amazonaws.com"
    assert seoul["OptInStatus"] == "opt-in-not-required"


def test_describe_regions_filters_and_names(server):
    ec2 = server.client("ec2")
    got = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["ap-northeast-*"]}])["Regions"]
    assert sorted(r["RegionName"] for r in got) == ["ap-northeast-1", "ap-northeast-2", "ap-northeast-3"]
    got = ec2.describe_regions(RegionNames=["eu-west-1", "us-west-2"])["Regions"]
    assert sorted(r["RegionName"] for r in got) == ["eu-west-1", "us-west-2"]
    with pytest.raises(ClientError) as exc:
        ec2.describe_regions(RegionNames=["moon-east-1"])
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        ec2.describe_regions(Filters=[{"Name": "flavour", "Values": ["x"]}])
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_seoul_has_four_zones_with_real_ids(server):
    zones = server.client("ec2", region="ap-northeast-2").describe_availability_zones()["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d"]
    assert [z["ZoneId"] for z in zones] == ["apne2-az1", "apne2-az2", "apne2-az3", "apne2-az4"]
    assert all(z["State"] == "available" and z["RegionName"] == "ap-northeast-2" for z in zones)


def test_zones_answer_for_the_callers_region(server):
    zones = server.client("ec2", region="eu-central-1").describe_availability_zones()["AvailabilityZones"]
    assert {z["RegionName"] for z in zones} == {"eu-central-1"}
    got = server.client("ec2", region="us-east-1").describe_availability_zones(
        Filters=[{"Name": "zone-name", "Values": ["us-east-1a", "us-east-1b"]}])["AvailabilityZones"]
    assert [z["ZoneName"] for z in got] == ["us-east-1a", "us-east-1b"]
    with pytest.raises(ClientError) as exc:
        server.client("ec2", region="us-east-1").describe_availability_zones(ZoneNames=["eu-central-1a"])
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_dry_run_answers_dry_run_operation(server):
    with pytest.raises(ClientError) as exc:
        server.client("ec2").describe_availability_zones(DryRun=True)
    assert exc.value.response["Error"]["Code"] == "DryRunOperation"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
