"""AWS IAM: users, groups, roles, policies and their versions, access keys, MFA, instance
profiles, the password policy, and policy simulation by the same engine that enforces.

IAM is global: every account's state lives under the region "global" of the store, whatever
region a request is signed for.
"""

from __future__ import annotations

from .account import AccountOperations
from .extras import ExtraOperations
from .federation import FederationOperations
from .identities import GroupOperations, RoleOperations, UserOperations
from .keys import KeyOperations
from .policies import PolicyOperations
from .profiles import ProfileOperations
from .simulate import SimulateOperations


class Provider(UserOperations, GroupOperations, RoleOperations, PolicyOperations, KeyOperations,
               AccountOperations, ProfileOperations, SimulateOperations, FederationOperations,
               ExtraOperations):
    def __init__(self, runtime):
        self.runtime = runtime
        from .credentials import install

        install(runtime)
