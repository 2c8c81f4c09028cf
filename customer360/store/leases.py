"""Leases on background jobs, so that of many workers (or machines) sharing a store one runs a job."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.store.tables import job_leases
from customer360.tracing import traced_methods


def holder_name() -> str:
    """This process, recognisably: host, pid and a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:120]


@traced_methods("leases")
class JobLeases:
    def __init__(self, engine: AsyncEngine, holder: str | None = None) -> None:
        self._engine = engine
        self.holder = holder or holder_name()

    async def acquire(self, job: str, seconds: float) -> bool:
        """Hold (or keep holding) `job` for `seconds`; False while another holder's lease runs."""
        now = datetime.now(UTC)
        until = now + timedelta(seconds=seconds)
        async with self._engine.begin() as conn:
            taken = await conn.execute(
                update(job_leases)
                .where(job_leases.c.name == job, or_(job_leases.c.holder == self.holder, job_leases.c.until < now))
                .values(holder=self.holder, until=until)
            )
        if taken.rowcount:
            return True
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(job_leases).values(name=job, holder=self.holder, until=until))
        except IntegrityError:  # the row exists and its lease is someone else's
            return False
        return True

    async def release(self, job: str) -> None:
        """Let `job` go at once if this holder has it (a process stopping), so another need not wait out the lease."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(job_leases)
                .where(job_leases.c.name == job, job_leases.c.holder == self.holder)
                .values(until=datetime.now(UTC))
            )
