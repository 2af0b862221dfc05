"""The two models of every operation the conformance test needs.

pocketcloud reads botocore's JSON with its own light model classes (protocol/model.py);
real clients use botocore.model. The harness hands each side its own: botocore's serializer,
parsers, handlers and the value generator get botocore's model, our codec gets ours. A
difference between the two models then fails the conformance test like any codec bug
(test_model_agreement.py names the difference itself).
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import botocore.model
import botocore.session

from pocketcloud.protocol import specs


@cache
def _session():
    return botocore.session.get_session()


@cache
def botocore_service_model(service: str):
    """botocore's ServiceModel, loaded as a client loads it (its operation models are cached
    by the model itself)."""
    return _session().get_service_model(service)


class OperationPair(NamedTuple):
    """One operation in both models: `ours` for pocketcloud's codec, `boto` for botocore
    (and for the generator and the comparison, which must follow the real model)."""

    ours: object
    boto: object

    @property
    def name(self) -> str:
        return self.boto.name

    @property
    def service_name(self) -> str:
        return self.boto.service_model.service_name


@cache
def operation_pair(service: str, name: str) -> OperationPair:
    ours = specs.service_model(service).operation_model(name)
    # The point of the pair: should specs hand out botocore's classes again, say so here.
    assert not isinstance(ours, botocore.model.OperationModel), "specs returned botocore's model"
    return OperationPair(ours, botocore_service_model(service).operation_model(name))


def operation_names(service: str) -> list[str]:
    """botocore's list: an operation our model lacks must fail, not go unchecked."""
    return botocore_service_model(service).operation_names
