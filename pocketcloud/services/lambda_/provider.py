"""AWS Lambda: functions that really run, in local worker processes speaking the Runtime API.

The control plane (functions, versions, aliases, layers, permissions, URLs, event source
mappings) is in the store; code is on disk (code.py); execution environments are worker
processes (workers.py) each with its own Runtime API socket (runtime_api.py).
"""

from __future__ import annotations

import asyncio
import atexit

from . import async_invoke, functions, invoke, layers, policy, urls

REAP_SECONDS = 30.0


class Provider:
    def __init__(self, runtime):
        from .code import CodeStore
        from .logs import LogShipper
        from .workers import WorkerManager

        self.runtime = runtime
        self.code = CodeStore(runtime.settings)
        self.workers = WorkerManager(runtime, self.code, runtime.settings.endpoint)
        self.logs = LogShipper(runtime)
        self.events = async_invoke.EventQueue(self)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._mappings = None
        self._reaper = None
        atexit.register(self.workers.shutdown)
        runtime.events.subscribe("pocketcloud.reset", self._reset)
        try:
            self._bind_loop(asyncio.get_running_loop())
        except RuntimeError:
            pass

    def _reset(self, topic, event) -> None:
        """Everything in the store is gone: so are environments, pollers and log streams."""
        self.workers.shutdown()
        self.logs.created.clear()
        if self._mappings is not None:
            for mapping_id in list(self._mappings.pollers):
                self._mappings.stop_poller(mapping_id)

    def _bind_loop(self, loop) -> None:
        if self.loop is None:
            self.loop = loop
            self._reap()

    def _reap(self) -> None:
        """Free idle environments every REAP_SECONDS of real time. (Not a scheduler task: a
        30-second periodic task would run a million times when the clock jumps years ahead;
        an invocation also checks its environment's idle time itself, so virtual jumps count
        at once.)"""
        self.workers.reap_idle()
        self._reaper = self.loop.call_later(REAP_SECONDS, self._reap)

    def start(self) -> None:
        """At server start: resume queued asynchronous invocations and event source pollers."""
        self._bind_loop(asyncio.get_running_loop())
        self.events.start()
        self.mappings.start()

    @property
    def mappings(self):
        if self._mappings is None:
            from .event_sources import Mappings

            self._mappings = Mappings(self)
        return self._mappings

    def public_endpoint(self, ctx) -> str:
        host = ctx.request.headers.get("host") if ctx.protocol != "internal" else None
        return f"http://{host}" if host else self.runtime.settings.endpoint

    def forget_function(self, ns, name: str) -> None:
        urls.forget(self.runtime, ns, name)
        self.mappings.forget_function(ns, name)

    # -- functions ------------------------------------------------------------------------------
    async def create_function(self, ctx, params):
        return {**await functions.create_function(self, ctx, params), "__status__": 201}

    def get_function(self, ctx, params):
        return functions.get_function(self, ctx, params)

    def get_function_configuration(self, ctx, params):
        return functions.get_function_configuration(ctx, params)

    def list_functions(self, ctx, params):
        return functions.list_functions(ctx, params)

    def delete_function(self, ctx, params):
        return functions.delete_function(self, ctx, params)

    async def update_function_code(self, ctx, params):
        return await functions.update_function_code(self, ctx, params)

    def update_function_configuration(self, ctx, params):
        return functions.update_function_configuration(self, ctx, params)

    def publish_version(self, ctx, params):
        return functions.publish_version(ctx, params)

    def list_versions_by_function(self, ctx, params):
        return functions.list_versions_by_function(ctx, params)

    def create_alias(self, ctx, params):
        return functions.create_alias(ctx, params)

    def get_alias(self, ctx, params):
        return functions.get_alias(ctx, params)

    def update_alias(self, ctx, params):
        return functions.update_alias(ctx, params)

    def delete_alias(self, ctx, params):
        return functions.delete_alias(ctx, params)

    def list_aliases(self, ctx, params):
        return functions.list_aliases(ctx, params)

    def put_function_concurrency(self, ctx, params):
        return functions.put_function_concurrency(ctx, params)

    def get_function_concurrency(self, ctx, params):
        return functions.get_function_concurrency(ctx, params)

    def delete_function_concurrency(self, ctx, params):
        return functions.delete_function_concurrency(ctx, params)

    def get_account_settings(self, ctx, params):
        return functions.get_account_settings(ctx, params)

    def tag_resource(self, ctx, params):
        return functions.tag_resource(ctx, params)

    def untag_resource(self, ctx, params):
        return functions.untag_resource(ctx, params)

    def list_tags(self, ctx, params):
        return functions.list_tags(ctx, params)

    # -- layers ---------------------------------------------------------------------------------
    async def publish_layer_version(self, ctx, params):
        return await layers.publish_layer_version(self, ctx, params)

    def get_layer_version(self, ctx, params):
        return layers.get_layer_version(ctx, params)

    def get_layer_version_by_arn(self, ctx, params):
        return layers.get_layer_version_by_arn(ctx, params)

    def delete_layer_version(self, ctx, params):
        return layers.delete_layer_version(ctx, params)

    def list_layer_versions(self, ctx, params):
        return layers.list_layer_versions(ctx, params)

    def list_layers(self, ctx, params):
        return layers.list_layers(ctx, params)

    # -- invoking -------------------------------------------------------------------------------
    async def invoke(self, ctx, params):
        if self.loop is None:
            self._bind_loop(asyncio.get_running_loop())
        return await invoke.invoke(self, ctx, params)

    async def invoke_with_response_stream(self, ctx, params):
        if self.loop is None:
            self._bind_loop(asyncio.get_running_loop())
        return await invoke.invoke_with_response_stream(self, ctx, params)

    async def invoke_async(self, ctx, params):
        body = params.get("InvokeArgs")
        data = await functions.read_body(body)
        await invoke.invoke(self, ctx, {"FunctionName": params["FunctionName"], "InvocationType": "Event",
                                        "Payload": data})
        return {"Status": 202}

    def put_function_event_invoke_config(self, ctx, params):
        return async_invoke.put_function_event_invoke_config(ctx, params)

    def update_function_event_invoke_config(self, ctx, params):
        return async_invoke.put_function_event_invoke_config(ctx, params, merge=True)

    def get_function_event_invoke_config(self, ctx, params):
        return async_invoke.get_function_event_invoke_config(ctx, params)

    def delete_function_event_invoke_config(self, ctx, params):
        return async_invoke.delete_function_event_invoke_config(ctx, params)

    def list_function_event_invoke_configs(self, ctx, params):
        return async_invoke.list_function_event_invoke_configs(ctx, params)

    # -- function URLs --------------------------------------------------------------------------
    def create_function_url_config(self, ctx, params):
        return urls.create_function_url_config(self, ctx, params)

    def get_function_url_config(self, ctx, params):
        return urls.get_function_url_config(ctx, params)

    def update_function_url_config(self, ctx, params):
        return urls.update_function_url_config(ctx, params)

    def delete_function_url_config(self, ctx, params):
        return urls.delete_function_url_config(ctx, params)

    def list_function_url_configs(self, ctx, params):
        return urls.list_function_url_configs(ctx, params)

    # -- resource policy ------------------------------------------------------------------------
    def add_permission(self, ctx, params):
        return policy.add_permission(ctx, params)

    def remove_permission(self, ctx, params):
        return policy.remove_permission(ctx, params)

    def get_policy(self, ctx, params):
        return policy.get_policy(ctx, params)

    # -- event source mappings -----------------------------------------------------------------
    async def create_event_source_mapping(self, ctx, params):
        if self.loop is None:
            self._bind_loop(asyncio.get_running_loop())
        return await self.mappings.create(ctx, params)

    def get_event_source_mapping(self, ctx, params):
        return self.mappings.get(ctx, params)

    def update_event_source_mapping(self, ctx, params):
        return self.mappings.update(ctx, params)

    def delete_event_source_mapping(self, ctx, params):
        return self.mappings.delete(ctx, params)

    def list_event_source_mappings(self, ctx, params):
        return self.mappings.list(ctx, params)
