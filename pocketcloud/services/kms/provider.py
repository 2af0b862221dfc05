"""AWS KMS with real cryptography (see keystore.py for the key record, crypto.py for the blob
format). Key deletions run on the scheduler; start() re-registers the pending ones.

Each operation lives in a module by topic; the Provider maps operation names onto them. The
cryptographic module loads `cryptography`, so it is imported on first use, not at server start.
"""

from __future__ import annotations

import asyncio
from importlib import import_module

from . import deletions

# module -> operations (snake_case) it implements as plain functions (ctx, params) -> dict.
_OPERATIONS = {
    "keys_ops": ["describe_key", "list_keys", "enable_key", "disable_key", "update_key_description",
                 "cancel_key_deletion", "enable_key_rotation", "disable_key_rotation", "get_key_rotation_status",
                 "rotate_key_on_demand", "list_key_rotations", "tag_resource", "untag_resource",
                 "list_resource_tags", "get_key_policy", "put_key_policy", "list_key_policies"],
    "aliases": ["create_alias", "update_alias", "delete_alias", "list_aliases"],
    "grants": ["create_grant", "list_grants", "list_retirable_grants", "revoke_grant", "retire_grant"],
    "crypto_ops": ["encrypt", "decrypt", "re_encrypt", "generate_data_key", "generate_data_key_without_plaintext",
                   "generate_random", "get_public_key", "verify", "generate_mac", "verify_mac",
                   "derive_shared_secret"],
}
# Operations that generate keys or sign with RSA take milliseconds: run off the event loop.
_THREADED = {"keys_ops": ["create_key"],
             "crypto_ops": ["generate_data_key_pair", "generate_data_key_pair_without_plaintext", "sign"]}


def _function(module: str, name: str):
    return getattr(import_module(f"{__package__}.{module}"), name)


def _sync_operation(module: str, name: str):
    def operation(self, ctx, params):
        return _function(module, name)(ctx, params)

    operation.__name__ = name
    return operation


def _threaded_operation(module: str, name: str):
    async def operation(self, ctx, params):
        return await asyncio.to_thread(_function(module, name), ctx, params)

    operation.__name__ = name
    return operation


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime

    def start(self):
        for item in deletions.pending(self.runtime.store):
            self._register_deletion(item["account"], item["region"], item["key"], item["at"])

    def _register_deletion(self, account, region, key_id, when):
        def delete():
            _function("keys_ops", "delete_if_due")(self.runtime, account, region, key_id)

        self.runtime.scheduler.at(when, delete, f"kms-delete-{key_id}")

    def schedule_key_deletion(self, ctx, params):
        return _function("keys_ops", "schedule_key_deletion")(ctx, params, self._register_deletion)


for _module, _names in _OPERATIONS.items():
    for _name in _names:
        setattr(Provider, _name, _sync_operation(_module, _name))
for _module, _names in _THREADED.items():
    for _name in _names:
        setattr(Provider, _name, _threaded_operation(_module, _name))
