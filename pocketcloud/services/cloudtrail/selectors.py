"""Event selectors (basic and advanced): which events a trail logs."""

from __future__ import annotations

from pocketcloud.protocol.errors import ServiceError

DEFAULT_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                      "ExcludeManagementEventSources": []}]
_BASIC_TYPES = {"AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"}
_ADVANCED_FIELDS = {"eventCategory", "eventSource", "eventName", "eventType", "readOnly", "resources.type",
                    "resources.ARN", "errorCode", "userIdentity.arn", "sessionCredentialFromConsole"}
_OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidEventSelectorsException", message, 400)


def check_basic(selectors: list[dict]) -> list[dict]:
    if len(selectors) > 5:
        raise invalid("A trail can have at most 5 event selectors.")
    out = []
    total = 0
    for selector in selectors:
        rw = selector.get("ReadWriteType", "All")
        if rw not in ("All", "ReadOnly", "WriteOnly"):
            raise invalid(f"Value {rw} for ReadWriteType is invalid.")
        resources = selector.get("DataResources") or []
        for resource in resources:
            if resource.get("Type") not in _BASIC_TYPES:
                raise invalid(f"Value {resource.get('Type')} for DataResources.Type is invalid.")
            values = resource.get("Values") or []
            total += len(values)
            for value in values:
                if not value.startswith("arn:"):
                    raise invalid(f"Value {value} for DataResources.Values is invalid.")
        out.append({"ReadWriteType": rw, "IncludeManagementEvents": selector.get("IncludeManagementEvents", True),
                    "DataResources": [{"Type": r["Type"], "Values": r.get("Values") or []} for r in resources],
                    "ExcludeManagementEventSources": selector.get("ExcludeManagementEventSources") or []})
    if total > 250:
        raise invalid("A trail can have at most 250 data resources across its event selectors.")
    return out


def check_advanced(selectors: list[dict]) -> list[dict]:
    if len(selectors) > 500:
        raise invalid("A trail can have at most 500 advanced event selectors.")
    for selector in selectors:
        fields = selector.get("FieldSelectors") or []
        if not any(f.get("Field") == "eventCategory" for f in fields):
            raise invalid("Each advanced event selector must have an eventCategory field selector.")
        for field in fields:
            if field.get("Field") not in _ADVANCED_FIELDS:
                raise invalid(f"Field {field.get('Field')} is not valid in an advanced event selector.")
            if not any(field.get(op) for op in _OPERATORS):
                raise invalid(f"Field selector {field['Field']} needs at least one operator.")
    return selectors


def _rw_matches(rw: str, read_only: bool) -> bool:
    return rw == "All" or (rw == "ReadOnly") == read_only


def _basic_matches(selectors: list[dict], record: dict) -> bool:
    read_only = record["readOnly"]
    for selector in selectors:
        if not _rw_matches(selector["ReadWriteType"], read_only):
            continue
        if record["eventCategory"] == "Management":
            if selector["IncludeManagementEvents"] and record["eventSource"] not in selector["ExcludeManagementEventSources"]:
                return True
            continue
        resource = (record.get("resources") or [{}])[0]
        for data in selector["DataResources"]:
            if data["Type"] != resource.get("type"):
                continue
            arn = resource.get("ARN", "")
            for value in data["Values"]:
                service = value.split(":")[2] if value.count(":") >= 2 else ""
                if value in ("arn:aws:s3", "arn:aws:lambda", "arn:aws:dynamodb") or value.rstrip(":") == f"arn:aws:{service}":
                    return True
                if data["Type"] == "AWS::S3::Object" and arn.startswith(value):
                    return True
                if arn == value:
                    return True
    return False


def _field_value(record: dict, field: str):
    if field == "resources.type":
        return [(r.get("type") or "") for r in record.get("resources") or []] or [""]
    if field == "resources.ARN":
        return [(r.get("ARN") or "") for r in record.get("resources") or []] or [""]
    if field == "readOnly":
        return ["true" if record["readOnly"] else "false"]
    if field == "userIdentity.arn":
        return [record["userIdentity"].get("arn", "")]
    if field == "sessionCredentialFromConsole":
        return ["false"]
    return [str(record.get(field, ""))]


def _field_matches(field: dict, record: dict) -> bool:
    values = _field_value(record, field["Field"])
    for value in values:
        ok = True
        if field.get("Equals") and value not in field["Equals"]:
            ok = False
        if field.get("StartsWith") and not any(value.startswith(p) for p in field["StartsWith"]):
            ok = False
        if field.get("EndsWith") and not any(value.endswith(p) for p in field["EndsWith"]):
            ok = False
        if field.get("NotEquals") and value in field["NotEquals"]:
            ok = False
        if field.get("NotStartsWith") and any(value.startswith(p) for p in field["NotStartsWith"]):
            ok = False
        if field.get("NotEndsWith") and any(value.endswith(p) for p in field["NotEndsWith"]):
            ok = False
        if ok:
            return True
    return False


def matches(trail: dict, record: dict) -> bool:
    """Does this trail log this event?"""
    if not trail.get("IncludeGlobalServiceEvents", True) and record["eventSource"].split(".")[0] in (
            "iam", "sts", "cloudfront", "route53"):
        return False
    advanced = trail.get("AdvancedEventSelectors")
    if advanced:
        return any(all(_field_matches(f, record) for f in s["FieldSelectors"]) for s in advanced)
    return _basic_matches(trail.get("EventSelectors") or DEFAULT_SELECTORS, record)


def wants_data_events(trail: dict) -> bool:
    advanced = trail.get("AdvancedEventSelectors")
    if advanced:
        for selector in advanced:
            for field in selector["FieldSelectors"]:
                if field["Field"] == "eventCategory" and "Data" in (field.get("Equals") or []):
                    return True
        return False
    return any(s["DataResources"] for s in trail.get("EventSelectors") or [])
