"""The speech models of the gateway: loaded once, shared by every call, run in a small thread pool.

Recognition and synthesis are CPU-bound and release the GIL inside CTranslate2 / ONNX Runtime, so a
pool of ``VOICE_WORKERS`` threads keeps the event loop free to move audio frames (and hear barge-in)
while a model works. The models themselves bound their own threads (``SPEECH_THREADS``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from channels.voice.metrics import ASR_AUDIO_SECONDS, ASR_SECONDS, TTS_SECONDS
from speech.audio import SAMPLE_RATE, resample
from speech.recognition import Recognizer, Transcript, load_configured_recognizer
from speech.settings import SpeechSettings
from speech.synthesis import Speech, Synthesizer, load_configured_synthesizer

logger = logging.getLogger(__name__)


@dataclass
class Engines:
    recognizer: Recognizer
    synthesizer: Synthesizer
    executor: ThreadPoolExecutor
    prompt: str | None = None

    async def transcribe(self, pcm16k: np.ndarray) -> Transcript:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        transcript = await loop.run_in_executor(self.executor, lambda: self.recognizer.transcribe(pcm16k))
        elapsed = time.perf_counter() - started
        ASR_SECONDS.observe(elapsed)
        ASR_AUDIO_SECONDS.inc(pcm16k.size / SAMPLE_RATE)
        logger.debug("transcribed %.2f s of audio in %.2f s", pcm16k.size / SAMPLE_RATE, elapsed)
        return transcript

    async def synthesize(self, text: str) -> Speech:
        loop = asyncio.get_running_loop()
        with TTS_SECONDS.time():
            return await loop.run_in_executor(self.executor, self.synthesizer.synthesize, text)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def load_engines(workers: int, speech: SpeechSettings | None = None) -> Engines:
    """Load (and warm up) the configured recognizer and synthesizer: the first call is not slower."""
    speech = speech or SpeechSettings.from_env()
    started = time.perf_counter()
    recognizer = load_configured_recognizer(speech)
    synthesizer = load_configured_synthesizer(speech)
    warm = synthesizer.synthesize("Hello.")
    recognizer.transcribe(
        resample(warm.pcm, warm.sample_rate, SAMPLE_RATE) if warm.pcm.size else np.zeros(SAMPLE_RATE, np.int16)
    )
    logger.info(
        "speech engines ready in %.1f s: recognizer %s, synthesizer %s, %d worker threads",
        time.perf_counter() - started,
        recognizer.name,
        synthesizer.name,
        workers,
    )
    return Engines(recognizer, synthesizer, ThreadPoolExecutor(workers, thread_name_prefix="speech"))
