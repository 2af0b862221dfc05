"""EC2 DescribeRegions and DescribeAvailabilityZones, as pure functions.

Each takes the parsed request (botocore input shape) and the caller's region and returns the
output dict (botocore output shape), or raises ServiceError as AWS would.

Error wording comes from AWS answers seen in public reports: "Invalid region: [name]",
"Invalid availability zone: [name]", "The filter 'name' is invalid". AWS names only one
offender: the alphabetically first unknown region, and the first unknown zone in request order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pocketcloud.core.regions import OPT_IN_NOT_REQUIRED, REGIONS
from pocketcloud.protocol.errors import ServiceError
from pocketcloud.protocol.static import Static

from .filters import check_dry_run as _check_dry_run, check_filter_names, match_filters

# --------------------------------------------------------------------------- precomputed answers
# Both operations answer from fixed data, so every output item and its filter values are built
# once at import, as Static dicts: shared between responses, never mutated, encoded once.

_REGION_FILTERS = frozenset({"endpoint", "opt-in-status", "region-name"})
_ZONE_FILTERS = frozenset(
    {
        "group-long-name",
        "group-name",
        "message",
        "opt-in-status",
        "parent-zone-id",
        "parent-zone-name",
        "region-name",
        "state",
        "zone-id",
        "zone-name",
        "zone-type",
    }
)

_Entry = tuple[str, dict[str, Any], dict[str, list[str]]]  # (name, output item, filter values)


def _region_entries() -> tuple[_Entry, ...]:
    entries = []
    for region in sorted(REGIONS.values()):
        item = {
            "Endpoint": region.endpoint,
            "RegionName": region.name,
            "OptInStatus": region.opt_in_status,
            "Geography": [{"Name": region.geography}],
        }
        values = {
            "endpoint": [region.endpoint],
            "region-name": [region.name],
            "opt-in-status": [region.opt_in_status],
        }
        entries.append((region.name, Static(item), values))
    return tuple(entries)


def _zone_entries() -> dict[str, tuple[_Entry, ...]]:
    by_region = {}
    for region in REGIONS.values():
        # Every AZ of a region is in the region's single zone group, "<region>-zg-1", long name
        # "<description> 1", and its network border group is the region itself.
        group_name = f"{region.name}-zg-1"
        group_long_name = f"{region.description} 1"
        entries = []
        for zone in sorted(region.zones):
            item: dict[str, Any] = {
                "OptInStatus": OPT_IN_NOT_REQUIRED,
                "Messages": [],
                "RegionName": region.name,
                "ZoneName": zone.name,
                "ZoneId": zone.zone_id,
                "GroupName": group_name,
                "NetworkBorderGroup": region.name,
                "ZoneType": "availability-zone",
                "GroupLongName": group_long_name,
                "Geography": [{"Name": region.geography}],
            }
            if region.sub_geography:
                item["SubGeography"] = [{"Name": region.sub_geography}]
            item["State"] = "available"
            # message / parent-zone-* have no value for a plain AZ, so filters on them match none
            values = {
                "group-long-name": [group_long_name],
                "group-name": [group_name],
                "opt-in-status": [OPT_IN_NOT_REQUIRED],
                "region-name": [region.name],
                "state": ["available"],
                "zone-id": [zone.zone_id],
                "zone-name": [zone.name],
                "zone-type": ["availability-zone"],
            }
            entries.append((zone.name, Static(item), values))
        by_region[region.name] = tuple(entries)
    return by_region


_REGION_ENTRIES = _region_entries()
_ZONE_ENTRIES = _zone_entries()


# --------------------------------------------------------------------------- operations


def describe_regions(request: Mapping[str, Any], caller_region: str) -> dict[str, Any]:
    """Every region is enabled here, so AllRegions changes nothing; RegionNames and Filters
    narrow the answer together. The caller's region does not matter: any regional endpoint
    lists them all."""
    filters = request.get("Filters") or ()
    check_filter_names(filters, _REGION_FILTERS)
    wanted = request.get("RegionNames")
    if wanted:
        unknown = sorted({name for name in wanted if name not in REGIONS})
        if unknown:
            raise ServiceError("InvalidParameterValue", f"Invalid region: [{unknown[0]}]", 400)
        wanted = set(wanted)
    _check_dry_run(request)
    return {
        "Regions": [
            item
            for name, item, values in _REGION_ENTRIES
            if (not wanted or name in wanted) and match_filters(values, filters)
        ]
    }


def describe_availability_zones(request: Mapping[str, Any], caller_region: str) -> dict[str, Any]:
    """The caller's region's zones only, as AWS answers from a regional endpoint. ZoneNames,
    ZoneIds and Filters narrow the answer together; a name or id outside the caller's region is
    invalid. AllAvailabilityZones would add Local and Wavelength Zones, which are not modelled."""
    filters = request.get("Filters") or ()
    check_filter_names(filters, _ZONE_FILTERS)
    entries = _ZONE_ENTRIES.get(caller_region, ())
    names = request.get("ZoneNames")
    ids = request.get("ZoneIds")
    if names:
        known_names = {name for name, _, _ in entries}
        for name in names:
            if name not in known_names:
                raise ServiceError(
                    "InvalidParameterValue", f"Invalid availability zone: [{name}]", 400
                )
        names = set(names)
    if ids:
        known_ids = {item["ZoneId"] for _, item, _ in entries}
        for zone_id in ids:
            if zone_id not in known_ids:
                raise ServiceError(
                    "InvalidParameterValue", f"Invalid availability zone-id: [{zone_id}]", 400
                )
        ids = set(ids)
    _check_dry_run(request)
    if not names and not ids and not filters:  # the common call: every zone of the region
        return {"AvailabilityZones": [item for _, item, _ in entries]}
    return {
        "AvailabilityZones": [
            item
            for name, item, values in entries
            if (not names or name in names)
            and (not ids or item["ZoneId"] in ids)
            and match_filters(values, filters)
        ]
    }
