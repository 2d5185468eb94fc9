"""Pricing backend: quotes with sales, stock rules, tiers, coupons, goodwill offers and guardrails."""
