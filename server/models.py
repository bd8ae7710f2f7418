"""Every context's models, imported so that ``Base.metadata`` is complete."""

from server.accounts.models import AccessToken, LoginThrottle, User, UserScope
from server.audit.models import AuditEvent
from server.cache import cache_generations  # noqa: F401  (its counters, bumped by triggers)
from server.db import Base
from server.exports.models import Export
from server.forms.models import Form, FormVersion
from server.geo.models import AdminUnit
from server.imports.models import ImportJob, ImportRow  # noqa: F401
from server.registry.models import (  # noqa: F401
    AppliedSource,
    Dataset,
    DatasetVersion,
    DuplicateCandidate,
    Entity,
    EntityVersion,
    RegistryEvent,
)
from server.reports.models import MonthlyReport
from server.submissions.models import Submission, SubmissionAttachment
from server.webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = [
    "AccessToken",
    "AdminUnit",
    "AuditEvent",
    "Base",
    "Export",
    "Form",
    "FormVersion",
    "LoginThrottle",
    "MonthlyReport",
    "Submission",
    "SubmissionAttachment",
    "User",
    "UserScope",
    "WebhookDelivery",
    "WebhookSubscription",
]
