"""Bulk import of department records into the registry through the submissions' merge."""
