"""Code shared by the orders, pricing and recommendations backends (one copy instead of three)."""
