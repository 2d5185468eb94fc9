"""Every refusal the orders backend can send a shopper has the shop's own words in the message catalogue.

The backend's `message` is English for logs; the shopper is told from its `code` (and `details`). A code
added to the backend without a catalogue entry would fall back to the vague "other" text: these tests
read the codes from the backend's source so that cannot happen unnoticed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from actions import order_texts
from contracts.orders import CHANGE_CODE_PURPOSES, OrderStatus
from contracts.texts import texts
from service_clients.orders import ChangeRefused, CodeRejected

BACKEND = Path(__file__).resolve().parents[2] / "backends" / "orders"
# Raised by the admin and warehouse API only, never in answer to a shopper's request.
NOT_FOR_SHOPPERS = {"order_exists", "not_shipped"}


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def codes_raised(error_class: str) -> set[str]:
    """The codes given to `error_class(..., code=...)` in the orders backend, literally or via a `code` variable."""
    found: set[str] = set()
    for source in BACKEND.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                raises = [
                    call
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call) and getattr(call.func, "id", None) == error_class
                ]
                codes = [kw.value for call in raises for kw in call.keywords if kw.arg == "code"]
                for value in codes:
                    if isinstance(value, ast.Name):  # code=code: the strings assigned to it in this function
                        for assign in ast.walk(node):
                            if isinstance(assign, ast.Assign) and any(
                                getattr(t, "id", None) == value.id for t in assign.targets
                            ):
                                found |= _strings(assign.value)
                    else:
                        found |= _strings(value)
    return found


def test_the_source_scan_finds_the_refusals() -> None:
    assert {"already_shipped", "return_window_closed", "not_paid"} <= codes_raised("Refused")


@pytest.mark.parametrize("code", sorted(codes_raised("Refused") - NOT_FOR_SHOPPERS))
def test_each_refusal_code_has_its_own_text(code: str) -> None:
    assert texts().has(f"orders.refusals.{code}"), f"bot/texts/en.yml orders.refusals lacks {code}"


@pytest.mark.parametrize("code", ["code_invalid", "code_expired", "too_many_codes"])
def test_each_code_rejection_has_its_own_text(code: str) -> None:
    assert texts().has(f"proof.code_reasons.{code}")


@pytest.mark.parametrize("status", [status.value for status in OrderStatus])
def test_a_refusal_reads_every_status(status: str) -> None:
    said = order_texts.refused(ChangeRefused("invalid_transition", "backend wording", {"status": status}), "104532")
    assert said.startswith("Sorry, that isn't possible: order 104532 ") and "backend wording" not in said


def test_tries_left_take_the_plural_form() -> None:
    one = order_texts.code_reason(CodeRejected("code_invalid", "x", {"tries_left": 1}))
    two = order_texts.code_reason(CodeRejected("code_invalid", "x", {"tries_left": 2}))
    assert "1 more try." in one and "2 more tries." in two


@pytest.mark.parametrize("purpose", CHANGE_CODE_PURPOSES)
def test_each_change_code_purpose_has_mail_words(purpose: str) -> None:
    assert texts().has(f"emails.change_code.purposes.{purpose}")
