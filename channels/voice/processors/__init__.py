"""The call's steps, one concern each; call.py wires them (see docs/voice.md for the frame flow)."""
