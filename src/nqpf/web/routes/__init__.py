"""Routes: thin pages (``/…``) and JSON endpoints (``/api/v1/…``) over the services."""
