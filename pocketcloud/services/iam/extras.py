"""The smaller IAM credentials and providers: ChangePassword, MFA device details and tags, SAML
providers, server certificates, SSH public keys, signing certificates, service-specific
credentials. Each is a record in the account's IAM store; user-owned ones are listed on the user."""

from __future__ import annotations

import base64
import hashlib
import secrets

from ...protocol.errors import ServiceError
from . import entities as E
from .common import (already_exists, check_name, check_path, check_tags, edit, iam_ns, invalid_input,
                     limit_exceeded, new_id, no_such, page, tagging, validation)
from .entities import USER

_STATUSES = ("Active", "Inactive")


def _status(value: str) -> str:
    if value not in _STATUSES:
        raise validation(f"1 validation error detected: Value '{value}' at 'status' failed to satisfy constraint: "
                         "Member must satisfy enum value set: [Active, Inactive]")
    return value


def _certificate_expiry(body: str):
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(body.encode()).not_valid_after_utc
    except (ValueError, TypeError):
        raise ServiceError("MalformedCertificate", "Certificate body is invalid.", 400) from None


class ExtraOperations:
    # -- passwords and MFA details ------------------------------------------------------------
    def change_password(self, ctx, params):
        if not (ctx.principal_arn and ":user/" in ctx.principal_arn):
            raise invalid_input("Only IAM users can change their own password.")
        name = ctx.principal_arn.rsplit("/", 1)[1]
        user = E.get(self.runtime, ctx.account, USER, name)
        if not user["login"]:
            raise no_such(f"Login Profile for User {name} cannot be found.")
        self._check_password(ctx, params["NewPassword"])

        def change(record):
            record["login"]["PasswordResetRequired"] = False
        return edit(self.runtime, lambda: E.get(self.runtime, ctx.account, USER, name),
                    lambda r: E.put(self.runtime, ctx.account, USER, r), change)

    def get_mfa_device(self, ctx, params):
        device = self._device(ctx, params["SerialNumber"])
        out = {"SerialNumber": device["SerialNumber"], "EnableDate": device["EnableDate"]}
        if device["user"]:
            out["UserName"] = device["user"]
        return out

    def _edit_device(self, ctx, params):
        serial = params["SerialNumber"]
        return edit(self.runtime, lambda: self._device(ctx, serial),
                    lambda r: iam_ns(self.runtime, ctx.account).put("mfa", serial, r), tagging(params))

    tag_mfa_device = untag_mfa_device = _edit_device

    def list_mfa_device_tags(self, ctx, params):
        return page(self._device(ctx, params["SerialNumber"]).get("Tags") or [], params, "Tags")

    # -- SAML providers ---------------------------------------------------------------------------
    def _saml(self, ctx, arn):
        record = iam_ns(self.runtime, ctx.account).get("saml", arn)
        if record is None:
            raise no_such(f"Manifest not found for arn {arn}")
        return record

    def create_saml_provider(self, ctx, params):
        name = check_name(params["Name"], "name", 128)
        if len(params["SAMLMetadataDocument"]) < 1000:
            raise invalid_input("Invalid SAML metadata document")
        arn = f"arn:aws:iam::{ctx.account}:saml-provider/{name}"
        ns = iam_ns(self.runtime, ctx.account)
        with self.runtime.store.transaction():
            if ns.get("saml", arn) is not None:
                raise already_exists(f"SAMLProvider {name} already exists")
            ns.put("saml", arn, {"SAMLMetadataDocument": params["SAMLMetadataDocument"], "CreateDate": ctx.now,
                                 "ValidUntil": ctx.now.replace(year=ctx.now.year + 100),
                                 "Tags": check_tags(params.get("Tags"))})
        return {"SAMLProviderArn": arn, "Tags": params.get("Tags") or []}

    def get_saml_provider(self, ctx, params):
        record = self._saml(ctx, params["SAMLProviderArn"])
        return {**record, "Tags": record.get("Tags") or None}

    def list_saml_providers(self, ctx, params):
        return {"SAMLProviderList": [{"Arn": arn, "ValidUntil": r["ValidUntil"], "CreateDate": r["CreateDate"]}
                                     for arn, r in iam_ns(self.runtime, ctx.account).list("saml")]}

    def update_saml_provider(self, ctx, params):
        arn = params["SAMLProviderArn"]
        edit(self.runtime, lambda: self._saml(ctx, arn), lambda r: iam_ns(self.runtime, ctx.account).put("saml", arn, r),
             lambda r: r.update(SAMLMetadataDocument=params.get("SAMLMetadataDocument") or r["SAMLMetadataDocument"]))
        return {"SAMLProviderArn": arn}

    def delete_saml_provider(self, ctx, params):
        self._saml(ctx, params["SAMLProviderArn"])
        iam_ns(self.runtime, ctx.account).delete("saml", params["SAMLProviderArn"])
        return {}

    def tag_saml_provider(self, ctx, params):
        arn = params["SAMLProviderArn"]
        return edit(self.runtime, lambda: self._saml(ctx, arn),
                    lambda r: iam_ns(self.runtime, ctx.account).put("saml", arn, r), tagging(params))

    untag_saml_provider = tag_saml_provider

    def list_saml_provider_tags(self, ctx, params):
        return page(self._saml(ctx, params["SAMLProviderArn"]).get("Tags") or [], params, "Tags")

    # -- server certificates ------------------------------------------------------------------
    def _server_cert(self, ctx, name):
        record = iam_ns(self.runtime, ctx.account).get("server-certificate", (name or "").lower())
        if record is None:
            raise no_such(f"The Server Certificate with name {name} cannot be found.")
        return record

    def _save_cert(self, ctx, record):
        iam_ns(self.runtime, ctx.account).put("server-certificate",
                                              record["ServerCertificateMetadata"]["ServerCertificateName"].lower(), record)

    def upload_server_certificate(self, ctx, params):
        name = check_name(params["ServerCertificateName"], "serverCertificateName", 128)
        path = check_path(params.get("Path"))
        expiry = _certificate_expiry(params["CertificateBody"])
        with self.runtime.store.transaction():
            if iam_ns(self.runtime, ctx.account).get("server-certificate", name.lower()) is not None:
                raise already_exists(f"The Server Certificate with name {name} already exists.")
            meta = {"Path": path, "ServerCertificateName": name, "ServerCertificateId": new_id("ASCA"),
                    "Arn": f"arn:aws:iam::{ctx.account}:server-certificate{path}{name}", "UploadDate": ctx.now,
                    "Expiration": expiry}
            record = {"ServerCertificateMetadata": meta, "CertificateBody": params["CertificateBody"],
                      "CertificateChain": params.get("CertificateChain"), "Tags": check_tags(params.get("Tags"))}
            self._save_cert(ctx, record)
        return {"ServerCertificateMetadata": meta, "Tags": record["Tags"] or None}

    def get_server_certificate(self, ctx, params):
        record = self._server_cert(ctx, params["ServerCertificateName"])
        return {"ServerCertificate": {k: v for k, v in record.items() if v}}

    def list_server_certificates(self, ctx, params):
        metas = [r["ServerCertificateMetadata"] for _, r in iam_ns(self.runtime, ctx.account).list("server-certificate")]
        prefix = params.get("PathPrefix") or "/"
        return page([m for m in metas if m["Path"].startswith(prefix)], params, "ServerCertificateMetadataList")

    def update_server_certificate(self, ctx, params):
        with self.runtime.store.transaction():
            record = self._server_cert(ctx, params["ServerCertificateName"])
            meta = record["ServerCertificateMetadata"]
            iam_ns(self.runtime, ctx.account).delete("server-certificate", meta["ServerCertificateName"].lower())
            meta["ServerCertificateName"] = params.get("NewServerCertificateName") or meta["ServerCertificateName"]
            meta["Path"] = check_path(params.get("NewPath") or meta["Path"])
            meta["Arn"] = f"arn:aws:iam::{ctx.account}:server-certificate{meta['Path']}{meta['ServerCertificateName']}"
            self._save_cert(ctx, record)
        return {}

    def delete_server_certificate(self, ctx, params):
        record = self._server_cert(ctx, params["ServerCertificateName"])
        iam_ns(self.runtime, ctx.account).delete("server-certificate",
                                                 record["ServerCertificateMetadata"]["ServerCertificateName"].lower())
        return {}

    def tag_server_certificate(self, ctx, params):
        return edit(self.runtime, lambda: self._server_cert(ctx, params["ServerCertificateName"]),
                    lambda r: self._save_cert(ctx, r), tagging(params))

    untag_server_certificate = tag_server_certificate

    def list_server_certificate_tags(self, ctx, params):
        return page(self._server_cert(ctx, params["ServerCertificateName"]).get("Tags") or [], params, "Tags")

    # -- per-user credentials: SSH keys, signing certificates, service-specific credentials -------
    def _user_items(self, ctx, user_name, kind):
        user = E.get(self.runtime, ctx.account, USER, user_name)
        return user, user.setdefault(kind, {})

    def _add_item(self, ctx, user_name, kind, limit, item_id, item, quota):
        with self.runtime.store.transaction():
            user, items = self._user_items(ctx, user_name, kind)
            if len(items) >= limit:
                raise limit_exceeded(f"Cannot exceed quota for {quota}: {limit}")
            items[item_id] = item
            E.put(self.runtime, ctx.account, USER, user)

    def _update_item(self, ctx, user_name, kind, item_id, change, missing):
        with self.runtime.store.transaction():
            user, items = self._user_items(ctx, user_name, kind)
            if item_id not in items:
                raise no_such(missing)
            if change is None:
                del items[item_id]
            else:
                change(items[item_id])
            E.put(self.runtime, ctx.account, USER, user)
        return {}

    def upload_ssh_public_key(self, ctx, params):
        body = params["SSHPublicKeyBody"].strip()
        try:
            raw = base64.b64decode(body.split()[1], validate=True)
        except (IndexError, ValueError):
            raise ServiceError("InvalidPublicKey", "The public key is malformed or otherwise invalid.", 400) from None
        key_id = new_id("APKA")
        fingerprint = ":".join(f"{b:02x}" for b in hashlib.md5(raw, usedforsecurity=False).digest())
        item = {"UserName": E.get(self.runtime, ctx.account, USER, params["UserName"])["UserName"],
                "SSHPublicKeyId": key_id, "Fingerprint": fingerprint, "SSHPublicKeyBody": body, "Status": "Active",
                "UploadDate": ctx.now}
        self._add_item(ctx, params["UserName"], "ssh", 5, key_id, item, "KeysPerUser")
        return {"SSHPublicKey": item}

    def get_ssh_public_key(self, ctx, params):
        _, items = self._user_items(ctx, params["UserName"], "ssh")
        if params["SSHPublicKeyId"] not in items:
            raise no_such(f"The Public Key with id {params['SSHPublicKeyId']} cannot be found.")
        return {"SSHPublicKey": items[params["SSHPublicKeyId"]]}

    def list_ssh_public_keys(self, ctx, params):
        _, items = self._user_items(ctx, params["UserName"], "ssh")
        return page([{k: i[k] for k in ("UserName", "SSHPublicKeyId", "Status", "UploadDate")} for i in items.values()],
                    params, "SSHPublicKeys")

    def update_ssh_public_key(self, ctx, params):
        status = _status(params["Status"])
        return self._update_item(ctx, params["UserName"], "ssh", params["SSHPublicKeyId"],
                                 lambda i: i.update(Status=status), f"The Public Key with id {params['SSHPublicKeyId']} cannot be found.")

    def delete_ssh_public_key(self, ctx, params):
        return self._update_item(ctx, params["UserName"], "ssh", params["SSHPublicKeyId"], None,
                                 f"The Public Key with id {params['SSHPublicKeyId']} cannot be found.")

    def upload_signing_certificate(self, ctx, params):
        name = params.get("UserName") or self._user_for_keys(ctx, params)
        _certificate_expiry(params["CertificateBody"])
        cert_id = secrets.token_hex(16).upper()
        item = {"UserName": E.get(self.runtime, ctx.account, USER, name)["UserName"], "CertificateId": cert_id,
                "CertificateBody": params["CertificateBody"], "Status": "Active", "UploadDate": ctx.now}
        self._add_item(ctx, name, "signing", 2, cert_id, item, "SigningCertificatesPerUser")
        return {"Certificate": item}

    def list_signing_certificates(self, ctx, params):
        _, items = self._user_items(ctx, params.get("UserName") or self._user_for_keys(ctx, params), "signing")
        return page(list(items.values()), params, "Certificates")

    def update_signing_certificate(self, ctx, params):
        status = _status(params["Status"])
        return self._update_item(ctx, params.get("UserName") or self._user_for_keys(ctx, params), "signing",
                                 params["CertificateId"], lambda i: i.update(Status=status),
                                 f"The Certificate with id {params['CertificateId']} cannot be found.")

    def delete_signing_certificate(self, ctx, params):
        return self._update_item(ctx, params.get("UserName") or self._user_for_keys(ctx, params), "signing",
                                 params["CertificateId"], None,
                                 f"The Certificate with id {params['CertificateId']} cannot be found.")

    def create_service_specific_credential(self, ctx, params):
        service = params["ServiceName"]
        if service not in ("codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com"):
            raise ServiceError("NotSupportedService", f"Service {service} is not supported.", 404)
        user = E.get(self.runtime, ctx.account, USER, params["UserName"])
        cred_id = new_id("ACCA")
        item = {"CreateDate": ctx.now, "ServiceName": service, "ServiceUserName": f"{user['UserName']}-at-{ctx.account}",
                "ServicePassword": base64.b64encode(secrets.token_bytes(30)).decode(),
                "ServiceSpecificCredentialId": cred_id, "UserName": user["UserName"], "Status": "Active"}
        self._add_item(ctx, params["UserName"], "service-credentials", 2, cred_id, item,
                       "ServiceSpecificCredentialsPerUserPerService")
        return {"ServiceSpecificCredential": item}

    def list_service_specific_credentials(self, ctx, params):
        _, items = self._user_items(ctx, params.get("UserName") or self._user_for_keys(ctx, params), "service-credentials")
        found = [{k: v for k, v in i.items() if k != "ServicePassword"} for i in items.values()
                 if not params.get("ServiceName") or i["ServiceName"] == params["ServiceName"]]
        return {"ServiceSpecificCredentials": found}

    def reset_service_specific_credential(self, ctx, params):
        name = params.get("UserName") or self._user_for_keys(ctx, params)
        cred_id = params["ServiceSpecificCredentialId"]
        self._update_item(ctx, name, "service-credentials", cred_id,
                          lambda i: i.update(ServicePassword=base64.b64encode(secrets.token_bytes(30)).decode()),
                          f"No such credential {cred_id}")
        _, items = self._user_items(ctx, name, "service-credentials")
        return {"ServiceSpecificCredential": items[cred_id]}

    def update_service_specific_credential(self, ctx, params):
        status = _status(params["Status"])
        return self._update_item(ctx, params.get("UserName") or self._user_for_keys(ctx, params), "service-credentials",
                                 params["ServiceSpecificCredentialId"], lambda i: i.update(Status=status),
                                 f"No such credential {params['ServiceSpecificCredentialId']}")

    def delete_service_specific_credential(self, ctx, params):
        return self._update_item(ctx, params.get("UserName") or self._user_for_keys(ctx, params), "service-credentials",
                                 params["ServiceSpecificCredentialId"], None,
                                 f"No such credential {params['ServiceSpecificCredentialId']}")
