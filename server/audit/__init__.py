"""Append-only audit trail, written in the caller's transaction."""
