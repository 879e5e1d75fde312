"""Loading a policy with the cyclic garbage collector paused.

Parsing, checking and compiling each allocate tens of thousands of small objects that live as long as
the policy and free almost none of them, so every collection the allocations trigger rescans a growing
heap for nothing: a quarter to half of the load time of a large policy. Each stage pauses the collector
with ``paused()`` (and a collector already off stays off).
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block, if it runs."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
