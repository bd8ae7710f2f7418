"""Submission intake: idempotent by instance id, raw data and geotag stored at once, status machine."""
