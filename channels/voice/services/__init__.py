"""What a call asks of others: speech.py (recognition and synthesis in the thread pool, from speech/)
and dialogue.py (Rasa's voice channel: one caller turn in, the bot's messages out, a human agent's too)."""
