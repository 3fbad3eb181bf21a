"""The two places where specdouble changes Connexion's behaviour, and why.

Both are about cost, not behaviour, and both were found by profiling
(docs/performance.md):

- Connexion validates every spec it mounts; ``specs.load_spec`` already had
  prance validate it with openapi-spec-validator, so the second pass only
  doubles start-up time.
- Connexion decorates the handler again on every request and inspects its
  signature each time (``inspect.signature`` is slow); a function's signature
  does not change, so the answer is cached.
"""

from __future__ import annotations

import functools
from typing import Any

import connexion.decorators.parameter as parameter_module
import connexion.security as security_module
import connexion.utils as utils_module
from connexion.spec import OpenAPISpecification

_inspect = utils_module.inspect_function_arguments


@functools.lru_cache(maxsize=1024)
def _cached_inspect(function: Any) -> tuple[list[str], bool]:
    return _inspect(function)


def _validated_once(cls: type, spec: dict[str, Any]) -> None:
    """prance validated this spec when it was loaded."""


def apply() -> None:
    OpenAPISpecification._validate_spec = classmethod(_validated_once)
    for module in (utils_module, parameter_module, security_module):
        module.inspect_function_arguments = _cached_inspect
