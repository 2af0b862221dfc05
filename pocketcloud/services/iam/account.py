"""Account-wide IAM settings: the password policy, the account alias, the summary of usage."""

from __future__ import annotations

import re

from .common import already_exists, iam_ns, no_such, validation
from .entities import GROUP, ROLE, USER, all_of

_POLICY_FIELDS = ("MinimumPasswordLength", "RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters",
                  "RequireLowercaseCharacters", "AllowUsersToChangePassword", "MaxPasswordAge",
                  "PasswordReusePrevention", "HardExpiry")
_ALIAS = re.compile(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")


def password_errors(runtime, account: str, password: str) -> list[str]:
    policy = iam_ns(runtime, account).get("account", "password-policy") or {}
    problems = []
    if len(password) < policy.get("MinimumPasswordLength", 8):
        problems.append(f"have at least {policy.get('MinimumPasswordLength', 8)} characters")
    if policy.get("RequireSymbols") and not re.search(r"[^A-Za-z0-9]", password):
        problems.append("have at least one symbol")
    if policy.get("RequireNumbers") and not re.search(r"\d", password):
        problems.append("have at least one number")
    if policy.get("RequireUppercaseCharacters") and not re.search(r"[A-Z]", password):
        problems.append("have at least one uppercase letter")
    if policy.get("RequireLowercaseCharacters") and not re.search(r"[a-z]", password):
        problems.append("have at least one lowercase letter")
    return problems


class AccountOperations:
    def update_account_password_policy(self, ctx, params):
        length = params.get("MinimumPasswordLength", 8)
        if not 6 <= length <= 128:
            raise validation("Minimum password length must be between 6 and 128.")
        policy = {"MinimumPasswordLength": length, "RequireSymbols": False, "RequireNumbers": False,
                  "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
                  "AllowUsersToChangePassword": False, "HardExpiry": False}
        policy.update({k: params[k] for k in _POLICY_FIELDS if k in params})
        policy["ExpirePasswords"] = bool(policy.get("MaxPasswordAge"))
        iam_ns(self.runtime, ctx.account).put("account", "password-policy", policy)
        return {}

    def get_account_password_policy(self, ctx, params):
        policy = iam_ns(self.runtime, ctx.account).get("account", "password-policy")
        if policy is None:
            raise no_such(f"The Password Policy with domain name {ctx.account} cannot be found.")
        return {"PasswordPolicy": policy}

    def delete_account_password_policy(self, ctx, params):
        if not iam_ns(self.runtime, ctx.account).delete("account", "password-policy"):
            raise no_such(f"The Password Policy with domain name {ctx.account} cannot be found.")
        return {}

    def create_account_alias(self, ctx, params):
        alias = params["AccountAlias"]
        if not _ALIAS.match(alias):
            raise validation(f"1 validation error detected: Value '{alias}' at 'accountAlias' failed to satisfy "
                             "constraint: Member must satisfy regular expression pattern: "
                             "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
        ns = iam_ns(self.runtime, ctx.account)
        current = ns.get("account", "alias")
        if current and current != alias:
            raise already_exists("The account already has an alias.")
        ns.put("account", "alias", alias)
        return {}

    def list_account_aliases(self, ctx, params):
        alias = iam_ns(self.runtime, ctx.account).get("account", "alias")
        return {"AccountAliases": [alias] if alias else [], "IsTruncated": False}

    def delete_account_alias(self, ctx, params):
        ns = iam_ns(self.runtime, ctx.account)
        if ns.get("account", "alias") != params["AccountAlias"]:
            raise no_such(f"The account alias {params['AccountAlias']} cannot be found.")
        ns.delete("account", "alias")
        return {}

    def get_account_summary(self, ctx, params):
        ns = iam_ns(self.runtime, ctx.account)
        users, groups, roles = (all_of(self.runtime, ctx.account, k) for k in (USER, GROUP, ROLE))
        policies = ns.list("policy")
        summary = {
            "Users": len(users), "UsersQuota": 5000, "Groups": len(groups), "GroupsQuota": 300,
            "Roles": len(roles), "RolesQuota": 1000, "Policies": len(policies), "PoliciesQuota": 1500,
            "InstanceProfiles": len(ns.list("instance-profile")), "InstanceProfilesQuota": 1000,
            "MFADevices": len(ns.list("mfa")), "MFADevicesInUse": sum(len(u["mfa"]) for u in users),
            "AccessKeysPerUserQuota": 2, "GroupsPerUserQuota": 10, "AttachedPoliciesPerUserQuota": 10,
            "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10, "PolicyVersionsInUse":
                sum(len(p["versions"]) for _, p in policies), "PolicyVersionsInUseQuota": 10000,
            "VersionsPerPolicyQuota": 5, "PolicySizeQuota": 6144, "UserPolicySizeQuota": 2048,
            "GroupPolicySizeQuota": 5120, "RolePolicySizeQuota": 10240, "AssumeRolePolicySizeQuota": 2048,
            "ServerCertificates": 0, "ServerCertificatesQuota": 20, "SigningCertificatesPerUserQuota": 2,
            "AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0,
            "GlobalEndpointTokenVersion": 1, "Providers": 0,
        }
        return {"SummaryMap": summary}
