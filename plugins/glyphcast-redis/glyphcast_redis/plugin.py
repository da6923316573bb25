"""glyphcast-redis's hooks: the ``redis`` display (a producer publishes) and the ``redis`` source (an edge reads)."""

from __future__ import annotations

from glyphcast import hookimpl
from glyphcast.hookspecs import RegisterDisplay, RegisterSource

from glyphcast_redis.display import RedisDisplay
from glyphcast_redis.source import open_redis_source


@hookimpl
def register_displays(register: RegisterDisplay) -> None:
    register(
        "redis", RedisDisplay, "publishes the stream to a Redis Stream, for edge servers (--source redis)"
    )


@hookimpl
def register_sources(register: RegisterSource) -> None:
    register("redis", open_redis_source, "a stream another glyphcast publishes to Redis (--display redis)")
