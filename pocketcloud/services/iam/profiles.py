"""Instance profiles: a container for (at most) one role, given to EC2 instances."""

from __future__ import annotations

from . import entities as E
from .common import (already_exists, by_path, check_name, check_path, check_tags, delete_conflict, iam_ns,
                     limit_exceeded, new_id, no_such, page, edit, tagging)
from .entities import ROLE


class ProfileOperations:
    def _profile(self, ctx, name):
        record = iam_ns(self.runtime, ctx.account).get("instance-profile", (name or "").lower())
        if record is None:
            raise no_such(f"Instance Profile {name} cannot be found.")
        return record

    def _save_profile(self, ctx, record):
        iam_ns(self.runtime, ctx.account).put("instance-profile", record["InstanceProfileName"].lower(), record)

    def _profile_out(self, ctx, record, tags=True):
        from .identities import _role_out

        roles = [E.find(self.runtime, ctx.account, ROLE, r) for r in record["roles"]]
        out = {k: v for k, v in record.items() if k not in ("roles", "Tags")}
        out["Roles"] = [_role_out(r) for r in roles if r is not None]
        if tags and record.get("Tags"):
            out["Tags"] = record["Tags"]
        return out

    def create_instance_profile(self, ctx, params):
        name = check_name(params["InstanceProfileName"], "instanceProfileName", 128)
        path = check_path(params.get("Path"))
        with self.runtime.store.transaction():
            if iam_ns(self.runtime, ctx.account).get("instance-profile", name.lower()) is not None:
                raise already_exists(f"Instance Profile {name} already exists.")
            record = {"Path": path, "InstanceProfileName": name, "InstanceProfileId": new_id("AIPA"),
                      "Arn": f"arn:aws:iam::{ctx.account}:instance-profile{path}{name}", "CreateDate": ctx.now,
                      "roles": [], "Tags": check_tags(params.get("Tags"))}
            self._save_profile(ctx, record)
        return {"InstanceProfile": self._profile_out(ctx, record)}

    def get_instance_profile(self, ctx, params):
        return {"InstanceProfile": self._profile_out(ctx, self._profile(ctx, params["InstanceProfileName"]))}

    def list_instance_profiles(self, ctx, params):
        found = [self._profile_out(ctx, r, tags=False) for _, r in iam_ns(self.runtime, ctx.account).list("instance-profile")]
        return page(by_path(found, params), params, "InstanceProfiles")

    def delete_instance_profile(self, ctx, params):
        with self.runtime.store.transaction():
            record = self._profile(ctx, params["InstanceProfileName"])
            if record["roles"]:
                raise delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
            iam_ns(self.runtime, ctx.account).delete("instance-profile", record["InstanceProfileName"].lower())
        return {}

    def add_role_to_instance_profile(self, ctx, params):
        with self.runtime.store.transaction():
            record = self._profile(ctx, params["InstanceProfileName"])
            role = E.get(self.runtime, ctx.account, ROLE, params["RoleName"])
            if role["RoleName"].lower() in record["roles"]:
                raise limit_exceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
            if record["roles"]:
                raise limit_exceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
            record["roles"].append(role["RoleName"].lower())
            self._save_profile(ctx, record)
        return {}

    def remove_role_from_instance_profile(self, ctx, params):
        with self.runtime.store.transaction():
            record = self._profile(ctx, params["InstanceProfileName"])
            if params["RoleName"].lower() not in record["roles"]:
                raise no_such(f"The role with name {params['RoleName']} cannot be found.")
            record["roles"].remove(params["RoleName"].lower())
            self._save_profile(ctx, record)
        return {}

    def list_instance_profiles_for_role(self, ctx, params):
        E.get(self.runtime, ctx.account, ROLE, params["RoleName"])
        found = [self._profile_out(ctx, r, tags=False) for _, r in iam_ns(self.runtime, ctx.account).list("instance-profile")
                 if params["RoleName"].lower() in r["roles"]]
        return page(found, params, "InstanceProfiles")

    def tag_instance_profile(self, ctx, params):
        return edit(self.runtime, lambda: self._profile(ctx, params["InstanceProfileName"]),
                    lambda record: self._save_profile(ctx, record), tagging(params))

    untag_instance_profile = tag_instance_profile

    def list_instance_profile_tags(self, ctx, params):
        return page(self._profile(ctx, params["InstanceProfileName"]).get("Tags") or [], params, "Tags")
