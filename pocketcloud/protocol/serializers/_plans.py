"""What the XML, JSON and CBOR writers share: which members go in a body, and the plan cache.

A structure compiles once into a plan, keyed by the identity of its model's member table
(the same dict for every reference to the shape, whatever member traits the reference adds);
the cache keeps those dicts alive, so no key is ever reused by another dict. Compiling
registers the plan before its members so recursive shapes terminate; to keep other threads
from ever seeing such a half-built plan, plans compile under a lock into a pending table and
are published together once the outermost structure is complete.
"""

from __future__ import annotations

import threading

# Members bound to other parts of the HTTP message never appear in a body document; nor do
# event-stream members, which are written as event messages.
_NON_BODY_LOCATIONS = frozenset(("header", "headers", "statusCode", "querystring", "uri"))


def body_members(shape):
    """(name, member shape) for each member of structure `shape` that belongs in its body."""
    for name, member in shape.members.items():
        ser = member.serialization
        if ser.get("location") in _NON_BODY_LOCATIONS or ser.get("eventstream") or ser.get("eventheader"):
            continue
        yield name, member


class PlanCache:
    def __init__(self, make, fill):
        """make() creates an empty plan; fill(plan, shape) compiles a structure's members into
        it (and may recurse into this cache)."""
        self.done: dict = {}
        self._models: dict = {}  # the member tables whose ids key `done`, held alive
        self._pending: dict = {}  # id -> (member table, plan) while the outermost compiles
        self._lock = threading.RLock()
        self._make = make
        self._fill = fill

    def plan(self, shape):
        """The plan for structure `shape`, compiled on first use."""
        plan = self.done.get(id(shape._shape_model.get("members")))
        if plan is not None:
            return plan
        return self._compile(shape)

    def _compile(self, shape):
        members_ref = shape._shape_model.get("members")
        key = id(members_ref)  # id(None) for member-less structures: one shared plan
        with self._lock:
            plan = self.done.get(key)
            if plan is not None:
                return plan
            pending = self._pending.get(key)
            if pending is not None:
                return pending[1]
            outermost = not self._pending
            plan = self._make()
            self._pending[key] = (members_ref, plan)
            try:
                self._fill(plan, shape)
                if outermost:
                    self._models.update((k, model) for k, (model, _) in self._pending.items())
                    self.done.update({k: compiled for k, (_, compiled) in self._pending.items()})
            finally:
                if outermost:
                    self._pending.clear()
        return plan
