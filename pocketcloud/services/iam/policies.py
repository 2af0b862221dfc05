"""Managed policies: customer managed ones with their versions (at most 5), and AWS's own."""

from __future__ import annotations

import re

from . import managed
from .common import (already_exists, check_document, check_name, check_path, delete_conflict, encoded,
                     iam_ns, invalid_input, limit_exceeded, new_id, no_such, check_tags, edit, tagging)
from .entities import attachment_count, boundary_users, policy_usage

MAX_VERSIONS = 5
POLICY_SIZE = 6144
_ARN = re.compile(r"^arn:aws:iam::(\d{12}|aws):policy(/(?:.*/)?)([^/]+)$")


def _split(arn: str) -> tuple[str, str, str]:
    match = _ARN.match(arn or "")
    if not match:
        raise invalid_input(f"ARN {arn} is not valid.")
    return match.group(1), match.group(2), match.group(3)


def find_policy(runtime, account: str, arn: str) -> dict | None:
    aws = managed.get(arn)
    if aws is not None:
        return aws
    try:
        owner, _, name = _split(arn)
    except Exception:
        return None
    if owner != account:
        return None
    record = iam_ns(runtime, account).get("policy", name.lower())
    return record if record is not None and record["Arn"] == arn else None


def get_policy(runtime, account: str, arn: str) -> dict:
    _split(arn)
    record = find_policy(runtime, account, arn)
    if record is None:
        raise no_such(f"Policy {arn} does not exist or is not attachable.")
    return record


def default_text(record: dict) -> str:
    return record["versions"][record["DefaultVersionId"]]["text"]


def shape(runtime, account: str, record: dict, usage: tuple | None = None) -> dict:
    """usage: policy_usage(...) when shaping many policies at once (ListPolicies)."""
    attached, boundaries = usage or policy_usage(runtime, account)
    return {
        "PolicyName": record["PolicyName"], "PolicyId": record["PolicyId"], "Arn": record["Arn"],
        "Path": record["Path"], "DefaultVersionId": record["DefaultVersionId"],
        "AttachmentCount": attached[record["Arn"]],
        "PermissionsBoundaryUsageCount": boundaries[record["Arn"]],
        "IsAttachable": True, "Description": record.get("Description"), "CreateDate": record["CreateDate"],
        "UpdateDate": record["UpdateDate"], "Tags": record.get("Tags") or None,
    }


class PolicyOperations:
    def create_policy(self, ctx, params):
        name = check_name(params["PolicyName"], "policyName", 128)
        path = check_path(params.get("Path"))
        text = params["PolicyDocument"]
        check_document(text, "identity", POLICY_SIZE)
        ns = iam_ns(self.runtime, ctx.account)
        with self.runtime.store.transaction():
            if ns.get("policy", name.lower()) is not None:
                raise already_exists(f"A policy called {name} already exists. Duplicate names are not allowed.")
            record = {
                "PolicyName": name, "PolicyId": new_id("ANPA"), "Arn": f"arn:aws:iam::{ctx.account}:policy{path}{name}",
                "Path": path, "Description": params.get("Description"), "CreateDate": ctx.now, "UpdateDate": ctx.now,
                "DefaultVersionId": "v1", "versions": {"v1": {"text": text, "CreateDate": ctx.now}}, "next": 2,
                "Tags": check_tags(params.get("Tags")),
            }
            ns.put("policy", name.lower(), record)
        return {"Policy": shape(self.runtime, ctx.account, record)}

    def get_policy(self, ctx, params):
        return {"Policy": shape(self.runtime, ctx.account, get_policy(self.runtime, ctx.account, params["PolicyArn"]))}

    def _customer(self, ctx, arn: str) -> dict:
        record = get_policy(self.runtime, ctx.account, arn)
        if record.get("aws"):
            raise invalid_input(f"Policy {arn} is an AWS managed policy and cannot be changed.")
        return record

    def _save(self, ctx, record):
        iam_ns(self.runtime, ctx.account).put("policy", record["PolicyName"].lower(), record)

    def delete_policy(self, ctx, params):
        arn = params["PolicyArn"]
        with self.runtime.store.transaction():
            record = self._customer(ctx, arn)
            if attachment_count(self.runtime, ctx.account, arn) or boundary_users(self.runtime, ctx.account, arn):
                raise delete_conflict("Cannot delete a policy attached to entities.")
            if len(record["versions"]) > 1:
                raise delete_conflict("Cannot delete a policy with versions other than the default version.")
            iam_ns(self.runtime, ctx.account).delete("policy", record["PolicyName"].lower())
        return {}

    def list_policies(self, ctx, params):
        from .common import page

        scope = params.get("Scope") or "All"
        found = []
        if scope in ("All", "AWS"):
            found += list(managed.all_policies().values())
        if scope in ("All", "Local"):
            found += [r for _, r in iam_ns(self.runtime, ctx.account).list("policy")]
        prefix = params.get("PathPrefix") or "/"
        found = [r for r in found if r["Path"].startswith(prefix)]
        usage = policy_usage(self.runtime, ctx.account)
        shaped = [shape(self.runtime, ctx.account, r, usage) for r in found]
        if params.get("OnlyAttached"):
            shaped = [p for p in shaped if p["AttachmentCount"]]
        for p in shaped:  # GetPolicy's alone, as in AWS
            p.pop("Tags", None)
            p.pop("Description", None)
        return page(shaped, params, "Policies")

    def create_policy_version(self, ctx, params):
        text = params["PolicyDocument"]
        check_document(text, "identity", POLICY_SIZE)
        with self.runtime.store.transaction():
            record = self._customer(ctx, params["PolicyArn"])
            if len(record["versions"]) >= MAX_VERSIONS:
                raise limit_exceeded(f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create "
                                     "a new version, you must delete an existing version.")
            version = f"v{record['next']}"
            record["next"] += 1
            record["versions"][version] = {"text": text, "CreateDate": ctx.now}
            if params.get("SetAsDefault"):
                record["DefaultVersionId"] = version
            record["UpdateDate"] = ctx.now
            self._save(ctx, record)
        return {"PolicyVersion": {"VersionId": version, "IsDefaultVersion": record["DefaultVersionId"] == version,
                                  "CreateDate": ctx.now}}

    def get_policy_version(self, ctx, params):
        record = get_policy(self.runtime, ctx.account, params["PolicyArn"])
        version = record["versions"].get(params["VersionId"])
        if version is None:
            raise no_such(f"Policy {params['PolicyArn']} version {params['VersionId']} does not exist or is not attachable.")
        return {"PolicyVersion": {"Document": encoded(version["text"]), "VersionId": params["VersionId"],
                                  "IsDefaultVersion": record["DefaultVersionId"] == params["VersionId"],
                                  "CreateDate": version["CreateDate"]}}

    def list_policy_versions(self, ctx, params):
        from .common import page

        record = get_policy(self.runtime, ctx.account, params["PolicyArn"])
        versions = [{"VersionId": v, "IsDefaultVersion": v == record["DefaultVersionId"], "CreateDate": d["CreateDate"]}
                    for v, d in sorted(record["versions"].items(), key=lambda kv: -int(kv[0][1:]))]
        return page(versions, params, "Versions")

    def delete_policy_version(self, ctx, params):
        with self.runtime.store.transaction():
            record = self._customer(ctx, params["PolicyArn"])
            version = params["VersionId"]
            if version not in record["versions"]:
                raise no_such(f"Policy {params['PolicyArn']} version {version} does not exist or is not attachable.")
            if version == record["DefaultVersionId"]:
                raise delete_conflict("Cannot delete the default version of a policy.")
            del record["versions"][version]
            self._save(ctx, record)
        return {}

    def set_default_policy_version(self, ctx, params):
        with self.runtime.store.transaction():
            record = self._customer(ctx, params["PolicyArn"])
            if params["VersionId"] not in record["versions"]:
                raise no_such(f"Policy {params['PolicyArn']} version {params['VersionId']} does not exist or is not attachable.")
            record["DefaultVersionId"] = params["VersionId"]
            record["UpdateDate"] = ctx.now
            self._save(ctx, record)
        return {}

    def tag_policy(self, ctx, params):
        return edit(self.runtime, lambda: self._customer(ctx, params["PolicyArn"]),
                    lambda record: self._save(ctx, record), tagging(params))

    untag_policy = tag_policy

    def list_policy_tags(self, ctx, params):
        from .common import page

        return page(get_policy(self.runtime, ctx.account, params["PolicyArn"]).get("Tags") or [], params, "Tags")

    def list_entities_for_policy(self, ctx, params):
        from .entities import GROUP, ROLE, USER, all_of

        arn = params["PolicyArn"]
        get_policy(self.runtime, ctx.account, arn)
        wanted = params.get("EntityFilter")
        out = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": [], "IsTruncated": False}
        for kind, key in ((GROUP, "PolicyGroups"), (USER, "PolicyUsers"), (ROLE, "PolicyRoles")):
            if wanted and wanted not in (kind.label.capitalize(), "LocalManagedPolicy", "AWSManagedPolicy"):
                continue
            for record in all_of(self.runtime, ctx.account, kind):
                if arn in record["attached"]:
                    out[key].append({kind.name_key: record[kind.name_key], kind.id_key: record[kind.id_key]})
        return out
