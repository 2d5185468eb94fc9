"""Give memory the process has freed back to the system.

glibc's malloc keeps freed blocks in its arenas for reuse, so after a burst of work (a catalogue
import encodes thousands of texts) a service's RSS stays at its peak although Python and
onnxruntime have freed the memory. `malloc_trim(0)` returns the free pages: in the graph service
about 90 MiB after encoding 3,000 product texts (benchmarks/process_memory.py measures the stack).
A long-running server that allocates a little per request (the action server) also grew slowly
until collected and trimmed (benchmarks/actions_memory_growth.py): `release_freed_memory_every`."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Callable

from pydantic import Field

from settings_kit.settings import ServiceSettings


class MemoryReleaseSettings(ServiceSettings):
    every_s: float = Field(default=60.0, ge=0, validation_alias="MEMORY_RELEASE_EVERY_S")  # 0: never


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, looked up once: find_library runs ldconfig (about 3 ms)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def trim_heap() -> bool:
    """Returns malloc's free pages to the system; False where the C library is not glibc (e.g. musl)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def release_freed_memory() -> bool:
    """Collects garbage, then trims the heap (see trim_heap)."""
    gc.collect()
    return trim_heap()


async def release_freed_memory_in_loop() -> bool:
    """release_freed_memory from an event loop: the collection stays on the loop's thread (finalisers
    of its transports and tasks must run there), the trim goes to a worker thread (ctypes lets go
    of the GIL, so requests go on meanwhile)."""
    gc.collect()
    return await asyncio.to_thread(trim_heap)


async def release_freed_memory_every(every_s: float) -> None:
    """Forever: every `every_s` seconds, release_freed_memory_in_loop."""
    while True:
        await asyncio.sleep(every_s)
        await release_freed_memory_in_loop()
