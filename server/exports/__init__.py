"""Data sharing: exports as background jobs with progress and signed links, and the registry's change feed."""
