import os
from pathlib import Path

from contracts.shop_policies import DEFAULT_PATH, PolicyFile
from contracts.texts import CatalogueFiles

REQUIRED_ANSWERS = {
    "check_refund_policy",
    "delivery_options",
    "check_payment_methods",
    "check_cancellation_fee",
    "newsletter_subscription",
    "recover_password",
    "create_account",
    "delete_account",
    "edit_account",
    "contact_customer_service",
}
# Messages with their own placeholders, as the actions fill them in.
REQUIRED_MESSAGES = {
    "human_offer": {},
    "not_understood": {},
    "deescalate_apology": {},
    "deescalate_goodwill": {"offer": "a coupon"},
    "deescalate_offer_person": {},
    "handoff_connecting": {"position": 1},
    "handoff_queued": {"position": 3},
    "handoff_follow_up": {"ticket": "T-1", "email": "a@b.example"},
    "handoff_follow_up_no_email": {"ticket": "T-1"},
    "handoff_desk_down": {},
    "handoff_resumed": {},
}


def test_shipped_policy_file_answers_every_policy_intent_without_missing_placeholders(caplog):
    policies = PolicyFile(DEFAULT_PATH).get()
    for intent in REQUIRED_ANSWERS:
        text = policies.answer(intent)
        assert text, intent
        assert "{" not in text, f"{intent}: unfilled placeholder in {text!r}"
    for key, values in REQUIRED_MESSAGES.items():
        text = policies.message(key, **values)
        assert "{" not in text, f"{key}: unfilled placeholder in {text!r}"
    assert "unknown placeholder" not in caplog.text


def policy_file(tmp_path: Path, facts: str, answers: str) -> PolicyFile:
    """Facts in the shop's policy file, sentences in the catalogue's `policies.answers` (English)."""
    (tmp_path / "policies.yml").write_text(facts)
    (tmp_path / "en.yml").write_text("policies:\n  answers:\n" + answers)
    return PolicyFile(tmp_path / "policies.yml", catalogue=CatalogueFiles(tmp_path, "en").get)


def touch(path: Path) -> None:
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))


def test_facts_are_filled_in(tmp_path: Path):
    policies = policy_file(tmp_path, "facts: {days: 14}\n", "    check_refund_policy: 'Returns within {days} days.'\n")
    assert policies.get().answer("check_refund_policy") == "Returns within 14 days."


def test_edits_are_picked_up_without_restart(tmp_path: Path):
    policies = policy_file(tmp_path, "facts: {days: 14}\n", "    delivery_options: 'Old text, {days} days'\n")
    assert policies.get().answer("delivery_options") == "Old text, 14 days"
    (tmp_path / "en.yml").write_text("policies:\n  answers:\n    delivery_options: 'New text, {days} days'\n")
    touch(tmp_path / "en.yml")
    assert policies.get().answer("delivery_options") == "New text, 14 days"
    (tmp_path / "policies.yml").write_text("facts: {days: 7}\n")
    touch(tmp_path / "policies.yml")
    assert policies.get().answer("delivery_options") == "New text, 7 days"


def test_unknown_placeholder_stays_visible_and_is_logged(tmp_path: Path, caplog):
    policies = policy_file(tmp_path, "facts: {}\n", "    review: 'Write to {nowhere}.'\n")
    assert policies.get().answer("review") == "Write to {nowhere}."
    assert "unknown placeholder" in caplog.text


def test_missing_answer_is_none(tmp_path: Path):
    policies = policy_file(tmp_path, "facts: {}\n", "    delivery_options: 'Soon.'\n")
    assert policies.get().answer("review") is None


def test_product_answers_and_catalogue_message_have_no_missing_placeholders(caplog):
    policies = PolicyFile(DEFAULT_PATH).get()
    for topic in ("sizing", "warranty", "care", "discounts", "prices"):
        text = policies.product_answer(topic)
        assert text, topic
        assert "{" not in text, f"{topic}: unfilled placeholder in {text!r}"
    assert "{" not in policies.message("catalogue_down")
    assert policies.product_answer("no-such-topic") is None
    assert "unknown placeholder" not in caplog.text
