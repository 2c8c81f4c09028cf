"""`C360_SUBGRAPH_SECRET`: the subgraph answers only the gateway that sends it as `X-Subgraph-Secret`.
Without it 401, with a wrong one 403 (never a 500, whatever the bytes), both before the token or the
document is looked at; with it, the resident's own token is still checked. /graphql needs no secret."""

from __future__ import annotations

import logging

import pytest

from customer360.settings import Settings
from tests.support import running_app, settings_with

SECRET = "a-long-random-secret-shared-with-the-council-gateway"
ME = "{ me { id name } }"


async def post(client, path: str, headers: dict[str, str]):
    return await client.post(path, json={"query": ME}, headers={"X-Access-Purpose": "test", **headers})


@pytest.mark.parametrize(
    ("sent", "status", "code"),
    [
        (None, 401, "UNAUTHENTICATED"),
        ("", 403, "FORBIDDEN"),
        ("wrong", 403, "FORBIDDEN"),
        (SECRET[:-1], 403, "FORBIDDEN"),
        (SECRET + "x", 403, "FORBIDDEN"),
        (SECRET.upper(), 403, "FORBIDDEN"),
        ("s\u00e9cret", 403, "FORBIDDEN"),  # not ASCII: compared as bytes, not a TypeError
    ],
)
async def test_without_the_secret_the_subgraph_refuses(demo_settings, issuer, residents, caplog, sent, status, code):
    caplog.set_level(logging.INFO)
    token = issuer.resident_token(residents[0]["email"])
    headers: dict[str, str | bytes] = {"Authorization": f"Bearer {token}"}
    if sent is not None:
        headers["X-Subgraph-Secret"] = sent.encode("latin-1")  # as a client could send it, byte for byte
    async with running_app(settings_with(demo_settings, subgraph_secret=SECRET)) as (_app, client):
        refused = await client.post("/subgraph", json={"query": ME}, headers=headers)
        assert refused.status_code == status, refused.text
        assert refused.json()["errors"][0]["extensions"]["code"] == code
        assert "data" not in refused.json()
        # The client endpoint is not the gateway's: it needs no secret.
        assert (await post(client, "/graphql", {"Authorization": f"Bearer {token}"})).json()["data"]["me"]
    assert SECRET not in caplog.text and (sent is None or sent == "" or sent not in caplog.text)


async def test_with_the_secret_the_residents_token_still_decides(demo_settings, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(settings_with(demo_settings, subgraph_secret=SECRET)) as (_app, client):
        mine = await post(client, "/subgraph", {"Authorization": f"Bearer {token}", "X-Subgraph-Secret": SECRET})
        assert mine.status_code == 200 and mine.json()["data"]["me"]["id"] == residents[0]["customer_id"]
        bad_token = await post(client, "/subgraph", {"Authorization": "Bearer forged", "X-Subgraph-Secret": SECRET})
        assert bad_token.status_code == 401
        nobody = await post(client, "/subgraph", {"X-Subgraph-Secret": SECRET})
        assert nobody.status_code == 200 and nobody.json()["data"]["me"] is None


async def test_unset_the_subgraph_answers_without_one(api, issuer, residents):
    _, client = api
    token = issuer.resident_token(residents[0]["email"])
    answer = await post(client, "/subgraph", {"Authorization": f"Bearer {token}"})
    assert answer.json()["data"]["me"]["id"] == residents[0]["customer_id"]


def test_the_secret_comes_from_the_environment_and_is_never_printed():
    settings = Settings.from_env({"C360_SUBGRAPH_SECRET": SECRET})
    assert settings.subgraph_secret == SECRET and SECRET not in repr(settings)
    assert Settings.from_env({"C360_SUBGRAPH_SECRET": ""}).subgraph_secret is None


async def test_a_secret_beyond_ascii_is_compared_byte_for_byte(demo_settings, issuer, residents):
    secret = "clé-partagée-avec-la-passerelle-du-conseil"
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(settings_with(demo_settings, subgraph_secret=secret)) as (_app, client):
        for sent, status in ((secret.encode(), 200), (secret.encode("latin-1"), 403)):
            answer = await client.post(
                "/subgraph", json={"query": ME}, headers={"Authorization": f"Bearer {token}", "X-Subgraph-Secret": sent}
            )
            assert answer.status_code == status
