"""Developer and operator tools that are not part of the running product.

The catalogue generator (`python -m tools.catalogue_generator`, for load tests and benchmarks of the
graph stores) and a simulated telephony provider (`python -m tools.phone_client`, for voice tests,
the voice benchmark and smoke checks). Tools may import any package of the repository; nothing in
the product imports `tools` (the layers in docs/architecture.md, checked by import-linter).
"""
