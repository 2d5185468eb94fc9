"""Typed async client of the order-tracking backend (backends/orders, see its /openapi.json).

Errors are translated into a few exceptions the actions can answer in words: OrderNotFound,
ChangeRefused (with the backend's human reason), InvalidRequest, BackendUnavailable. Only idempotent
GETs are retried (connection errors and 5xx, with a short backoff); a timeout is not retried, so a
slow backend costs the shopper at most about `timeout_s`. POST/PUT are never retried.

The answers are the shared order types of contracts.orders, decoded by contracts.orders_wire (the
same module the backend encodes them with).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from contracts.orders import (
    Address,
    Cancellation,
    CodeSent,
    Customer,
    Invoice,
    Order,
    OwnershipCheck,
    Refund,
    Tracking,
)
from contracts.orders_wire import (
    cancellation_from_json,
    code_sent_from_json,
    customer_from_json,
    invoice_from_json,
    order_from_json,
    ownership_check_from_json,
    refund_from_json,
    tracking_from_json,
)
from service_clients.http import JsonServiceClient

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8101"


# -- errors ------------------------------------------------------------------------------------


class OrdersError(Exception):
    """Base of every error this client raises."""


class OrderNotFound(OrdersError):
    """Unknown order (or customer / refund), or not the given customer's order."""


class ChangeRefused(OrdersError):
    """HTTP 409: the order's state does not allow the change. `reason` is the backend's English sentence
    (for logs); a shopper is told from `code` and `details` (e.g. the order's status) in their language."""

    def __init__(self, code: str, reason: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.details = dict(details or {})


class InvalidRequest(OrdersError):
    """HTTP 422 (or 400): the request data was wrong; `fields` maps a field to what is wrong with it."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class CodeRejected(OrdersError):
    """HTTP 403/429 on a one-time change code: `code_invalid` (wrong, tries left), `code_expired`
    (expired, spent or tried too often) or `too_many_codes`; `reason` is the backend's English sentence
    (for logs), `details` the values a shopper's message needs (`tries_left`)."""

    def __init__(self, code: str, reason: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.details = dict(details or {})


class BackendUnavailable(OrdersError):
    """Connection refused, timeout, 5xx or an unexpected answer: tell the shopper to try later."""


# -- the client --------------------------------------------------------------------------------


class OrdersClient(JsonServiceClient):
    service = "order backend"
    unavailable = BackendUnavailable
    env_prefix = "ORDERS"
    default_url = DEFAULT_URL

    # -- operations ----------------------------------------------------------------------------

    async def get_order(self, number: int | str, customer_id: str | None = None) -> Order:
        """With `customer_id`, raises OrderNotFound unless the order is that customer's."""
        params = {"customer_id": customer_id} if customer_id is not None else None
        return order_from_json(await self._get(f"/orders/{_number(number)}", params))

    async def verify_owner(
        self,
        number: int | str,
        email: str | None = None,
        postcode: str | None = None,
        clients: Sequence[str] = (),
    ) -> OwnershipCheck:
        """`clients` name who is asking (conversation, address): the backend counts failures per order
        and per client and locks out guessers. Never retried: a retry would count twice."""
        body: dict[str, Any] = {key: value for key, value in (("email", email), ("postcode", postcode)) if value}
        if not body:
            raise InvalidRequest("give an email or a postcode", {"email": "or postcode required"})
        if clients:
            body["clients"] = list(clients)[:4]
        return ownership_check_from_json(await self._send("POST", f"/orders/{_number(number)}/verify", body))

    async def request_change_code(self, number: int | str, purpose: str) -> CodeSent:
        """Mails a one-time code for `purpose` (cancel, shipping_address, return) to the order's email."""
        return code_sent_from_json(
            await self._send("POST", f"/orders/{_number(number)}/change-codes", {"purpose": purpose})
        )

    async def list_customer_orders(self, customer_id: str, limit: int = 5) -> list[Order]:
        """Newest first."""
        data = await self._get(f"/customers/{_segment(customer_id)}/orders", {"limit": str(limit)})
        return [order_from_json(item) for item in data["orders"]]

    async def customer(self, customer_id: str) -> Customer:
        return customer_from_json(await self._get(f"/customers/{_segment(customer_id)}"))

    async def track(self, number: int | str) -> Tracking:
        return tracking_from_json(await self._get(f"/orders/{_number(number)}/tracking"))

    async def cancel(self, number: int | str, reason: str, code: str | None = None) -> Cancellation:
        """With `code`, the backend cancels only if that one-time code is valid (CodeRejected if not)."""
        path = f"/orders/{_number(number)}/cancel"
        return cancellation_from_json(await self._send("POST", path, {"reason": reason}, _code(code)))

    async def change_shipping_address(
        self, number: int | str, address: Address | Mapping[str, Any], code: str | None = None
    ) -> Order:
        body = asdict(address) if isinstance(address, Address) else dict(address)
        return order_from_json(
            await self._send("PUT", f"/orders/{_number(number)}/shipping-address", body, _code(code))
        )

    async def start_return(self, number: int | str, reason: str, code: str | None = None) -> Refund:
        path = f"/orders/{_number(number)}/returns"
        return refund_from_json(await self._send("POST", path, {"reason": reason}, _code(code)))

    async def refunds(self, number: int | str) -> list[Refund]:
        data = await self._get(f"/orders/{_number(number)}/refunds")
        return [refund_from_json(item) for item in data["refunds"]]

    async def invoice(self, number: int | str) -> Invoice:
        """Raises ChangeRefused(code='not_paid') for unpaid orders."""
        return invoice_from_json(await self._get(f"/orders/{_number(number)}/invoice"))

    def _raise_for(self, status: int, data: Mapping[str, Any], method: str, path: str) -> None:
        error = data.get("error") or {}
        code, message = error.get("code", "unknown"), error.get("message", f"HTTP {status}")
        details = error.get("details") if isinstance(error.get("details"), Mapping) else None
        if status == 404:
            raise OrderNotFound(message)
        if status == 409:
            raise ChangeRefused(code, message, details)
        if status in (403, 429):
            raise CodeRejected(code, message, details)
        if status in (400, 413, 422):
            raise InvalidRequest(message, error.get("fields"))
        super()._raise_for(status, data, method, path)


def _number(number: int | str) -> str:
    text = str(number).strip().lstrip("#")
    if not (text.isdigit() and len(text) == 6):
        raise InvalidRequest("Order numbers have 6 digits, like 104532.", {"order_number": "must be 6 digits"})
    return text


def _code(code: str | None) -> dict[str, str] | None:
    return {"X-Change-Code": code} if code is not None else None


def _segment(value: str) -> str:
    return quote(str(value), safe="")


__all__ = [
    "BackendUnavailable",
    "ChangeRefused",
    "CodeRejected",
    "InvalidRequest",
    "OrderNotFound",
    "OrdersClient",
    "OrdersError",
]
