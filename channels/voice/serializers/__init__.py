"""One serializer per telephony provider: its WebSocket messages ⇄ the gateway's frames (frames.py).

base.py is the seam (``FrameSerializer``); twilio.py speaks Twilio Media Streams, which the browser
page speaks too. A second provider is a second module here, chosen in server.py.
"""
