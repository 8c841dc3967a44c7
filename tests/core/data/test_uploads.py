"""The upload area: random ids that keep the user's file name, owners, one copy per account, expiry."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from core.data.uploads import (
    display_name,
    expire_uploads,
    is_upload_id,
    list_uploads,
    store_upload,
    upload_owner,
    upload_path,
    upload_record,
)
from core.errors import DataError


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "my reviews.csv"
    path.write_text("text,label\ngood,pos\nbad,neg\n", encoding="utf-8")
    return path


def test_ids_are_random_and_keep_the_file_name(source: Path, tmp_path: Path) -> None:
    area = tmp_path / "uploads"
    ann, bob = store_upload(source, area, "ann"), store_upload(source, area, "bob")
    assert ann != bob and is_upload_id(ann) and is_upload_id(bob)
    assert display_name(ann) == "my reviews.csv" and ann.endswith("-my reviews.csv")
    prefix = ann.split("-", 1)[0]
    assert len(prefix) == 22 and source.read_bytes().hex()[:10] not in prefix  # not derived from the content
    assert upload_path(ann, area).read_bytes() == source.read_bytes()
    assert (upload_owner(area, ann), upload_owner(area, bob)) == ("ann", "bob")
    assert upload_record(area, ann)["bytes"] == source.stat().st_size


def test_one_account_storing_the_same_file_again_gets_its_id_back(source: Path, tmp_path: Path) -> None:
    area = tmp_path / "uploads"
    first = store_upload(source, area, "ann")
    assert store_upload(source, area, "ann") == first
    assert store_upload(source, area) != first  # no accounts: its own copy
    source.write_text("text,label\nother,pos\nrows,neg\n", encoding="utf-8")
    assert store_upload(source, area, "ann") != first
    ids = [upload_id for upload_id, _ in list_uploads(area)]
    assert len(ids) == 3 and ".meta" not in ids


def test_ids_stored_before_records_keep_working(tmp_path: Path) -> None:
    area = tmp_path / "uploads"
    area.mkdir()
    old = area / "0123456789-old data.csv"
    old.write_text("text,label\na,b\n", encoding="utf-8")
    assert is_upload_id(old.name) and upload_path(old.name, area) == old
    assert display_name(old.name) == "old data.csv" and upload_owner(area, old.name) is None
    for forged in ("../x", "/etc/passwd", "0123456789-../../x", ".meta", "x" * 22 + "-"):
        with pytest.raises(DataError):
            upload_path(forged, area)


def test_expiry_spares_young_uploads_and_those_in_use(source: Path, tmp_path: Path) -> None:
    area = tmp_path / "uploads"
    used, unused, other = (store_upload(source, area, owner) for owner in ("a", "b", "c"))
    old = area / "0123456789-legacy.csv"  # no record: its age is the file's
    old.write_text("x", encoding="utf-8")
    week_ago = time.time() - 8 * 86400
    os.utime(old, (week_ago, week_ago))
    later = time.time() + 8 * 86400
    assert set(expire_uploads(area, 7 * 86400, keep={used}, now=later)) == {unused, other, old.name}
    assert [i for i, _ in list_uploads(area)] == [used] and upload_owner(area, used) == "a"
    assert not (area / ".meta" / f"{unused}.json").exists()
    assert expire_uploads(area, 7 * 86400, keep=set()) == []  # stored just now: nothing is old enough
