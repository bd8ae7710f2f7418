"""The fast path of ``registry.service.Viewer.show_row`` for exports and the feed, which show every row.

``show_row`` re-derives per record what the caller may see (its purpose's
properties, which are sealed, masked or opened); an export of a million rows
asks the same question a million times. ``Shaper`` answers it once per
dataset and caller and then only picks, opens and masks values: the same
rule (tests/exports/test_shaping.py compares the two for every kind of
caller), and it counts what it opened instead of remembering each record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.accounts.models import User
from server.domain.datasets import DatasetSpec, PropertyType
from server.scope import readable_properties
from server.sealing import masking
from server.sealing.crypto import Sealer


class Shaper:
    """What one caller sees of one dataset's records, decided once."""

    def __init__(self, spec: DatasetSpec, user: User, sealer: Sealer, *, reveal: bool = True) -> None:
        allowed = readable_properties(user, spec.name)
        self.names = [n for n in spec.properties if allowed is None or n in allowed]
        self.sealer = sealer
        self.full = reveal and masking.sees_full_values(user.role, user.department)
        ethnicity = masking.sees_ethnicity(user.role, user.department)
        types = {n: spec.properties[n].type for n in self.names}
        self.sealed = [(i, n) for i, n in enumerate(self.names) if types[n] in masking.SEALED_TYPES]
        # Stored values of sealed properties are already masked; show_row masks them again only for callers
        # who may not see ethnicity either (it then masks every sensitive value it shows).
        masked_types = masking.SEALED_TYPES | {PropertyType.ETHNICITY_CODE}
        self.masked = [] if self.full or ethnicity else [
            (i, types[n]) for i, n in enumerate(self.names) if types[n] in masked_types]
        if self.full and not ethnicity:  # not a combination rules.py allows today; kept exact all the same
            self.masked = [(i, types[n]) for i, n in enumerate(self.names) if types[n] is PropertyType.ETHNICITY_CODE]
        self.revealed: set[str] = set()
        self.revealed_records = 0

    def values(self, plain: Mapping[str, Any], sealed: Mapping[str, str]) -> list[Any]:
        """The record's readable properties in ``names`` order, opened or masked for this caller."""
        out = [plain.get(n) for n in self.names]
        return self.ordered(out, [sealed.get(n) for _, n in self.sealed] if self.full and sealed else ())

    def ordered(self, out: list[Any], tokens: Sequence[str | None]) -> list[Any]:
        """The same from values already in ``names`` order and the record's sealed tokens in ``sealed`` order
        (empty when it has none), as an export reads them column by column; ``out`` is filled in place."""
        if tokens:
            opened = False
            for (i, name), token in zip(self.sealed, tokens, strict=True):
                if token is not None:
                    out[i] = self.sealer.open(name, token)
                    self.revealed.add(name)
                    opened = True
                elif out[i] is not None:
                    self.revealed.add(name)
                    opened = True
            self.revealed_records += opened
        for i, ptype in self.masked:
            if out[i] is not None:
                out[i] = masking.mask_value(ptype, str(out[i]))
        return out

    @property
    def opened_names(self) -> list[str]:
        """The properties whose sealed values this caller sees opened."""
        return [n for _, n in self.sealed] if self.full else []

    @property
    def masked_names(self) -> list[tuple[str, PropertyType]]:
        """The properties whose stored values this caller sees masked, with their types."""
        return [(self.names[i], ptype) for i, ptype in self.masked]

    def shaped(self, tokens: tuple[str | None, ...], stored: Sequence[bool], texts: Sequence[str | None]
               ) -> list[tuple[str, str]]:
        """The same rule as ``ordered`` for a reader that gets the rest of a record as stored: for each of
        ``opened_names`` its token and whether a stored value is there, for each of ``masked_names`` its stored
        value as text; the (name, value) pairs to show instead of the stored ones."""
        out: list[tuple[str, str]] = []
        if tokens.count(None) != len(tokens):  # as ``values``: a record without tokens opens nothing
            open_ = self.sealer.open
            for (_, name), token, there in zip(self.sealed, tokens, stored, strict=True):
                if token is not None:
                    out.append((name, open_(name, token)))
                    self.revealed.add(name)
                elif there:
                    self.revealed.add(name)
            self.revealed_records += 1
        for (i, ptype), text in zip(self.masked, texts, strict=True):
            if text is not None:
                out.append((self.names[i], masking.mask_value(ptype, text)))
        return out

    def properties(self, plain: Mapping[str, Any], sealed: Mapping[str, str]) -> dict[str, Any]:
        """The same as a dict, leaving out properties the record does not have (as show_row does)."""
        values = self.values(plain, sealed)
        present = plain.keys() | (sealed.keys() if self.full else set())
        return {n: v for n, v in zip(self.names, values, strict=True) if n in present}

    def audit_detail(self) -> dict[str, Any]:
        """What was opened, for the audit row."""
        if not self.revealed_records:
            return {}
        return {"revealed": sorted(self.revealed), "revealed_records": self.revealed_records}


_NESTED = (list, tuple, dict)


def cells(values: Sequence[Any]) -> list[Any]:
    """Values as table cells: lists joined by spaces, mappings dropped."""
    return [v if type(v) not in _NESTED else None if type(v) is dict else " ".join(map(str, v)) for v in values]
