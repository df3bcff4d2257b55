"""Object storage for uploaded files (product images): one small interface, two backends.

- `LocalObjectStore`: files under a directory (the default; one machine, or a shared volume).
- `S3ObjectStore`: any S3-compatible store (AWS S3, MinIO, Aliyun OSS's S3 API, ...) through aiobotocore.

Keys are chosen by the caller (content hashes, so an object never changes once written and may be cached
for ever); a key is a relative path of safe characters, never `..`.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_-]{1,64})*\.[a-z0-9]{1,8}$")
Backend = Literal["local", "s3"]


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> StoredObject | None: ...

    async def close(self) -> None: ...


def check_key(key: str) -> str:
    if not SAFE_KEY.match(key):
        raise ValueError(f"not a safe object key: {key!r}")
    return key


class LocalObjectStore:
    """Objects as files under `root`; each written to a temporary file first and renamed, so a reader never
    sees half an object. The content type is kept in a sidecar file beside it."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data, content_type)

    @staticmethod
    def _write(path: Path, data: bytes, content_type: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        for target, payload in ((path.with_name(path.name + ".type"), content_type.encode()), (path, data)):
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as out:
                out.write(payload)
            os.replace(temporary, target)

    async def get(self, key: str) -> StoredObject | None:
        return await asyncio.to_thread(self._read, self._path(key))

    @staticmethod
    def _read(path: Path) -> StoredObject | None:
        try:
            return StoredObject(path.read_bytes(), path.with_name(path.name + ".type").read_text())
        except FileNotFoundError:
            return None

    async def close(self) -> None:
        return None


class S3ObjectStore:
    """Objects in one bucket of an S3-compatible store; `prefix` keeps them apart from anything else there.
    The client is opened at the first call, so the store can be built where nothing may wait (a service's
    dependencies)."""

    def __init__(self, *, endpoint_url: str | None, region: str, bucket: str, access_key_id: str,
                 secret_access_key: str, prefix: str = ""):
        self._config = {"endpoint_url": endpoint_url or None, "region_name": region,
                        "aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
        self.bucket, self.prefix = bucket, prefix
        self._exit_stack = AsyncExitStack()
        self._client: Any = None
        self._opening = asyncio.Lock()

    async def client(self) -> Any:
        async with self._opening:
            if self._client is None:
                from aiobotocore.session import get_session

                self._client = await self._exit_stack.enter_async_context(
                    get_session().create_client("s3", **self._config))
        return self._client

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await (await self.client()).put_object(Bucket=self.bucket, Key=self.prefix + check_key(key), Body=data,
                                     ContentType=content_type)

    async def get(self, key: str) -> StoredObject | None:
        client = await self.client()
        try:
            answer = await client.get_object(Bucket=self.bucket, Key=self.prefix + check_key(key))
        except client.exceptions.NoSuchKey:
            return None
        async with answer["Body"] as body:
            return StoredObject(await body.read(), answer.get("ContentType") or "application/octet-stream")

    async def close(self) -> None:
        await self._exit_stack.aclose()
