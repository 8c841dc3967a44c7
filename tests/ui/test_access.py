"""Accounts, roles, the open-bind rule, and the per-request limits, as plain functions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.errors import Cancelled, ConfigError, DataError
from ui.api import limits
from ui.api.access import Access, check_bind, load_accounts, parse_account
from ui.api.session import Places


@pytest.mark.parametrize("text", ["user", "user:", ":pw", "u:p:root", "a:b:c:d"])
def test_malformed_accounts_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="user:password"):
        parse_account(text, "--auth")


def test_accounts_come_from_flags_file_and_environment(tmp_path, monkeypatch) -> None:
    file = tmp_path / "accounts"
    file.write_text("# team\nann:pw1\nbob:pw2:viewer\n\n", encoding="utf-8")
    monkeypatch.setenv("TUNESCOPE_AUTH", "cy:pw3, dee:pw4:viewer")
    accounts = load_accounts(["eve:pw5"], str(file))
    assert [(a.user, a.role) for a in accounts] == [("eve", "editor"), ("ann", "editor"), ("bob", "viewer"),
                                                    ("cy", "editor"), ("dee", "viewer")]
    access = Access(accounts)
    assert access.check_login("ann", "pw1") and not access.check_login("ann", "pw2")
    assert not access.check_login("nobody", "pw1")
    assert access.may_change(SimpleNamespace(username="ann"))
    assert not access.may_change(SimpleNamespace(username="bob"))
    assert not Access(accounts, read_only=True).may_change(SimpleNamespace(username="ann"))
    with pytest.raises(ConfigError, match="cannot be read"):
        load_accounts(None, str(tmp_path / "missing"))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_login(host: str) -> None:
    assert check_bind(host, [], no_auth=False) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "my-server"])
def test_other_addresses_need_a_login_or_no_auth(host: str) -> None:
    with pytest.raises(ConfigError, match="--auth"):
        check_bind(host, [], no_auth=False)
    assert check_bind(host, [parse_account("a:b", "x")], no_auth=False) is None
    assert "no login" in check_bind(host, [], no_auth=True)


def test_model_references_reach_only_offered_folders_and_runs(tmp_path, tiny_models) -> None:
    offered = tiny_models("bert")
    places = Places.at(tmp_path / "runs", [offered])
    assert str(places.model(f"folder:{offered}")) == str(offered.resolve())
    for ref in (f"folder:{tmp_path}", f"folder:{offered}/..", "hub:/etc", "hub:a/b/c", "hub:../x", "run:../x",
                f"run:{tmp_path}", str(tmp_path)):
        assert places.usable(ref) is None, ref
    assert places.usable("hub:distilbert/distilbert-base-uncased")


def test_text_limits() -> None:
    assert limits.checked_text("fine \ud800 text") == "fine \ufffd text"
    with pytest.raises(DataError, match="limit"):
        limits.checked_text("x" * (limits.MAX_TEXT_CHARS + 1))


def test_guard_stops_long_work_and_work_nobody_waits_for(monkeypatch) -> None:
    from gradio.context import LocalContext

    job = SimpleNamespace(_id="ev-1", alive=True)
    blocks = SimpleNamespace(_queue=SimpleNamespace(active_jobs=[None, [job]]))
    tokens = LocalContext.blocks.set(blocks), LocalContext.event_id.set("ev-1")
    try:
        _check_guard(job, monkeypatch)
    finally:  # a fake request context must not leak into later tests (gr.Info would think it is in an event)
        LocalContext.blocks.reset(tokens[0])
        LocalContext.event_id.reset(tokens[1])


def _check_guard(job: SimpleNamespace, monkeypatch) -> None:
    check = limits.guard(seconds=60)
    check()
    job.alive = False
    with pytest.raises(Cancelled, match="closed"):
        check()
    job.alive = True
    clock = iter([0.0, 100.0])
    monkeypatch.setattr(limits.time, "monotonic", lambda: next(clock))
    slow = limits.guard(seconds=60)
    with pytest.raises(Cancelled, match="longer than 60 s"):
        slow()
