"""deploy/compose.yaml believes X-Forwarded-For from HAProxy alone: the replicas' FORWARDED_ALLOW_IPS is
HAProxy's fixed address on the compose network, an address no other container can be given first. (No
Docker in CI: the file is checked as written; tests/test_forwarded_for.py checks uvicorn honours it.)"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[1] / "deploy" / "compose.yaml"


def test_replicas_trust_only_haproxys_fixed_address():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    # The replicas, and the demo's services that share their settings (`x-gateway`), carry it.
    replicas = [name for name, service in services.items() if "FORWARDED_ALLOW_IPS" in service.get("environment", {})]
    assert {"replica1", "replica2"} <= set(replicas)
    trusted = {services[name]["environment"]["FORWARDED_ALLOW_IPS"] for name in replicas}
    haproxy = services["haproxy"]["networks"]["default"]["ipv4_address"]
    assert trusted == {haproxy}
    # Nobody else claims a fixed address, and the dynamic ones come from a range without HAProxy's.
    fixed = [name for name, service in services.items() if isinstance(service.get("networks"), dict)]
    assert fixed == ["haproxy"]
    (pool,) = compose["networks"]["default"]["ipam"]["config"]
    address = ipaddress.ip_address(haproxy)
    assert address in ipaddress.ip_network(pool["subnet"])
    assert address not in ipaddress.ip_network(pool["ip_range"])
    assert ipaddress.ip_network(pool["ip_range"]).subnet_of(ipaddress.ip_network(pool["subnet"]))
    # The replicas publish no port: the only way in from outside is HAProxy's.
    assert [name for name, service in services.items() if service.get("ports")] == ["haproxy"]
