"""Commerce backends (aiohttp services with OpenAPI descriptions) that the action server calls."""
