"""``python -m channels.voice``: start the voice gateway (see channels/voice/server.py)."""

from channels.voice.server import main

main()
