"""The voice channel: a gateway process between telephony (Twilio Media Streams) and Rasa.

server.py (WebSocket + browser page), call.py (one call's turns, barge-in, keypad), spoken.py (chat
replies rewritten for the ear), protocol.py (message shapes and audio framing), rasa_client.py (the
voice input channel, channels/voice_input.py), engines.py (speech models from speech/). docs/voice.md.
"""
