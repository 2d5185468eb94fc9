"""The price learner: a Thompson-sampling bandit over discount levels per (product group, customer
segment), bounded by the pricing guardrails and by how often and how far an offer may move.

`segments.py` says who is in which segment (allow-listed features only), `bandit.py` is the pure
decision, `settings.py` its PRICING_LEARNER_* settings, `store.py` the posteriors in the pricing DB."""
