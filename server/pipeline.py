"""The job wiring: what a submission's way is made of, and which job follows which.

Read from the route to the registry (ODK Central keeps the same in one file of
job wiring):

    POST /api/v1/forms/<form>/submissions   submissions.api → submissions.service.submit
    POST /submission (ODK Collect)          openrosa.views → openrosa.intake.receive → submit
      stored, 201; after commit:            submissions.jobs.validate_submission   (queue "validation")
                                            submissions.jobs.make_derivatives      (queue "media", per photo)
      once validated, what ``FOLLOWS``:     registry.jobs.merge_submission         (queue "merge")
                                            → registry.merge.merge_submission_data → registry.records

Every job takes ids, re-checks its row and may run twice; RQ names it by its
import path (``server.queue.job_path``). ``STUCK_FINDERS`` are what
``gridreg jobs requeue-stuck`` asks for rows whose job should have finished.

Beyond the submission's way: every transaction that wrote registry events rings
what follows the change feed (``AFTER_REGISTRY_EVENTS``: the webhooks' pump),
and every move of a registry record calls ``MOVE_LISTENERS`` in the mover's
transaction (registry.moves → registry.followups.move_open_followups).

This module sits above the contexts: they are wired here, and none of them
imports another to chain its work. A context reaches this wiring by a deferred
``from server import pipeline`` inside the function that rings or calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.exports import jobs as export_jobs
from server.imports import jobs as import_jobs
from server.queue import enqueue_after_commit, job_path
from server.registry import followups
from server.registry import jobs as registry_jobs
from server.registry.moves import MoveListener
from server.settings import Settings
from server.submissions import jobs as submission_jobs
from server.webhooks import jobs as webhook_jobs


@dataclass(frozen=True)
class Next:
    """A job to ring once another has done its part, on its queue, with the same ids."""

    queue: str
    job: Callable[..., object]


# job -> the jobs that follow it when it has done its part (validation: the submission is ``validated``)
FOLLOWS: dict[Callable[[int], object], tuple[Next, ...]] = {
    submission_jobs.validate_submission: (Next("merge", registry_jobs.merge_submission),),
}

# Jobs rung once a transaction that wrote registry events has committed (the change feed moved); no ids.
AFTER_REGISTRY_EVENTS: tuple[Next, ...] = (Next("webhooks", webhook_jobs.pump),)

# What else moves when a registry record moves, by name; each is called in the mover's transaction.
MOVE_LISTENERS: dict[str, MoveListener] = {
    "open_followups": followups.move_open_followups,
}

# The job a context's service rings for the row it has just written. Named here, not by a dotted string
# in the service, because each of these contexts' jobs module imports its service.
RUN_EXPORT = Next("exports", export_jobs.run_export)
RUN_IMPORT = Next("imports", import_jobs.run_import)
DELIVER_WEBHOOK = Next("webhooks", webhook_jobs.deliver)

# Each takes (session, settings, older_than_seconds) and returns how many rows it rang again.
STUCK_FINDERS: tuple[Callable[[Session, Settings, int], int], ...] = (
    submission_jobs.find_stuck,
    registry_jobs.find_stuck,
    export_jobs.find_stuck,
    import_jobs.find_stuck,
    webhook_jobs.find_stuck,
)


def ring_followers(session: Session, settings: Settings, done: Callable[[int], object], *ids: int) -> None:
    """After this transaction commits, ring every job that follows ``done``."""
    for step in FOLLOWS.get(done, ()):
        enqueue_after_commit(session, settings, step.queue, job_path(step.job), *ids)


def ring_after_registry_events(session: Session, settings: Settings | None) -> None:
    """Once per transaction: ring the feed's followers after it commits (no settings: requeue-stuck catches up)."""
    root = session.get_transaction()
    if settings is None or root is None or session.info.get("registry_events_rung") is root:
        return
    session.info["registry_events_rung"] = root
    for step in AFTER_REGISTRY_EVENTS:
        enqueue_after_commit(session, settings, step.queue, job_path(step.job))


def requeue_stuck(session: Session, settings: Settings, older_than_seconds: int) -> dict[str, int]:
    """Re-enqueue work stuck past the timeout (Redis lost, worker killed), by finder."""
    return {job_path(find): find(session, settings, older_than_seconds) for find in STUCK_FINDERS}


def ring(session: Session, settings: Settings, step: Next, *ids: object) -> None:
    """After this transaction commits, ring ``step``'s job with ``ids``."""
    enqueue_after_commit(session, settings, step.queue, job_path(step.job), *ids)
