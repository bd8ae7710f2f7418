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
This module sits above the contexts: they are wired here, and none of them
imports another to chain its work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.exports import jobs as export_jobs
from server.imports import jobs as import_jobs
from server.queue import enqueue_after_commit, job_path
from server.registry import jobs as registry_jobs
from server.settings import Settings
from server.submissions import jobs as submission_jobs
from server.webhooks import jobs as webhook_jobs


@dataclass(frozen=True)
class Next:
    """A job to ring once another has done its part, on its queue, with the same ids."""

    queue: str
    job: Callable[[int], object]


# job -> the jobs that follow it when it has done its part (validation: the submission is ``validated``)
FOLLOWS: dict[Callable[[int], object], tuple[Next, ...]] = {
    submission_jobs.validate_submission: (Next("merge", registry_jobs.merge_submission),),
}

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


def requeue_stuck(session: Session, settings: Settings, older_than_seconds: int) -> dict[str, int]:
    """Re-enqueue work stuck past the timeout (Redis lost, worker killed), by finder."""
    return {job_path(find): find(session, settings, older_than_seconds) for find in STUCK_FINDERS}
