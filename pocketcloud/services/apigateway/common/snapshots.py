"""Deployments never change once made, so the serving side keeps each one's frozen snapshot in
memory after its first request instead of decoding it from the store every time."""

from __future__ import annotations


class SnapshotCache:
    def __init__(self, limit: int = 2000):
        self._found: dict[tuple[str, str, str], dict] = {}
        self._limit = limit

    def load(self, ns, account: str, api_id: str, deployment_id: str) -> dict | None:
        key = (account, api_id, deployment_id)
        found = self._found.get(key)
        if found is None:
            deployment = ns.get("deployment", f"{api_id}/{deployment_id}")
            if deployment is None:
                return None
            if len(self._found) > self._limit:
                self._found.clear()
            found = self._found[key] = deployment["snapshot"]
        return found

    def drop(self, account: str, api_id: str, deployment_id: str) -> None:
        self._found.pop((account, api_id, deployment_id), None)

    def clear(self) -> None:
        self._found.clear()
