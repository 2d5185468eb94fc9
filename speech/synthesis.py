"""Text to speech behind one small interface, so the GPL engines stay replaceable.

Piper (GPL-3.0-or-later, neural, natural) runs in its own worker process (speech/piper_worker.py,
the only module that imports it); espeak-ng (GPL-3.0, formant, robotic but tiny) is a separate
program. Nothing else in the project imports either engine.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import os
import select
import shutil
import subprocess
import sys
import threading
import time
import wave
import weakref
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from speech.settings import REPO, TTS_ENGINES, SpeechSettings

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2000
ESPEAK_TIMEOUT_S = 20
PIPER_START_TIMEOUT_S = 60
PIPER_TIMEOUT_S = 60


class SynthesisError(RuntimeError):
    """The engine could not be loaded or failed to speak."""


@dataclass(frozen=True)
class Speech:
    pcm: np.ndarray  # int16 mono
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return self.pcm.size / self.sample_rate


@runtime_checkable
class Synthesizer(Protocol):
    name: str
    sample_rate: int

    def synthesize(self, text: str) -> Speech: ...


def _clean(text: str) -> str:
    text = " ".join(str(text).split())
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"text to speak is {len(text)} characters; the limit is {MAX_TEXT_CHARS}")
    return text


class PiperSynthesizer:
    """Piper with the packaged en_US-joe-medium voice (or another .onnx voice file).

    By default Piper runs in its own worker process (speech/piper_worker.py) so that the GPL engine is
    never loaded into our processes; `isolated=False` loads it in-process (tests, benchmarks).
    """

    def __init__(self, voice: str | None = None, *, threads: int = 1, isolated: bool = True) -> None:
        self._voice_arg, self._threads, self.isolated = voice, threads, isolated
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._voice = None
        try:
            if isolated:
                ready = self._start()
                self.name, self.sample_rate = ready["name"], int(ready["sample_rate"])
            else:
                from speech.piper_worker import load_voice  # imports the GPL engine into this process

                self._voice, self.name = load_voice(voice, threads)
                self.sample_rate = int(self._voice.config.sample_rate)
        except SynthesisError:
            raise
        except Exception as error:  # any failure here means "use the fallback engine"
            raise SynthesisError(f"could not load the Piper voice {voice or 'en_US-joe-medium'}: {error}") from error

    def _start(self) -> dict:
        command = [sys.executable, "-m", "speech.piper_worker", "--threads", str(self._threads)]
        if self._voice_arg:
            command += ["--voice", self._voice_arg]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=REPO, start_new_session=True
        )
        weakref.finalize(self, _stop_worker, self._process)
        header = self._read_header(PIPER_START_TIMEOUT_S)
        if "error" in header:
            self._stop()
            raise SynthesisError(
                f"could not load the Piper voice {self._voice_arg or 'en_US-joe-medium'}: {header['error']}"
            )
        return header

    def _stop(self) -> None:
        if self._process is not None:
            _stop_worker(self._process)
            self._process = None

    def _read(self, size: int, deadline: float) -> bytes:
        assert self._process is not None and self._process.stdout is not None
        stream, data = self._process.stdout, bytearray()
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
                raise SynthesisError("the Piper worker did not answer in time")
            chunk = os.read(stream.fileno(), size - len(data))  # what select() saw: no buffer in between
            if not chunk:
                raise SynthesisError("the Piper worker stopped")
            data += chunk
        return bytes(data)

    def _read_header(self, timeout_s: float) -> dict:
        assert self._process is not None and self._process.stdout is not None
        deadline, line = time.monotonic() + timeout_s, bytearray()
        while not line.endswith(b"\n"):
            line += self._read(1, deadline)
        return json.loads(line)

    def _remote(self, text: str) -> np.ndarray:
        if self._process is None or self._process.poll() is not None:
            log.warning("restarting the Piper worker")
            self._start()
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps({"text": text}).encode() + b"\n")
            self._process.stdin.flush()
            header = self._read_header(PIPER_TIMEOUT_S)
            if "error" in header:
                raise SynthesisError(f"Piper failed: {header['error']}")
            payload = self._read(2 * int(header["samples"]), time.monotonic() + PIPER_TIMEOUT_S)
        except (OSError, SynthesisError):
            self._stop()  # a worker in an unknown state is not reused
            raise
        return np.frombuffer(payload, dtype="<i2").astype(np.int16)

    def synthesize(self, text: str) -> Speech:
        text = _clean(text)
        if not text:
            return Speech(pcm=np.zeros(0, dtype=np.int16), sample_rate=self.sample_rate)
        with self._lock:
            if self.isolated:
                pcm = self._remote(text)
            else:
                from speech.piper_worker import speak

                pcm = speak(self._voice, text).astype(np.int16)
        return Speech(pcm=pcm, sample_rate=self.sample_rate)


def _stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=2)


@functools.cache
def _espeak_voices(binary: str) -> frozenset[str]:
    """Language codes, names and files of the installed voices; espeak-ng itself ignores unknown ones."""
    listing = subprocess.run([binary, "--voices"], capture_output=True, text=True, timeout=10, check=False).stdout
    names: set[str] = set()
    for line in listing.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5:
            names.update(field.lower() for field in (fields[1], fields[3], fields[4]))
    return frozenset(names)


class EspeakSynthesizer:
    """The espeak-ng program (Debian package espeak-ng); text goes through stdin, WAV comes back on stdout."""

    def __init__(self, voice: str | None = None, *, rate_wpm: int = 160) -> None:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise SynthesisError("espeak-ng is not installed (apt-get install espeak-ng)")
        self._binary = binary
        self.voice = voice or "en-us"
        if self.voice.split("+")[0].lower() not in _espeak_voices(self._binary):
            raise SynthesisError(f"espeak-ng has no voice {self.voice!r} (see espeak-ng --voices)")
        self.rate_wpm = rate_wpm
        self.name = f"espeak:{self.voice}"
        self.sample_rate = self.synthesize("ok").sample_rate

    def synthesize(self, text: str) -> Speech:
        text = _clean(text)
        if not text:
            return Speech(pcm=np.zeros(0, dtype=np.int16), sample_rate=getattr(self, "sample_rate", 22050))
        command = [self._binary, "-v", self.voice, "-s", str(self.rate_wpm), "-z", "--stdout", "--stdin"]
        try:
            result = subprocess.run(
                command, input=text.encode(), capture_output=True, timeout=ESPEAK_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise SynthesisError(f"espeak-ng took longer than {ESPEAK_TIMEOUT_S} s") from error
        if result.returncode != 0 or not result.stdout:
            raise SynthesisError(f"espeak-ng failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
        with wave.open(io.BytesIO(result.stdout)) as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            # espeak-ng writes a streaming header (unknown length): read every frame that arrived.
            frames = wav.readframes(len(result.stdout))
        if width != 2 or channels != 1:
            raise SynthesisError(f"espeak-ng produced {channels} channel(s) of {8 * width}-bit audio")
        return Speech(pcm=np.frombuffer(frames, dtype="<i2").astype(np.int16), sample_rate=rate)


@functools.lru_cache(maxsize=4)
def _load(engine: str, voice: str | None, threads: int, isolated: bool) -> Synthesizer:
    if engine == "piper":
        return PiperSynthesizer(voice, threads=threads, isolated=isolated)
    return EspeakSynthesizer(voice)


def load_synthesizer(
    engine: str = "piper", *, voice: str | None = None, threads: int = 1, isolated: bool = True
) -> Synthesizer:
    """A synthesizer ("piper" or "espeak"), loaded once per process. Raises SynthesisError if it cannot load.

    `isolated=False` loads Piper into this process instead of a worker process (tests, benchmarks)."""
    if engine not in TTS_ENGINES:
        raise ValueError(f"unknown speech engine {engine!r}: use one of {', '.join(TTS_ENGINES)}")
    return _load(engine, voice, threads, isolated)


def load_configured_synthesizer(settings: SpeechSettings | None = None) -> Synthesizer:
    """SPEECH_TTS_ENGINE's synthesizer; when Piper fails to load, espeak-ng with a log line saying why."""
    settings = settings or SpeechSettings.from_env()
    try:
        return load_synthesizer(settings.tts_engine, voice=settings.tts_voice, threads=settings.threads)
    except SynthesisError as error:
        if settings.tts_engine != "piper":
            raise
        log.warning("Piper unavailable, speaking with espeak-ng instead: %s", error)
        return load_synthesizer("espeak")
