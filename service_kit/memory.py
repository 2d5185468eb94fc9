"""Give memory the process has freed back to the system.

glibc's malloc keeps freed blocks in its arenas for reuse, so after a burst of work (a catalogue
import encodes thousands of texts) a service's RSS stays at its peak although Python and
onnxruntime have freed the memory. `malloc_trim(0)` returns the free pages: in the graph service
about 90 MiB after encoding 3,000 product texts (benchmarks/process_memory.py measures the stack)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Callable


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


def release_freed_memory() -> bool:
    """Collects garbage, then trims glibc's heap; False where the C library is not glibc (e.g. musl)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
