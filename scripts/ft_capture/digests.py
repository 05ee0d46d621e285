"""Value digests of tensors already hashed, reused for a tensor that reads
the same elements of the same storage while nothing wrote that storage.

A value's digest depends only on its elements in C order. Two tensors with
the same storage, storage offset, sizes, strides, dtype and conjugate and
negative bits read the same elements; if no write reached the storage
between their hashes, they hold the same value. An MLP step hashes a third
of its bytes twice that way: `detach` of a gradient (AccumulateGrad), the
`t` of a transposed weight in backward (the weight itself).

Version counters cannot tell that nothing wrote a storage: `.data` has a
counter of its own, a view an operator returns shows its base's counter
only once the dispatch mode has returned, and a write through numpy bumps
none. Instead only storages the capture saw an operator allocate are
cached (`trust`: a non-mutating call returned a storage the capture had
not seen; never memory from outside PyTorch, `from_numpy`, `frombuffer`,
DLPack, a rebuilt tensor's shared memory: the capture first sees those as
an argument), and the capture tells the cache of every write it observes
(`written`: a mutating operator's tensor arguments), of every way a
program can write such a storage without an operator (`exposed`:
`numpy()`, `__dlpack__`, `data_ptr()`: never cached again), and of a
mutating call it does not observe (`clear`). Writes the capture cannot see
at all, calls run with torch dispatch disabled by the program itself, are
not told apart: the capture does not record those either.

Storage ids are never reused (`StorageTable`), so an entry cannot outlive
its storage's identity; entries of dead storages are dropped once the
cache holds `LIMIT` storages.
"""

from __future__ import annotations

from typing import Callable, Optional


class DigestCache:
    """Digests by storage id, then by `(offset, sizes, strides, dtype, conj,
    neg)` (see the module's text for when an entry holds)."""

    LIMIT = 4096

    def __init__(self, alive: Callable[[int], bool]) -> None:
        # storage id -> {key: digest}, for trusted storages only
        self._by_sid: dict = {}
        self._alive = alive
        self.hits = 0

    def trust(self, sid: int) -> None:
        """Storage `sid` was just allocated by an operator the capture saw."""
        if len(self._by_sid) >= self.LIMIT:
            alive = self._alive
            self._by_sid = {s: entries for s, entries in self._by_sid.items() if alive(s)}
        self._by_sid[sid] = {}

    def get(self, sid: int, key: tuple) -> Optional[bytes]:
        """The digest of the elements `key` reads in storage `sid`, if known."""
        entries = self._by_sid.get(sid)
        if entries is None:
            return None
        digest = entries.get(key)
        if digest is not None:
            self.hits += 1
        return digest

    def put(self, sid: int, key: tuple, digest: bytes) -> None:
        """Remembers a digest just computed from the elements `key` reads in
        storage `sid` (if that storage is trusted)."""
        entries = self._by_sid.get(sid)
        if entries is not None:
            entries[key] = digest

    def written(self, sid: int) -> None:
        """Storage `sid` was written (or may have been)."""
        entries = self._by_sid.get(sid)
        if entries:
            entries.clear()

    def exposed(self, sid: int) -> None:
        """The program can write storage `sid` without an operator from now on."""
        self._by_sid.pop(sid, None)

    def clear(self) -> None:
        """Forgets every digest (a write happened that the capture did not see)."""
        for entries in self._by_sid.values():
            entries.clear()
