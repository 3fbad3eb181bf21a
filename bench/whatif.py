"""Launcher: specdouble with candidate performance fixes applied as monkeypatches.

Used to estimate what the fixes in docs/performance.md are worth before
anyone changes src/: ``SDPATCH=copy,validators,inspect,gc python -m bench
--targets specdouble --specdouble-module bench.whatif``. Patches (comma list):

- ``copy``: the memory store copies records with a typed JSON-tree copy
  instead of ``copy.deepcopy``;
- ``nocopy``: reads return the stored objects (upper bound of "no copy on read");
- ``validators``: parameter and body validators built once per schema;
- ``inspect``: Connexion's per-request ``inspect_function_arguments`` cached;
- ``gc``: ``gc.collect(); gc.freeze()`` once the app is built and seeded.

It reaches into private names of src/ and Connexion 3.3: delete it, or let
it fail loudly, once the fixes are in src/.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from typing import Any


def _copy_json(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _copy_json(v) for k, v in value.items()}
    if kind is list:
        return [_copy_json(v) for v in value]
    return value


class _TypedCopy:
    deepcopy = staticmethod(_copy_json)


def _patch_copy() -> None:
    import specdouble.state.memory as memory

    memory.copy = _TypedCopy  # type: ignore[assignment]


def _patch_nocopy() -> None:
    import specdouble.state.memory as memory

    def get(self: Any, collection: str, key: str) -> Any:
        staged = self._staged.get(collection, {})
        if key in staged:
            value = staged[key]
            return None if value is memory._DELETED else value
        return self._data.get(collection, {}).get(key)

    memory._MemoryTransaction.get = get  # type: ignore[method-assign]


def _patch_validators() -> None:
    from connexion.json_schema import Draft4RequestValidator
    from jsonschema import Draft4Validator

    import specdouble.http.validation as validation

    params: dict[int, Any] = {}
    bodies: dict[int, Any] = {}

    def _check(self: Any, where: str, param: dict, value: Any) -> list[str]:
        name = param["name"]
        if value is None or (value == "" and param.get("required")):
            return [f"{where}.{name}: is required"] if param.get("required") else []
        if validation.is_nullable(param) and validation.is_null(value):
            return []
        schema = param.get("schema", param)
        validator = params.get(id(schema))
        if validator is None:
            validator = params[id(schema)] = Draft4Validator(
                schema, format_checker=validation.FORMAT_CHECKER)
        return [f"{where}.{name}: {e.message}" for e in validator.iter_errors(value)]

    def _validator(self: Any) -> Any:
        validator = bodies.get(id(self._schema))
        if validator is None:
            validator = bodies[id(self._schema)] = Draft4RequestValidator(
                self._schema, format_checker=validation.FORMAT_CHECKER)
        return validator

    validation.AllErrorsParameterValidator._check = _check  # type: ignore[method-assign]
    validation.StrictJSONBodyValidator._validator = property(_validator)  # type: ignore[assignment,method-assign]


def _patch_inspect() -> None:
    import connexion.decorators.parameter as parameter
    import connexion.security as security
    import connexion.utils as utils

    cached = functools.lru_cache(maxsize=None)(utils.inspect_function_arguments)
    parameter.inspect_function_arguments = cached  # type: ignore[assignment]
    security.inspect_function_arguments = cached  # type: ignore[attr-defined]


def _patch_gc() -> None:
    import specdouble.http.app as app_module

    create = app_module.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = create(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return app

    app_module.create_app = create_app  # type: ignore[assignment]


PATCHES = {"copy": _patch_copy, "nocopy": _patch_nocopy, "validators": _patch_validators,
           "inspect": _patch_inspect, "gc": _patch_gc}


def main() -> int:
    wanted = [p for p in os.environ.get("SDPATCH", "").split(",") if p]
    unknown = sorted(set(wanted) - set(PATCHES))
    if unknown:
        print(f"bench.whatif: unknown SDPATCH entries {unknown}; known {sorted(PATCHES)}",
              file=sys.stderr)
        return 2
    for name in wanted:
        PATCHES[name]()
    from specdouble.cli import main as serve

    return serve()


if __name__ == "__main__":
    sys.exit(main())
