"""OpenID Connect identity providers (AssumeRoleWithWebIdentity trusts them), and read-only
views of the whole account: GetAccountAuthorizationDetails, GetContextKeysFor*Policy, the
credential report."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlparse


from . import entities as E
from .common import (already_exists, check_document, check_tags, edit, encoded, iam_ns, invalid_input, no_such,
                     page, tagging)
from .keys import key_index


def oidc_arn(account: str, url: str) -> str:
    parsed = urlparse(url if "://" in url else f"https://{url}")
    return f"arn:aws:iam::{account}:oidc-provider/{parsed.netloc}{parsed.path.rstrip('/')}"


def find_oidc(runtime, account: str, arn: str) -> dict | None:
    return iam_ns(runtime, account).get("oidc", arn)


class FederationOperations:
    def create_open_id_connect_provider(self, ctx, params):
        url = params["Url"]
        if not url.startswith("https://"):
            raise invalid_input("Invalid Open ID Connect Provider URL")
        arn = oidc_arn(ctx.account, url)
        ns = iam_ns(self.runtime, ctx.account)
        with self.runtime.store.transaction():
            if ns.get("oidc", arn) is not None:
                raise already_exists(f"Provider with url {url} already exists.")
            ns.put("oidc", arn, {"Url": url.removeprefix("https://"), "ClientIDList": params.get("ClientIDList") or [],
                                 "ThumbprintList": params.get("ThumbprintList") or [], "CreateDate": ctx.now,
                                 "Tags": check_tags(params.get("Tags"))})
        return {"OpenIDConnectProviderArn": arn, "Tags": params.get("Tags") or []}

    def _oidc(self, ctx, arn):
        record = find_oidc(self.runtime, ctx.account, arn)
        if record is None:
            raise no_such(f"OpenIDConnect Provider not found for arn {arn}")
        return record

    def _save_oidc(self, ctx, arn, record):
        iam_ns(self.runtime, ctx.account).put("oidc", arn, record)

    def get_open_id_connect_provider(self, ctx, params):
        record = self._oidc(ctx, params["OpenIDConnectProviderArn"])
        return {k: v for k, v in record.items() if v != [] or k in ("ClientIDList", "ThumbprintList")}

    def list_open_id_connect_providers(self, ctx, params):
        return {"OpenIDConnectProviderList": [{"Arn": arn} for arn, _ in iam_ns(self.runtime, ctx.account).list("oidc")]}

    def delete_open_id_connect_provider(self, ctx, params):
        self._oidc(ctx, params["OpenIDConnectProviderArn"])
        iam_ns(self.runtime, ctx.account).delete("oidc", params["OpenIDConnectProviderArn"])
        return {}

    def _edit_oidc(self, ctx, params, change):
        arn = params["OpenIDConnectProviderArn"]
        return edit(self.runtime, lambda: self._oidc(ctx, arn), lambda record: self._save_oidc(ctx, arn, record), change)

    def add_client_id_to_open_id_connect_provider(self, ctx, params):
        def edit(r):
            if params["ClientID"] not in r["ClientIDList"]:
                r["ClientIDList"].append(params["ClientID"])
        return self._edit_oidc(ctx, params, edit)

    def remove_client_id_from_open_id_connect_provider(self, ctx, params):
        return self._edit_oidc(ctx, params, lambda r: r.update(
            ClientIDList=[c for c in r["ClientIDList"] if c != params["ClientID"]]))

    def update_open_id_connect_provider_thumbprint(self, ctx, params):
        return self._edit_oidc(ctx, params, lambda r: r.update(ThumbprintList=params["ThumbprintList"]))

    def tag_open_id_connect_provider(self, ctx, params):
        return self._edit_oidc(ctx, params, tagging(params))

    untag_open_id_connect_provider = tag_open_id_connect_provider

    def list_open_id_connect_provider_tags(self, ctx, params):
        return page(self._oidc(ctx, params["OpenIDConnectProviderArn"]).get("Tags") or [], params, "Tags")

    # -- whole-account views ------------------------------------------------------------------
    def get_account_authorization_details(self, ctx, params):
        from .identities import _role_out
        from .policies import shape

        wanted = set(params.get("Filter") or ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"])
        out = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [], "IsTruncated": False}

        def common(record):
            return {"AttachedManagedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[1]} for a in record["attached"]]}

        if "User" in wanted:
            for u in E.all_of(self.runtime, ctx.account, E.USER):
                out["UserDetailList"].append({**E.public(u), **common(u), "GroupList": [
                    E.get(self.runtime, ctx.account, E.GROUP, g)["GroupName"] for g in u["groups"]],
                    "UserPolicyList": [{"PolicyName": n, "PolicyDocument": encoded(t)} for n, t in u["inline"].items()]})
        if "Group" in wanted:
            for g in E.all_of(self.runtime, ctx.account, E.GROUP):
                out["GroupDetailList"].append({**E.public(g, drop=("users",)), **common(g), "GroupPolicyList": [
                    {"PolicyName": n, "PolicyDocument": encoded(t)} for n, t in g["inline"].items()]})
        if "Role" in wanted:
            for r in E.all_of(self.runtime, ctx.account, E.ROLE):
                out["RoleDetailList"].append({**_role_out(r), **common(r), "RolePolicyList": [
                    {"PolicyName": n, "PolicyDocument": encoded(t)} for n, t in r["inline"].items()]})
        if "LocalManagedPolicy" in wanted:
            for _, p in iam_ns(self.runtime, ctx.account).list("policy"):
                detail = shape(self.runtime, ctx.account, p)
                detail.pop("Tags", None)
                detail["PolicyVersionList"] = [{"Document": encoded(v["text"]), "VersionId": vid,
                                                "IsDefaultVersion": vid == p["DefaultVersionId"],
                                                "CreateDate": v["CreateDate"]} for vid, v in p["versions"].items()]
                out["Policies"].append(detail)
        return out

    def _context_keys(self, texts) -> dict:
        keys = set()
        for text in texts:
            for statement in check_document(text, "identity").statements:
                keys.update(key for _, key, _ in statement.conditions)
        return {"ContextKeyNames": sorted(keys)}

    def get_context_keys_for_custom_policy(self, ctx, params):
        return self._context_keys(params["PolicyInputList"])

    def get_context_keys_for_principal_policy(self, ctx, params):
        from .principals import identity_of

        who = identity_of(self.runtime, ctx.account, params["PolicySourceArn"])
        texts = [s.policy.text for s in who.identity] + list(params.get("PolicyInputList") or [])
        return self._context_keys(texts)

    def generate_credential_report(self, ctx, params):
        iam_ns(self.runtime, ctx.account).put("account", "credential-report", ctx.now)
        return {"State": "COMPLETE", "Description": "No report exists. Starting a new report generation task"}

    def get_credential_report(self, ctx, params):
        from ...protocol.errors import ServiceError

        generated = iam_ns(self.runtime, ctx.account).get("account", "credential-report")
        if generated is None:
            raise ServiceError("ReportNotPresent", "Credential report not present", 410)
        index = key_index(self.runtime)
        rows = io.StringIO()
        writer = csv.writer(rows, lineterminator="\n")
        writer.writerow(["user", "arn", "user_creation_time", "password_enabled", "mfa_active",
                         "access_key_1_active", "access_key_2_active"])
        writer.writerow(["<root_account>", f"arn:aws:iam::{ctx.account}:root", "N/A", "not_supported", "false",
                         "false", "false"])
        for u in E.all_of(self.runtime, ctx.account, E.USER):
            keys = [index.get("access-key", k) for k in u["keys"]] + [None, None]
            writer.writerow([u["UserName"], u["Arn"], u["CreateDate"].isoformat(), str(bool(u["login"])).lower(),
                             str(bool(u["mfa"])).lower()] + [str(bool(k and k["status"] == "Active")).lower() for k in keys[:2]])
        return {"Content": rows.getvalue().encode(), "ReportFormat": "text/csv", "GeneratedTime": generated}

    # -- which services an entity's policies reach ------------------------------------------------
    def _entity_sources(self, ctx, arn: str):
        from .principals import entity_sources

        resource = arn.split(":", 5)[-1]
        for kind in (E.USER, E.GROUP, E.ROLE):
            if resource.startswith(kind.name + "/"):
                record = E.get(self.runtime, ctx.account, kind, resource.rsplit("/", 1)[1])
                return kind, record, entity_sources(self.runtime, ctx.account, kind, record)
        if resource.startswith("policy/"):
            from .policies import default_text, get_policy
            from .principals import _source

            record = get_policy(self.runtime, ctx.account, arn)
            return None, record, [_source(default_text(record), arn, "user-managed")]
        raise invalid_input(f"Invalid ARN: {arn}")

    @staticmethod
    def _grants(source, namespace: str) -> bool:
        for statement in source.policy.statements:
            if statement.effect != "Allow":
                continue
            if statement.actions is not None:
                if any(a == "*" or a.split(":", 1)[0].lower() == namespace for a in statement.actions):
                    return True
            else:
                return True  # NotAction allows everything it does not name
        return False

    def list_policies_granting_service_access(self, ctx, params):
        _, _, sources = self._entity_sources(ctx, params["Arn"])
        out = []
        for namespace in params["ServiceNamespaces"]:
            granting = [{"PolicyName": s.id.rsplit("/", 1)[-1], "PolicyType": "MANAGED" if s.id.startswith("arn:") else "INLINE",
                         **({"PolicyArn": s.id} if s.id.startswith("arn:") else {})}
                        for s in sources if s is not None and self._grants(s, namespace.lower())]
            out.append({"ServiceNamespace": namespace, "Policies": granting})
        return {"PoliciesGrantingServiceAccess": out, "IsTruncated": False}

    def generate_service_last_accessed_details(self, ctx, params):
        import uuid

        _, _, sources = self._entity_sources(ctx, params["Arn"])
        namespaces = sorted({(a.split(":", 1)[0] if a != "*" else "*") for s in sources if s is not None
                             for st in s.policy.statements if st.effect == "Allow" for a in (st.actions or ["*"])})
        job = str(uuid.uuid4())
        iam_ns(self.runtime, ctx.account).put("last-accessed-job", job, {"namespaces": namespaces, "created": ctx.now})
        return {"JobId": job}

    def get_service_last_accessed_details(self, ctx, params):
        job = iam_ns(self.runtime, ctx.account).get("last-accessed-job", params["JobId"])
        if job is None:
            raise no_such(f"No job found with id {params['JobId']}")
        services = [{"ServiceName": n, "ServiceNamespace": n, "TotalAuthenticatedEntities": 0}
                    for n in job["namespaces"] if n != "*"]
        return {"JobStatus": "COMPLETED", "JobType": "SERVICE_LEVEL", "JobCreationDate": job["created"],
                "JobCompletionDate": job["created"], "ServicesLastAccessed": services, "IsTruncated": False}

