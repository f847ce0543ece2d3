"""Finding a schema from one command-line word: a built-in name, a file, or `module:attribute`."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

from pytest_qnext.collections.builtin import BUILTINS, builtin
from pytest_qnext.collections.schema import CollectionSchema, SchemaError

__all__ = ["load_schema"]


def load_schema(ref: str) -> CollectionSchema:
    """The validated schema `ref` names, tried in this order:

    1. a built-in name (`qwen3`);
    2. an existing JSON/YAML file;
    3. `package.module:attribute`, whose value is a `CollectionSchema`, its plain-data form, or
       a function of no arguments returning either (the module is imported from `sys.path`,
       which includes the current directory under `python -m`).

    Anything else, and every problem with what it names, is one `SchemaError` line.
    """
    found = builtin(ref)
    if found is not None:
        found.validate(f"built-in {ref}")
        return found
    path = Path(ref)
    if path.is_file():
        return CollectionSchema.from_file(path)
    module_name, colon, attribute = ref.partition(":")
    if not colon or not module_name or not attribute:
        raise SchemaError(
            f"{ref}: no such schema file; give a JSON/YAML file, package.module:attribute, or a "
            f"built-in name ({', '.join(sorted(BUILTINS))})"
        )
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the user's module may raise anything while importing
        raise SchemaError(
            f"{ref}: cannot import {module_name} ({type(exc).__name__}: {exc})"
        ) from None
    try:
        value = getattr(module, attribute)
    except AttributeError:
        raise SchemaError(f"{ref}: module {module_name} has no attribute {attribute!r}") from None
    if callable(value) and not isinstance(value, CollectionSchema):
        try:
            value = value()
        except Exception as exc:
            raise SchemaError(f"{ref}: calling it raised {type(exc).__name__}: {exc}") from None
    if isinstance(value, CollectionSchema):
        value.validate(ref)
        return value
    if isinstance(value, Mapping):
        return CollectionSchema.from_dict(value, ref)
    raise SchemaError(
        f"{ref}: is a {type(value).__name__}; expected a CollectionSchema, its dict form, or a "
        "function returning one"
    )
