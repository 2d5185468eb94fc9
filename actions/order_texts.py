"""Sentences about orders: which message of the catalogue (bot/texts/<language>.yml) fits, filled with order data.

The words live in the catalogue (contracts/texts.py), so an operator rewords or translates them without Python;
this module keeps the choice of message and the formatting of values (dates, money, item lists), so an order
reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from contracts.orders import NOT_YET_SHIPPED, Cancellation, Invoice, Order, OrderStatus, Refund, Tracking
from contracts.shop_policies import ShopPolicies
from contracts.texts import texts
from service_clients.orders import ChangeRefused, CodeRejected

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
SHIPPED_OR_LATER = {OrderStatus.SHIPPED, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.DELIVERED}
ON_ITS_WAY = {OrderStatus.SHIPPED, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.PACKED}


def yes_no_buttons() -> list[dict[str, str]]:
    return [
        {"title": texts().text("buttons.yes"), "payload": "/affirm"},
        {"title": texts().text("buttons.no"), "payload": "/deny"},
    ]


def day(value: date | datetime | str | None) -> str:
    """'Tuesday 24 November' — unambiguous in every locale and natural when read aloud."""
    catalogue = texts()
    if value is None:
        return catalogue.text("formats.unknown_date")
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return catalogue.text(
        "formats.date",
        weekday=catalogue.text(f"formats.weekday.{WEEKDAYS[value.weekday()]}"),
        day=value.day,
        month=catalogue.text(f"formats.month.{MONTHS[value.month - 1]}"),
    )


def money(amount: Decimal, currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol:
        return texts().text("formats.money_with_symbol", symbol=symbol, amount=f"{amount:,.2f}")
    return texts().text("formats.money_with_code", amount=f"{amount:,.2f}", currency=currency)


def items(order: Order) -> str:
    names = ", ".join(line.label() for line in order.lines[:3])
    more = len(order.lines) - min(len(order.lines), 3)
    return texts().text("formats.list_and_more", items=names, more=more) if more > 0 else names


def status_text(status: str) -> str:
    """Phrase for a status; the enum's value, since str(StrEnum member) differs across Pythons."""
    value = getattr(status, "value", status)
    catalogue = texts()
    if catalogue.has(f"orders.status.{value}"):
        return catalogue.text(f"orders.status.{value}")
    return catalogue.text("orders.status_other", status=value.replace("_", " "))


def refund_status(status: str) -> str:
    catalogue = texts()
    if catalogue.has(f"orders.refund_status.{status}"):
        return catalogue.text(f"orders.refund_status.{status}")
    return status.replace("_", " ")


def status_sentence(order: Order) -> str:
    return texts().text(
        "orders.status_sentence", number=order.number, items=items(order), status=status_text(order.status)
    )


def _latest_event(tracking: Tracking) -> str | None:
    events = [event for shipment in tracking.shipments for event in shipment.events]
    if not events:
        return None
    latest = max(events, key=lambda event: event.occurred_at)
    if latest.location:
        return texts().text(
            "orders.latest_event_at",
            description=latest.description,
            location=latest.location,
            day=day(latest.occurred_at),
        )
    return texts().text("orders.latest_event", description=latest.description, day=day(latest.occurred_at))


def _eta(order: Order, tracking: Tracking) -> str | None:
    if order.status == OrderStatus.DELIVERED:
        return None
    if tracking.eta:
        return texts().text("orders.arrives_by", day=day(tracking.eta))
    if order.status in NOT_YET_SHIPPED and order.status != OrderStatus.PAYMENT_FAILED:
        return texts().text("orders.not_shipped_yet")
    return None


def _sentences(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


def tracking_summary(order: Order, tracking: Tracking) -> str:
    carrier = None
    if tracking.shipments:
        shipment = tracking.shipments[-1]
        carrier = texts().text("orders.carrier", carrier=shipment.carrier, tracking_number=shipment.tracking_number)
    return _sentences(status_sentence(order), _latest_event(tracking), _eta(order, tracking), carrier)


def eta_summary(order: Order, tracking: Tracking) -> str:
    if order.status == OrderStatus.DELIVERED:
        return _sentences(status_sentence(order), _latest_event(tracking))
    eta = _eta(order, tracking)
    if eta:
        return texts().text("orders.eta", number=order.number, eta=eta)
    return texts().text("orders.eta_status", number=order.number, status=status_text(order.status))


def describe_recent_orders(orders: Sequence[Order]) -> str:
    listed = "; ".join(
        texts().text("orders.recent_order", number=o.number, status=status_text(o.status), day=day(o.placed_at))
        for o in orders
    )
    return texts().text("orders.recent_orders", orders=listed)


def cannot_cancel(order: Order) -> str:
    status = status_text(order.status)
    if order.status == OrderStatus.CANCELLED:
        return texts().text("orders.already_cancelled", number=order.number)
    if order.status in SHIPPED_OR_LATER:
        return texts().text("orders.cannot_cancel_shipped", number=order.number, status=status)
    return texts().text("orders.cannot_cancel", number=order.number, status=status)


def confirm_cancel(order: Order) -> str:
    fee = order.cancellation_fee or Decimal(0)
    values = {"number": order.number, "items": items(order), "total": money(order.total, order.currency)}
    if fee > 0:
        return texts().text("orders.confirm_cancel_fee", fee=money(fee, order.currency), **values)
    return texts().text("orders.confirm_cancel_free", **values)


def cancelled(cancellation: Cancellation) -> str:
    order = cancellation.order
    if cancellation.refund is not None:
        amount = money(cancellation.refund.amount, order.currency)
        return texts().text("orders.cancelled_refund", number=order.number, amount=amount)
    return texts().text("orders.cancelled", number=order.number)


def change_options(order: Order) -> str:
    if order.status in NOT_YET_SHIPPED:
        return texts().text("orders.change_options", number=order.number)
    return texts().text("orders.cannot_change", number=order.number, status=status_text(order.status))


def cannot_change_address(order: Order) -> str:
    return texts().text("orders.cannot_change_address", number=order.number, status=status_text(order.status))


def _address(order: Order) -> dict[str, str]:
    a = order.shipping_address
    return {"street": a.line1, "city": a.city, "postcode": a.postcode}


def address_change_intro(order: Order) -> str:
    return texts().text("orders.address_change_intro", number=order.number, **_address(order))


def address_changed(order: Order) -> str:
    return texts().text("orders.address_changed", number=order.number, **_address(order))


def invoice_summary(order: Order, invoice: Invoice, link: str | None) -> str:
    values = {
        "invoice": invoice.number,
        "number": order.number,
        "day": day(invoice.issued_at),
        "total": money(invoice.total, invoice.currency),
    }
    if link:
        return texts().text("orders.invoice_link", link=link, **values)
    return texts().text("orders.invoice_no_link", **values)


def cannot_return(order: Order) -> str:
    if order.cancellable:
        return texts().text("orders.cancel_instead_of_return", number=order.number)
    if order.status in ON_ITS_WAY:
        return texts().text("orders.return_after_delivery", number=order.number, status=status_text(order.status))
    if order.status == OrderStatus.DELIVERED and order.return_deadline:
        return texts().text("orders.return_window_closed", number=order.number, day=day(order.return_deadline))
    return texts().text("orders.cannot_return", number=order.number, status=status_text(order.status))


def confirm_return(order: Order) -> str:
    if order.return_deadline:
        return texts().text(
            "orders.confirm_return_until", number=order.number, items=items(order), day=day(order.return_deadline)
        )
    return texts().text("orders.confirm_return", number=order.number, items=items(order))


def return_started(order: Order, refund: Refund) -> str:
    return texts().text(
        "orders.return_started",
        number=order.number,
        amount=money(refund.amount, order.currency),
        refund_status=refund_status(refund.status),
    )


def refunds_summary(order: Order, refunds: Sequence[Refund]) -> str:
    if not refunds:
        return texts().text("orders.no_refund", number=order.number)
    lines = "; ".join(
        texts().text(
            "orders.refund_line",
            amount=money(r.amount, r.currency),
            refund_status=refund_status(r.status),
            day=day(r.requested_at),
        )
        for r in refunds
    )
    return texts().text("orders.refunds", number=order.number, refunds=lines)


def _by_code(section: str, code: str) -> str:
    """The catalogue key for a backend error code, or the section's "other" text for a code it lacks."""
    key = f"{section}.{code}"
    return key if texts().has(key) else f"{section}.other"


def refused(error: ChangeRefused, order_number: object) -> str:
    """The backend's refusal in the shop's words, chosen by its code (its own sentence is for the log)."""
    catalogue = texts()
    details = error.details
    status = details.get("status")
    reason = catalogue.text(
        _by_code("orders.refusals", error.code),
        number=order_number or "",
        status=status_text(str(status)) if status else "",
        days=details.get("days", ""),
        closed_on=day(details.get("closed_on")) if details.get("closed_on") else "",
    )
    return catalogue.text("orders.refused", reason=reason)


def code_reason(error: CodeRejected) -> str:
    """Why a one-time code was not accepted or not sent, by the backend's code."""
    return texts().text(_by_code("proof.code_reasons", error.code), count=int(error.details.get("tries_left", 0)))


def proof_not_confirmed() -> str:
    """One text for a wrong email/ZIP and an order number that does not exist."""
    return texts().text("proof.not_confirmed")


def _support(policies: ShopPolicies) -> dict[str, object]:
    return {"support_email": policies.fact("support_email"), "support_phone": policies.fact("support_phone")}


def proof_locked(policies: ShopPolicies, retry_after_s: int | None) -> str:
    minutes = max(1, round((retry_after_s or 900) / 60))
    return texts().text("proof.locked", minutes=minutes, **_support(policies))


def code_sent(sent_to: str, minutes: int) -> str:
    return texts().text("proof.code_sent", sent_to=sent_to, minutes=minutes)


def code_wrong(error: CodeRejected) -> str:
    return texts().text("proof.code_wrong", reason=code_reason(error))


def code_unusable(error: CodeRejected) -> str:
    return texts().text("proof.code_unusable", reason=code_reason(error))


def code_not_sent(reason: str) -> str:
    return texts().text("proof.code_not_sent", reason=reason)


def proof_refused(policies: ShopPolicies) -> str:
    return texts().text("proof.refused", **_support(policies))


def code_mail_down() -> str:
    return code_not_sent(texts().text("proof.code_mail_down"))


def code_format(digits: int) -> str:
    return texts().text("proof.code_format", digits=digits)


# Turns of the order dialogue (order_form.py, order_requests.py): questions, re-asks and short answers.


def ask_order_number() -> str:
    return texts().text("order_dialogue.ask_order_number")


def not_an_order_number(value: object) -> str:
    return texts().text("order_dialogue.not_an_order_number", value=value)


def not_among_your_orders(number: str) -> str:
    return texts().text("order_dialogue.not_among_your_orders", number=number)


def order_not_visible() -> str:
    return texts().text("order_dialogue.order_not_visible")


def order_not_changeable() -> str:
    return texts().text("order_dialogue.order_not_changeable")


def change_failed() -> str:
    return texts().text("order_dialogue.change_failed")


def change_lost() -> str:
    return texts().text("order_dialogue.change_lost")


def change_declined(order_number: str | None) -> str:
    return texts().text("order_dialogue.change_declined", number=order_number)


def person_declined() -> str:
    return texts().text("order_dialogue.person_declined")


def acknowledged(said_yes: bool) -> str:
    return texts().text("order_dialogue.acknowledged_yes" if said_yes else "order_dialogue.acknowledged_no")


def details_without_request() -> str:
    return texts().text("order_dialogue.details_without_request")


def ask_what_is_needed() -> str:
    return texts().text("order_dialogue.ask_what_is_needed")


def street_invalid() -> str:
    return texts().text("order_dialogue.street_invalid")


def city_invalid() -> str:
    return texts().text("order_dialogue.city_invalid")


def postcode_invalid() -> str:
    return texts().text("order_dialogue.postcode_invalid")


def confirm_address_change(order_number: str | None, street: str, city: str, postcode: str) -> str:
    return texts().text(
        "order_dialogue.confirm_address_change", number=order_number, street=street, city=city, postcode=postcode
    )
