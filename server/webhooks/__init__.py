"""Webhooks: the change feed pushed to a department's HTTPS endpoint, signed, in order, with dead letters."""
