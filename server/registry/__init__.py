"""The registry: persons and households as versioned entities, with dedup, conflicts, moves and sync."""
