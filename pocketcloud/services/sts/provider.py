"""AWS STS. GetCallerIdentity here; the credential-issuing operations come with IAM."""

from __future__ import annotations


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime

    def get_caller_identity(self, ctx, params):
        if ctx.principal_arn:
            arn = ctx.principal_arn
            user_id = ctx.access_key or ctx.account
        else:
            # The default and 12-digit access keys act as the account's root user, for which
            # AWS answers with the account id as the user id.
            arn = f"arn:aws:iam::{ctx.account}:root"
            user_id = ctx.account
        return {"UserId": user_id, "Account": ctx.account, "Arn": arn}
