"""The files of one archive in memory, path -> bytes, with the large ones held compressed.

On a server of thousands of schemas facts.json and the schema dump are tens of MB each (67 MB and 45 MB at
10,000 schemas x 10 tables); held as they are, with the text each was made from, they were a third of the
run's peak memory. A file from ``COMPRESS_AT`` bytes is held zlib-compressed (level 1: JSON and DDL shrink
tenfold at ~200 MB/s), with its size and SHA-256 taken as it came, so that the manifest and the archive
writer never need it whole: ``open()`` gives it back a piece at a time. ``files[path]`` still gives the
whole bytes, for a reader that wants them (the wizard's preview, --servers, the tests).
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass

COMPRESS_AT = 1 << 20  # bytes: smaller files are held as they are
_LEVEL = 1
_PIECE = 1 << 16  # compressed bytes given to the decompressor at a time


@dataclass(frozen=True)
class _Entry:
    data: bytes  # the file, or its zlib stream when ``compressed``
    compressed: bool
    size: int
    sha256: str


class ArchiveFiles(MutableMapping[str, bytes]):
    """path -> bytes; ``add_chunks`` takes a file that is made a piece at a time without joining the pieces."""

    def __init__(self, files: Iterable[tuple[str, bytes]] = ()) -> None:
        self._entries: dict[str, _Entry] = {}
        for path, data in files:
            self[path] = data

    # -- the mapping -----------------------------------------------------------------------------
    def __setitem__(self, path: str, data: bytes) -> None:
        self.add_chunks(path, (data,))

    def __getitem__(self, path: str) -> bytes:
        entry = self._entries[path]
        return zlib.decompress(entry.data) if entry.compressed else entry.data

    def __delitem__(self, path: str) -> None:
        del self._entries[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"ArchiveFiles({sorted(self._entries)!r})"

    # -- what the writer and the manifest need ---------------------------------------------------
    def add_chunks(self, path: str, chunks: Iterable[bytes]) -> None:
        """The file at ``path`` made of ``chunks`` in order; a chunk is let go once it is hashed and compressed."""
        digest = hashlib.sha256()
        size = 0
        held: list[bytes] = []  # as they are, until the file reaches COMPRESS_AT
        compressor: zlib._Compress | None = None
        compressed: list[bytes] = []
        for chunk in chunks:
            if not chunk:
                continue
            digest.update(chunk)
            size += len(chunk)
            if compressor is None:
                held.append(chunk)
                if size < COMPRESS_AT:
                    continue
                compressor = zlib.compressobj(_LEVEL)
                chunk = b"".join(held)
                held.clear()
            compressed.append(compressor.compress(chunk))
            del chunk
        if compressor is None:
            data = held[0] if len(held) == 1 else b"".join(held)
            self._entries[path] = _Entry(bytes(data), False, size, digest.hexdigest())
            return
        compressed.append(compressor.flush())
        self._entries[path] = _Entry(b"".join(compressed), True, size, digest.hexdigest())

    def size(self, path: str) -> int:
        return self._entries[path].size

    def sha256(self, path: str) -> str:
        return self._entries[path].sha256

    def chunks(self, path: str) -> Iterator[bytes]:
        """The file a piece at a time (a compressed one is inflated a piece at a time)."""
        entry = self._entries[path]
        if not entry.compressed:
            yield entry.data
            return
        inflater = zlib.decompressobj()
        view = memoryview(entry.data)
        for start in range(0, len(view), _PIECE):
            piece = inflater.decompress(view[start:start + _PIECE])
            if piece:
                yield piece
        tail = inflater.flush()
        if tail:
            yield tail

    def open(self, path: str) -> io.BufferedReader:
        """A reader of the file (tarfile.addfile reads its members from one)."""
        return io.BufferedReader(_ChunkReader(self.chunks(path)), buffer_size=_PIECE)

    def adopt(self, path: str, other: ArchiveFiles, other_path: str) -> None:
        """``other``'s file as this one's ``path``, as it is held (not inflated and compressed again)."""
        self._entries[path] = other._entries[other_path]


class _ChunkReader(io.RawIOBase):
    """A raw reader over an iterator of byte strings."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._current:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._current = memoryview(chunk)
        count = min(len(buffer), len(self._current))
        buffer[:count] = self._current[:count]
        self._current = self._current[count:]
        return count
