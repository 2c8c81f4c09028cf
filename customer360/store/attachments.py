"""Attachments: their rows in the gateway's store, their files under the data dir.

A file is named by the sha256 of its cleaned bytes (`attachments/ab/abcdef...`), never by anything a
client sent, so no upload can choose where it lands; the same photo uploaded twice is one file.
A submission takes its attachments in the transaction that keeps it (`claim`, called by the outbox):
kept with it, or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from customer360.domain.attachments import UNUSED_LIFETIME, AttachmentPurpose, AttachmentRecord, Moderation
from customer360.store.tables import attachments
from customer360.store.times import as_utc
from customer360.tracing import traced_methods

# A file written this recently is never deleted by the unused pass, even if no row names it yet: an
# upload of the same bytes may be between writing its file and committing its row.
FRESH_FILE_SECONDS = 3600


class AttachmentTaken(Exception):
    """A submission named an attachment that another submission took first."""


@dataclass(frozen=True)
class Moderated:
    record: AttachmentRecord
    changed: bool


@traced_methods("attachments")
class AttachmentStore:
    def __init__(self, engine: AsyncEngine, files_dir: Path) -> None:
        self._engine = engine
        self._files = files_dir

    def path_of(self, sha256: str) -> Path:
        return self._files / sha256[:2] / sha256

    async def add(self, record: AttachmentRecord, data: bytes) -> None:
        """The file first, then its row: a row never names a file that is not there."""
        await asyncio.to_thread(self._write, record.sha256, data)
        async with self._engine.begin() as conn:
            await conn.execute(insert(attachments).values(**_row(record)))

    def _write(self, sha256: str, data: bytes) -> None:
        path = self.path_of(sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed into place: a reader never sees half a file, and two uploads of
        # the same bytes at once each put the same whole file there (and renew its time).
        temporary = path.with_name(f".{sha256}.{os.getpid()}.{secrets.token_hex(4)}")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    async def read(self, record: AttachmentRecord) -> bytes | None:
        try:
            return await asyncio.to_thread(self.path_of(record.sha256).read_bytes)
        except FileNotFoundError:
            return None

    async def by_ids(self, ids: Sequence[str]) -> dict[str, AttachmentRecord]:
        if not ids:
            return {}
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(attachments).where(attachments.c.id.in_(list(ids))))
        return {row.id: _record(row) for row in rows}

    async def by_references(self, references: Sequence[str]) -> dict[str, list[AttachmentRecord]]:
        """Each submission's attachments, oldest first."""
        found: dict[str, list[AttachmentRecord]] = {reference: [] for reference in references}
        if not references:
            return found
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(attachments)
                .where(attachments.c.used_by.in_(list(references)))
                .order_by(attachments.c.created_at, attachments.c.id)
            )
        for row in rows:
            found[row.used_by].append(_record(row))
        return found

    async def moderate(
        self, attachment_id: str, moderation: Moderation, by: str, reason: str | None, now: datetime
    ) -> Moderated | None:
        """Sets the decision on a photo a submission used; `changed` is false when it already stood (a retry,
        a double click) or when it is not such a photo (then nothing is written: the caller refuses)."""
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(attachments)
                .where(
                    attachments.c.id == attachment_id,
                    attachments.c.used_by.is_not(None),
                    attachments.c.purpose == AttachmentPurpose.PHOTO.value,
                    attachments.c.moderation != moderation.value,
                )
                .values(moderation=moderation.value, moderated_by=by, moderated_at=now, moderation_reason=reason)
            )
            row = (await conn.execute(select(attachments).where(attachments.c.id == attachment_id))).first()
        return Moderated(_record(row), bool(changed.rowcount)) if row is not None else None

    async def revoke_links(self, attachment_id: str, now: datetime) -> AttachmentRecord | None:
        """Every link to a used attachment signed until now stops working; an unused one is left alone.
        The time only ever moves on: of two revocations at once, the later `now` stands whichever commits
        last (else links signed between the two would work again)."""
        valid_after = attachments.c.links_valid_after
        async with self._engine.begin() as conn:
            await conn.execute(
                update(attachments)
                .where(
                    attachments.c.id == attachment_id,
                    attachments.c.used_by.is_not(None),
                    or_(valid_after.is_(None), valid_after < now),
                )
                .values(links_valid_after=now)
            )
            row = (await conn.execute(select(attachments).where(attachments.c.id == attachment_id))).first()
        return _record(row) if row is not None else None

    async def delete_unused(self, now: datetime) -> int:
        """Rows no submission used within a day, and then every file no row names any more."""
        async with self._engine.begin() as conn:
            old = (
                await conn.execute(
                    select(attachments.c.id, attachments.c.sha256).where(
                        attachments.c.used_by.is_(None), attachments.c.created_at < now - UNUSED_LIFETIME
                    )
                )
            ).all()
            if not old:
                return 0
            await conn.execute(
                delete(attachments).where(
                    attachments.c.id.in_([row.id for row in old]), attachments.c.used_by.is_(None)
                )
            )
        hashes = {row.sha256 for row in old}
        async with self._engine.connect() as conn:
            named = await conn.execute(
                select(attachments.c.sha256, func.count())
                .where(attachments.c.sha256.in_(hashes))
                .group_by(attachments.c.sha256)
            )
            still_named = {row[0] for row in named}
        await asyncio.to_thread(self._unlink_unless_fresh, hashes - still_named)
        return len(old)

    def _unlink_unless_fresh(self, hashes: set[str]) -> None:
        for sha256 in hashes:
            path = self.path_of(sha256)
            with contextlib.suppress(FileNotFoundError):
                if time.time() - path.stat().st_mtime > FRESH_FILE_SECONDS:
                    path.unlink()


async def claim(conn: AsyncConnection, ids: Sequence[str], reference: str, now: datetime) -> None:
    """Inside the transaction that keeps `reference`: its attachments become its own, or it is not kept."""
    if not ids:
        return
    taken = await conn.execute(
        update(attachments)
        .where(attachments.c.id.in_(list(ids)), attachments.c.used_by.is_(None))
        .values(used_by=reference, used_at=now)
    )
    if taken.rowcount != len(set(ids)):
        raise AttachmentTaken(reference)


def _row(record: AttachmentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "owner": record.owner,
        "customer_id": record.customer_id,
        "purpose": record.purpose.value,
        "content_type": record.content_type,
        "bytes": record.bytes,
        "width": record.width,
        "height": record.height,
        "sha256": record.sha256,
        "created_at": record.created_at,
        "used_by": record.used_by,
        "moderation": record.moderation.value,
    }


def _record(row: Any) -> AttachmentRecord:
    return AttachmentRecord(
        id=row.id,
        owner=row.owner,
        customer_id=row.customer_id,
        purpose=AttachmentPurpose(row.purpose),
        content_type=row.content_type,
        bytes=row.bytes,
        width=row.width,
        height=row.height,
        sha256=row.sha256,
        created_at=as_utc(row.created_at),
        used_by=row.used_by,
        moderation=Moderation(row.moderation),
        moderation_reason=row.moderation_reason,
        links_valid_after=as_utc(row.links_valid_after) if row.links_valid_after is not None else None,
    )
