"""Roles, per-account limits, the download area, the cleanup sweep and inert user text, as plain functions."""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.data.uploads import store_upload
from core.errors import ConfigError
from core.runs import write_json, write_owner
from ui.api.access import Access, Limits, add_flags, from_args, parse_account
from ui.api.downloads import Downloads
from ui.api.errors import scrubbed, without_paths
from ui.api.housekeeping import Housekeeping, used_uploads
from ui.api.quotas import Quotas
from ui.tabs.format import md_code, md_escape, md_inline


def accounts() -> Access:
    return Access([parse_account(a, "x") for a in ("root:pw:admin", "ann:pw", "bob:pw:member", "old:pw:editor",
                                                   "vic:pw:viewer")])


def caller(access: Access, user: str | None):
    return access.caller(SimpleNamespace(username=user) if user else None)


def test_roles_decide_what_an_account_sees_and_changes() -> None:
    access = accounts()
    root, ann, old, vic, nobody = (caller(access, u) for u in ("root", "ann", "old", "vic", None))
    assert [c.role for c in (root, ann, old, vic, nobody)] == ["admin", "member", "member", "viewer", "viewer"]
    assert root.may_see("ann") and root.may_manage("ann") and root.may_see(None)  # old runs: admins only
    assert ann.may_see("ann") and not ann.may_see("bob") and ann.may_see("bob", shared=True) and not ann.may_see(None)
    assert ann.may_manage("ann") and not ann.may_manage("bob") and ann.may_upload and ann.owner == "ann"
    assert vic.may_see("ann", shared=True) and not vic.may_see("vic") and not vic.may_upload and not vic.may_change
    assert not nobody.may_see("ann") and not nobody.may_change
    single = Access().caller(None)  # no accounts: one user who sees and changes everything, owning nothing by name
    assert single.sees_all and single.may_see(None) and single.may_manage("anyone") and single.owner is None
    assert not Access(read_only=True).caller(None).may_manage(None)


def test_limits_are_declared_once_with_their_flags() -> None:
    parser = argparse.ArgumentParser()
    add_flags(parser)
    assert from_args(parser.parse_args([])) == Limits()
    assert from_args(parser.parse_args(["--upload-days", "2", "--max-runs", "3"])).runs_total == 3
    with pytest.raises(ConfigError, match="--max-runs-per-account must be above 0"):
        from_args(parser.parse_args(["--max-runs-per-account", "0"]))


def _created(root: Path, owner: str | None, gpus: int | None = None) -> None:
    folder = root / f"run-{time.monotonic_ns()}"
    folder.mkdir(parents=True)
    write_owner(folder, owner)
    write_json(folder / "config.json", {"train": {"gpus": gpus}} if gpus else {})
    write_json(folder / "status.json", {"state": "created", "updated": time.time()})


def test_concurrent_starts_stop_at_the_account_and_app_limits(tmp_path: Path) -> None:
    quotas = Quotas(Limits(runs_per_account=3, runs_total=5), tmp_path, tmp_path / "uploads", lambda owner: 0)
    access = accounts()

    def start(user: str) -> str:
        try:
            with quotas.run_slot(caller(access, user)):
                _created(tmp_path, user)
            return "ok"
        except Exception as exc:  # noqa: BLE001 - the refusal is what is counted
            return getattr(exc, "message", str(exc))

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(start, ["ann"] * 10 + ["bob"] * 10))
    assert 1 <= answers[:10].count("ok") + answers[10:].count("ok") <= 5  # a run just made may count twice for an
    assert answers[:10].count("ok") <= 3 and answers[10:].count("ok") <= 3  # instant: refusals err on the safe side
    while start("ann") == "ok" or start("bob") == "ok":  # afterwards, exactly the limits are reached
        pass
    assert len(quotas.active_owners()) == 5 and quotas.active_owners().count("ann") <= 3
    assert {a for a in answers if a != "ok"} <= {
        "Your account already has as many runs waiting or training as one account may have (3): wait for one to "
        "finish, or stop one, then start again.",
        "The server already has 5 runs waiting or training, the most it takes: start again when one of them has "
        "finished."}
    write_json(next(tmp_path.glob("run-*")) / "status.json", {"state": "created", "updated": time.time() - 3600})
    assert len(quotas.active_owners()) == 4  # a run created long ago and never started holds no slot


def test_an_account_holds_at_most_its_devices_at_once(tmp_path: Path) -> None:
    quotas = Quotas(Limits(devices_per_account=4), tmp_path, tmp_path / "uploads", lambda owner: 0)
    access = accounts()
    with quotas.run_slot(caller(access, "ann"), 2):
        _created(tmp_path, "ann", gpus=2)
    with quotas.run_slot(caller(access, "ann"), 1):
        _created(tmp_path, "ann")
    assert sorted(quotas.active_runs()) == [("ann", 1), ("ann", 2)]
    with pytest.raises(Exception, match="already ask for 3 of the 4 devices one account may use at once, and this run "
                                        "asks for 2"):
        quotas.run_slot(caller(access, "ann"), 2).__enter__()
    with pytest.raises(Exception, match="at most 4 devices at once, and this run asks for 5: ask for fewer"):
        quotas.run_slot(caller(access, "bob"), 5).__enter__()
    with quotas.run_slot(caller(access, "ann"), 1), quotas.run_slot(caller(access, "bob"), 4):
        pass  # ann's last device, and bob's own four
    with quotas.run_slot(Access().caller(None), 8):
        pass  # without accounts the one user is bounded by the devices the app has


def test_heavy_jobs_and_disk_per_account(tmp_path: Path) -> None:
    access = accounts()
    quotas = Quotas(Limits(heavy_per_account=1, disk_mb_per_account=1), tmp_path, tmp_path / "uploads",
                    lambda owner: 400_000 if owner == "ann" else 0)
    with quotas.heavy(caller(access, "ann")), quotas.heavy(caller(access, "bob")), \
            pytest.raises(Exception, match="as many reports, exports or attributions running as one account may run at once"), \
            quotas.heavy(caller(access, "ann")):
        pass
    with quotas.heavy(Access().caller(None)), quotas.heavy(Access().caller(None)):
        pass  # without accounts the shared pool of heavy work bounds them
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 300_000)
    store_upload(big, tmp_path / "uploads", "ann")
    assert quotas.disk_used("ann") == 700_000 and quotas.disk_used("bob") == 0
    quotas.check_disk(caller(access, "ann"), 300_000)
    with pytest.raises(Exception, match="use 1 MB of the 1 MB one account may keep, and this needs 0 MB more"):
        quotas.check_disk(caller(access, "ann"), 300_001)


def test_the_download_area_knows_owners_ages_and_nothing_outside(tmp_path: Path) -> None:
    downloads = Downloads(tmp_path / "area", minutes=1)
    report = downloads.create("ann", "run-report.html")
    report.write_text("<html>", encoding="utf-8")
    assert downloads.owner_of(report) == (True, "ann") and downloads.usage("ann") == 6 and downloads.usage("bob") == 0
    for other in (tmp_path / "secret.txt", report.parent / ".download.json", report.parent / ".." / "x",
                  f"{report.parent}/../../area/{report.parent.name}/.download.json", "/etc/passwd"):
        assert downloads.owner_of(other) == (False, None), other
    assert downloads.owner_of(f"{tmp_path}/area/../area/{report.parent.name}/{report.name}") == (True, "ann")
    assert downloads.expire() == 0 and report.exists()
    assert downloads.expire(now=time.time() + 61) == 1 and not report.parent.exists()
    downloads.discard(tmp_path / "secret.txt")  # nothing outside the area is ever deleted


def test_the_cleanup_sweep_keeps_uploads_runs_and_sweeps_name(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    source = tmp_path / "d.csv"
    source.write_text("text,label\na,b\n", encoding="utf-8")
    used, in_sweep, fixed, unused = (store_upload(source, uploads, owner) for owner in "abcd")
    (tmp_path / "run1").mkdir()
    (tmp_path / "run1" / "config.json").write_text(json.dumps({"data": {"train_file": str(uploads / used)}}))
    (tmp_path / "run2").mkdir()
    (tmp_path / "run2" / "data_changes.json").write_text(json.dumps({"train_file": fixed}))
    (tmp_path / "sweeps" / "s1").mkdir(parents=True)
    (tmp_path / "sweeps" / "s1" / "sweep.json").write_text(json.dumps({"base": {"data": {"val_file": str(uploads / in_sweep)}}}))
    assert used_uploads(tmp_path) == {used, in_sweep, fixed}
    (tmp_path / "secret.txt").write_text("kept", encoding="utf-8")
    sweep = Housekeeping(Downloads(tmp_path / "area", 30), tmp_path, uploads, upload_days=-1)  # all are "old"
    assert sweep.sweep() == {"downloads": 0, "uploads": 1} and not (uploads / unused).exists()
    assert sweep.period == 60.0 and (tmp_path / "secret.txt").exists()


def test_user_text_is_never_a_link_or_markup() -> None:
    for text in ("see https://evil.example/x", "mail bob@evil.example", "www.evil.example", "WWW.EVIL.EXAMPLE"):
        for shown in (md_escape(text), md_inline(text), md_code(text)):
            plain = shown.replace("\u200d", "")
            assert "://" not in shown and "@" not in shown.replace("\u200d@\u200d", "") and "www." not in shown.lower()
            assert plain.replace("&#46;", ".").replace("&#45;", "-").replace("`", "").strip() == text
    assert md_inline("[x](y) <b>*bold*</b>") == "&#91;x&#93;(y) &#60;b&#62;&#42;bold&#42;&#60;/b&#62;"
    assert md_code("a`b") == "``a`b``" and md_code("review") == "`review`"
    assert md_inline("reviews.csv") == "reviews.csv"


def test_answers_and_errors_name_no_server_path() -> None:
    message = "/srv/lab/runs/20260101-x does not exist: see /srv/lab/runs/uploads/abc-data.csv and https://x.org/a/b"
    assert without_paths(message) == "20260101-x does not exist: see abc-data.csv and https://x.org/a/b"
    assert scrubbed({"model": "/srv/models/tiny", "n": 3, "list": ["/a/b/c", "lr=1e-5:3e-4", "and/or"]}) == {
        "model": "tiny", "n": 3, "list": ["c", "lr=1e-5:3e-4", "and/or"]}
