"""The aiohttp scaffolding every service shares (app factory, auth and error middleware, errors, database,
OpenAPI helpers): one copy instead of one per service. Services venv only; imports nothing of the product."""
