"""The engine's ReadyQueue: `std::priority_queue` over libstdc++'s heap
algorithms, and the execution order of a GraphTask derived with it
(docs/CAPTURE.md §6.2). Needs no torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional


class LibstdcxxHeap:
    """A max-heap with exactly the sift steps of libstdc++'s `std::push_heap`
    (`__push_heap`) and `std::pop_heap` (`__adjust_heap`).

    Equal keys are not served first-in first-out: their order depends on the
    heap's shape, which is why PyTorch runs tied AccumulateGrad nodes in an
    order like p0, p2, p5, p6, p4, p1, p3. `less(a, b)` is the comparator the
    queue was built with (PyTorch: `(depth, sequence_nr)` of a < that of b).
    """

    def __init__(self, less: Callable[[Any, Any], bool]) -> None:
        self._less = less
        self._items: list = []

    def __len__(self) -> int:
        return len(self._items)

    def top(self) -> Any:
        """The element `pop` would return."""
        return self._items[0]

    def push(self, item: Any) -> None:
        """`c.push_back(item); push_heap(c.begin(), c.end())`."""
        self._items.append(item)
        self._sift_up(len(self._items) - 1, 0, item)

    def pop(self) -> Any:
        """`pop_heap(c.begin(), c.end()); c.pop_back()`; returns the old top."""
        items = self._items
        top = items[0]
        last = items.pop()
        if items:
            self._adjust(0, len(items), last)
        return top

    def _sift_up(self, hole: int, top_index: int, value: Any) -> None:
        items = self._items
        parent = (hole - 1) // 2
        while hole > top_index and self._less(items[parent], value):
            items[hole] = items[parent]
            hole = parent
            parent = (hole - 1) // 2
        items[hole] = value

    def _adjust(self, hole: int, length: int, value: Any) -> None:
        items = self._items
        top_index = hole
        child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if self._less(items[child], items[child - 1]):
                child -= 1
            items[hole] = items[child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            items[hole] = items[child - 1]
            hole = child - 1
        self._sift_up(hole, top_index, value)


@dataclass
class ScheduleStep:
    """One ReadyQueue pop and the pushes its completion caused; `runs` is
    false for a node that only captures a gradient (it runs nothing)."""

    node: int
    pushed: list
    runs: bool = True


def dependency_counts(root: int, successors: dict) -> dict:
    """Incoming edges per node, counting only edges from nodes reachable from `root`."""
    deps = {root: 0}
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        for nxt in successors[node]:
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def simulate_schedule(root: int, successors: dict, key: dict, runs: Optional[set] = None, captures: frozenset = frozenset()) -> list:
    """The engine's execution order for a GraphTask.

    `successors[n]` lists n's valid next edges in `next_functions` order
    (an edge reaching the same node twice appears twice); `key[n]` is the
    ReadyQueue ordering key `(depth, sequence_nr)`. Push the root; loop: pop,
    decrement the dependency count of each next edge's node in edge order and
    push it when the count reaches zero.

    A restricted backward (`torch.autograd.grad`, `backward(inputs=...)`)
    gives the nodes that run and those that capture: a successor that does
    neither is not pushed (its count still goes down), and a popped node
    that does not run pushes nothing.
    """
    deps = dependency_counts(root, successors)
    heap = LibstdcxxHeap(lambda a, b: key[a] < key[b])
    heap.push(root)
    steps = []
    while heap:
        node = heap.pop()
        if runs is not None and node not in runs:
            steps.append(ScheduleStep(node, [], runs=False))
            continue
        pushed = []
        for nxt in successors[node]:
            deps[nxt] -= 1
            if deps[nxt] == 0 and (runs is None or nxt in runs or nxt in captures):
                heap.push(nxt)
                pushed.append(nxt)
        steps.append(ScheduleStep(node, pushed))
    return steps
