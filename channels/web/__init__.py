"""The shop web page with the rasa-webchat widget (aiohttp; runs in the services venv)."""
