"""Frustration of one message: tone, not topic. A second head on the sentiment model's encoder pass,
plus the swear words and shouting a lexicon sees for certain.

"I have an issue paying with card and I would like to report it" is negative in topic but calm in
tone; "are you kidding me? useless" or "Still waiting. Great service." are upset whatever the topic.
The sentiment head learned topic from tweets; this head is trained (sentiment/build.py) only on
tone-labelled shop messages (sentiment/data/tone_messages.yml, with variations) and the calm ones
of shop_messages.yml, on the same frozen [CLS] vector, so it costs one small matrix product per
message, not a second encoder. Its file sits beside the Hugging Face classifier
(FRUSTRATION_HEAD), which therefore still loads with `pipeline(...)` and no custom code.

The score is a noisy-or of the head and two surface cues the head could underrate on a short
message: a swear word (offensive, whatever the rest says) and shouting (all caps). The lexicon is
contracts/frustration.py's, the same one the policy falls back on when this service is down.
Measured: benchmarks/frustration_accuracy.py, docs/sentiment.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contracts.frustration import shouting, swearing

TONE_LABELS = ("calm", "frustrated")
FRUSTRATION_HEAD = "frustration_head.safetensors"
THRESHOLD = 0.5  # `frustrated` from this score on
SWEARING_WEIGHT = 0.97
SHOUTING_WEIGHT = 0.9


class FrustrationHead:
    """tanh(dense · cls) -> out: P(calm), P(frustrated), the same shape as the sentiment head."""

    def __init__(self, dense: Any, out: Any) -> None:
        self.dense = dense
        self.out = out

    def probabilities(self, cls: Any) -> list[float]:
        """P(frustrated) for each row of final-layer [CLS] vectors (n, hidden)."""
        import torch

        with torch.inference_mode():
            logits = self.out(torch.tanh(self.dense(cls)))
            return [float(p) for p in logits.softmax(-1)[:, TONE_LABELS.index("frustrated")]]

    def save(self, directory: Path) -> None:
        from safetensors.torch import save_file

        tensors = {
            "dense.weight": self.dense.weight,
            "dense.bias": self.dense.bias,
            "out.weight": self.out.weight,
            "out.bias": self.out.bias,
        }
        save_file({name: t.detach().contiguous() for name, t in tensors.items()}, str(directory / FRUSTRATION_HEAD))

    @classmethod
    def load(cls, directory: Path) -> FrustrationHead:
        from safetensors.torch import load_file
        from torch import nn

        path = Path(directory) / FRUSTRATION_HEAD
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; rebuild with `python -m sentiment.build --force`")
        tensors = load_file(str(path))
        hidden, classes = tensors["dense.weight"].shape[0], tensors["out.weight"].shape[0]
        if classes != len(TONE_LABELS):
            raise ValueError(f"{path} has {classes} classes, expected {len(TONE_LABELS)}")
        dense, out = nn.Linear(tensors["dense.weight"].shape[1], hidden), nn.Linear(hidden, classes)
        dense.load_state_dict({"weight": tensors["dense.weight"], "bias": tensors["dense.bias"]})
        out.load_state_dict({"weight": tensors["out.weight"], "bias": tensors["out.bias"]})
        return cls(dense.eval(), out.eval())


def frustration(text: str, head_probability: float) -> dict[str, Any]:
    """The reply's `frustration` for one message, from the head's P(frustrated) and the text's cues."""
    calm = (
        (1.0 - head_probability) * (1.0 - SWEARING_WEIGHT * swearing(text)) * (1.0 - SHOUTING_WEIGHT * shouting(text))
    )
    score = round(min(1.0, max(0.0, 1.0 - calm)), 4)
    return {"score": score, "frustrated": score >= THRESHOLD}
