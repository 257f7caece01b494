"""Request and response bodies that stream: no object is ever held whole in memory.

An upload is piped into ``put_object``: the store runs in a worker thread and reads a
:class:`RequestBodyReader`, which pulls the next chunk from the event loop as it needs it. The
size limit is enforced where the body is received (``EdgeMiddleware``); when the client sent
``x-amz-content-sha256`` (SigV4 signs it), the reader checks the bytes against it at the end of
the body. Any failure is raised from ``read``, so the store aborts the write and keeps the
previous version. A download is read from ``open_object`` in the worker thread one chunk at a
time.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any, BinaryIO

import anyio.from_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from bastion.api._auth import CONTENT_SHA256, UNSIGNED_PAYLOAD
from bastion.errors import Invalid

log = logging.getLogger(__name__)

CHUNK = 1 << 20
_HEX64 = re.compile(r"[0-9a-f]{64}")


def declared_sha256(request: Request) -> str | None:
    """The hex SHA-256 the client declared for the body, or None (absent/UNSIGNED-PAYLOAD)."""
    value = request.headers.get(CONTENT_SHA256)
    if value is None or value == UNSIGNED_PAYLOAD:
        return None
    if not _HEX64.fullmatch(value):
        raise Invalid(
            CONTENT_SHA256,
            got=value,
            expected="the lowercase hex SHA-256 of the body or UNSIGNED-PAYLOAD (chunked "
            "STREAMING-* signing is not supported)",
        )
    return value


class RequestBodyReader:
    """A blocking binary file object over an ASGI request body, for a worker thread.

    Only :meth:`read` and :meth:`readinto` are used by the store; each blocks on the event loop
    (``anyio.from_thread``) until the next chunk arrives.
    """

    def __init__(self, request: Request, *, sha256: str | None) -> None:
        self._chunks = request.stream().__aiter__()
        self._expect = sha256
        self._hash = hashlib.sha256() if sha256 is not None else None
        self._pending = b""
        self._done = False
        self.received = 0

    def readable(self) -> bool:
        return True

    async def _next(self) -> bytes:
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._done = True
            self._check_digest()
            return b""
        except ClientDisconnect:
            raise Invalid(
                "body",
                got=f"<{self.received} bytes, then the client closed the connection>",
                expected="the whole body",
            ) from None
        self.received += len(chunk)
        if self._hash is not None:
            self._hash.update(chunk)
        return chunk

    def _check_digest(self) -> None:
        if self._hash is None or self._hash.hexdigest() == self._expect:
            return
        raise Invalid(
            CONTENT_SHA256,
            got=self._expect,
            expected=f"the SHA-256 of the body that was sent ({self._hash.hexdigest()})",
        )

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative); ``b""`` at the end."""
        if size is None or size < 0:
            parts = [self._pending]
            self._pending = b""
            while not self._done:
                parts.append(anyio.from_thread.run(self._next))
            return b"".join(parts)
        while not self._pending and not self._done:
            self._pending = anyio.from_thread.run(self._next)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next bytes; 0 at the end."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


async def stream_file(reader: BinaryIO, *, what: str) -> AsyncIterator[bytes]:
    """Chunks of ``reader`` read in a worker thread; the reader is closed in every case.

    An integrity failure in the middle is re-raised after logging: the server then drops the
    connection, so the client sees a truncated body, never a short one that looks complete.
    """
    try:
        while True:
            chunk = await run_in_threadpool(reader.read, CHUNK)
            if not chunk:
                return
            yield chunk
    except Exception:
        log.warning("api.stream_aborted object=%s", what)
        raise
    finally:
        reader.close()


__all__ = [
    "CHUNK",
    "RequestBodyReader",
    "declared_sha256",
    "stream_file",
]
