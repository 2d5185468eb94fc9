"""Sentences about orders. All wording about order data is here, so it reads the same everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from actions.clients.orders import Cancellation, ChangeRefused, Invoice, Order, Refund, Tracking
from actions.shop_policies import ShopPolicies

YES_NO_BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]

STATUS_TEXT = {
    "pending_payment": "is waiting for payment",
    "payment_failed": "could not be paid: the payment failed",
    "processing": "is being prepared",
    "packed": "is packed and waiting for the carrier",
    "shipped": "has shipped",
    "out_for_delivery": "is out for delivery today",
    "delivered": "was delivered",
    "cancelled": "was cancelled",
    "returned": "was returned",
}
NOT_YET_SHIPPED = {"pending_payment", "payment_failed", "processing", "packed"}


def day(value: date | datetime | str | None) -> str:
    """'Tuesday 24 November' — unambiguous in every locale and natural when read aloud."""
    if value is None:
        return "an unknown date"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.strftime("%A %-d %B")


def money(amount: Decimal, currency: str) -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency.upper())
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


def items(order: Order) -> str:
    names = [f"{line.quantity} × {line.product_name}" for line in order.lines[:3]]
    more = len(order.lines) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def status_text(status: str) -> str:
    """Phrase for a status; the enum's value, since str(StrEnum member) differs across Pythons."""
    value = getattr(status, "value", status)
    return STATUS_TEXT.get(value, "is " + value.replace("_", " "))


def status_sentence(order: Order) -> str:
    return f"Order {order.number} ({items(order)}) {status_text(order.status)}."


def _latest_event(tracking: Tracking) -> str:
    events = [event for shipment in tracking.shipments for event in shipment.events]
    if not events:
        return ""
    latest = max(events, key=lambda event: event.occurred_at)
    where = f" in {latest.location}" if latest.location else ""
    return f" Latest update: {latest.description}{where} on {day(latest.occurred_at)}."


def _eta(order: Order, tracking: Tracking) -> str:
    if order.status == "delivered":
        return ""
    if tracking.eta:
        return f" It should arrive by {day(tracking.eta)}."
    if order.status in NOT_YET_SHIPPED and order.status != "payment_failed":
        return " It hasn't shipped yet; you'll get an email with tracking as soon as it does."
    return ""


def tracking_summary(order: Order, tracking: Tracking) -> str:
    carrier = ""
    if tracking.shipments:
        shipment = tracking.shipments[-1]
        carrier = f" Carrier: {shipment.carrier}, tracking number {shipment.tracking_number}."
    return status_sentence(order) + _latest_event(tracking) + _eta(order, tracking) + carrier


def eta_summary(order: Order, tracking: Tracking) -> str:
    if order.status == "delivered":
        return status_sentence(order) + _latest_event(tracking)
    eta = _eta(order, tracking)
    return f"Order {order.number}:" + (eta or f" it {status_text(order.status)}.")


def describe_recent_orders(orders: Sequence[Order]) -> str:
    listed = "; ".join(f"{o.number} ({status_text(o.status)}, placed {day(o.placed_at)})" for o in orders)
    return f"Which order is it about? Your recent orders: {listed}. Just tell me the number."


def cannot_cancel(order: Order) -> str:
    if order.status == "cancelled":
        return f"Order {order.number} is already cancelled."
    if order.status in {"shipped", "out_for_delivery", "delivered"}:
        return (
            f"Order {order.number} {STATUS_TEXT[order.status]}, so it can't be cancelled any more. "
            "Once it's delivered you can return it for a refund: just say 'I want to return it'."
        )
    return f"Order {order.number} {status_text(order.status)}, so it can't be cancelled now."


def confirm_cancel(order: Order) -> str:
    fee = order.cancellation_fee or Decimal(0)
    cost = f"for a fee of {money(fee, order.currency)}" if fee > 0 else "free of charge"
    return (
        f"Order {order.number} ({items(order)}, {money(order.total, order.currency)}) hasn't shipped yet, "
        f"so I can cancel it {cost}. Shall I cancel it?"
    )


def cancelled(cancellation: Cancellation) -> str:
    order = cancellation.order
    text = f"Done: order {order.number} is cancelled."
    if cancellation.refund is not None:
        text += (
            f" A refund of {money(cancellation.refund.amount, order.currency)} goes back to your original payment "
            "method."
        )
    return text + " You'll get a confirmation email."


def change_options(order: Order) -> str:
    if order.status in NOT_YET_SHIPPED:
        return (
            f"Order {order.number} hasn't shipped yet. I can change its shipping address or cancel it "
            "(then you can place a new order with the right items). Items in a placed order can't be edited. "
            "What would you like to do?"
        )
    return (
        f"Order {order.number} {status_text(order.status)}, so it can't be changed any more. "
        "After delivery you can return items for a refund."
    )


def cannot_change_address(order: Order) -> str:
    return (
        f"Order {order.number} {status_text(order.status)}, so its address can't be changed any "
        "more. The carrier's tracking page may let you redirect the parcel."
    )


def address_change_intro(order: Order) -> str:
    a = order.shipping_address
    return f"Sure. Order {order.number} is going to {a.line1}, {a.city} {a.postcode}. Let's set the new address."


def address_changed(order: Order) -> str:
    a = order.shipping_address
    return f"Done: order {order.number} will now ship to {a.line1}, {a.city} {a.postcode}."


def invoice_summary(order: Order, invoice: Invoice, link: str | None) -> str:
    text = (
        f"Invoice {invoice.number} for order {order.number} was issued on {day(invoice.issued_at)}, "
        f"total {money(invoice.total, invoice.currency)}."
    )
    if link:
        text += f" You can download it here: {link}"
    else:
        text += " Say 'send me the invoice' if you'd like the download link."
    return text


def cannot_return(order: Order) -> str:
    if order.cancellable:
        return (
            f"Order {order.number} hasn't shipped yet, so there's nothing to return: I can cancel it instead "
            "for a full refund. Just say 'cancel my order'."
        )
    if order.status in {"shipped", "out_for_delivery", "packed"}:
        return f"Order {order.number} {STATUS_TEXT[order.status]}. Once it's delivered you can start a return here."
    if order.status == "delivered" and order.return_deadline:
        return f"The return window for order {order.number} closed on {day(order.return_deadline)}."
    return f"Order {order.number} {status_text(order.status)}, so a return isn't possible."


def confirm_return(order: Order) -> str:
    until = f" (possible until {day(order.return_deadline)})" if order.return_deadline else ""
    return (
        f"I can start a return for order {order.number} ({items(order)}){until}. You'll get a prepaid return label "
        "by email, and the refund is issued once we receive the items. Shall I start the return?"
    )


def return_started(order: Order, refund: Refund) -> str:
    return (
        f"Your return for order {order.number} is started: refund of {money(refund.amount, order.currency)} "
        f"is {refund.status.replace('_', ' ')}. The return label is on its way to your email."
    )


def refunds_summary(order: Order, refunds: Sequence[Refund]) -> str:
    if not refunds:
        return (
            f"There's no refund for order {order.number} yet. If you'd like to return it, say "
            "'I want to return my order'."
        )
    parts = [f"{money(r.amount, r.currency)} {r.status.replace('_', ' ')} ({day(r.requested_at)})" for r in refunds]
    return f"Refunds for order {order.number}: " + "; ".join(parts) + "."


def refused(error: ChangeRefused) -> str:
    return f"Sorry, that isn't possible: {error.reason}"


def proof_not_confirmed() -> str:
    """One text for a wrong email/ZIP and an order number that does not exist."""
    return (
        "Sorry, I couldn't confirm that order with those details. Please check the order number and the "
        "email address or ZIP code you used when ordering, and try again."
    )


def proof_locked(policies: ShopPolicies, retry_after_s: int | None) -> str:
    minutes = max(1, round((retry_after_s or 900) / 60))
    return (
        "There have been too many unsuccessful attempts to confirm this order, so for your security I can't "
        f"check it for about {minutes} minutes. If it's your order, our team can help right away: "
        f"{policies.fact('support_email')} or {policies.fact('support_phone')}."
    )


def code_sent(sent_to: str, minutes: int) -> str:
    return (
        f"To keep your order safe, I've just emailed a one-time code to {sent_to} (the address on the order). "
        f"It's valid for {minutes} minutes."
    )


def code_wrong(reason: str) -> str:
    return f"{reason} Please type the 8-digit code from the email again (or say 'stop')."


def code_unusable(reason: str) -> str:
    return f"{reason} Nothing was changed. If you still want the change, just ask again and I'll send a new code."


def code_not_sent(reason: str) -> str:
    return f"Sorry, I couldn't send you a code: {reason} Nothing was changed."


def proof_refused(policies: ShopPolicies) -> str:
    return (
        "I couldn't confirm that this order is yours, so I can't share or change it. Please contact our team at "
        f"{policies.fact('support_email')} or {policies.fact('support_phone')} and they'll help you."
    )
