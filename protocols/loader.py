"""botocore's service descriptions, read from its data directory without importing botocore.

`botocore.loaders` costs as much as `botocore.model` to import (it goes through
`botocore.utils`); what it does for a service model is small and done here the
same way: search `~/.aws/models`, then botocore's own `data/`; take the latest
API version by name among the directories that hold a `service-2` file; read
`.json` before `.json.gz`; merge a `service-2.sdk-extras` file's `merge` section
over the model. botocore is found with `importlib.util.find_spec`, which runs
none of its code.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import orjson

_EXTENSIONS = (".json", ".json.gz")  # botocore's _JSON_OPEN_METHODS, in its order
_EXTRAS_TYPES = ("sdk",)  # botocore's Loader.BUILTIN_EXTRAS_TYPES


class DataNotFoundError(LookupError):
    """No service description under any search path."""


@cache
def search_paths() -> tuple[Path, ...]:
    """Where botocore's default loader looks, in its order."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise DataNotFoundError("botocore is not installed: its service models are stepstack's contract")
    builtin = Path(next(iter(spec.submodule_search_locations))).resolve() / "data"
    customer = Path(os.path.expanduser("~")) / ".aws" / "models"
    return (customer, builtin)


def _existing(directory: Path, type_name: str) -> Path | None:
    for ext in _EXTENSIONS:
        path = directory / f"{type_name}{ext}"
        if path.is_file():
            return path
    return None


def _service_dirs(service_name: str) -> Iterator[Path]:
    for root in search_paths():
        path = root / service_name
        if path.is_dir():
            yield path


def api_versions(service_name: str, type_name: str = "service-2") -> list[str]:
    """The API versions that have a `type_name` file, sorted (botocore's list_api_versions)."""
    found = {d.name for service in _service_dirs(service_name) for d in service.iterdir() if _existing(d, type_name)}
    if not found:
        raise DataNotFoundError(f"no {type_name} model for {service_name!r} under {[str(p) for p in search_paths()]}")
    return sorted(found)


def _load_data(name: str) -> dict[str, Any] | None:
    """The first search path's `name.json` or `name.json.gz`, parsed."""
    for root in search_paths():
        path = _existing(root / Path(name).parent, Path(name).name)
        if path is not None:
            data = path.read_bytes()
            return orjson.loads(gzip.decompress(data) if path.suffix == ".gz" else data)
    return None


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    """botocore.utils.deep_merge: dicts merge, anything else replaces."""
    for key, value in extra.items():
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value


def load_service_model(service_name: str, type_name: str = "service-2", api_version: str | None = None) -> dict[str, Any]:
    """The service description botocore's `Loader.load_service_model` returns (a fresh dict)."""
    version = api_version or max(api_versions(service_name, type_name))
    model = _load_data(f"{service_name}/{version}/{type_name}")
    if model is None:
        raise DataNotFoundError(f"{service_name}/{version}/{type_name}")
    for extras_type in _EXTRAS_TYPES:
        extras = _load_data(f"{service_name}/{version}/{type_name}.{extras_type}-extras")
        if extras is not None and "merge" in extras:
            _deep_merge(model, extras["merge"])
    return model
