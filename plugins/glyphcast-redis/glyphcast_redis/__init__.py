"""glyphcast-redis: one stream, many edge servers, through Redis Streams.

- display ``redis`` (:class:`RedisDisplay`): a producer publishes its stream
  (keyframes + deltas, capped length, size changes, the end); ``show()`` stays
  O(1) and a Redis outage degrades to latest-wins and recovers by itself.
- source ``redis`` (:class:`RedisSource`): an edge reads the stream back from
  the newest keyframe and reproduces every frame (seq, ts, rows, cursor), so
  ``glyphcast run --source redis:stream=NAME --display websocket`` serves it.
"""

from __future__ import annotations

from glyphcast_redis.display import RedisDisplay
from glyphcast_redis.entries import EntryError
from glyphcast_redis.source import RedisSource, open_redis_source

#: The one place the version is written: hatch builds the distribution's metadata from it.
__version__ = "0.1.0"

__all__ = ["EntryError", "RedisDisplay", "RedisSource", "__version__", "open_redis_source"]
