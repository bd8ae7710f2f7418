"""The job wiring (server/pipeline.py): every job is named by its function, and RQ finds it again by that name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from server import pipeline, queue
from server.exports import jobs as export_jobs
from server.imports import jobs as import_jobs
from server.webhooks import jobs as webhook_jobs

SERVER = Path(__file__).resolve().parents[2] / "server"
JOB_PATH = re.compile(r"server(\.\w+)+\.jobs\.\w+")


def _steps() -> list[pipeline.Next]:
    followers = [step for steps in pipeline.FOLLOWS.values() for step in steps]
    return [*followers, *pipeline.AFTER_REGISTRY_EVENTS, pipeline.RUN_EXPORT, pipeline.RUN_IMPORT,
            pipeline.DELIVER_WEBHOOK]


def test_every_wired_job_resolves_by_its_path_to_itself():
    for step in _steps():
        assert step.queue in queue.QUEUES + queue.STAGES, step
        assert queue.resolve(queue.job_path(step.job)) is step.job, step
    for done in pipeline.FOLLOWS:
        assert queue.resolve(queue.job_path(done)) is done
    for stage in pipeline.BATCHES:
        assert stage.name in queue.STAGES, stage
        assert queue.resolve(queue.job_path(stage.run)) is stage.run, stage


def test_the_services_ring_their_own_contexts_runners():
    assert (pipeline.RUN_EXPORT.queue, pipeline.RUN_EXPORT.job) == ("exports", export_jobs.run_export)
    assert (pipeline.RUN_IMPORT.queue, pipeline.RUN_IMPORT.job) == ("imports", import_jobs.run_import)
    assert (pipeline.DELIVER_WEBHOOK.queue, pipeline.DELIVER_WEBHOOK.job) == ("webhooks", webhook_jobs.deliver)


def test_no_job_is_named_by_a_dotted_string():
    """A string like "server.exports.jobs.run_export" hides the job from a reader and from a rename."""
    found = []
    for path in sorted(SERVER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and JOB_PATH.fullmatch(node.value):
                found.append(f"{path.relative_to(SERVER.parent)}:{node.lineno} {node.value}")
    assert found == []


def test_the_check_sees_a_dotted_job_string():
    assert JOB_PATH.fullmatch("server.exports.jobs.run_export")
    assert not JOB_PATH.fullmatch("see server.exports.jobs.run_export for the runner")
