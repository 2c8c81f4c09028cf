"""Payments: a GOV.UK Pay-shaped provider, read with httpx.

Uses two demo extensions of the API (see `customer360.demo.payments_app`): the search's `email`
filter takes many addresses, so one call answers for a whole batch of payers, and `/v1/payers` is
the people feed. A payer's record id is their normalised email: the provider knows no other key.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from customer360.domain.payments import PAY_STATE_TO_STATUS, NewPayment, PaymentPurpose, PaymentRecord
from customer360.domain.people import PersonRecord, normalise_email
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceRejected, SourceUnavailable
from customer360.sources.instrumented import GuardedAdapter, guarded

# GOV.UK Pay's largest search page: a batch of payers rarely needs a second one.
SEARCH_PAGE_SIZE = 500


class GovPayHttp(GuardedAdapter):
    """Implements `PaymentsSource` over HTTP; the client is injected so tests can hand it any transport."""

    system = SourceSystem.PAYMENTS

    def __init__(self, client: httpx.AsyncClient, base_url: str, api_key: str) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}

    @guarded
    async def ping(self) -> None:
        await self._get("v1/payments", {"display_size": "1"})

    @guarded
    async def person_records(self) -> Sequence[PersonRecord]:
        records = []
        for payer in (await self._get("v1/payers"))["results"]:
            email = normalise_email(payer["email"])
            if email is None:
                continue  # no usable key: the provider cannot say which payments are this person's
            forenames, surname = _split_name(payer.get("cardholder_name"))
            records.append(
                PersonRecord(system=self.system, record_id=email, forenames=forenames, surname=surname, email=email)
            )
        return records

    @guarded
    async def payments_by_payer(self, payer_ids: Sequence[str]) -> Mapping[str, list[PaymentRecord]]:
        by_payer: dict[str, list[PaymentRecord]] = defaultdict(list)
        if not payer_ids:
            return by_payer
        for item in await self._search({"email": ",".join(payer_ids)}):
            record = _payment_record(item)
            by_payer[record.payer_id].append(record)
        return by_payer

    @guarded
    async def payments_by_id(self, payment_ids: Sequence[str]) -> Mapping[str, PaymentRecord]:
        # GOV.UK Pay has no batch get: one call per id, all at once.
        found = await asyncio.gather(
            *(self._get(f"v1/payments/{quote(payment_id, safe='')}", absent_ok=True) for payment_id in payment_ids)
        )
        return {item["payment_id"]: _payment_record(item) for item in found if item is not None}

    @guarded
    async def create_payment(self, payment: NewPayment) -> PaymentRecord:
        """Create a payment (GOV.UK Pay `POST /v1/payments`); the Idempotency-Key header makes a repeat
        of the same request answer the same payment instead of a second one."""
        metadata = {"purpose": payment.purpose.value, "c360_reference": payment.c360_reference}
        if payment.account_reference:
            metadata["account_reference"] = payment.account_reference
        if payment.service_code:
            metadata["service_code"] = payment.service_code
        body: dict[str, Any] = {
            "amount": payment.amount_pence,
            "reference": payment.reference,
            "description": payment.description,
            "return_url": payment.return_url,
            "metadata": metadata,
        }
        if payment.email:
            body["email"] = payment.email
        headers = {**self._headers, "Idempotency-Key": payment.idempotency_key}
        try:
            response = await self._client.post(f"{self._base_url}/v1/payments", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(self.system, f"POST v1/payments: {exc!r}") from exc
        if response.is_client_error and response.status_code not in (408, 429):
            raise SourceRejected(self.system, f"POST v1/payments answered {response.status_code}")
        try:
            response.raise_for_status()
            return _payment_record(response.json())
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise SourceUnavailable(self.system, f"POST v1/payments: {exc!r}") from exc

    async def _search(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = await self._get(
                "v1/payments", {**params, "display_size": str(SEARCH_PAGE_SIZE), "page": str(page)}
            )
            results.extend(answer["results"])
            if page * SEARCH_PAGE_SIZE >= answer["total"]:
                return results
            page += 1

    async def _get(self, path: str, params: Mapping[str, str] | None = None, *, absent_ok: bool = False) -> Any:
        """The decoded JSON answer (`None` for a 404 when `absent_ok`); any other failure means unavailable."""
        try:
            response = await self._client.get(f"{self._base_url}/{path}", params=params, headers=self._headers)
            if absent_ok and response.status_code == httpx.codes.NOT_FOUND:
                return None
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SourceUnavailable(self.system, f"GET {path}: {exc!r}") from exc


def _payment_record(item: Mapping[str, Any]) -> PaymentRecord:
    metadata = item.get("metadata") or {}
    next_url = item.get("_links", {}).get("next_url")
    return PaymentRecord(
        payment_id=item["payment_id"],
        reference=item["reference"],
        amount_pence=item["amount"],
        status=PAY_STATE_TO_STATUS[item["state"]["status"]],
        purpose=_purpose(metadata.get("purpose")),
        created_at=datetime.fromisoformat(item["created_date"]),
        payer_id=normalise_email(item.get("email")) or "",  # a payment taken without an email has no payer
        account_reference=metadata.get("account_reference"),
        description=item.get("description"),
        next_url=next_url["href"] if next_url else None,
        external_reference=metadata.get("c360_reference"),
    )


def _purpose(value: Any) -> PaymentPurpose:
    # Payments made outside the portal carry no purpose metadata; Council Tax is what residents pay then.
    # One odd payment must not cost a resident their whole payment list, so unknown values fall back too.
    try:
        return PaymentPurpose(value)
    except ValueError:
        return PaymentPurpose.COUNCIL_TAX


def _split_name(cardholder_name: str | None) -> tuple[str, str]:
    """`Mary Anne Smith` -> (`Mary Anne`, `Smith`): a card carries one name, the surname comes last."""
    forenames, _, surname = (cardholder_name or "").strip().rpartition(" ")
    return forenames, surname
