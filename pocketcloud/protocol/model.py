"""Service models: the JSON botocore ships, read without importing botocore.

Importing botocore's own model classes pulls in its HTTP stack (urllib3, auth, ...) and costs
about 40 ms of a cold start, so pocketcloud reads the same service-2.json files itself and
offers the part of botocore's ServiceModel / OperationModel / Shape interface that the codec and
the gateway use (same names, same meanings), so code written against either works with both.
Documentation strings are dropped on load: they are most of a model's size and no answer needs
them.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import cached_property, lru_cache
from importlib.util import find_spec

# Traits botocore gathers into Shape.serialization (locationName is renamed "name").
SERIALIZATION_TRAITS = (
    "locationName", "queryName", "flattened", "location", "payload", "streaming", "timestampFormat",
    "xmlNamespace", "resultWrapper", "xmlAttribute", "eventstream", "event", "eventheader",
    "eventpayload", "jsonvalue", "hostLabel",
)
# Traits gathered into Shape.metadata.
METADATA_TRAITS = (
    "required", "min", "max", "pattern", "sensitive", "enum", "idempotencyToken", "error", "exception",
    "endpointdiscoveryid", "retryable", "document", "union", "contextParam", "clientContextParams",
    "requiresLength",
)


class Shape:
    def __init__(self, name: str, model: dict, resolver: "ShapeResolver"):
        self.name = name
        self.type_name = model["type"]
        self._shape_model = model
        self._resolver = resolver

    @property
    def documentation(self) -> str:
        return self._shape_model.get("documentation", "")

    @cached_property
    def serialization(self) -> dict:
        model = self._shape_model
        out = {trait: model[trait] for trait in SERIALIZATION_TRAITS if trait in model}
        if "locationName" in out:
            out["name"] = out.pop("locationName")
        return out

    @cached_property
    def metadata(self) -> dict:
        model = self._shape_model
        return {trait: model[trait] for trait in METADATA_TRAITS if trait in model}

    @cached_property
    def required_members(self) -> list:
        return self.metadata.get("required", [])

    @property
    def event_stream_name(self) -> str | None:
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({self.name})>"


class StructureShape(Shape):
    @cached_property
    def members(self) -> dict:
        resolve = self._resolver.resolve
        return {name: resolve(ref) for name, ref in self._shape_model.get("members", {}).items()}

    @cached_property
    def event_stream_name(self) -> str | None:
        for name, member in self.members.items():
            if member.serialization.get("eventstream"):
                return name
        return None

    @cached_property
    def error_code(self) -> str | None:
        if not self.metadata.get("exception", False):
            return None
        return self.metadata.get("error", {}).get("code") or self.name

    @property
    def is_document_type(self) -> bool:
        return self.metadata.get("document", False)

    @property
    def is_tagged_union(self) -> bool:
        return self.metadata.get("union", False)


class ListShape(Shape):
    @cached_property
    def member(self) -> Shape:
        return self._resolver.resolve(self._shape_model["member"])


class MapShape(Shape):
    @cached_property
    def key(self) -> Shape:
        return self._resolver.resolve(self._shape_model["key"])

    @cached_property
    def value(self) -> Shape:
        return self._resolver.resolve(self._shape_model["value"])


class StringShape(Shape):
    @cached_property
    def enum(self) -> list:
        return self.metadata.get("enum", [])


_SHAPE_CLASSES = {"structure": StructureShape, "list": ListShape, "map": MapShape, "string": StringShape}


class ShapeResolver:
    """Shapes by name; a reference with member traits (locationName, location...) gets its own
    Shape whose model is the named shape's model with those traits laid over it."""

    def __init__(self, shapes: dict):
        self._shapes = shapes
        self._by_name: dict[str, Shape] = {}

    def shape(self, name: str, member_traits: dict | None = None) -> Shape:
        if not member_traits:
            found = self._by_name.get(name)
            if found is None:
                model = self._shapes[name]
                found = self._by_name[name] = _SHAPE_CLASSES.get(model["type"], Shape)(name, model, self)
            return found
        model = {**self._shapes[name], **member_traits}
        return _SHAPE_CLASSES.get(model["type"], Shape)(name, model, self)

    def resolve(self, ref: dict) -> Shape:
        if len(ref) == 1:
            return self.shape(ref["shape"])
        traits = {k: v for k, v in ref.items() if k != "shape"}
        return self.shape(ref["shape"], traits)


class OperationNotFoundError(KeyError):
    pass


class ServiceModel:
    def __init__(self, data: dict, service_name: str):
        self._data = data
        self.metadata: dict = data.get("metadata", {})
        self._service_name = service_name
        self._resolver = ShapeResolver(data.get("shapes", {}))
        self._operations: dict[str, OperationModel] = {}

    @property
    def service_name(self) -> str:
        return self._service_name

    @cached_property
    def operation_names(self) -> list[str]:
        return list(self._data.get("operations", {}))

    def operation_model(self, name: str) -> "OperationModel":
        op = self._operations.get(name)
        if op is None:
            try:
                spec = self._data["operations"][name]
            except KeyError:
                raise OperationNotFoundError(name) from None
            op = self._operations[name] = OperationModel(spec, self, name)
        return op

    def shape_for(self, name: str, member_traits: dict | None = None) -> Shape:
        return self._resolver.shape(name, member_traits)

    def resolve_shape_ref(self, ref: dict) -> Shape:
        return self._resolver.resolve(ref)

    @cached_property
    def shape_names(self) -> list[str]:
        return list(self._data.get("shapes", {}))

    @cached_property
    def error_shapes(self) -> list[Shape]:
        shapes = self._data.get("shapes", {})
        return [self.shape_for(name) for name, model in shapes.items() if model.get("exception")]

    @cached_property
    def _error_code_map(self) -> dict[str, Shape]:
        return {shape.error_code: shape for shape in self.error_shapes}

    def shape_for_error_code(self, code: str) -> Shape | None:
        return self._error_code_map.get(code)

    @property
    def protocol(self) -> str:
        return self.metadata["protocol"]

    @property
    def protocols(self) -> list[str]:
        return list(self.metadata.get("protocols") or [self.metadata["protocol"]])

    @property
    def api_version(self) -> str:
        return self.metadata["apiVersion"]

    @property
    def endpoint_prefix(self) -> str:
        return self.metadata["endpointPrefix"]

    @property
    def signing_name(self) -> str:
        return self.metadata.get("signingName") or self.endpoint_prefix

    @property
    def service_id(self) -> str:
        return self.metadata["serviceId"]

    @property
    def signature_version(self) -> str | None:
        return self.metadata.get("signatureVersion")

    @property
    def is_query_compatible(self) -> bool:
        return "awsQueryCompatible" in self.metadata

    @property
    def documentation(self) -> str:
        return self._data.get("documentation", "")

    def __repr__(self) -> str:
        return f"ServiceModel({self._service_name})"


class OperationModel:
    def __init__(self, spec: dict, service_model: ServiceModel, name: str):
        self._spec = spec
        self._service_model = service_model
        self.name = name
        self.http: dict = spec.get("http", {})
        self.metadata = service_model.metadata

    @property
    def service_model(self) -> ServiceModel:
        return self._service_model

    @property
    def wire_name(self) -> str:
        return self._spec.get("name", self.name)

    @cached_property
    def input_shape(self) -> Shape | None:
        ref = self._spec.get("input")
        return None if ref is None else self._service_model.resolve_shape_ref(ref)

    @cached_property
    def output_shape(self) -> Shape | None:
        ref = self._spec.get("output")
        return None if ref is None else self._service_model.resolve_shape_ref(ref)

    @cached_property
    def error_shapes(self) -> list[Shape]:
        return [self._service_model.resolve_shape_ref(ref) for ref in self._spec.get("errors", [])]

    @property
    def documentation(self) -> str:
        return self._spec.get("documentation", "")

    @property
    def deprecated(self) -> bool:
        return self._spec.get("deprecated", False)

    @property
    def auth(self) -> list | None:
        return self._spec.get("auth")

    @property
    def auth_type(self) -> str | None:
        return self._spec.get("authtype")

    @property
    def unsigned_payload(self) -> bool:
        return self._spec.get("unsignedPayload", False)

    @property
    def endpoint(self) -> dict | None:
        return self._spec.get("endpoint")

    @property
    def http_checksum_required(self) -> bool:
        return self._spec.get("httpChecksumRequired", False)

    @property
    def http_checksum(self) -> dict:
        return self._spec.get("httpChecksum", {})

    @property
    def request_compression(self) -> dict | None:
        return self._spec.get("requestcompression")

    @staticmethod
    def _payload_blob(shape: Shape | None) -> Shape | None:
        if shape is None:
            return None
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            if member.type_name == "blob":
                return member
        return None

    @staticmethod
    def _event_stream(shape: Shape | None) -> Shape | None:
        if shape is None:
            return None
        name = shape.event_stream_name
        return shape.members[name] if name else None

    def get_streaming_input(self) -> Shape | None:
        return self._payload_blob(self.input_shape)

    def get_streaming_output(self) -> Shape | None:
        return self._payload_blob(self.output_shape)

    @property
    def has_streaming_input(self) -> bool:
        return self.get_streaming_input() is not None

    @property
    def has_streaming_output(self) -> bool:
        return self.get_streaming_output() is not None

    def get_event_stream_input(self) -> Shape | None:
        return self._event_stream(self.input_shape)

    def get_event_stream_output(self) -> Shape | None:
        return self._event_stream(self.output_shape)

    @property
    def has_event_stream_input(self) -> bool:
        return self.get_event_stream_input() is not None

    @property
    def has_event_stream_output(self) -> bool:
        return self.get_event_stream_output() is not None

    def __repr__(self) -> str:
        return f"OperationModel(name={self.name})"


# --- loading -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def data_dir() -> str:
    """botocore's data directory, found without importing botocore."""
    spec = find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


def _read_json(path: str):
    if os.path.exists(path):
        with open(path, "rb") as f:
            return json.load(f)
    if os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz", "rb") as f:
            return json.load(f)
    return None


def _deep_merge(base: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value


def _drop_documentation(data: dict) -> None:
    data.pop("documentation", None)
    for op in data.get("operations", {}).values():
        op.pop("documentation", None)
        op.pop("documentationUrl", None)
    for shape in data.get("shapes", {}).values():
        shape.pop("documentation", None)
        for member in shape.get("members", {}).values():
            member.pop("documentation", None)


def load_service_data(name: str) -> dict:
    """The newest API version of a service's model, with its sdk-extras merged in as botocore
    does, and without documentation."""
    root = os.path.join(data_dir(), name)
    versions = sorted(v for v in os.listdir(root) if os.path.isdir(os.path.join(root, v)))
    for version in reversed(versions):
        data = _read_json(os.path.join(root, version, "service-2.json"))
        if data is not None:
            extras = _read_json(os.path.join(root, version, "service-2.sdk-extras.json"))
            if extras:
                _deep_merge(data, extras.get("merge", {}))
            _drop_documentation(data)
            return data
    raise FileNotFoundError(f"no service-2.json for {name} under {root}")
