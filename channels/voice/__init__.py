"""The voice channel: a gateway process between telephony (Twilio Media Streams) and Rasa.

Shaped like a frame pipeline: server.py (routes, admission) and transports/websocket.py take the
stream; serializers/ turn a provider's messages into frames (frames.py); call.py wires the
processors/ (audio input, turn detection, keypad, confirmation, dialogue, playback and barge-in,
no-input prompts, time limit, agent messages) to the services/ (speech models, Rasa's voice channel,
channels/voice_input.py). spoken.py rewrites chat replies for the ear. docs/voice.md has the picture.
"""
