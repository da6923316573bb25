"""``NAME:key=value,...`` selections and converting their string values to a factory's types."""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from glyphcast.errors import OptionError as OptionError  # old import path, still public

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """Split ``"record:path=a.cast,title=demo"`` into ``("record", {"path": ..., "title": ...})``.

    A piece without ``=`` continues the previous value, so lists keep their
    commas: ``websocket:allow_origin=http://a,http://b``.
    """
    name, _, rest = spec.partition(":")
    name = name.strip()
    if not name:
        raise OptionError(f"empty name in {spec!r}; expected NAME or NAME:key=value,...")
    options: dict[str, str] = {}
    last: str | None = None
    for piece in rest.split(",") if rest else []:
        key, eq, value = piece.partition("=")
        if eq and key.strip().isidentifier():
            last = key.strip()
            options[last] = value
        elif last is not None:
            options[last] += "," + piece
        else:
            raise OptionError(f"option {piece!r} in {spec!r} is not key=value")
    return name, options


def _target_type(param: inspect.Parameter, hints: Mapping[str, Any]) -> Any:
    hint = hints.get(param.name)
    if hint is not None:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            hint = args[0] if len(args) == 1 else str
        return hint
    if param.default is not inspect.Parameter.empty and param.default is not None:
        return type(param.default)
    return str


def convert(value: str, target: Any, key: str) -> Any:
    """Convert one string option value to ``target`` (bool, int, float, Path, tuple/list of str)."""
    try:
        if target is bool:
            lowered = value.strip().lower()
            if lowered in TRUE:
                return True
            if lowered in FALSE:
                return False
            raise ValueError("expected true or false")
        if target in (int, float):
            return target(value)
        if target is Path:
            return Path(value)
        if typing.get_origin(target) in (tuple, list) or target in (tuple, list):
            items = tuple(v.strip() for v in value.split(",") if v.strip())
            return list(items) if (typing.get_origin(target) or target) is list else items
    except ValueError as error:
        type_name = getattr(target, "__name__", str(target))
        raise OptionError(f"option {key}={value!r}: not a valid {type_name} ({error})") from None
    return value


def option_names(factory: Callable[..., Any], skip: tuple[str, ...] = ()) -> list[str]:
    """The keyword options ``factory`` accepts, in order."""
    params = inspect.signature(factory).parameters.values()
    return [
        p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in skip
    ]


def bind_options(
    factory: Callable[..., Any],
    options: Mapping[str, Any],
    *,
    what: str,
    skip: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Check ``options`` against ``factory``'s parameters and convert string values.

    Non-string values pass through unchanged (the Python API); unknown keys raise
    :class:`OptionError` naming the valid ones.
    """
    signature = inspect.signature(factory)
    params = signature.parameters
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    try:
        # A class's own annotations are its attributes; its options are __init__'s parameters.
        hints = typing.get_type_hints(factory.__init__ if inspect.isclass(factory) else factory)
    except (NameError, TypeError, AttributeError):  # unresolvable annotations: fall back to defaults' types
        hints = {}
    bound: dict[str, Any] = {}
    for key, value in options.items():
        param = params.get(key)
        if param is None or key in skip:
            if accepts_any and key not in skip:
                bound[key] = value
                continue
            valid = ", ".join(option_names(factory, skip)) or "none"
            raise OptionError(f"{what} has no option {key!r}; valid options: {valid}")
        try:
            bound[key] = convert(value, _target_type(param, hints), key) if isinstance(value, str) else value
        except OptionError as error:
            raise OptionError(f"{what}: {error}") from None
    return bound
