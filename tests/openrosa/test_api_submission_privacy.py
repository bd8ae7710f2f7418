"""Values Collect computes from a resident ID number (entity label, instance name, calculations) stay masked."""

from __future__ import annotations

import uuid
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.openrosa.conftest import Collect, assert_openrosa, new_instance_id
from tests.submissions.support import (
    LABELLED_FORM_ID,
    assert_masked_and_sealed,
    labelled_by_id_data,
    publish_labelled_by_id,
)


def _xml(instance_id: str, entity_id: str) -> bytes:
    """A finalized instance of the labelled form as Collect writes it (the label is an element of meta/entity)."""
    data = labelled_by_id_data(instance_id, entity_id)
    meta = data.pop("meta")
    answers = "".join(f"<{name}>{value}</{name}>" for name, value in data.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'id="{LABELLED_FORM_ID}" version="1">{answers}'
        f"<meta><instanceID>{instance_id}</instanceID><instanceName>{meta['instanceName']}</instanceName>"
        f'<entity dataset="persons" create="1" id="{entity_id}"><label>{meta["entity"]["label"]}</label></entity>'
        f"</meta></data>"
    ).encode()


def test_labels_and_names_computed_from_the_id_number_stay_masked_and_sealed(
        client: FlaskClient, auth: Any, db: Session, collect: Collect) -> None:
    publish_labelled_by_id(db)
    instance_id, entity_id = new_instance_id(), str(uuid.uuid4())
    assert_openrosa(collect.post_submission(_xml(instance_id, entity_id)), 201)
    assert_masked_and_sealed(client, auth, db, instance_id, entity_id)
