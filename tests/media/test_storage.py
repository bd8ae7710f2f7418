"""The content-addressed store: durable, idempotent, and never addressed by a client's name."""

from __future__ import annotations

import os
import time

import pytest

from server.media.storage import MediaStore, sha256_hex


def test_put_stores_by_sha256_and_reads_back(tmp_path):
    store = MediaStore(tmp_path)
    blob = store.put(b"hello photo")
    assert blob.sha256 == sha256_hex(b"hello photo") and blob.size == 11
    assert blob.path == tmp_path / "sha256" / blob.sha256[:2] / blob.sha256[2:4] / blob.sha256
    assert store.read(blob.sha256) == b"hello photo" and store.exists(blob.sha256)
    assert list((tmp_path / "tmp").iterdir()) == []  # the temporary file was renamed into place


def test_same_bytes_twice_is_one_file(tmp_path):
    store = MediaStore(tmp_path)
    first, second = store.put(b"x" * 100), store.put(b"x" * 100)
    assert first == second
    assert len([p for p in (tmp_path / "sha256").rglob("*") if p.is_file()]) == 1


def _spy_on_fsync(monkeypatch) -> list[str]:
    """The paths fsynced from now on, in order (each fsync still happens)."""
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return synced


def test_file_and_directories_are_fsynced_before_put_returns(tmp_path, monkeypatch):
    synced = _spy_on_fsync(monkeypatch)
    blob = MediaStore(tmp_path).put(b"durable")
    assert any(p.startswith(str(tmp_path / "tmp")) for p in synced)  # the file's bytes, before the rename
    assert str(blob.path.parent) in synced  # the directory entry of the renamed file


def test_a_write_into_a_known_directory_costs_two_fsyncs(tmp_path, monkeypatch):
    store = MediaStore(tmp_path)
    store.put(b"first")  # makes sha256/ab/cd and fsyncs its chain of directories
    sha = sha256_hex(b"first")
    synced = _spy_on_fsync(monkeypatch)
    neighbour = next(b for b in (str(i).encode() for i in range(100_000)) if sha256_hex(b)[:4] == sha[:4])
    blob = store.put(neighbour)
    assert blob.path.parent == store.path_for(sha).parent
    assert len(synced) == 2 and synced[1] == str(blob.path.parent)  # the file's bytes, then its new name
    synced.clear()
    other = store.put(b"elsewhere")
    assert str(other.path.parent.parent) in synced and str(other.path.parent.parent.parent) in synced


@pytest.mark.parametrize("bad", ["../../etc/passwd", "photo.jpg", "A" * 64, "", "0" * 63])
def test_only_hex_sha256_names_reach_the_file_system(tmp_path, bad):
    with pytest.raises(ValueError):
        MediaStore(tmp_path).path_for(bad)


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    store = MediaStore(tmp_path)

    def boom(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        store.put(b"half")
    assert not store.exists(sha256_hex(b"half"))
    assert list((tmp_path / "tmp").iterdir()) == []


def test_clean_tmp_removes_leftovers_of_a_crash(tmp_path):
    store = MediaStore(tmp_path)
    store.tmp.mkdir(parents=True)
    stale = store.tmp / "abc.partial"
    stale.write_bytes(b"x")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    fresh = store.tmp / "new.partial"
    fresh.write_bytes(b"y")
    os.utime(fresh, (time.time(), time.time()))  # ages are measured against the same clock as the stale one's
    assert store.clean_tmp(3600) == 1
    assert [p.name for p in store.tmp.iterdir()] == ["new.partial"]
