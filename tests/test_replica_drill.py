"""The replica drill of bench/drills.py, short: two replicas behind HAProxy, one killed with kill -9, a rolling restart.

Real processes on loopback (bench/replicas.py): a fresh PostgreSQL database and Redis shared by both
replicas, one set of demo back offices, Debian's haproxy with deploy/haproxy.cfg. Under mixed read and
write load: no write a client was told was made may be lost, none made twice, and the only failed
requests are those in flight on the replica when it was killed (and retries of those writes while the
dead replica's claim on their Idempotency-Key lasts).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from bench.replicas import run_replica_drill
from customer360.auth.keys import load_or_create_signing_key
from customer360.auth.tokens import DemoIssuer
from tests.services import REDIS_URL, fresh_postgres_database, redis_or_skip, unavailable


async def test_kill_9_of_one_replica_and_a_rolling_restart_lose_and_repeat_no_write(tmp_path):
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if haproxy is None:
        unavailable("haproxy is not installed (Debian: apt-get install haproxy); CI installs it")
    await (await redis_or_skip()).aclose()
    data_dir = tmp_path / "council"
    async with fresh_postgres_database() as database_url:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "C360_DATA_DIR": str(data_dir),
            "C360_DATABASE_URL": database_url,
            "C360_REDIS_URL": REDIS_URL,
            "C360_RATE_LIMIT_PER_IP": "0",
            "C360_RATE_LIMIT_PER_PRINCIPAL": "0",
            "C360_OUTBOX_INTERVAL_SECONDS": "1",
            "C360_DRAIN_SECONDS": "3",  # longer than HAProxy's `inter 1s` x `fall 2`
            "C360_LOG_LEVEL": "WARNING",
            "C360_LOG_FORMAT": "text",
        }
        customer360 = [sys.executable, "-m", "customer360"]
        seeded = subprocess.run([*customer360, "demo", "seed", "--residents", "60"], env=env, capture_output=True)
        assert seeded.returncode == 0, seeded.stderr.decode()[-3000:]
        listed = subprocess.run(
            [*customer360, "demo", "residents", "--limit", "4"], env=env, capture_output=True, check=True
        )
        issuer = DemoIssuer(load_or_create_signing_key(data_dir))
        tokens = [issuer.resident_token(json.loads(line)["email"]) for line in listed.stdout.decode().splitlines()]
        figures = await run_replica_drill(
            env, data_dir, tmp_path, tokens, haproxy, steady_seconds=2.0, until_key_claims_end=False
        )

    print(f"\nreplica drill: {figures.summary()}; {'; '.join(figures.notes)}")
    assert figures.writes > 10 and figures.reads > 20, figures.summary()
    assert (figures.lost, figures.duplicated) == (0, 0), figures.summary()
    assert not figures.other_failures, f"failures the kill does not explain: {figures.summary()}"
