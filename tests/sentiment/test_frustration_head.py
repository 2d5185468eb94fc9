"""The frustration head's own parts, without the encoder: training on a tiny set, saving and loading
beside the model, the cues it is combined with, and the training data's variations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sentiment.build import BuildSettings, balanced_weights, frustration_examples, train_head
from sentiment.data import ToneExample, load_shop, load_tone, tone_variations
from sentiment.frustration import FRUSTRATION_HEAD, TONE_LABELS, FrustrationHead, frustration


def tiny_set(seed: int = 0):
    """Two clusters in a 16-d space, 12 calm and 4 frustrated (imbalanced, as tone data is)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    calm = torch.randn(12, 16, generator=generator) * 0.3 + torch.tensor([1.0] + [0.0] * 15)
    upset = torch.randn(4, 16, generator=generator) * 0.3 - torch.tensor([1.0] + [0.0] * 15)
    labels = torch.tensor([0] * 12 + [1] * 4)
    return torch.cat([calm, upset]), labels


def test_head_trained_on_a_tiny_set_separates_it_and_survives_save_and_load(tmp_path: Path) -> None:
    import torch

    features, labels = tiny_set()
    weights = balanced_weights(labels)
    assert float(weights[labels == 0].sum()) == pytest.approx(float(weights[labels == 1].sum()))
    settings = BuildSettings(max_iter=50)
    head = FrustrationHead(*train_head(features, labels, weights, settings, classes=len(TONE_LABELS)))
    probabilities = head.probabilities(features)
    assert [p >= 0.5 for p in probabilities] == [bool(label) for label in labels]
    head.save(tmp_path)
    assert (tmp_path / FRUSTRATION_HEAD).is_file()
    loaded = FrustrationHead.load(tmp_path)
    assert loaded.probabilities(features) == pytest.approx(probabilities, abs=1e-6)
    unseen, unseen_labels = tiny_set(seed=1)
    assert [p >= 0.5 for p in loaded.probabilities(unseen)] == [bool(label) for label in unseen_labels]
    assert torch.equal(labels, tiny_set()[1])  # the same seed gives the same set: the test is deterministic


def test_a_missing_head_says_how_to_rebuild(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"sentiment\.build"):
        FrustrationHead.load(tmp_path)


@pytest.mark.parametrize(
    ("text", "head", "frustrated"),
    [
        ("I have an issue paying with card and I would like to report it", 0.02, False),
        ("can i use my new fucking account", 0.1, True),  # a swear word is enough
        ("WHERE IS MY PARCEL", 0.2, True),  # so is shouting
        ("thanks!!!", 0.05, False),  # piled-up marks alone are not
        ("Still waiting. Great service.", 0.8, True),  # the head's call
    ],
)
def test_score_combines_the_head_with_swearing_and_shouting(text: str, head: float, frustrated: bool) -> None:
    verdict = frustration(text, head)
    assert verdict["frustrated"] is frustrated
    assert 0.0 <= verdict["score"] <= 1.0 and verdict["score"] >= head - 1e-4


def test_variations_shout_and_swear_calm_requests_but_not_short_replies() -> None:
    examples = [
        ToneExample("where is my parcel?", "calm", "plain_questions"),
        ToneExample("yes", "calm", "short_replies_and_commands"),
        ToneExample("thanks a lot", "calm", "thanks_and_praise"),
        ToneExample("you are useless", "frustrated", "insults"),
    ]
    extra = {(e.text, e.label) for e in tone_variations(examples)}
    assert ("WHERE IS MY PARCEL?", "frustrated") in extra
    assert any(
        label == "frustrated" and text.startswith("where is my ") and text != "where is my parcel?"
        for text, label in extra
    )
    assert ("thanks a lot!!!", "calm") in extra and ("you are useless!!!", "frustrated") in extra
    assert not any(text.lower().startswith("yes") for text, _ in extra)


def test_tone_held_out_messages_are_never_trained_on() -> None:
    trained = {e.text.lower() for e in frustration_examples()}
    trained |= {e.text.lower() for e in load_shop("train")}
    held_out = load_tone("held_out")
    assert not trained & {e.text.lower() for e in held_out}
    assert {e.label for e in held_out} == set(TONE_LABELS)
    # the issue's own examples are measured, not learned
    for text in ("ask an agent how I could reset my password, please", "Still waiting. Great service."):
        assert text.lower() in {e.text.lower() for e in held_out} and text.lower() not in trained


def test_numbers_and_email_addresses_do_not_change_the_tone(scorer: Any) -> None:
    """Masked in the saved tokenizer: which order number or address a shopper types cannot make a plain
    lookup look upset (an earlier build read "where is order 321231" as frustrated, "... 104532" as calm)."""
    lookups = ["where is order 321231", "where is order 104532", "where is order 7"]
    answers = ["wrong1@example.com", "jane.doe+shop@mail.example.org"]
    for group in (lookups, answers):
        scores = {result["frustration"]["score"] for result in scorer.score(group)}
        assert len(scores) == 1, f"{group} scored {scores}"
    assert not any(result["frustration"]["frustrated"] for result in scorer.score([lookups[0], answers[0]]))
