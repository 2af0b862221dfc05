"""Both providers keep their operations as plain functions `(ctx, params)` grouped in modules;
this turns each into a Provider method (snake_case of the operation name)."""

from __future__ import annotations

import inspect

_OPERATION_PREFIXES = ("create_", "get_", "put_", "update_", "delete_", "tag_", "untag_", "flush_", "import_",
                       "reimport_", "generate_", "export_")
# (ImportApiKeys is import_api_keys, UpdateUsage update_usage: the same prefixes.)


def _delegate(function):
    if inspect.iscoroutinefunction(function):
        async def operation(self, ctx, params):
            return await function(ctx, params)
    else:
        def operation(self, ctx, params):
            return function(ctx, params)

    operation.__name__ = function.__name__
    operation.__doc__ = function.__doc__
    return operation


def install(provider_class, *modules) -> None:
    for module in modules:
        for name, function in vars(module).items():
            if name.startswith(_OPERATION_PREFIXES) and callable(function) and \
                    getattr(function, "__module__", None) == module.__name__:
                setattr(provider_class, name, _delegate(function))
