"""How frames reach a call and messages leave it: websocket.py (aiohttp WebSocket, any serializer)."""
