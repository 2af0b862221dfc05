"""Users, groups, roles: the operations on each, built on entities.py."""

from __future__ import annotations

from . import entities as E
from .common import (by_path, check_document, check_tags, delete_conflict, encoded, iam_ns, invalid_input,
                     edit, limit_exceeded, no_such, page, tagging, validation)
from .entities import GROUP, ROLE, USER, public

GROUPS_PER_USER = 10
TRUST_POLICY_SIZE = 2048


def _boundary(runtime, ctx, arn: str | None):
    if arn is None:
        return None
    from .policies import get_policy

    get_policy(runtime, ctx.account, arn)
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}


class _Shared:
    """Inline/attached/tag operations, the same for the three kinds."""

    def _retag(self, ctx, kind, name, params):
        return edit(self.runtime, lambda: E.get(self.runtime, ctx.account, kind, name),
                    lambda record: E.put(self.runtime, ctx.account, kind, record), tagging(params))

    def _list_tags(self, ctx, kind, name, params):
        return page(E.get(self.runtime, ctx.account, kind, name).get("Tags") or [], params, "Tags")


def _shared_operations(kind, prefix):
    """Build put_<kind>_policy, get_..., delete_..., list_<kind>_policies, attach/detach/list attached."""
    key = kind.name_key

    def put_policy(self, ctx, params):
        E.put_inline(self.runtime, ctx, kind, params[key], params["PolicyName"], params["PolicyDocument"])
        return {}

    def get_policy(self, ctx, params):
        return E.get_inline(self.runtime, ctx, kind, params[key], params["PolicyName"])

    def delete_policy(self, ctx, params):
        E.delete_inline(self.runtime, ctx, kind, params[key], params["PolicyName"])
        return {}

    def list_policies(self, ctx, params):
        return page(E.list_inline(self.runtime, ctx, kind, params[key]), params, "PolicyNames")

    def attach_policy(self, ctx, params):
        E.attach(self.runtime, ctx, kind, params[key], params["PolicyArn"])
        return {}

    def detach_policy(self, ctx, params):
        E.detach(self.runtime, ctx, kind, params[key], params["PolicyArn"])
        return {}

    def list_attached(self, ctx, params):
        return page(E.attached(self.runtime, ctx, kind, params[key], params.get("PathPrefix")), params,
                    "AttachedPolicies")

    return {
        f"put_{prefix}_policy": put_policy, f"get_{prefix}_policy": get_policy,
        f"delete_{prefix}_policy": delete_policy, f"list_{prefix}_policies": list_policies,
        f"attach_{prefix}_policy": attach_policy, f"detach_{prefix}_policy": detach_policy,
        f"list_attached_{prefix}_policies": list_attached,
    }


class UserOperations(_Shared):
    def create_user(self, ctx, params):
        extra = {"Tags": check_tags(params.get("Tags")) or None,
                 "PermissionsBoundary": _boundary(self.runtime, ctx, params.get("PermissionsBoundary")),
                 "groups": [], "keys": [], "mfa": [], "login": None}
        record = E.create(self.runtime, ctx, USER, params["UserName"], params.get("Path"), extra)
        return {"User": public(record)}

    def _current_user(self, ctx) -> str:
        if ctx.principal_arn and ":user/" in ctx.principal_arn:
            return ctx.principal_arn.rsplit("/", 1)[1]
        raise validation("Must specify userName when calling with non-User credentials")

    def get_user(self, ctx, params):
        if not params.get("UserName"):
            if not ctx.principal_arn:  # the root user: AWS answers with the account itself
                return {"User": {"UserId": ctx.account, "Arn": f"arn:aws:iam::{ctx.account}:root",
                                 "CreateDate": ctx.now, "Path": "/", "UserName": ""}}
            params = {"UserName": self._current_user(ctx)}
        return {"User": public(E.get(self.runtime, ctx.account, USER, params["UserName"]))}

    def list_users(self, ctx, params):
        users = [public(u, drop=("Tags", "PermissionsBoundary")) for u in E.all_of(self.runtime, ctx.account, USER)]
        return page(by_path(users, params), params, "Users")

    def update_user(self, ctx, params):
        with self.runtime.store.transaction():
            record = E.get(self.runtime, ctx.account, USER, params["UserName"])
            new_name = params.get("NewUserName")
            new_path = params.get("NewPath")
            E.check_path(new_path) if new_path else None
            if new_name and new_name.lower() != record["UserName"].lower():
                E.check_name(new_name, "newUserName")
                if E.find(self.runtime, ctx.account, USER, new_name) is not None:
                    raise E.already_exists(f"User with name {new_name} already exists.")
            iam_ns(self.runtime, ctx.account).delete("user", record["UserName"].lower())
            record["UserName"] = new_name or record["UserName"]
            record["Path"] = new_path or record["Path"]
            record["Arn"] = f"arn:aws:iam::{ctx.account}:user{record['Path']}{record['UserName']}"
            E.put(self.runtime, ctx.account, USER, record)
            self._rename_in_groups(ctx, params["UserName"], record["UserName"])
            from .keys import repoint_keys

            repoint_keys(self.runtime, record)
        return {}

    def _rename_in_groups(self, ctx, old, new):
        for group in E.all_of(self.runtime, ctx.account, GROUP):
            members = group.get("users", [])
            if old.lower() in members:
                group["users"] = [new.lower() if m == old.lower() else m for m in members]
                E.put(self.runtime, ctx.account, GROUP, group)

    def delete_user(self, ctx, params):
        with self.runtime.store.transaction():
            record = E.get(self.runtime, ctx.account, USER, params["UserName"])
            if record["keys"]:
                raise delete_conflict("Cannot delete entity, must delete access keys first.")
            if record["login"]:
                raise delete_conflict("Cannot delete entity, must delete login profile first.")
            if record["mfa"]:
                raise delete_conflict("Cannot delete entity, must delete MFA device first.")
            if record["groups"]:
                raise delete_conflict("Cannot delete entity, must remove users from group first.")
            for kind, what in (("ssh", "SSH public keys"), ("signing", "signing certificates"),
                               ("service-credentials", "service specific credentials")):
                if record.get(kind):
                    raise delete_conflict(f"Cannot delete entity, must delete {what} first.")
            E.ensure_deletable(record, USER)
            iam_ns(self.runtime, ctx.account).delete("user", record["UserName"].lower())
        return {}

    def tag_user(self, ctx, params):
        return self._retag(ctx, USER, params["UserName"], params)

    def untag_user(self, ctx, params):
        return self._retag(ctx, USER, params["UserName"], params)

    def list_user_tags(self, ctx, params):
        return self._list_tags(ctx, USER, params["UserName"], params)

    def put_user_permissions_boundary(self, ctx, params):
        E.set_boundary(self.runtime, ctx, USER, params["UserName"], params["PermissionsBoundary"])
        return {}

    def delete_user_permissions_boundary(self, ctx, params):
        E.set_boundary(self.runtime, ctx, USER, params["UserName"], None)
        return {}

    # -- group membership ------------------------------------------------------------------------
    def add_user_to_group(self, ctx, params):
        with self.runtime.store.transaction():
            group = E.get(self.runtime, ctx.account, GROUP, params["GroupName"])
            user = E.get(self.runtime, ctx.account, USER, params["UserName"])
            if group["GroupName"].lower() in user["groups"]:
                return {}
            if len(user["groups"]) >= GROUPS_PER_USER:
                raise limit_exceeded(f"Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}")
            user["groups"].append(group["GroupName"].lower())
            group.setdefault("users", []).append(user["UserName"].lower())
            E.put(self.runtime, ctx.account, USER, user)
            E.put(self.runtime, ctx.account, GROUP, group)
        return {}

    def remove_user_from_group(self, ctx, params):
        with self.runtime.store.transaction():
            group = E.get(self.runtime, ctx.account, GROUP, params["GroupName"])
            user = E.get(self.runtime, ctx.account, USER, params["UserName"])
            if group["GroupName"].lower() not in user["groups"]:
                raise no_such(f"The user with name {params['UserName']} cannot be found.")
            user["groups"].remove(group["GroupName"].lower())
            group["users"] = [u for u in group.get("users", []) if u != user["UserName"].lower()]
            E.put(self.runtime, ctx.account, USER, user)
            E.put(self.runtime, ctx.account, GROUP, group)
        return {}

    def list_groups_for_user(self, ctx, params):
        user = E.get(self.runtime, ctx.account, USER, params["UserName"])
        groups = [public(E.get(self.runtime, ctx.account, GROUP, g), drop=("users",)) for g in user["groups"]]
        return page(groups, params, "Groups")


class GroupOperations(_Shared):
    def create_group(self, ctx, params):
        record = E.create(self.runtime, ctx, GROUP, params["GroupName"], params.get("Path"), {"users": []}, 128)
        return {"Group": public(record, drop=("users",))}

    def get_group(self, ctx, params):
        group = E.get(self.runtime, ctx.account, GROUP, params["GroupName"])
        users = [public(E.get(self.runtime, ctx.account, USER, u), drop=("Tags", "PermissionsBoundary"))
                 for u in group.get("users", [])]
        return page(users, params, "Users", {"Group": public(group, drop=("users",))})

    def list_groups(self, ctx, params):
        groups = [public(g, drop=("users",)) for g in E.all_of(self.runtime, ctx.account, GROUP)]
        return page(by_path(groups, params), params, "Groups")

    def update_group(self, ctx, params):
        with self.runtime.store.transaction():
            group = E.get(self.runtime, ctx.account, GROUP, params["GroupName"])
            new_name, new_path = params.get("NewGroupName"), params.get("NewPath")
            if new_path:
                E.check_path(new_path)
            if new_name and new_name.lower() != group["GroupName"].lower():
                E.check_name(new_name, "newGroupName", 128)
                if E.find(self.runtime, ctx.account, GROUP, new_name) is not None:
                    raise E.already_exists(f"Group with name {new_name} already exists.")
            old = group["GroupName"].lower()
            iam_ns(self.runtime, ctx.account).delete("group", old)
            group["GroupName"] = new_name or group["GroupName"]
            group["Path"] = new_path or group["Path"]
            group["Arn"] = f"arn:aws:iam::{ctx.account}:group{group['Path']}{group['GroupName']}"
            E.put(self.runtime, ctx.account, GROUP, group)
            for member in group.get("users", []):
                user = E.get(self.runtime, ctx.account, USER, member)
                user["groups"] = [group["GroupName"].lower() if g == old else g for g in user["groups"]]
                E.put(self.runtime, ctx.account, USER, user)
        return {}

    def delete_group(self, ctx, params):
        with self.runtime.store.transaction():
            group = E.get(self.runtime, ctx.account, GROUP, params["GroupName"])
            if group.get("users"):
                raise delete_conflict("Cannot delete entity, must remove users from group first.")
            E.ensure_deletable(group, GROUP)
            iam_ns(self.runtime, ctx.account).delete("group", group["GroupName"].lower())
        return {}


def _role_out(record: dict, with_trust: bool = True) -> dict:
    out = public(record, drop=("AssumeRolePolicyDocument",))
    if with_trust:
        out["AssumeRolePolicyDocument"] = encoded(record["AssumeRolePolicyDocument"])
    out["RoleLastUsed"] = record.get("RoleLastUsed") or {}
    return out


class RoleOperations(_Shared):
    def create_role(self, ctx, params, service_linked: bool = False):
        trust = params["AssumeRolePolicyDocument"]
        check_document(trust, "trust", TRUST_POLICY_SIZE)
        duration = params.get("MaxSessionDuration") or 3600
        if not 3600 <= duration <= 43200:
            raise validation(f"1 validation error detected: Value '{duration}' at 'maxSessionDuration' failed to "
                             "satisfy constraint: Member must have value less than or equal to 43200")
        extra = {"AssumeRolePolicyDocument": trust, "Description": params.get("Description"),
                 "MaxSessionDuration": duration, "Tags": check_tags(params.get("Tags")) or None,
                 "PermissionsBoundary": _boundary(self.runtime, ctx, params.get("PermissionsBoundary")),
                 "service_linked": service_linked}
        record = E.create(self.runtime, ctx, ROLE, params["RoleName"], params.get("Path"), extra)
        return {"Role": _role_out(record)}

    def get_role(self, ctx, params):
        return {"Role": _role_out(E.get(self.runtime, ctx.account, ROLE, params["RoleName"]))}

    def list_roles(self, ctx, params):
        roles = [_role_out(r) for r in E.all_of(self.runtime, ctx.account, ROLE)]
        for r in roles:
            r.pop("Tags", None), r.pop("PermissionsBoundary", None), r.pop("RoleLastUsed", None)
        return page(by_path(roles, params), params, "Roles")

    def _editable(self, ctx, name):
        record = E.get(self.runtime, ctx.account, ROLE, name)
        if record.get("service_linked"):
            raise ServiceErrorUnmodifiable(record["RoleName"])
        return record

    def update_role(self, ctx, params):
        with self.runtime.store.transaction():
            record = self._editable(ctx, params["RoleName"])
            if "Description" in params:
                record["Description"] = params["Description"]
            if params.get("MaxSessionDuration"):
                record["MaxSessionDuration"] = params["MaxSessionDuration"]
            E.put(self.runtime, ctx.account, ROLE, record)
        return {}

    def update_role_description(self, ctx, params):
        self.update_role(ctx, params)
        return {"Role": _role_out(E.get(self.runtime, ctx.account, ROLE, params["RoleName"]))}

    def update_assume_role_policy(self, ctx, params):
        check_document(params["PolicyDocument"], "trust", TRUST_POLICY_SIZE)
        with self.runtime.store.transaction():
            record = self._editable(ctx, params["RoleName"])
            record["AssumeRolePolicyDocument"] = params["PolicyDocument"]
            E.put(self.runtime, ctx.account, ROLE, record)
        return {}

    def delete_role(self, ctx, params):
        with self.runtime.store.transaction():
            record = self._editable(ctx, params["RoleName"])
            self._delete_role(ctx, record)
        return {}

    def _delete_role(self, ctx, record):
        for _, profile in iam_ns(self.runtime, ctx.account).list("instance-profile"):
            if record["RoleName"].lower() in profile["roles"]:
                raise delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
        E.ensure_deletable(record, ROLE)
        iam_ns(self.runtime, ctx.account).delete("role", record["RoleName"].lower())

    def tag_role(self, ctx, params):
        return self._retag(ctx, ROLE, params["RoleName"], params)

    def untag_role(self, ctx, params):
        return self._retag(ctx, ROLE, params["RoleName"], params)

    def list_role_tags(self, ctx, params):
        return self._list_tags(ctx, ROLE, params["RoleName"], params)

    def put_role_permissions_boundary(self, ctx, params):
        self._editable(ctx, params["RoleName"])
        E.set_boundary(self.runtime, ctx, ROLE, params["RoleName"], params["PermissionsBoundary"])
        return {}

    def delete_role_permissions_boundary(self, ctx, params):
        E.set_boundary(self.runtime, ctx, ROLE, params["RoleName"], None)
        return {}

    # -- service-linked roles -------------------------------------------------------------------------
    def create_service_linked_role(self, ctx, params):
        import json

        service = params["AWSServiceName"]
        if not service.endswith(".amazonaws.com"):
            raise invalid_input(f"Invalid service name: {service}")
        base = service.split(".")[0]
        name = "AWSServiceRoleFor" + "".join(p[:1].upper() + p[1:] for p in base.replace("-", " ").split())
        if params.get("CustomSuffix"):
            name += "_" + params["CustomSuffix"]
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
        out = self.create_role(ctx, {"RoleName": name, "Path": f"/aws-service-role/{service}/",
                                     "AssumeRolePolicyDocument": trust, "Description": params.get("Description")},
                               service_linked=True)
        return out

    def delete_service_linked_role(self, ctx, params):
        with self.runtime.store.transaction():
            record = E.get(self.runtime, ctx.account, ROLE, params["RoleName"])
            if not record.get("service_linked"):
                raise invalid_input(f"Role {params['RoleName']} is not a service-linked role.")
            record["attached"], record["inline"] = [], {}
            self._delete_role(ctx, record)
        task = f"task/aws-service-role/{record['RoleName']}/{record['RoleId']}"
        return {"DeletionTaskId": task}

    def get_service_linked_role_deletion_status(self, ctx, params):
        if not params["DeletionTaskId"].startswith("task/aws-service-role/"):
            raise invalid_input("Invalid deletion task id.")
        return {"Status": "SUCCEEDED"}


def ServiceErrorUnmodifiable(name: str):
    from ...protocol.errors import ServiceError

    return ServiceError("UnmodifiableEntity", f"Cannot perform the operation on the protected role '{name}' - "
                        "this role is only modifiable by AWS", 400)


for _kind, _prefix, _cls in ((USER, "user", UserOperations), (GROUP, "group", GroupOperations),
                             (ROLE, "role", RoleOperations)):
    for _name, _fn in _shared_operations(_kind, _prefix).items():
        setattr(_cls, _name, _fn)
