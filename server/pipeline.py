"""The job wiring: what a submission's way is made of, and which step follows which.

Read from the route to the registry (ODK Central keeps the same in one file of
job wiring):

    POST /api/v1/forms/<form>/submissions   submissions.api → submissions.service.submit
    POST /submission (ODK Collect)          openrosa.views → openrosa.intake.receive → submit
      stored (status received), 201; after commit ``ring_received``:
        job processes (Redis configured)    ``queue.wake``: one collapsed wake-up, no job per submission;
                                            `gridreg worker` runs ``BATCHES`` in turn (server/batch_worker.py):
          "validation"                      submissions.jobs.validate_received  received → validated | invalid
          "merge"                           registry.jobs.merge_validated       validated → merged | rejected
                                            → registry.merge.merge_submission_data → registry.records
        inline (no Redis: SQLite, `make run`) submissions.jobs.validate_submission, then what ``FOLLOWS`` it:
                                            registry.jobs.merge_submission
      per photo, after commit:              submissions.jobs.make_derivatives      (RQ queue "media")
      an approval (review.py) of a submission held for review: ``ring_followers`` → the merge stage

A submission's status is its place on the way: the batch stages claim rows by
status (``FOR UPDATE SKIP LOCKED``), so the table is the queue and nothing is
lost with Redis or a killed process (server/batch_worker.py says how). Every
job takes ids or a limit, re-checks its rows and may run twice; RQ names a job
by its import path (``server.queue.job_path``). ``STUCK_FINDERS`` are what
``gridreg jobs requeue-stuck`` asks for rows whose job should have finished
(the RQ queues', and inline mode's; job processes need no sweeper for the way).

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

from server import queue
from server.batch_worker import Stage
from server.db import after_commit
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

# The batch stages of the way, in order, by the name `gridreg worker --queues` serves them under.
BATCHES: tuple[Stage, ...] = (
    Stage("validation", submission_jobs.validate_received),
    Stage("merge", registry_jobs.merge_validated),
)

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


def ring_received(session: Session, settings: Settings, submission_id: int) -> None:
    """After this transaction commits, set a stored submission on its way (validation first)."""
    _ring(session, settings, Next("validation", submission_jobs.validate_submission), submission_id)


def ring_validated(session: Session, settings: Settings, submission_id: int) -> None:
    """After this transaction commits, ring the merge of a validated submission (again)."""
    _ring(session, settings, Next("merge", registry_jobs.merge_submission), submission_id)


def ring_followers(session: Session, settings: Settings, done: Callable[[int], object], *ids: int) -> None:
    """After this transaction commits, ring every job that follows ``done``."""
    for step in FOLLOWS.get(done, ()):
        _ring(session, settings, step, *ids)


def _ring(session: Session, settings: Settings, step: Next, *ids: int) -> None:
    """A batch stage's wake-up with job processes (once per transaction), the job itself inline otherwise."""
    if not settings.redis_url or step.queue not in queue.STAGES:
        enqueue_after_commit(session, settings, step.queue, job_path(step.job), *ids)
        return
    root = session.get_transaction()
    if root is None or session.info.get("batches_rung") is not root:
        session.info["batches_rung"] = root
        after_commit(session, lambda: queue.wake(settings))


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
