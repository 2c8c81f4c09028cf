"""`C360_ENV=production` is safe by default: it refuses to start without an identity provider, without
the council's back offices (`C360_SOURCES`), or with the demo's keys or placeholder secrets; the demo
commands refuse a production data dir; /metrics is not public; the development JWKS is never served."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from customer360.settings import Settings
from tests.support import running_app

LONG = "x" * 40


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": env.get("C360_DATA_DIR", "/tmp")}
    return subprocess.run(
        [sys.executable, "-m", "customer360", *args],
        capture_output=True,
        text=True,
        env={**base, **env},
        timeout=120,
    )


def production_env(data_dir: Path, **changes: str) -> dict[str, str]:
    sources = data_dir.parent / "sources.toml"
    sources.write_text("# the council's back offices\n")
    env = {
        "C360_ENV": "production",
        "C360_DATA_DIR": str(data_dir),
        "C360_OIDC_ISSUER": "https://oidc.example.gov.uk",
        "C360_OIDC_AUDIENCE": "portal",
        "C360_SOURCES": str(sources),
        "C360_PUBLIC_URL": "https://my.council.example.gov.uk",
    }
    env.update(changes)
    return {name: value for name, value in env.items() if value}


@pytest.mark.parametrize(
    ("changes", "leftover", "says"),
    [
        ({"C360_OIDC_ISSUER": ""}, None, "needs an identity provider: set C360_OIDC_ISSUER"),
        ({"C360_SOURCES": ""}, None, "needs C360_SOURCES"),
        ({}, "keys/demo-issuer.pem", "holds the demo's keys/demo-issuer.pem"),
        ({}, "demo", "holds the demo's demo"),
        ({"C360_SESSION_SECRET": "changeme"}, None, "C360_SESSION_SECRET is shorter than 32 characters"),
        ({"C360_PAYMENTS_WEBHOOK_SECRET": "secret"}, None, "C360_PAYMENTS_WEBHOOK_SECRET is shorter"),
        ({"C360_METRICS_TOKEN": "metrics"}, None, "C360_METRICS_TOKEN is shorter"),
        ({"C360_SUBGRAPH_SECRET": "gateway"}, None, "C360_SUBGRAPH_SECRET is shorter"),
        ({"C360_PUBLIC_URL": ""}, None, "C360_PUBLIC_URL (http://127.0.0.1:8000) must be"),  # unset: the default
        ({"C360_PUBLIC_URL": "http://my.council.example.gov.uk"}, None, "must be the gateway's public https://"),
        ({"C360_PUBLIC_URL": "https://localhost:8443"}, None, "not plain http or a loopback host"),
        ({"C360_PUBLIC_URL": "https://127.0.0.2"}, None, "not plain http or a loopback host"),
        ({"C360_PUBLIC_URL": "https://[::1]:8443"}, None, "not plain http or a loopback host"),
        ({"C360_OIDC_ISSUER": "http://oidc.example.gov.uk"}, None, "C360_OIDC_ISSUER (http://oidc.example"),
        ({"C360_STAFF_OIDC_ISSUER": "http://staff.example.gov.uk"}, None, "C360_STAFF_OIDC_ISSUER (http://"),
    ],
)
def test_production_refuses_to_start_with_one_line_and_exit_2(tmp_path, changes, leftover, says):
    data_dir = tmp_path / "data"
    if leftover:
        (data_dir / leftover).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / leftover).mkdir() if leftover == "demo" else (data_dir / leftover).write_text("key")
    for command in (("serve", "--port", "1"), ("outbox", "run"), ("arrivals",)):
        result = run(*command, env=production_env(data_dir, **changes))
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("customer360: "), result.stderr
        assert says in result.stderr
        assert not (data_dir / "demo").exists() or leftover == "demo", "nothing was seeded"


def test_the_uvicorn_factory_refuses_too(tmp_path):
    env = production_env(tmp_path / "data", C360_SOURCES="")
    code = "from customer360.app import create_app_from_env; create_app_from_env()"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and "needs C360_SOURCES" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("demo", "seed", "--residents", "10"),
        ("demo", "residents"),
        ("demo", "backoffices", "--port", "0"),
        ("token", "--resident", "someone@example.com"),
    ],
)
def test_demo_commands_refuse_a_production_data_dir(tmp_path, command):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "PRODUCTION").write_text("marked by serve\n")
    result = run(*command, env={"C360_DATA_DIR": str(data_dir)})  # C360_ENV unset: demo, yet refused
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"customer360: this is a demo command, and {data_dir} is a production data dir\n"
    assert not (data_dir / "demo").exists()
    in_production = run(*command, env={"C360_DATA_DIR": str(tmp_path / "other"), "C360_ENV": "production"})
    assert in_production.returncode == 2
    assert in_production.stderr == "customer360: this is a demo command, and C360_ENV=production\n"


async def test_metrics_need_the_bearer_token_in_production_and_the_demo_jwks_is_not_served(
    demo_settings: Settings,
):
    production = replace(demo_settings, env="production")
    async with running_app(production) as (_app, client):
        assert (await client.get("/metrics")).status_code == 404, "no token configured: not served at all"
        assert (await client.get("/.well-known/jwks.json")).status_code == 404
    async with running_app(replace(production, metrics_token=LONG)) as (_app, client):
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + "y" * 40})
        assert wrong.status_code == 401
        scraped = await client.get("/metrics", headers={"Authorization": f"Bearer {LONG}"})
        assert scraped.status_code == 200 and "customer360_source_calls_total" in scraped.text
        assert (await client.get("/.well-known/jwks.json")).status_code == 404
    async with running_app(demo_settings) as (_app, client):  # the demo: both public, as before
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/.well-known/jwks.json")).status_code == 200


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"C360_OIDC_CLIENT_ID": "portal"}, "C360_OIDC_CLIENT_ID is set, so C360_OIDC_ISSUER must be too"),
        (
            {"C360_STAFF_OIDC_CLIENT_ID": "staff", "C360_STAFF_OIDC_ISSUER": "https://staff.example"},
            "C360_STAFF_OIDC_CLIENT_ID needs C360_STAFF_OIDC_CLIENT_SECRET or C360_STAFF_OIDC_PRIVATE_KEY",
        ),
        (
            {"C360_OIDC_CLIENT_ID": "portal", "C360_OIDC_ISSUER": "https://x", "C360_OIDC_PRIVATE_KEY": "/no/such.pem"},
            "C360_OIDC_PRIVATE_KEY names no file",
        ),
    ],
)
def test_an_incomplete_sign_in_client_is_refused_at_start_in_any_mode(tmp_path, env, says):
    result = run("serve", "--port", "1", env={"C360_DATA_DIR": str(tmp_path), **env})
    assert result.returncode == 2 and says in result.stderr and result.stderr.count("\n") == 1
