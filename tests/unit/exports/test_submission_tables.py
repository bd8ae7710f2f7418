"""Form tables in ODK Central's and Kobo's shapes: group paths, geopoints, split choices, nested repeats."""

from __future__ import annotations

from typing import Any

from server.exports.submissions import Shape, Table, build_tables, cells, headers


def _field(name: str, ftype: str, path: str, children: list[dict[str, Any]] | None = None,
           **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": ftype, "path": path, "children": children or [], "label": {"zh": f"{name}标签"},
            "list_name": extra.get("list_name")}


DEFINITION = {
    "root": "data", "default_language": "zh",
    "choices": {"c": [{"name": "a", "label": {"zh": "甲"}}, {"name": "b", "label": {"zh": "乙"}}]},
    "fields": [
        _field("g", "group", "/data/g", [
            _field("pick", "select_multiple", "/data/g/pick", list_name="c"),
            _field("here", "geopoint", "/data/g/here"),
            _field("r", "repeat", "/data/g/r", [
                _field("h", "group", "/data/g/r/h", [
                    _field("s", "repeat", "/data/g/r/h/s", [_field("t", "text", "/data/g/r/h/s/t")]),
                ]),
                _field("x", "integer", "/data/g/r/x"),
            ]),
        ]),
        _field("note1", "note", "/data/note1"),
    ],
}


def _walk(table: Table) -> list[Table]:
    return [table, *(t for c in table.children for t in _walk(c))]


def test_odk_shape_headers():
    main = build_tables(DEFINITION, "f", Shape(split_multiples=True))
    assert [t.name for t in _walk(main)] == ["f", "f-r", "f-s"]
    assert headers(main, Shape()) == [
        "SubmissionDate", "g-pick", "g-pick/a", "g-pick/b", "g-here", "g-here-Latitude", "g-here-Longitude",
        "g-here-Altitude", "g-here-Accuracy", "KEY", "SubmitterID", "SubmitterName", "Status", "DeviceID",
        "FormVersion"]
    r, s = main.children[0], main.children[0].children[0]
    assert headers(r, Shape()) == ["x", "PARENT_KEY", "KEY"] and (r.rel, s.rel) == (("g", "r"), ("h", "s"))


def test_kobo_shape_labels_and_values():
    shape = Shape("kobo", labels_as_values=True)
    main = build_tables(DEFINITION, "f", shape)
    assert headers(main, shape)[:2] == ["g/pick", "g/here"] and "_uuid" in headers(main, shape)
    body = {"g": {"pick": "b a", "here": "34.4 113.7 10 5"}}
    assert cells(main.columns[0], body, DEFINITION, shape) == ["乙 甲"]
    assert cells(main.columns[1], body, DEFINITION, shape) == ["34.4 113.7 10 5", "34.4", "113.7", "10", "5"]
    labelled = build_tables(DEFINITION, "f", Shape(labels_as_headers=True))
    assert headers(labelled, Shape())[1] == "pick标签"


def test_nested_repeats_are_joined_by_keys(tmp_path):
    import csv
    import io
    import zipfile

    from server.exports.files import CsvOutput
    from server.exports.submissions import Writers, _open_all, _repeat_rows

    main = build_tables(DEFINITION, "f", Shape())
    output = CsvOutput(tmp_path / "out", "f")
    writers = Writers(output, Shape())
    _open_all(writers, main)
    body = {"g": {"r": [{"x": "1", "h": {"s": [{"t": "甲"}, {"t": "乙"}]}}, {"x": "2"}]}}
    _repeat_rows(writers, main.children[0], body, "uuid:k", 1, DEFINITION, [0])
    output.close()
    archive = zipfile.ZipFile(tmp_path / "out")

    def rows(name: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))[1:]

    assert rows("f-r.csv") == [["1", "uuid:k", "uuid:k/r[1]"], ["2", "uuid:k", "uuid:k/r[2]"]]
    assert rows("f-s.csv") == [["甲", "uuid:k/r[1]", "uuid:k/r[1]/s[1]"], ["乙", "uuid:k/r[1]", "uuid:k/r[1]/s[2]"]]
