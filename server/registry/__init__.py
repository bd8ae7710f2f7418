"""The registry: persons and households as versioned entities, with dedup, conflicts, moves and sync."""

from __future__ import annotations


def register_jobs() -> None:
    """Put the merge job on intake's after-validation hook (idempotent)."""
    try:
        from server.submissions import jobs as submission_jobs
    except ImportError:  # intake not installed: nothing to hook into
        return
    entry = ("merge", "server.registry.jobs.merge_submission")
    hooks = getattr(submission_jobs, "AFTER_VALIDATED", None)
    if isinstance(hooks, list) and entry not in hooks:
        hooks.append(entry)
