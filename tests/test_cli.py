"""The command line as CONTRACT.md names it: schema, token, demo residents."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "customer360", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_published_schema_is_what_the_code_serves():
    """schema.graphql is the published API: regenerate it with `customer360 schema > schema.graphql`."""
    printed = run("schema")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == (ROOT / "schema.graphql").read_text(), (
        "schema.graphql is out of date: run `customer360 schema > schema.graphql` and review the diff"
    )


def test_token_for_a_resident_is_a_jwt_alone_on_stdout(demo_settings, residents):
    data_dir = str(demo_settings.data_dir)
    env = {"PATH": "/usr/bin:/bin", "C360_DATA_DIR": data_dir, "HOME": data_dir}
    email = residents[0]["email"]
    result = run("token", "--resident", email, env=env)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert "\n" not in token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["email"] == email and claims["email_verified"] is True
    assert jwt.get_unverified_header(token)["alg"] == "RS256"


def test_token_refuses_an_email_no_resident_has(demo_settings):
    data_dir = str(demo_settings.data_dir)
    env = {"PATH": "/usr/bin:/bin", "C360_DATA_DIR": data_dir, "HOME": data_dir}
    result = run("token", "--resident", "nobody-at-all@example.com", env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("customer360: no resident has that verified email address")


def test_staff_token_carries_roles_and_unknown_roles_are_refused(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "C360_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    ok = run("token", "--staff", "sam", "--role", "revenues,benefits", env=env)
    assert ok.returncode == 0, ok.stderr
    assert jwt.decode(ok.stdout.strip(), options={"verify_signature": False})["roles"] == ["revenues", "benefits"]
    refused = run("token", "--staff", "sam", "--role", "wizard", env=env)
    assert refused.returncode == 2 and "wizard" in refused.stderr


def test_token_is_refused_in_production(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "C360_DATA_DIR": str(tmp_path), "C360_ENV": "production", "HOME": str(tmp_path)}
    result = run("token", "--resident", "alice@example.com", env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "customer360: this is a demo command, and C360_ENV=production\n"


def test_demo_residents_prints_one_json_object_a_line(demo_settings):
    env = {"PATH": "/usr/bin:/bin", "C360_DATA_DIR": str(demo_settings.data_dir), "HOME": str(demo_settings.data_dir)}
    result = run("demo", "residents", "--limit", "5", env=env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5
    assert all(set(line) == {"customer_id", "email", "name"} for line in lines)
