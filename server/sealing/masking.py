"""Which values are sealed and masked, who sees them in full, and their masked form.

Both the registry (entity properties) and submissions (answers) hide the same
values from the same people, so the rule lives here, below both.
"""

from __future__ import annotations

from server.accounts.models import Role
from server.domain import phone as phones
from server.domain import resident_id
from server.domain.datasets import PropertyType

# Property types stored only encrypted, looked up by keyed hash, masked in responses.
SEALED_TYPES = frozenset({PropertyType.CN_RESIDENT_ID, PropertyType.PHONE})

# The one rule for unmasking: roles (and departments) whose duty needs full ID and phone numbers.
FULL_VALUE_ROLES = frozenset({Role.ADMIN.value})
FULL_VALUE_DEPARTMENTS = frozenset({"police"})
# Ethnicity is sensitive too, but it is the registry's subject: these roles work with it.
ETHNICITY_ROLES = frozenset({Role.ADMIN.value, Role.SUPERVISOR.value, Role.GRID_WORKER.value})


def sees_full_values(role: str, department: str | None) -> bool:
    """True when the caller's duty needs unmasked ID and phone numbers (every such read is audited)."""
    return role in FULL_VALUE_ROLES or (role == Role.DEPARTMENT.value and department in FULL_VALUE_DEPARTMENTS)


def sees_ethnicity(role: str, department: str | None) -> bool:
    """True when the caller may see ethnicity codes (registry staff and full-value departments)."""
    return role in ETHNICITY_ROLES or sees_full_values(role, department)


def mask_value(ptype: PropertyType, value: str) -> str:
    """The masked form of a sensitive value: 6401**********0218, 138****5678, ethnicity as **."""
    if ptype is PropertyType.CN_RESIDENT_ID:
        return resident_id.mask(value)
    if ptype is PropertyType.PHONE:
        return phones.mask(value)
    return "**"
