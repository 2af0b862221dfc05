"""Amazon EC2. Regions, Availability Zones and key pairs so far; instances, EBS and VPC come later."""

from __future__ import annotations

import asyncio

from . import keypairs
from .regions_ops import describe_availability_zones, describe_regions


class Provider:
    def __init__(self, runtime):
        self.runtime = runtime

    def describe_regions(self, ctx, params):
        return describe_regions(params, ctx.region)

    def describe_availability_zones(self, ctx, params):
        return describe_availability_zones(params, ctx.region)

    async def create_key_pair(self, ctx, params):
        # RSA key generation takes tens of milliseconds: off the event loop, so other
        # requests are not held up behind it.
        return await asyncio.to_thread(keypairs.create_key_pair, ctx, params)

    def import_key_pair(self, ctx, params):
        return keypairs.import_key_pair(ctx, params)

    def describe_key_pairs(self, ctx, params):
        return keypairs.describe_key_pairs(ctx, params)

    def delete_key_pair(self, ctx, params):
        return keypairs.delete_key_pair(ctx, params)
