"""The recommendations backend's part of a data-subject request: what a shopper looked at, rated and
was shown, found by customer id or conversation id.

Interactions (the shopper's behaviour) are deleted. Exposures (lists and their items) stay for the
A/B statistics with the customer and conversation unlinked; conversions are purchases, kept for
the revenue figures under a random customer id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backends.recommendations.abandoned_carts import AbandonedCart
from backends.recommendations.stream import StreamShopper
from backends.recommendations.tables import Conversion, Interaction, RecItem, RecList, logged_conversation
from contracts.privacy import Subject
from service_kit.db import rows_changed
from service_kit.privacy import Erasure, pseudonym, row_json


async def conversations(session: AsyncSession, subject: Subject) -> Subject:
    """Conversation ids the log links to the subject's customer ids (the tracker store is searched by them)."""
    if not subject.customer_ids:
        return subject
    found = (
        set(
            await session.scalars(
                select(Interaction.conversation_id).where(
                    Interaction.customer_id.in_(subject.customer_ids), Interaction.conversation_id.is_not(None)
                )
            )
        )
        | set(
            await session.scalars(
                select(RecList.conversation_id).where(
                    RecList.customer_id.in_(subject.customer_ids), RecList.conversation_id.is_not(None)
                )
            )
        )
        | set(await session.scalars(select(StreamShopper.sender_id).where(_stream_rows(subject))))
        | set(
            await session.scalars(
                select(AbandonedCart.conversation_id).where(AbandonedCart.customer_id.in_(subject.customer_ids))
            )
        )
    )
    return subject.widened("recommendations", conversation_ids={c for c in found if c})


async def export(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    ids = subject.customer_ids
    interactions = select(Interaction).where(_by(Interaction, subject)).order_by(Interaction.id)
    lists = list(await session.scalars(select(RecList).where(_by(RecList, subject)).order_by(RecList.id)))
    list_ids = [r.id for r in lists]
    items = select(RecItem).where(or_(RecItem.customer_id.in_(ids), RecItem.list_id.in_(list_ids))).order_by(RecItem.id)
    # Who a conversation on the event stream belonged to (stream.py); only where the stream was on.
    shoppers = [row_json(r) for r in await session.scalars(select(StreamShopper).where(_stream_rows(subject)))]
    # Carts watched for a reminder in the chat (abandoned_carts.py); only where the shop sent any.
    carts = [row_json(r) for r in await session.scalars(select(AbandonedCart).where(_cart_rows(subject)))]
    return {
        "matched_by": "customer id or conversation id",
        **({"stream_conversations": shoppers} if shoppers else {}),
        **({"abandoned_carts": carts} if carts else {}),
        "interactions": [row_json(r) for r in await session.scalars(interactions)],
        "lists_shown": [row_json(r) for r in lists],
        "list_items": [row_json(r) for r in await session.scalars(items)],
        "conversions": [
            row_json(r) for r in await session.scalars(select(Conversion).where(Conversion.customer_id.in_(ids)))
        ],
    }


async def erase(session: AsyncSession, subject: Subject) -> Erasure:
    done = Erasure()
    done.delete("interactions", await rows_changed(session, delete(Interaction).where(_by(Interaction, subject))))
    stream_rows = delete(StreamShopper).where(_stream_rows(subject))
    done.delete("stream_conversations", await rows_changed(session, stream_rows))
    # The reminder cap forgets them too: an erased shopper is a stranger.
    done.delete("abandoned_carts", await rows_changed(session, delete(AbandonedCart).where(_cart_rows(subject))))
    list_ids = list(await session.scalars(select(RecList.id).where(_by(RecList, subject))))
    unlink_lists = update(RecList).where(RecList.id.in_(list_ids)).values(customer_id=None, conversation_id=None)
    done.anonymise("lists_shown", await rows_changed(session, unlink_lists))
    items = or_(RecItem.customer_id.in_(subject.customer_ids), RecItem.list_id.in_(list_ids))
    done.anonymise("list_items", await rows_changed(session, update(RecItem).where(items).values(customer_id=None)))
    for customer_id in sorted(subject.customer_ids):
        stand_in = update(Conversion).where(Conversion.customer_id == customer_id).values(customer_id=pseudonym())
        done.anonymise("conversions", await rows_changed(session, stand_in))
    return done


def _by(table: type[Interaction] | type[RecList], subject: Subject) -> ColumnElement[bool]:
    """Conversation ids as given and as the log keeps longer ones (their first 64 characters)."""
    conversations = subject.conversation_ids | {logged_conversation(c) or c for c in subject.conversation_ids}
    return or_(table.customer_id.in_(subject.customer_ids), table.conversation_id.in_(conversations))


def _stream_rows(subject: Subject) -> ColumnElement[bool]:
    return or_(
        StreamShopper.customer_id.in_(subject.customer_ids), StreamShopper.sender_id.in_(subject.conversation_ids)
    )


def _cart_rows(subject: Subject) -> ColumnElement[bool]:
    return or_(
        AbandonedCart.customer_id.in_(subject.customer_ids),
        AbandonedCart.conversation_id.in_(subject.conversation_ids),
    )
