"""The model built from packaged parts: loads as a plain Hugging Face classifier, gets clear cases
right, beats the VADER lexicon on held-out shop messages, meets issue 12's frustration targets on
held-out tone messages, and is not rebuilt when nothing changed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.frustration_accuracy import held_out_sets, model_flaggers, share_flagged, vader_flagger
from benchmarks.sentiment_accuracy import evaluate, model_classifier, vader_classifier
from sentiment.build import FINGERPRINT, BuildSettings, build, fingerprint, frustration_examples
from sentiment.data import LABELS, augmented, clean_tweet, is_held_out, load_shop, load_tweets, subsample
from tests.sentiment.conftest import TEST_TWEETS

ANGRY = [
    "WHERE IS MY ORDER???",
    "this is the third time I ask about my refund, I'm sick of this",
    "you people are useless, I want my money back NOW",
    "three weeks and still no parcel. unbelievable",
    "worst shop ever, never again",
]
HAPPY = [
    "thanks, that helps!",
    "great, thank you so much for your help",
    "the parcel arrived today, love it",
    "brilliant service, cheers",
]
CALM = [
    "where's my parcel?",
    "can you tell me the status of order 104532",
    "do you have this in a size 40",
    "how do I return an item",
]
# Measured on test builds like the session's (1500 tweets): 0.864-0.909 accuracy on the 110 held-out
# shop messages (0.864 with the final data), VADER 0.745; the production build (4000 tweets) 0.918
# (docs/sentiment.md). The floor is about four messages below the lowest measurement.
SHOP_ACCURACY_FLOOR = 0.83
MIN_LEAD_OVER_VADER = 0.08
# Frustration: issue 12's targets are >= 0.95 (upset) and <= 0.05 (polite). The frustration head does
# not depend on the tweets, so this build's head is the production one: measured 1.000 (34 upset) and
# 0.040 (1 of 25 polite). The upset floor keeps a margin (one miss allowed); on 25 polite messages
# the target itself already allows only that one.
UPSET_FLOOR = 0.97
POLITE_CEILING = 0.05
TONE_LEAD_OVER_VADER = 0.2


def test_loads_offline_with_the_transformers_pipeline(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from transformers import pipeline

    classify = pipeline("sentiment-analysis", model=str(model_dir))
    assert set(classify.model.config.id2label.values()) == set(LABELS)
    assert type(classify.model).__name__ == "BertForSequenceClassification"  # no custom code
    assert not list(model_dir.glob("*.py"))
    [top] = classify("this is the worst service ever, I want a refund")
    assert top["label"] == "negative"


@pytest.mark.parametrize(("texts", "label"), [(ANGRY, "negative"), (HAPPY, "positive"), (CALM, "neutral")])
def test_clear_customer_messages(scorer: Any, texts: list[str], label: str) -> None:
    results = scorer.score(texts)
    wrong = [(t, r["label"]) for t, r in zip(texts, results, strict=True) if r["label"] != label]
    assert not wrong, wrong
    for r in results:
        assert -1.0 <= r["score"] <= 1.0
        assert sum(r["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
        assert (r["score"] < -0.3) if label == "negative" else (r["score"] > 0.3) if label == "positive" else True


def test_shouting_is_visible_to_the_saved_tokenizer(model_dir: Path, scorer: Any) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    assert tokenizer.tokenize("WHERE IS MY PARCEL") == ["shouting", "where", "shouting", "is", "my", "parcel"]
    assert "shouting" not in tokenizer.tokenize("does it work with USB-C, or do I need the TV adapter from DHL?")
    shouted, calm = scorer.score(["WHERE IS MY PARCEL???", "where is my parcel?"])
    assert shouted["label"] == "negative" and calm["label"] == "neutral"
    assert shouted["probabilities"]["negative"] > calm["probabilities"]["negative"] + 0.5


def test_quality_gate_on_held_out_shop_messages(model_dir: Path) -> None:
    held_out = load_shop("held_out")
    ours, _ = evaluate(model_classifier(model_dir), held_out)
    vader, _ = evaluate(vader_classifier(), held_out)
    print(f"held-out shop messages: ours {ours}, VADER {vader}")
    assert ours["accuracy"] >= SHOP_ACCURACY_FLOOR
    assert ours["accuracy"] >= vader["accuracy"] + MIN_LEAD_OVER_VADER
    assert ours["neg_f1"] > vader["neg_f1"]


def test_frustration_gate_on_held_out_tone_messages(scorer: Any) -> None:
    """Issue 12's targets on our own held-out tone messages (never trained on): offensive, insulting
    and shouting messages frustrated >= 0.95, polite ones (problem reports included) <= 0.05, each
    with a margin; and better than VADER and the sentiment label across all held-out tone sets."""
    sets = {tone_set.name: tone_set for tone_set in held_out_sets()}
    ours = model_flaggers(scorer)
    upset = sets["own held-out: offensive, insulting, shouting"]
    polite = sets["own held-out: polite (incl. polite problem reports)"]
    upset_share, polite_share = share_flagged(ours["ours"], upset.texts), share_flagged(ours["ours"], polite.texts)
    print(f"held-out tone messages: upset {upset_share:.3f} frustrated, polite {polite_share:.3f}")
    assert upset_share >= UPSET_FLOOR and polite_share <= POLITE_CEILING

    def balanced_accuracy(flag: Any) -> float:
        right = [
            share_flagged(flag, s.texts) if s.frustrated else 1 - share_flagged(flag, s.texts) for s in sets.values()
        ]
        return sum(right) / len(right)

    mine, vader = balanced_accuracy(ours["ours"]), balanced_accuracy(vader_flagger())
    topic = balanced_accuracy(ours["sentiment `negative`"])
    print(
        f"balanced accuracy over the held-out tone sets: ours {mine:.3f}, VADER {vader:.3f}, negative label {topic:.3f}"
    )
    assert mine >= vader + TONE_LEAD_OVER_VADER and mine > topic


def test_held_out_data_is_never_trained_on(built_model: tuple[Path, dict[str, Any]]) -> None:
    train = {e.text.lower() for e in load_shop("train")}
    assert not train & {e.text.lower() for e in load_shop("held_out")}
    pool, held = load_tweets()
    assert all(not is_held_out(e.text) for e in pool) and all(is_held_out(e.text) for e in held)
    assert 0.07 < len(held) / (len(pool) + len(held)) < 0.13
    counts = built_model[1]["examples"]
    shop_train = load_shop("train")
    assert sum(v for k, v in counts.items() if k.startswith("shop:")) == len(shop_train) + len(augmented(shop_train))
    assert sum(v for k, v in counts.items() if k.startswith("tweet:")) == pytest.approx(TEST_TWEETS, abs=3)
    assert sum(built_model[1]["frustration"]["examples"].values()) == len(frustration_examples())


def test_rebuild_is_skipped_when_inputs_are_unchanged(model_dir: Path) -> None:
    before = (model_dir / "model.safetensors").stat().st_mtime_ns
    started = time.perf_counter()
    result = build(model_dir, BuildSettings(tweet_limit=TEST_TWEETS))
    assert result["skipped"] is True
    assert time.perf_counter() - started < 10
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == before
    saved = json.loads((model_dir / FINGERPRINT).read_text())
    assert saved["inputs"] == fingerprint(BuildSettings(tweet_limit=TEST_TWEETS))
    # a different input changes the fingerprint, so that build would not be skipped
    assert fingerprint(BuildSettings(tweet_limit=TEST_TWEETS + 1)) != saved["inputs"]


def test_shop_message_edit_changes_the_fingerprint(tmp_path: Path) -> None:
    from sentiment.data import SHOP_FILE

    edited = tmp_path / "shop.yml"
    edited.write_text(SHOP_FILE.read_text() + "\n# edited\n")
    assert fingerprint(BuildSettings(), edited)["shop_messages"] != fingerprint(BuildSettings())["shop_messages"]


def test_tweet_cleaning_and_subsampling_are_deterministic() -> None:
    assert (
        clean_tweet("RT @united: you lost my bag &amp; nobody cares http://t.co/x") == "you lost my bag & nobody cares"
    )
    pool, _ = load_tweets()
    first = subsample(pool, 300, seed=1)
    assert first == subsample(pool, 300, seed=1) and first != subsample(pool, 300, seed=2)
    shares = {label: sum(e.label == label for e in first) / len(first) for label in LABELS}
    overall = {label: sum(e.label == label for e in pool) / len(pool) for label in LABELS}
    assert all(abs(shares[label] - overall[label]) < 0.01 for label in LABELS)
