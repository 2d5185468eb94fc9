"""Product conversations over REST against the real stack: Rasa, actions, the knowledge-graph service
with the demo catalogue in the embedded graph, and the real MiniLM semantic index."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conversation import Conversation

REPO = Path(__file__).resolve().parents[2]
SHOPIFY_SAMPLE = REPO.parent / "shared" / "data" / "shopify" / "apparel.csv"


def test_size_availability_names_the_sold_out_size_and_what_is_left(stack):
    answer = Conversation(stack.rasa_url).say("does the Ocean Blue Shirt come in large?").lower()
    assert "ocean blue shirt" in answer
    assert "sold out" in answer or "out of stock" in answer
    for size in ("s", "m", "xl"):
        assert f" {size}" in answer.replace(",", " ")


def test_a_shopper_asking_about_products_is_not_treated_as_upset(stack):
    """The first tone-based frustration head read "does the Ocean Blue Shirt come in large?" as upset
    (0.98): the bot apologised after the answer and handed the next product question to a person."""
    chat = Conversation(stack.rasa_url)
    questions = [
        "does the Ocean Blue Shirt come in large?",
        "is the Ocean Blue Shirt in stock in small?",
        "how much is the Trailhead Fleece Jacket?",
        "which cases fit the Kestrel K5?",
    ]
    for question in questions:
        answer = chat.say(question).lower()
        assert "sorry this has been" not in answer and "colleague" not in answer, (question, answer)


def test_context_follow_up_uses_the_product_already_named(stack):
    chat = Conversation(stack.rasa_url)
    chat.say("tell me about the Trailhead Fleece Jacket")
    price = chat.say("how much is it?")
    assert "69" in price


def test_cases_that_fit_a_phone(stack):
    answer = Conversation(stack.rasa_url).say("which cases fit the Kestrel K5?")
    assert "Kestrel K5 Rugged Case" in answer
    assert "Aero 12 Clear Case" not in answer


def test_semantic_search_with_budget_then_an_ordinal_mention(stack):
    chat = Conversation(stack.rasa_url)
    results = chat.say("I need something warm for hiking under $100")
    assert "Trailhead Fleece Jacket" in results or "Polar Fleece Vest" in results
    assert "Summit Down Jacket" not in results, "the $229 jacket breaks the budget"
    first_listed = next(line for line in results.splitlines() if line.strip().startswith("1."))
    follow_up = chat.say("is the first one in stock in medium?")
    title = first_listed.split("1.", 1)[1].strip().split(" (")[0].split(" —")[0].split(" - ")[0].strip()
    assert title.split()[0] in follow_up, (first_listed, follow_up)


def test_cheaper_alternative(stack):
    chat = Conversation(stack.rasa_url)
    chat.say("tell me about the Summit Down Jacket")
    answer = chat.say("show me something like this but cheaper")
    assert "Ridge Insulated Jacket" in answer or "Trailhead Fleece Jacket" in answer
    assert "Summit Down Jacket" not in answer.split("\n", 1)[-1]


def test_comparison_of_two_named_products(stack):
    answer = Conversation(stack.rasa_url).say("what's the difference between the Aero 12 and the Aero 12 Pro?")
    assert "699" in answer and "999" in answer


def test_ambiguous_name_gets_a_clarifying_question_and_the_choice_is_understood(stack):
    chat = Conversation(stack.rasa_url)
    question = chat.say("how much are the trailblazer boots?")
    assert "Trailblazer Hiking Boots" in question and "Trailblazer 2 Hiking Boots" in question
    answer = chat.say("the second one")
    assert "139" in answer


def test_catalogue_imported_into_the_running_assistant_is_answered_at_once(stack):
    kg_url = f"http://127.0.0.1:{stack.env['KG_PORT']}"
    env = {**os.environ, **stack.env, "KG_URL": kg_url, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "knowledge_graph.importers", str(SHOPIFY_SAMPLE)]
    imported = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert imported.returncode == 0, imported.stderr
    assert f"via {kg_url}" in imported.stdout, "the running service must take the import"
    answer = Conversation(stack.rasa_url).say("how much is the Classic Varsity Top?")
    assert "Classic Varsity Top" in answer and "60" in answer


def test_product_question_inside_the_order_form_then_the_form_goes_on(stack):
    chat = Conversation(stack.rasa_url)
    assert "order number" in chat.say("where is my order?").lower()
    replies = chat.send("does the Ocean Blue Shirt come in large?").json()
    texts = [r.get("text", "") for r in replies]
    assert any("Ocean Blue Shirt" in t for t in texts), texts
    assert "order number" in texts[-1].lower(), "the form asks again for what it was missing"


def test_open_request_gets_personal_recommendations_with_reasons(stack):
    chat = Conversation(stack.rasa_url)
    chat.say("tell me about the Aero 12")
    picks = chat.say("what would you recommend?")
    assert "picks for you" in picks, picks
    numbered = [line for line in picks.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert numbered and all(" — " in line for line in numbered), "every pick says why it is recommended"
    follow_up = chat.say("how much is the first one?")
    first_title = numbered[0].split("1.", 1)[1].split(" (")[0].split(" by ")[0].strip()
    assert first_title in follow_up, (numbered[0], follow_up)


def test_price_answer_explains_a_running_sale(stack):
    answer = Conversation(stack.rasa_url).say("how much is the Trailhead Fleece Jacket?")
    assert "$69.00" in answer, "the catalogue price first"
    assert "Your price today is $58.65" in answer and "15% off" in answer, answer


def test_coupon_is_checked_and_priced_for_the_product_in_the_conversation(stack):
    chat = Conversation(stack.rasa_url)
    chat.say("tell me about the Trailhead Fleece Jacket")
    answer = chat.say("I have a coupon code WELCOME10")
    assert "WELCOME10 gives 10% off" in answer, answer
    assert "With it, the Trailhead Fleece Jacket comes to $5" in answer and "WELCOME10" in answer.split("With it")[1]
    assert "couldn't find the code NOPE99" in chat.say("can I use NOPE99?")


def test_what_goes_with_the_product_in_the_conversation(stack):
    chat = Conversation(stack.rasa_url)
    chat.say("tell me about the Aero 12")
    picks = chat.say("what goes with this?")
    listed = [line for line in picks.splitlines() if line[:2] in ("1.", "2.", "3.", "4.", "5.")]
    assert listed, picks
    fits_aero = ("Aero 12 Clear Case", "Aero 12 Tempered Glass Screen Protector", "VoltPath")
    assert any(name in line for line in listed for name in fits_aero), picks
