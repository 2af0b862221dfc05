"""The AWS commercial regions and their Availability Zones, as data.

Sources (checked late 2026): botocore's endpoints.json for the region list and descriptions
(the ``aws`` partition only: GovCloud, China, ISO and the European Sovereign Cloud are other
partitions and are left out); AWS's "AWS Availability Zones" page for the AZ ids and their
geography; AWS's account docs for opt-in ("Regions launched after March 20, 2019 are disabled by
default"). Only real Availability Zones are listed: Local Zones and Wavelength Zones are left out.

Zone name -> zone id. AWS documents the zone ids; the *letters* are per account in the oldest
regions (us-east-1, us-west-1, us-west-2, ap-southeast-1, ap-southeast-2, ap-northeast-1,
eu-west-1, sa-east-1 map letters to zones independently for accounts created before November
2025) and uniform everywhere else. pocketcloud uses one fixed mapping for every account: the
uniform mapping where AWS has one (note it is not always a->az1: eu-central-1a is euc1-az2,
ap-northeast-3a is apne3-az3, ...), and one real account's mapping for the independently mapped
regions. Zones AWS no longer offers to new accounts are left out, so the letters match what a new
account sees: us-west-1 has only a and c (usw1-az2 is closed to newer accounts) and ap-northeast-1
has a, c and d (apne1-az3 is constrained).

Every region is treated as enabled: opt-in regions report "opted-in", the others
"opt-in-not-required", as DescribeRegions reports them for an account that enabled everything.
"""

from __future__ import annotations

from typing import NamedTuple

OPT_IN_NOT_REQUIRED = "opt-in-not-required"
OPTED_IN = "opted-in"
NOT_OPTED_IN = "not-opted-in"


class Zone(NamedTuple):
    name: str  # us-east-1a
    zone_id: str  # use1-az4


class Region(NamedTuple):
    name: str  # us-east-1
    description: str  # US East (N. Virginia)
    opt_in_status: str  # opt-in-not-required | opted-in
    zones: tuple[Zone, ...]
    endpoint: str  # ec2.us-east-1.amazonaws.com (the regional EC2 endpoint host)
    geography: str  # country, as AWS's AZ page names it: "United States of America"
    sub_geography: str  # state where AWS names one ("Virginia"), else ""


_DEFAULT, _OPT_IN = OPT_IN_NOT_REQUIRED, OPTED_IN
_USA = "United States of America"

# name, description, opt-in, AZ-id prefix, "letter+AZ number ...", geography, sub-geography
_TABLE = (
    ("af-south-1", "Africa (Cape Town)", _OPT_IN, "afs1", "a1 b2 c3", "South Africa", ""),
    ("ap-east-1", "Asia Pacific (Hong Kong)", _OPT_IN, "ape1", "a1 b2 c3", "Hong Kong", ""),
    ("ap-east-2", "Asia Pacific (Taipei)", _OPT_IN, "ape2", "a1 b2 c3", "Taiwan", ""),
    ("ap-northeast-1", "Asia Pacific (Tokyo)", _DEFAULT, "apne1", "a4 c1 d2", "Japan", ""),
    ("ap-northeast-2", "Asia Pacific (Seoul)", _DEFAULT, "apne2", "a1 b2 c3 d4", "South Korea", ""),
    ("ap-northeast-3", "Asia Pacific (Osaka)", _DEFAULT, "apne3", "a3 b1 c2", "Japan", ""),
    ("ap-south-1", "Asia Pacific (Mumbai)", _DEFAULT, "aps1", "a1 b3 c2", "India", ""),
    ("ap-south-2", "Asia Pacific (Hyderabad)", _OPT_IN, "aps2", "a1 b2 c3", "India", ""),
    ("ap-southeast-1", "Asia Pacific (Singapore)", _DEFAULT, "apse1", "a1 b2 c3", "Singapore", ""),
    ("ap-southeast-2", "Asia Pacific (Sydney)", _DEFAULT, "apse2", "a1 b3 c2", "Australia", ""),
    ("ap-southeast-3", "Asia Pacific (Jakarta)", _OPT_IN, "apse3", "a1 b2 c3", "Indonesia", ""),
    ("ap-southeast-4", "Asia Pacific (Melbourne)", _OPT_IN, "apse4", "a1 b2 c3", "Australia", ""),
    ("ap-southeast-5", "Asia Pacific (Malaysia)", _OPT_IN, "apse5", "a1 b2 c3", "Malaysia", ""),
    ("ap-southeast-6", "Asia Pacific (New Zealand)", _OPT_IN, "apse6", "a1 b2 c3", "New Zealand", ""),
    ("ap-southeast-7", "Asia Pacific (Thailand)", _OPT_IN, "apse7", "a1 b2 c3", "Thailand", ""),
    ("ca-central-1", "Canada (Central)", _DEFAULT, "cac1", "a1 b2 d4", "Canada", ""),
    ("ca-west-1", "Canada West (Calgary)", _OPT_IN, "caw1", "a1 b2 c3", "Canada", ""),
    ("eu-central-1", "Europe (Frankfurt)", _DEFAULT, "euc1", "a2 b3 c1", "Germany", ""),
    ("eu-central-2", "Europe (Zurich)", _OPT_IN, "euc2", "a1 b2 c3", "Switzerland", ""),
    ("eu-north-1", "Europe (Stockholm)", _DEFAULT, "eun1", "a1 b2 c3", "Sweden", ""),
    ("eu-south-1", "Europe (Milan)", _OPT_IN, "eus1", "a1 b2 c3", "Italy", ""),
    ("eu-south-2", "Europe (Spain)", _OPT_IN, "eus2", "a1 b2 c3", "Spain", ""),
    ("eu-west-1", "Europe (Ireland)", _DEFAULT, "euw1", "a2 b3 c1", "Ireland", ""),
    ("eu-west-2", "Europe (London)", _DEFAULT, "euw2", "a2 b3 c1 d4", "United Kingdom", ""),
    ("eu-west-3", "Europe (Paris)", _DEFAULT, "euw3", "a1 b2 c3", "France", ""),
    ("il-central-1", "Israel (Tel Aviv)", _OPT_IN, "ilc1", "a1 b2 c3", "Israel", ""),
    ("me-central-1", "Middle East (UAE)", _OPT_IN, "mec1", "a1 b2 c3", "United Arab Emirates", ""),
    ("me-south-1", "Middle East (Bahrain)", _OPT_IN, "mes1", "a1 b2 c3", "Bahrain", ""),
    ("mx-central-1", "Mexico (Central)", _OPT_IN, "mxc1", "a1 b2 c3", "Mexico", ""),
    ("sa-east-1", "South America (Sao Paulo)", _DEFAULT, "sae1", "a1 b2 c3", "Brazil", ""),
    ("us-east-1", "US East (N. Virginia)", _DEFAULT, "use1", "a4 b6 c1 d2 e3 f5", _USA, "Virginia"),
    ("us-east-2", "US East (Ohio)", _DEFAULT, "use2", "a1 b2 c3", _USA, "Ohio"),
    ("us-west-1", "US West (N. California)", _DEFAULT, "usw1", "a1 c3", _USA, "California"),
    ("us-west-2", "US West (Oregon)", _DEFAULT, "usw2", "a2 b1 c3 d4", _USA, "Oregon"),
)


def _build() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for name, description, opt_in, prefix, layout, geography, sub_geography in _TABLE:
        zones = tuple(
            Zone(f"{name}{entry[0]}", f"{prefix}-az{entry[1:]}") for entry in layout.split()
        )
        regions[name] = Region(
            name, description, opt_in, zones, f"ec2.{name}.amazonaws.com", geography, sub_geography
        )
    return regions


REGIONS: dict[str, Region] = _build()

# zone name / zone id -> (region, zone), for services that take an AZ (subnets, volumes, ...)
ZONES_BY_NAME: dict[str, tuple[Region, Zone]] = {
    zone.name: (region, zone) for region in REGIONS.values() for zone in region.zones
}
ZONES_BY_ID: dict[str, tuple[Region, Zone]] = {
    zone.zone_id: (region, zone) for region in REGIONS.values() for zone in region.zones
}


def is_region(name: str) -> bool:
    return name in REGIONS


def zones_of(region_name: str) -> tuple[Zone, ...]:
    """The region's Availability Zones; none for a name that is not a commercial region."""
    region = REGIONS.get(region_name)
    return region.zones if region is not None else ()
