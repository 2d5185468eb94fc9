"""Give memory the process has freed back to the system.

glibc's malloc keeps freed blocks in its arenas for reuse, so after a burst of work (a catalogue
import encodes thousands of texts) a service's RSS stays at its peak although Python and
onnxruntime have freed the memory. `malloc_trim(0)` returns the free pages: in the graph service
about 90 MiB after encoding 3,000 product texts (benchmarks/process_memory.py measures the stack)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

logger = logging.getLogger(__name__)


def release_freed_memory() -> bool:
    """Collects garbage, then trims glibc's heap; False where the C library is not glibc (e.g. musl)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)
    return True
