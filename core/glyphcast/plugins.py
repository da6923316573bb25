"""Loading plugins (pluggy, entry-point group ``glyphcast``) and the registry they fill.

A plugin that fails to import, has a hookimpl that matches no hook, or raises
while registering is named in a :class:`PluginWarning` and skipped; the others
load. ``GLYPHCAST_DISABLE_PLUGINS=a,b`` skips plugins by entry-point name.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from glyphcast import hookspecs
from glyphcast.codec import Codec
from glyphcast.display import Display
from glyphcast.errors import UnknownNameError as UnknownNameError  # old import path, still public
from glyphcast.options import bind_options, parse_spec
from glyphcast.source import Source

log = logging.getLogger("glyphcast")

ENTRY_POINT_GROUP = "glyphcast"
DISABLE_ENV = "GLYPHCAST_DISABLE_PLUGINS"
CORE_PLUGIN = "glyphcast"


class PluginWarning(UserWarning):
    """A plugin was skipped; the message names it and says why."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered display or source."""

    name: str
    factory: Callable[..., Any]
    plugin: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Command:
    """One ``glyphcast`` subcommand a plugin registered (``register_commands``)."""

    name: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    plugin: str
    help: str = ""


@dataclass(slots=True)
class PluginInfo:
    """What ``glyphcast plugins`` shows for one plugin."""

    name: str
    version: str
    module: str
    hooks: list[str] = field(default_factory=list)
    displays: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    codecs: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "module": self.module,
            "hooks": self.hooks,
            "displays": self.displays,
            "sources": self.sources,
            "codecs": self.codecs,
            "commands": self.commands,
            "error": self.error,
        }


@dataclass(slots=True)
class Registry:
    """Everything the loaded plugins registered, looked up once and then used directly."""

    manager: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    displays: dict[str, Entry] = field(default_factory=dict)
    sources: dict[str, Entry] = field(default_factory=dict)
    codecs: dict[str, Codec] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)

    @property
    def hook(self) -> Any:
        return self.manager.hook

    def skip(self, name: str, module: str, reason: str, version: str = "?") -> None:
        warnings.warn(
            f"glyphcast plugin {name!r} ({module}) was skipped: {reason}", PluginWarning, stacklevel=3
        )
        log.warning("plugin %r (%s) was skipped: %s", name, module, reason)
        self.plugins[name] = PluginInfo(name, version, module, error=reason)


def _disabled() -> set[str]:
    return {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}


def _dist_version(ep: EntryPoint) -> str:
    return ep.dist.version if ep.dist is not None else "?"


def _register(registry: Registry, plugin: object, name: str, module: str, version: str) -> None:
    """Register one plugin, or skip it (with a warning naming it) if its hookimpls are bad."""
    pm = registry.manager
    try:
        pm.register(plugin, name=name)
    except Exception as error:  # noqa: BLE001 - PluginValidationError, duplicate names...: named and skipped
        registry.skip(name, module, f"{type(error).__name__}: {error}", version)
        return
    unknown = [hc.name for hc in pm.get_hookcallers(plugin) or [] if not hc.has_spec()]
    if unknown:
        pm.unregister(plugin)
        registry.skip(name, module, f"implements unknown hook(s) {', '.join(unknown)}", version)
        return
    hooks = sorted(hc.name for hc in pm.get_hookcallers(plugin) or [])
    registry.plugins[name] = PluginInfo(name, version, module, hooks=hooks)


def _collect(registry: Registry) -> None:
    """Call each plugin's registration hooks one plugin at a time, so one failure is contained."""
    pm = registry.manager
    for plugin_name, info in list(registry.plugins.items()):
        plugin = pm.get_plugin(plugin_name)
        if plugin is None:
            continue
        try:
            for impl in pm.hook.register_displays.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function(register=_registrar(registry, registry.displays, info.displays, info))
            for impl in pm.hook.register_sources.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function(register=_registrar(registry, registry.sources, info.sources, info))
            for impl in pm.hook.register_codecs.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function(register=_codec_registrar(registry, info))
            for impl in pm.hook.register_commands.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function(register=_command_registrar(registry, info))
        except Exception as error:  # noqa: BLE001 - a plugin may raise anything; it is named and skipped
            pm.unregister(plugin)
            _forget(registry, plugin_name)
            registry.skip(
                plugin_name, info.module, f"registration raised {type(error).__name__}: {error}", info.version
            )


def _forget(registry: Registry, plugin_name: str) -> None:
    for table in (registry.displays, registry.sources):
        for key in [k for k, e in table.items() if e.plugin == plugin_name]:
            del table[key]
    info = registry.plugins.get(plugin_name)
    for key in info.codecs if info else []:
        registry.codecs.pop(key, None)
    for key in [k for k, c in registry.commands.items() if c.plugin == plugin_name]:
        del registry.commands[key]


def _registrar(
    registry: Registry, table: dict[str, Entry], names: list[str], info: PluginInfo
) -> Callable[..., None]:
    def register(name: str, factory: Callable[..., Any], description: str = "") -> None:
        if name in table:
            log.warning(
                "plugin %r registers %r, already registered by %r; keeping the first",
                info.name,
                name,
                table[name].plugin,
            )
            return
        table[name] = Entry(name, factory, info.name, description)
        names.append(name)

    return register


def _codec_registrar(registry: Registry, info: PluginInfo) -> Callable[[Codec], None]:
    def register(codec: Codec) -> None:
        if codec.subprotocol in registry.codecs:
            log.warning("plugin %r registers codec %r twice; keeping the first", info.name, codec.subprotocol)
            return
        registry.codecs[codec.subprotocol] = codec
        info.codecs.append(codec.subprotocol)

    return register


def _command_registrar(registry: Registry, info: PluginInfo) -> Callable[..., None]:
    def register(
        name: str,
        configure: Callable[[argparse.ArgumentParser], None],
        run: Callable[[argparse.Namespace], int],
        help: str = "",
    ) -> None:
        if name in registry.commands:
            log.warning(
                "plugin %r registers command %r, already registered by %r; keeping the first",
                info.name,
                name,
                registry.commands[name].plugin,
            )
            return
        registry.commands[name] = Command(name, configure, run, info.name, help)
        info.commands.append(name)

    return register


def load_registry(extra_plugins: Iterable[tuple[str, object]] = ()) -> Registry:
    """Build a fresh registry: core's built-ins, every entry point, then ``extra_plugins``."""
    from glyphcast import __version__, builtins

    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    registry = Registry(pm)
    _register(registry, builtins, CORE_PLUGIN, builtins.__name__, __version__)
    disabled = _disabled()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in disabled or ep.name == CORE_PLUGIN:
            continue
        try:
            plugin = ep.load()
        except Exception as error:  # noqa: BLE001 - a broken plugin is named and skipped, the rest load
            registry.skip(
                ep.name, ep.value, f"import failed: {type(error).__name__}: {error}", _dist_version(ep)
            )
            continue
        _register(registry, plugin, ep.name, ep.value, _dist_version(ep))
    for name, plugin in extra_plugins:
        _register(registry, plugin, name, getattr(plugin, "__name__", repr(plugin)), "?")
    _collect(registry)
    return registry


_registry: Registry | None = None
_registry_lock = threading.Lock()


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _registry
    with _registry_lock:
        if _registry is None:
            _registry = load_registry()
        return _registry


def reset_registry(registry: Registry | None = None) -> None:
    """Forget the cached registry (tests, or after installing a plugin at run time)."""
    global _registry
    with _registry_lock:
        _registry = registry


def hook() -> Any:
    """The hook relay for event hooks: ``hook().client_connected(client=...)``."""
    return get_registry().hook


def available_displays() -> list[str]:
    """Names of every display the installed plugins register, sorted."""
    return sorted(get_registry().displays)


def available_sources() -> list[str]:
    return sorted(get_registry().sources)


def _lookup(table: dict[str, Entry], name: str, kind: str) -> Entry:
    entry = table.get(name)
    if entry is None:
        valid = ", ".join(sorted(table)) or "none installed"
        owner = _disabled_owner(kind, name)
        if owner is not None:
            raise UnknownNameError(
                f"{kind} {name!r} is disabled by {DISABLE_ENV} (plugin {owner!r}: take it out of that list "
                f"to use it); available {kind}s: {valid}"
            )
        raise UnknownNameError(f"unknown {kind} {name!r}; available {kind}s: {valid}")
    return entry


def _disabled_owner(kind: str, name: str) -> str | None:
    """The plugin disabled by ``GLYPHCAST_DISABLE_PLUGINS`` that registers ``name`` as a ``kind``, if any.

    Only to explain an unknown name: the disabled plugins are imported and asked what they
    register, on a plugin manager of their own that nothing else uses.
    """
    disabled = _disabled()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name not in disabled:
            continue
        names: list[str] = []
        manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
        manager.add_hookspecs(hookspecs)
        try:
            manager.register(ep.load(), name=ep.name)
            getattr(manager.hook, f"register_{kind}s")(
                register=lambda found, *_, names=names, **__: names.append(found)
            )
        except Exception as error:  # noqa: BLE001 - a disabled plugin may be broken (why it was disabled)
            log.debug(
                "disabled plugin %r cannot say what it registers: %s: %s",
                ep.name,
                type(error).__name__,
                error,
            )
            continue
        if name in names:
            return ep.name
    return None


def open_display(name: str, **options: Any) -> Display:
    """Create the display registered as ``name``. String option values are converted.

    ``name`` may carry options itself: ``open_display("record:path=out.cast")``.
    """
    name, spec_options = parse_spec(name)
    entry = _lookup(get_registry().displays, name, "display")
    # A display's size is init()'s (the source's, or --size): not an option of its own.
    kwargs = bind_options(
        entry.factory, {**spec_options, **options}, what=f"display {name!r}", skip=("width", "height")
    )
    display: Display = entry.factory(**kwargs)
    return display


def open_source(name: str, width: int, height: int, **options: Any) -> Source:
    """Create the source registered as ``name`` at the given starting size."""
    name, spec_options = parse_spec(name)
    entry = _lookup(get_registry().sources, name, "source")
    kwargs = bind_options(
        entry.factory, {**spec_options, **options}, what=f"source {name!r}", skip=("width", "height")
    )
    source: Source = entry.factory(width=width, height=height, **kwargs)
    return source
