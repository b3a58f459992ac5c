"""Where stored files live: a local folder (the default) or S3-compatible object storage.

Every stored file (uploads, quotation PDFs, spec sheets, profiles, brochures) is named by a key,
a relative path such as "uploads/3f2a….pdf" or "exports/brochures/brochure-7-….pdf", the same in
both backends: under STORAGE_DIR on local disk, or under the bucket and prefix of STORAGE_URL
("s3://bucket/prefix"), shared by every machine. `storage()` is the app's backend and
`send_stored()` the one way a stored file is downloaded.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urlsplit

from flask import abort, current_app, request
from werkzeug.utils import send_file

# S3 bucket names: 3 to 63 lower-case letters, digits, dots and hyphens.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class BlobInfo:
    size: int
    etag: str
    modified: datetime


def check_key(key: str) -> str:
    """A key is a relative path of plain names: never absolute, never with "." or ".." parts."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"Invalid storage key {key!r}")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"Invalid storage key {key!r}")
    return key


class Storage:
    """The interface both backends offer. Keys are checked by check_key."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        raise NotImplementedError

    def open(self, key: str) -> tuple[IO[bytes], BlobInfo]:
        """A stream of the file's bytes and its details; FileNotFoundError if there is none."""
        raise NotImplementedError

    def get(self, key: str) -> bytes | None:
        try:
            stream, _info = self.open(key)
        except FileNotFoundError:
            return None
        with stream:
            return stream.read()

    def stat(self, key: str) -> BlobInfo | None:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove the file; nothing happens if there is none."""
        raise NotImplementedError

    def list(self, prefix: str) -> list[str]:
        """The keys under a folder-like prefix ("exports/spec-sheets/alpha/")."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of connections (when the configuration names another backend)."""


class LocalStorage(Storage):
    """Files under a folder of this machine; each write is atomic (a temporary file renamed)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> tuple[IO[bytes], BlobInfo]:
        stream = self.path(key).open("rb")
        return stream, self._info(self.path(key), os.fstat(stream.fileno()))

    def stat(self, key: str) -> BlobInfo | None:
        path = self.path(key)
        try:
            return self._info(path, path.stat())
        except FileNotFoundError:
            return None

    @staticmethod
    def _info(path: Path, stat: os.stat_result) -> BlobInfo:
        # The ETag werkzeug's send_file gives the same file, so both name it alike.
        check = zlib.adler32(os.path.abspath(path).encode()) & 0xFFFFFFFF
        etag = f"{stat.st_mtime}-{stat.st_size}-{check}"
        return BlobInfo(stat.st_size, etag, datetime.fromtimestamp(stat.st_mtime, UTC))

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def list(self, prefix: str) -> list[str]:
        folder = self.path(prefix.rstrip("/"))
        if not folder.is_dir():
            return []
        return sorted(
            f"{prefix.rstrip('/')}/{path.relative_to(folder).as_posix()}"
            for path in folder.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )


class S3Storage(Storage):
    """Objects in an S3-compatible bucket, under an optional prefix. Credentials come from
    boto3's usual places (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment)."""

    def __init__(self, url: str, endpoint_url: str | None = None, region: str = "us-east-1"):
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = parse_storage_url(url)
        config = Config(
            # A local or self-hosted S3 server is addressed by path, not by bucket host name.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            retries={"mode": "standard"},
            # Checksums only where S3 requires them: not every S3-compatible server knows them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # A session of its own: boto3's default session is not safe to share between threads.
        session = boto3.session.Session()
        self.client = session.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region, config=config
        )
        self.missing = (self.client.exceptions.NoSuchKey,)

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=content_type
        )

    def open(self, key: str) -> tuple[IO[bytes], BlobInfo]:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self.missing:
            raise FileNotFoundError(key) from None
        return answer["Body"], self._info(answer)

    def stat(self, key: str) -> BlobInfo | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return self._info(answer)

    @staticmethod
    def _info(answer: dict[str, Any]) -> BlobInfo:
        return BlobInfo(answer["ContentLength"], answer["ETag"].strip('"'), answer["LastModified"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def list(self, prefix: str) -> list[str]:
        start = self._name(prefix.rstrip("/")) + "/"
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        skip = len(self.prefix)
        return sorted(item["Key"][skip:] for page in pages for item in page.get("Contents", []))

    def close(self) -> None:
        self.client.close()


def parse_storage_url(url: str) -> tuple[str, str]:
    """("bucket", "prefix/") from "s3://bucket/prefix" (the prefix may be empty)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not _BUCKET.fullmatch(parts.netloc) or parts.query:
        raise ValueError(
            f"STORAGE_URL must be s3://bucket or s3://bucket/prefix (got {url!r}); leave it "
            "unset to keep files under STORAGE_DIR."
        )
    path = PurePosixPath(parts.path.strip("/"))
    prefix = "" if str(path) == "." else check_key(str(path)) + "/"
    return parts.netloc, prefix


def check_config(config) -> None:
    """Refuse to start with a STORAGE_URL that names no bucket (a clear message, not a 500)."""
    if config.get("STORAGE_URL"):
        try:
            parse_storage_url(config["STORAGE_URL"])
        except ValueError as error:
            raise RuntimeError(str(error)) from None


_building = threading.Lock()


def storage() -> Storage:
    """The app's storage backend, as its configuration says (built once per setting)."""
    config = current_app.config
    settings = (
        config.get("STORAGE_URL") or None,
        config["STORAGE_DIR"],
        config.get("S3_ENDPOINT_URL") or None,
        config.get("S3_REGION") or "us-east-1",
    )
    with _building:
        built = current_app.extensions.get("storage")
        if built is None or built[0] != settings:
            if built is not None:  # the settings changed (tests)
                built[1].close()
            url, root, endpoint, region = settings
            backend = S3Storage(url, endpoint, region) if url else LocalStorage(root)
            built = current_app.extensions["storage"] = (settings, backend)
    return built[1]


def send_stored(
    key: str,
    *,
    download_name: str,
    mimetype: str,
    as_attachment: bool = True,
    etag: str | None = None,
    revalidate: bool = False,
):
    """The stored file as a download: type, size, ETag, Last-Modified and Content-Disposition
    set, 304 to a matching If-None-Match / If-Modified-Since, the body streamed in chunks.

    `etag` replaces the stored file's own; `revalidate` makes caches ask (and get a 304) before
    reusing their copy, instead of keeping it for SEND_FILE_MAX_AGE_DEFAULT.
    """
    store = storage()
    options: dict[str, Any] = {
        "environ": request.environ,
        "mimetype": mimetype,
        "as_attachment": as_attachment,
        "download_name": download_name,
        "max_age": None if revalidate else current_app.get_send_file_max_age(None),
        "response_class": current_app.response_class,
    }
    if isinstance(store, LocalStorage):
        try:
            return send_file(
                store.path(key), etag=etag or True,
                use_x_sendfile=current_app.config["USE_X_SENDFILE"], **options,
            )  # fmt: skip
        except FileNotFoundError:
            abort(404, description="This file is no longer stored.")
    try:
        stream, info = store.open(key)
    except FileNotFoundError:
        abort(404, description="This file is no longer stored.")
    response = send_file(
        stream, etag=etag or info.etag, last_modified=info.modified, conditional=False, **options
    )
    response.content_length = info.size
    # A 304 sends no body: the unread stream is closed with the response.
    return response.make_conditional(request)
