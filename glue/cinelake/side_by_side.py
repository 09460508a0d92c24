"""Independent pieces of one job run side by side in driver threads: Spark runs the jobs of several threads at once."""

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def side_by_side(work: Callable[[Item], Result], items: Iterable[Item], threads: int, name: str) -> list[Result]:
    """`work(item)` for every item, in up to `threads` driver threads, the results in the items' order.

    One piece's stages keep the cores busy while another's driver plans, commits files or runs a stage of fewer tasks
    than cores. Every piece is waited for; the first failure, in the items' order, is then raised as it was."""
    items = list(items)
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(items))), thread_name_prefix=name) as pool:
        running = [pool.submit(work, item) for item in items]
    return [done.result() for done in running]
