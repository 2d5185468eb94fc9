"""A deterministic stand-in for the sentence encoder: hashed bag of words, unit length.

Ranking tests need a dense side that behaves like one (texts sharing words are close) without
loading a model; it knows no synonyms, so what the lexical side adds stays visible.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

WIDTH = 256


class WordEncoder:
    dimension = WIDTH
    name = "test-word-encoder"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), WIDTH), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                out[row, int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % WIDTH] += 1
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out
