"""Product recommendations: collaborative filtering, content similarity, context, capping and A/B tests."""
