"""Speech engines for the voice channel: audio conversion, Whisper recognition, Piper/espeak-ng synthesis, VAD.

Modules are imported directly (`speech.audio`, `speech.recognition`, ...) so that loading one engine
never pulls in another; the GPL engines (Piper, espeak-ng) are only touched inside `speech.synthesis`.
"""
