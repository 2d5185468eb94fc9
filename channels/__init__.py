"""Input channels of the assistant (loaded by the Rasa server from ``bot/credentials.yml``).

- ``channels.app_rest``: REST channel for the mobile app, authenticated with a signed JWT.
- ``channels.webchat``: socket.io channel for the rasa-webchat widget (Rasa's own, with a fix).
- ``channels.web``: the shop web page serving the widget (runs in the services venv, not in Rasa).
"""
