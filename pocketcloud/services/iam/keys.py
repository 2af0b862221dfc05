"""Access keys (at most 2 per user, the secret shown once), login profiles, virtual MFA devices,
and the key index the gateway resolves signatures with."""

from __future__ import annotations

import base64
import secrets

from ...core.store import Namespace
from .common import (GLOBAL, delete_conflict, already_exists, check_name, check_path, check_tags, iam_ns,
                     invalid_input, limit_exceeded, new_id, new_secret, no_such, page, validation)
from . import entities as E
from .entities import USER

KEYS_PER_USER = 2
MFA_PER_USER = 8


def key_index(runtime) -> Namespace:
    """Access key id -> owner, across all accounts (a signature names only the key)."""
    return Namespace(runtime.store, "iam", "", GLOBAL)


def repoint_keys(runtime, user: dict) -> None:
    """After a user is renamed or moved, its keys name the new ARN."""
    index = key_index(runtime)
    for key_id in user["keys"]:
        entry = index.get("access-key", key_id)
        if entry is not None:
            entry["arn"], entry["user"] = user["Arn"], user["UserName"]
            index.put("access-key", key_id, entry)


def _key_out(entry: dict, key_id: str, with_secret: bool = False) -> dict:
    out = {"UserName": entry["user"], "AccessKeyId": key_id, "Status": entry["status"], "CreateDate": entry["created"]}
    if with_secret:
        out["SecretAccessKey"] = entry["secret"]
    return out


class KeyOperations:
    def _user_for_keys(self, ctx, params) -> str:
        if params.get("UserName"):
            return params["UserName"]
        if ctx.principal_arn and ":user/" in ctx.principal_arn:
            return ctx.principal_arn.rsplit("/", 1)[1]
        raise invalid_input("Root user access keys are not managed by pocketcloud; name a UserName.")

    def create_access_key(self, ctx, params):
        name = self._user_for_keys(ctx, params)
        with self.runtime.store.transaction():
            user = E.get(self.runtime, ctx.account, USER, name)
            if len(user["keys"]) >= KEYS_PER_USER:
                raise limit_exceeded(f"Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}")
            key_id = new_id("AKIA", 20)
            entry = {"account": ctx.account, "user": user["UserName"], "arn": user["Arn"], "secret": new_secret(),
                     "status": "Active", "created": ctx.now, "user_id": user["UserId"]}
            key_index(self.runtime).put("access-key", key_id, entry)
            user["keys"].append(key_id)
            E.put(self.runtime, ctx.account, USER, user)
        return {"AccessKey": _key_out(entry, key_id, with_secret=True)}

    def _owned_key(self, ctx, params):
        name = self._user_for_keys(ctx, params)
        user = E.get(self.runtime, ctx.account, USER, name)
        key_id = params["AccessKeyId"]
        if key_id not in user["keys"]:
            raise no_such(f"The Access Key with id {key_id} cannot be found.")
        return user, key_id, key_index(self.runtime).get("access-key", key_id)

    def list_access_keys(self, ctx, params):
        name = self._user_for_keys(ctx, params)
        user = E.get(self.runtime, ctx.account, USER, name)
        index = key_index(self.runtime)
        keys = [_key_out(index.get("access-key", k), k) for k in user["keys"] if index.get("access-key", k)]
        return page(keys, params, "AccessKeyMetadata")

    def update_access_key(self, ctx, params):
        if params["Status"] not in ("Active", "Inactive"):
            raise validation(f"1 validation error detected: Value '{params['Status']}' at 'status' failed to "
                               "satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")
        with self.runtime.store.transaction():
            _, key_id, entry = self._owned_key(ctx, params)
            entry["status"] = params["Status"]
            key_index(self.runtime).put("access-key", key_id, entry)
        return {}

    def delete_access_key(self, ctx, params):
        with self.runtime.store.transaction():
            user, key_id, _ = self._owned_key(ctx, params)
            user["keys"].remove(key_id)
            E.put(self.runtime, ctx.account, USER, user)
            key_index(self.runtime).delete("access-key", key_id)
        return {}

    def get_access_key_last_used(self, ctx, params):
        entry = key_index(self.runtime).get("access-key", params["AccessKeyId"])
        if entry is None or entry["account"] != ctx.account:
            raise no_such(f"The Access Key with id {params['AccessKeyId']} cannot be found.")
        used = entry.get("last_used") or {"ServiceName": "N/A", "Region": "N/A"}
        return {"UserName": entry["user"], "AccessKeyLastUsed": used}

    # -- login profiles -------------------------------------------------------------------------
    def _check_password(self, ctx, password: str) -> None:
        from .account import password_errors

        problems = password_errors(self.runtime, ctx.account, password)
        if problems:
            from ...protocol.errors import ServiceError

            raise ServiceError("PasswordPolicyViolation", "Password should " + "; ".join(problems), 400)

    def create_login_profile(self, ctx, params):
        with self.runtime.store.transaction():
            user = E.get(self.runtime, ctx.account, USER, params["UserName"])
            if user["login"]:
                raise already_exists(f"Login Profile for user {user['UserName']} already exists.")
            self._check_password(ctx, params["Password"])
            user["login"] = {"CreateDate": ctx.now, "PasswordResetRequired": bool(params.get("PasswordResetRequired"))}
            E.put(self.runtime, ctx.account, USER, user)
        return {"LoginProfile": {"UserName": user["UserName"], **user["login"]}}

    def get_login_profile(self, ctx, params):
        user = E.get(self.runtime, ctx.account, USER, params["UserName"])
        if not user["login"]:
            raise no_such(f"Login Profile for User {user['UserName']} cannot be found.")
        return {"LoginProfile": {"UserName": user["UserName"], **user["login"]}}

    def update_login_profile(self, ctx, params):
        with self.runtime.store.transaction():
            user = E.get(self.runtime, ctx.account, USER, params["UserName"])
            if not user["login"]:
                raise no_such(f"Login Profile for User {user['UserName']} cannot be found.")
            if params.get("Password"):
                self._check_password(ctx, params["Password"])
            if "PasswordResetRequired" in params:
                user["login"]["PasswordResetRequired"] = bool(params["PasswordResetRequired"])
            E.put(self.runtime, ctx.account, USER, user)
        return {}

    def delete_login_profile(self, ctx, params):
        with self.runtime.store.transaction():
            user = E.get(self.runtime, ctx.account, USER, params["UserName"])
            if not user["login"]:
                raise no_such(f"Login Profile for User {user['UserName']} cannot be found.")
            user["login"] = None
            E.put(self.runtime, ctx.account, USER, user)
        return {}

    # -- virtual MFA devices ----------------------------------------------------------------------
    def create_virtual_mfa_device(self, ctx, params):
        name = check_name(params["VirtualMFADeviceName"], "virtualMFADeviceName", 226)
        path = check_path(params.get("Path"))
        serial = f"arn:aws:iam::{ctx.account}:mfa{path}{name}"
        ns = iam_ns(self.runtime, ctx.account)
        with self.runtime.store.transaction():
            if ns.get("mfa", serial) is not None:
                raise already_exists("MFADevice entity at the same path and name already exists.")
            seed = base64.b32encode(secrets.token_bytes(40)).decode()
            device = {"SerialNumber": serial, "Base32StringSeed": seed, "user": None, "EnableDate": None,
                      "Tags": check_tags(params.get("Tags"))}
            ns.put("mfa", serial, device)
        qr = f"otpauth://totp/{name}@{ctx.account}?secret={seed}".encode()
        return {"VirtualMFADevice": {"SerialNumber": serial, "Base32StringSeed": seed.encode(), "QRCodePNG": qr,
                                     "Tags": device["Tags"] or None}}

    def _device(self, ctx, serial):
        device = iam_ns(self.runtime, ctx.account).get("mfa", serial)
        if device is None:
            raise no_such(f"MFA Device with serial number {serial} does not exist.")
        return device

    def enable_mfa_device(self, ctx, params):
        codes = (params["AuthenticationCode1"], params["AuthenticationCode2"])
        if not all(c.isdigit() and len(c) == 6 for c in codes):
            raise validation("Authentication codes must be 6 digits.")
        with self.runtime.store.transaction():
            user = E.get(self.runtime, ctx.account, USER, params["UserName"])
            device = self._device(ctx, params["SerialNumber"])
            if device["user"]:
                raise already_exists("MFA Device is already in use.")
            if len(user["mfa"]) >= MFA_PER_USER:
                raise limit_exceeded(f"Cannot exceed quota for MFADevicesPerUser: {MFA_PER_USER}")
            device["user"], device["EnableDate"] = user["UserName"], ctx.now
            user["mfa"].append(device["SerialNumber"])
            iam_ns(self.runtime, ctx.account).put("mfa", device["SerialNumber"], device)
            E.put(self.runtime, ctx.account, USER, user)
        return {}

    def deactivate_mfa_device(self, ctx, params):
        with self.runtime.store.transaction():
            device = self._device(ctx, params["SerialNumber"])
            user = E.get(self.runtime, ctx.account, USER, params.get("UserName") or device["user"] or "")
            if device["SerialNumber"] not in user["mfa"]:
                raise no_such(f"MFA Device with serial number {params['SerialNumber']} does not exist.")
            user["mfa"].remove(device["SerialNumber"])
            device["user"], device["EnableDate"] = None, None
            iam_ns(self.runtime, ctx.account).put("mfa", device["SerialNumber"], device)
            E.put(self.runtime, ctx.account, USER, user)
        return {}

    def delete_virtual_mfa_device(self, ctx, params):
        with self.runtime.store.transaction():
            device = self._device(ctx, params["SerialNumber"])
            if device["user"]:
                raise delete_conflict("MFA VirtualDevice in use. Must deactivate first.")
            iam_ns(self.runtime, ctx.account).delete("mfa", device["SerialNumber"])
        return {}

    def list_virtual_mfa_devices(self, ctx, params):
        status = params.get("AssignmentStatus") or "Any"
        out = []
        for _, d in iam_ns(self.runtime, ctx.account).list("mfa"):
            if status == "Assigned" and not d["user"] or status == "Unassigned" and d["user"]:
                continue
            item = {"SerialNumber": d["SerialNumber"]}
            if d["user"]:
                user = E.find(self.runtime, ctx.account, USER, d["user"])
                item["User"] = E.public(user, drop=("Tags", "PermissionsBoundary")) if user else None
                item["EnableDate"] = d["EnableDate"]
            out.append(item)
        return page(out, params, "VirtualMFADevices")

    def list_mfa_devices(self, ctx, params):
        name = self._user_for_keys(ctx, params)
        user = E.get(self.runtime, ctx.account, USER, name)
        devices = [{"UserName": user["UserName"], "SerialNumber": s,
                    "EnableDate": self._device(ctx, s)["EnableDate"]} for s in user["mfa"]]
        return page(devices, params, "MFADevices")

    def resync_mfa_device(self, ctx, params):
        self._device(ctx, params["SerialNumber"])
        return {}


def mfa_device_of(runtime, account: str, serial: str) -> dict | None:
    return iam_ns(runtime, account).get("mfa", serial)
