"""The object store's two backends behave alike: local disk always; an S3-compatible server only when one is
configured for the tests (MALL_TEST_S3_ENDPOINT_URL, MALL_TEST_S3_BUCKET, MALL_TEST_S3_ACCESS_KEY_ID,
MALL_TEST_S3_SECRET_ACCESS_KEY), as none runs in CI."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from shared.objects import LocalObjectStore, ObjectStore, S3ObjectStore


async def round_trip(store: ObjectStore) -> None:
    key = f"images/{uuid.uuid4().hex}.png"
    assert await store.get(key) is None
    await store.put(key, b"\x89PNG-bytes", "image/png")
    found = await store.get(key)
    assert found is not None and (found.data, found.content_type) == (b"\x89PNG-bytes", "image/png")
    for unsafe in ("../etc/passwd.png", "/abs.png", "images/a b.png", "noext"):
        with pytest.raises(ValueError):
            await store.put(unsafe, b"x", "image/png")


async def test_local_disk(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    await round_trip(store)
    assert not list((tmp_path / "objects").rglob(".upload-*"))  # no temporary file left behind


@pytest.mark.skipif(not os.environ.get("MALL_TEST_S3_ENDPOINT_URL"), reason="no S3-compatible server configured")
async def test_s3_compatible_server() -> None:
    store = S3ObjectStore(endpoint_url=os.environ["MALL_TEST_S3_ENDPOINT_URL"], region="us-east-1",
                                     bucket=os.environ.get("MALL_TEST_S3_BUCKET", "mpmall-test"),
                                     access_key_id=os.environ.get("MALL_TEST_S3_ACCESS_KEY_ID", "test"),
                                     secret_access_key=os.environ.get("MALL_TEST_S3_SECRET_ACCESS_KEY", "test"),
                                     prefix=f"t-{uuid.uuid4().hex[:8]}/")
    try:
        await round_trip(store)
    finally:
        await store.close()
