"""Order-tracking backend: orders, shipments, refunds and invoices behind a small HTTP API."""
