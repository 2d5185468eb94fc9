"""Every operation and every refusal over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient

from backends.orders.service import utcnow
from contracts.orders import OrderStatus
from tests.backends.shop import ADDRESS, AUTH, Shop

pytestmark = pytest.mark.asyncio


async def call(client: TestClient, method: str, path: str, status: int, **kwargs: object) -> dict:
    response = await client.request(method, path, headers={**AUTH, **kwargs.pop("headers", {})}, **kwargs)
    body = await response.json()
    assert response.status == status, body
    return body


def error_code(body: dict) -> str:
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]["code"]


async def test_health_reports_the_real_database(client: TestClient, db_url: str) -> None:
    response = await client.get("/health")
    assert response.status == 200
    expected = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    assert await response.json() == {"status": "ok", "database": expected}


async def test_get_order(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.PROCESSING)
    order = await call(client, "GET", f"/orders/{number}", 200)
    assert order["order_number"] == str(number) and order["status"] == "processing"
    assert order["subtotal"] == "77.00" and order["tax"] == "6.16" and order["total"] == "88.15"
    assert [line["line_total"] for line in order["lines"]] == ["48.00", "29.00"]
    assert order["cancellable"] is True and order["cancellation_fee"] == "0.00"
    assert order["invoice_available"] is True and order["eta"] is not None


async def test_get_order_scoped_to_customer(client: TestClient, shop: Shop) -> None:
    await shop.customer("C2")
    number = await shop.order(customer_id="C2")
    assert (await call(client, "GET", f"/orders/{number}?customer_id=C2", 200))["customer_id"] == "C2"
    other = await call(client, "GET", f"/orders/{number}?customer_id=C1", 404)
    unknown = await call(client, "GET", "/orders/999999", 404)
    assert other == unknown | {"error": {**unknown["error"], "message": f"Order {number} was not found."}}
    assert error_code(other) == "order_not_found"


@pytest.mark.parametrize("bad", ["12345", "1234567", "012345", "abcdef"])
async def test_malformed_order_numbers_are_422(client: TestClient, shop: Shop, bad: str) -> None:
    assert error_code(await call(client, "GET", f"/orders/{bad}", 422)) == "invalid_request"


async def test_customer_and_their_orders_newest_first(client: TestClient, shop: Shop) -> None:
    now = utcnow()
    old = await shop.order(placed_at=now - timedelta(days=3))
    new = await shop.order(placed_at=now - timedelta(hours=2))
    middle = await shop.order(placed_at=now - timedelta(days=1))
    assert (await call(client, "GET", "/customers/C1", 200))["email"] == "c1@example.com"
    listed = await call(client, "GET", "/customers/C1/orders", 200)
    assert [o["order_number"] for o in listed["orders"]] == [str(new), str(middle), str(old)]
    limited = await call(client, "GET", "/customers/C1/orders?limit=2", 200)
    assert [o["order_number"] for o in limited["orders"]] == [str(new), str(middle)]
    await call(client, "GET", "/customers/C404/orders", 404)
    await call(client, "GET", "/customers/C404", 404)
    for bad in ("0", "51", "two", "-1"):
        await call(client, "GET", f"/customers/C1/orders?limit={bad}", 422)


async def test_verify_owner(client: TestClient, shop: Shop) -> None:
    number = await shop.order()
    path = f"/orders/{number}/verify"
    assert (await call(client, "POST", path, 200, json={"email": "  C1@Example.COM "}))["verified"] is True
    assert (await call(client, "POST", path, 200, json={"postcode": " 627 04"}))["verified"] is True
    wrong = await call(client, "POST", path, 200, json={"email": "someone@example.com"})
    assert wrong == {"order_number": str(number), "verified": False, "locked": False, "retry_after_s": None}
    both = await call(client, "POST", path, 200, json={"email": "c1@example.com", "postcode": "99999"})
    assert both == wrong  # never says which field was wrong
    await call(client, "POST", path, 422, json={})
    await call(client, "POST", path, 422, json={"email": ""})
    await call(client, "POST", path, 422, json={"clients": ["rest:x"]})
    # An unknown order gets the answer a wrong proof gets (no 404), so numbers cannot be enumerated.
    unknown = await call(client, "POST", "/orders/999999/verify", 200, json={"email": "c1@example.com"})
    assert unknown == {**wrong, "order_number": "999999"}


async def test_tracking(client: TestClient, shop: Shop) -> None:
    shipped = await shop.order(OrderStatus.OUT_FOR_DELIVERY)
    tracking = await call(client, "GET", f"/orders/{shipped}/tracking", 200)
    assert tracking["status"] == "out_for_delivery" and tracking["eta"]
    [shipment] = tracking["shipments"]
    assert shipment["carrier"] == "UPS" and shipment["tracking_number"].startswith("1Z")
    assert shipment["tracking_url"].endswith(shipment["tracking_number"])
    assert [e["description"] for e in shipment["events"]] == ["Handed to UPS", "Out for delivery"]
    assert shipment["events"][1]["location"] == ADDRESS["city"]
    waiting = await call(client, "GET", f"/orders/{await shop.order(OrderStatus.PACKED)}/tracking", 200)
    assert waiting["shipments"] == [] and waiting["eta"] is not None
    delivered = await call(client, "GET", f"/orders/{await shop.order(OrderStatus.DELIVERED)}/tracking", 200)
    assert delivered["eta"] is None and delivered["shipments"][0]["delivered_at"] is not None


async def test_cancel_processing_order_refunds_in_full(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.PROCESSING)
    result = await call(client, "POST", f"/orders/{number}/cancel", 200, json={"reason": "changed my mind"})
    assert result["order"]["status"] == "cancelled" and result["order"]["cancelled_at"]
    assert result["cancellation_fee"] == "0.00"
    assert result["refund"]["kind"] == "cancellation" and result["refund"]["status"] == "approved"
    assert result["refund"]["amount"] == result["order"]["total"]
    again = await call(client, "POST", f"/orders/{number}/cancel", 409, json={"reason": "again"})
    assert error_code(again) == "not_cancellable" and "already cancelled" in again["error"]["message"]


async def test_cancel_fee_after_24_hours_and_no_refund_when_unpaid(client: TestClient, shop: Shop) -> None:
    late = await shop.order(OrderStatus.PROCESSING, placed_at=utcnow() - timedelta(days=2))
    result = await call(client, "POST", f"/orders/{late}/cancel", 200, json={"reason": "too slow"})
    assert result["cancellation_fee"] == "4.95"
    assert Decimal(result["refund"]["amount"]) == Decimal(result["order"]["total"]) - Decimal("4.95")
    unpaid = await shop.order(OrderStatus.PENDING_PAYMENT)
    result = await call(client, "POST", f"/orders/{unpaid}/cancel", 200, json={"reason": "oops"})
    assert result["refund"] is None and result["cancellation_fee"] == "0.00"


@pytest.mark.parametrize(
    ("status", "code", "phrase"),
    [
        (OrderStatus.SHIPPED, "already_shipped", "already shipped"),
        (OrderStatus.OUT_FOR_DELIVERY, "already_shipped", "out for delivery"),
        (OrderStatus.DELIVERED, "already_shipped", "already been delivered"),
        (OrderStatus.PACKED, "not_cancellable", "already packed"),
        (OrderStatus.PAYMENT_FAILED, "not_cancellable", "payment for this order failed"),
    ],
)
async def test_cancel_refused(client: TestClient, shop: Shop, status: OrderStatus, code: str, phrase: str) -> None:
    number = await shop.order(status)
    body = await call(client, "POST", f"/orders/{number}/cancel", 409, json={"reason": "please"})
    assert error_code(body) == code and phrase in body["error"]["message"]
    assert (await call(client, "GET", f"/orders/{number}", 200))["status"] == status.value


async def test_cancel_needs_a_reason(client: TestClient, shop: Shop) -> None:
    number = await shop.order()
    await call(client, "POST", f"/orders/{number}/cancel", 422, json={})
    await call(client, "POST", f"/orders/{number}/cancel", 422, json={"reason": ""})
    await call(client, "POST", f"/orders/{number}/cancel", 422, json={"reason": "x", "extra": 1})


async def test_change_shipping_address(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.PACKED)
    new = {"name": "Jane Doe", "line1": " 5  Oak Avenue ", "line2": "Apt 3", "city": "Austin", "postcode": "78701"}
    order = await call(client, "PUT", f"/orders/{number}/shipping-address", 200, json={**new, "country": "us"})
    assert order["shipping_address"] == {**new, "line1": "5 Oak Avenue", "country": "US"}
    trail = (await call(client, "GET", f"/orders/{number}/audit", 200))["entries"]
    change = {e["field"]: (e["old"], e["new"]) for e in trail if e["action"] == "change_shipping_address"}
    assert change["shipping_address.city"] == ("Springfield", "Austin")
    assert "shipping_address.name" not in change  # unchanged fields are not recorded


async def test_change_shipping_address_refused_and_validated(client: TestClient, shop: Shop) -> None:
    shipped = await shop.order(OrderStatus.SHIPPED)
    body = await call(client, "PUT", f"/orders/{shipped}/shipping-address", 409, json=ADDRESS)
    assert error_code(body) == "already_shipped"
    number = await shop.order(OrderStatus.PROCESSING)
    path = f"/orders/{number}/shipping-address"
    bad_zip = await call(client, "PUT", path, 422, json={**ADDRESS, "postcode": "ABCDE"})
    assert "postcode" in bad_zip["error"]["fields"]
    missing = await call(client, "PUT", path, 422, json={k: v for k, v in ADDRESS.items() if k != "city"})
    assert "city" in missing["error"]["message"]
    await call(client, "PUT", path, 422, json={**ADDRESS, "country": "XX"})
    await call(client, "PUT", path, 422, json={**ADDRESS, "name": "   "})
    await call(client, "PUT", path, 422, json={**ADDRESS, "postcode": 62704})
    assert (await call(client, "GET", f"/orders/{number}", 200))["shipping_address"]["city"] == "Springfield"


async def test_return_and_refund_lifecycle(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.DELIVERED, delivered_at=utcnow() - timedelta(days=5))
    order = await call(client, "GET", f"/orders/{number}", 200)
    assert order["returnable"] is True and order["return_deadline"]
    refund = await call(client, "POST", f"/orders/{number}/returns", 201, json={"reason": "too small"})
    assert refund["status"] == "requested" and refund["kind"] == "return"
    assert Decimal(refund["amount"]) == Decimal(order["total"]) - Decimal(order["shipping_cost"])
    again = await call(client, "POST", f"/orders/{number}/returns", 409, json={"reason": "again"})
    assert error_code(again) == "return_exists"
    decide = f"/refunds/{refund['id']}/decision"
    skipped = await call(client, "POST", decide, 409, json={"status": "refunded"})
    assert error_code(skipped) == "invalid_transition"
    assert (await call(client, "POST", decide, 200, json={"status": "approved"}))["decided_at"]
    assert (await call(client, "GET", f"/orders/{number}", 200))["status"] == "delivered"
    done = await call(client, "POST", decide, 200, json={"status": "refunded"})
    assert done["refunded_at"] and done["status"] == "refunded"
    assert (await call(client, "GET", f"/orders/{number}", 200))["status"] == "returned"
    listed = await call(client, "GET", f"/orders/{number}/refunds", 200)
    assert [r["id"] for r in listed["refunds"]] == [refund["id"]]
    returned = await call(client, "POST", f"/orders/{number}/returns", 409, json={"reason": "once more"})
    assert error_code(returned) == "already_returned"
    await call(client, "POST", "/refunds/987654/decision", 404, json={"status": "approved"})
    await call(client, "POST", decide, 422, json={"status": "requested"})


async def test_return_refused_outside_window_and_before_delivery(client: TestClient, shop: Shop) -> None:
    old = await shop.order(OrderStatus.DELIVERED, delivered_at=utcnow() - timedelta(days=31))
    assert (await call(client, "GET", f"/orders/{old}", 200))["returnable"] is False
    body = await call(client, "POST", f"/orders/{old}/returns", 409, json={"reason": "late"})
    assert error_code(body) == "return_window_closed" and "30-day" in body["error"]["message"]
    shipped = await shop.order(OrderStatus.SHIPPED)
    body = await call(client, "POST", f"/orders/{shipped}/returns", 409, json={"reason": "early"})
    assert error_code(body) == "not_delivered"
    assert (await call(client, "GET", f"/orders/{old}/refunds", 200))["refunds"] == []


async def test_rejected_return_can_be_requested_again(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.DELIVERED, delivered_at=utcnow() - timedelta(days=2))
    first = await call(client, "POST", f"/orders/{number}/returns", 201, json={"reason": "scratched"})
    await call(client, "POST", f"/refunds/{first['id']}/decision", 200, json={"status": "rejected"})
    await call(client, "POST", f"/orders/{number}/returns", 201, json={"reason": "scratched, with photos"})
    assert len((await call(client, "GET", f"/orders/{number}/refunds", 200))["refunds"]) == 2


async def test_invoice_only_for_paid_orders(client: TestClient, shop: Shop) -> None:
    paid = await shop.order(OrderStatus.SHIPPED)
    invoice = await call(client, "GET", f"/orders/{paid}/invoice", 200)
    assert invoice["number"].endswith(str(paid)) and invoice["download_path"] == f"/invoices/{invoice['number']}.pdf"
    assert invoice["total"] == "88.15" and [line["amount"] for line in invoice["lines"]] == ["48.00", "29.00"]
    assert invoice["lines"][0]["description"] == "Organic Cotton T-Shirt / black / M"
    for status in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED):
        unpaid = await shop.order(status)
        assert error_code(await call(client, "GET", f"/orders/{unpaid}/invoice", 409)) == "not_paid"
    await call(client, "GET", "/orders/999999/invoice", 404)


async def test_fulfilment_status_changes(client: TestClient, shop: Shop) -> None:
    number = await shop.order(OrderStatus.PENDING_PAYMENT)
    path = f"/orders/{number}/status"
    skip = await call(client, "POST", path, 409, json={"status": "shipped"})
    assert error_code(skip) == "invalid_transition" and "pending_payment to shipped" in skip["error"]["message"]
    same = await call(client, "POST", path, 409, json={"status": "pending_payment"})
    assert error_code(same) == "no_change"
    await call(client, "POST", path, 422, json={"status": "cancelled"})
    await call(client, "POST", path, 422, json={"status": "teleported"})
    assert (await call(client, "POST", path, 200, json={"status": "processing"}))["paid_at"]
    await call(client, "POST", path, 200, json={"status": "packed"})
    body = {"status": "shipped", "carrier": "USPS", "tracking_number": "9400111", "eta": "2031-01-02"}
    await call(client, "POST", path, 200, json=body)
    [shipment] = (await call(client, "GET", f"/orders/{number}/tracking", 200))["shipments"]
    assert (shipment["carrier"], shipment["tracking_number"], shipment["eta"]) == ("USPS", "9400111", "2031-01-02")
    await call(client, "POST", path, 422, json={"status": "delivered", "eta": "not-a-date"})


async def test_audit_records_who_what_and_when(
    client: TestClient, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    number = await shop.order(OrderStatus.PROCESSING)
    with caplog.at_level(logging.INFO, logger="backends.orders.service"):
        headers = {"X-Actor": "support:alice"}
        await call(client, "POST", f"/orders/{number}/cancel", 200, json={"reason": "duplicate"}, headers=headers)
    entries = (await call(client, "GET", f"/orders/{number}/audit", 200))["entries"]
    status_changes = [(e["old"], e["new"], e["actor"]) for e in entries if e["field"] == "status"]
    assert status_changes == [
        (None, "pending_payment", "system"),
        ("pending_payment", "processing", "test"),
        ("processing", "cancelled", "support:alice"),
    ]
    assert all(e["at"].endswith("Z") for e in entries)
    assert f"order {number} set_status by support:alice (changed: status" in caplog.text
    assert "duplicate" not in caplog.text  # the reason is the shopper's words: in the audit table, not the log
    bad_actor = {"X-Actor": "x" * 65}
    await call(client, "POST", f"/orders/{number}/cancel", 422, json={"reason": "r"}, headers=bad_actor)


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"", 400, "malformed_json"),
        (b"\xff\xfe\x00", 400, "malformed_json"),
        (b"[1, 2]", 422, "invalid_request"),
        (b'"text"', 422, "invalid_request"),
        (b"null", 422, "invalid_request"),
    ],
)
async def test_malformed_bodies(client: TestClient, shop: Shop, raw: bytes, status: int, code: str) -> None:
    number = await shop.order()
    for method, path in (("POST", "cancel"), ("PUT", "shipping-address"), ("POST", "verify")):
        body = await call(client, method, f"/orders/{number}/{path}", status, data=raw)
        assert error_code(body) == code
    assert (await call(client, "GET", f"/orders/{number}", 200))["status"] == "processing"


async def test_oversized_body_is_413(client: TestClient, shop: Shop) -> None:
    number = await shop.order()
    huge = b'{"reason": "' + b"a" * 70_000 + b'"}'
    body = await call(client, "POST", f"/orders/{number}/cancel", 413, data=huge)
    assert error_code(body) == "payload_too_large"
    assert (await call(client, "GET", f"/orders/{number}", 200))["status"] == "processing"


async def test_long_reason_is_422(client: TestClient, shop: Shop) -> None:
    number = await shop.order()
    await call(client, "POST", f"/orders/{number}/cancel", 422, json={"reason": "a" * 501})


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdA=="}, {"Authorization": "Bearer"}],
)
async def test_auth_required_everywhere_except_health_and_spec(client: TestClient, shop: Shop, headers: dict) -> None:
    number = await shop.order()
    requests = [
        ("GET", f"/orders/{number}"),
        ("GET", "/customers/C1"),
        ("GET", "/customers/C1/orders"),
        ("POST", f"/orders/{number}/verify"),
        ("POST", f"/orders/{number}/change-codes"),
        ("GET", f"/orders/{number}/tracking"),
        ("POST", f"/orders/{number}/cancel"),
        ("PUT", f"/orders/{number}/shipping-address"),
        ("POST", f"/orders/{number}/returns"),
        ("GET", f"/orders/{number}/refunds"),
        ("GET", f"/orders/{number}/invoice"),
        ("POST", f"/orders/{number}/status"),
        ("GET", f"/orders/{number}/audit"),
        ("POST", "/refunds/1/decision"),
        ("GET", "/no/such/route"),
    ]
    for method, path in requests:
        response = await client.request(method, path, headers=headers, json={"reason": "x", "status": "packed"})
        assert response.status == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert error_code(await response.json()) == "unauthorized"
    assert (await call(client, "GET", f"/orders/{number}", 200))["status"] == "processing"
    for path in ("/health", "/openapi.json"):
        assert (await client.get(path)).status == 200


async def test_unknown_route_and_method_are_json_errors(client: TestClient, shop: Shop) -> None:
    assert error_code(await call(client, "GET", "/nope", 404)) == "not_found"
    response = await client.delete("/orders/100001", headers=AUTH)
    assert response.status == 405 and "GET" in response.headers["Allow"]
    assert error_code(await response.json()) == "method_not_allowed"
