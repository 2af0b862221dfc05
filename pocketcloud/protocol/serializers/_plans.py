"""The cache of compiled structure plans, shared by the XML, JSON and CBOR writers.

A structure compiles once into a plan, keyed by the identity of its model's member table
(the same dict for every reference to the shape, whatever member traits the reference adds).
Compiling registers the plan before its members so recursive shapes terminate; to keep other
threads from ever seeing such a half-built plan, plans compile under a lock into a pending
table and are published together once the outermost structure is complete.
"""

from __future__ import annotations

import threading


class PlanCache:
    def __init__(self):
        self.done: dict = {}
        self._pending: dict = {}
        self._lock = threading.RLock()

    def struct_plan(self, shape, make, fill):
        """The plan for structure `shape`: make(members_ref) creates it, fill(plan, shape)
        compiles its members (and may recurse into this cache)."""
        members_ref = shape._shape_model.get("members")
        key = id(members_ref)  # id(None) for member-less structures: one shared plan
        plan = self.done.get(key)
        if plan is not None:
            return plan
        with self._lock:
            plan = self.done.get(key) or self._pending.get(key)
            if plan is not None:
                return plan
            outermost = not self._pending
            # The plan holds members_ref, which keeps the dict alive and its id unique.
            plan = self._pending[key] = make(members_ref)
            try:
                fill(plan, shape)
                if outermost:
                    self.done.update(self._pending)
            finally:
                if outermost:
                    self._pending.clear()
        return plan
