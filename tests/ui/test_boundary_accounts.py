"""Accounts that share a lab's server, probed from outside: ``python app.py`` on loopback with accounts from an
auth file, driven over HTTP by two members, a viewer and an admin.

Every endpoint that takes an upload, run or sweep id refuses what the account may not see in the same sentence
as for an id that does not exist; sharing opens a run to the lab for reading only; downloads go to their
owner once and then, or after their age, leave no file; a burst of concurrent starts gets unique runs or the
limit sentence; no answer names the runs folder. Every wait polls a condition with a generous ceiling.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client

from tests.tiny import make_tiny_model
from tests.ui.conftest import SAMPLE, patient_client
from tests.ui.test_boundary import App, upload

pytestmark = pytest.mark.slow
ACCOUNTS = "ann:pw-ann\nbob:pw-bob:editor\nvic:pw-vic:viewer\nroot:pw-root:admin\n"
PASSWORDS = {"ann": "pw-ann", "bob": "pw-bob", "vic": "pw-vic", "root": "pw-root"}
NO_RUN = "There is no run '{}' you can see: choose one from the list."
READ_ONLY = "read-only"
SETTINGS = dict(max_steps=4, eval_steps=2, batch_size=16, max_length=32, device="cpu", precision="fp32", seed=1)


class Lab:
    def __init__(self, app: App, models: Path, gradio_tmp: Path) -> None:
        self.app, self.models, self.gradio_tmp = app, models, gradio_tmp
        self.clients = {user: app.client((user, password)) for user, password in PASSWORDS.items()}
        self.run = ""

    def __getitem__(self, user: str) -> Client:
        return self.clients[user]


def until(condition: Callable[[], Any], what: str, seconds: float = 300) -> Any:
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds:.0f} s"
        time.sleep(0.3)
    return value


def refusal(call: Callable[[], Any]) -> str:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the sentence is checked by the caller
        call()
    return str(caught.value)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("lab")
    models, runs, gradio_tmp = base / "models", base / "runs", base / "gradio"
    make_tiny_model(models / "tiny", "bert", labels=["food", "sports", "technology", "travel"], seed=3)
    runs.mkdir()
    (base / "accounts").write_text(ACCOUNTS, encoding="utf-8")
    app = App(runs, "--auth-file", str(base / "accounts"), "--models", str(models), "--max-runs-per-account", "2",
              "--max-runs", "3", "--download-minutes", "0.5",
              env={"TUNESCOPE_THREADS": "1", "GRADIO_TEMP_DIR": str(gradio_tmp)})
    try:
        lab = Lab(app, models, gradio_tmp)
        ann = lab["ann"]
        lab.run = ann.predict(upload(ann, SAMPLE), base_model=f"folder:{models / 'tiny'}", settings=SETTINGS,
                              api_name="/start_training")["run_id"]
        until(lambda: ann.predict(lab.run, api_name="/training_status")["status"]["state"] == "finished",
              "ann's run finished")
        yield lab
    finally:
        app.stop()


def reads(run: str) -> list[dict[str, Any]]:
    """A call of every endpoint that reads or uses run ``run``."""
    model = f"run:{run}"
    return [dict(args=(run,), api_name="/training_status"), dict(args=(run,), api_name="/report_file"),
            dict(args=(run,), api_name="/export_file"), dict(args=(run,), api_name="/suspects"),
            dict(args=(run,), api_name="/evaluate"), dict(args=(run, "a text"), api_name="/similar"),
            dict(args=(run, run), api_name="/diff_runs"), dict(args=("a text",), model=model, api_name="/predict"),
            dict(args=("a text",), model=model, api_name="/attention"),
            dict(args=("a [MASK] text",), model=model, api_name="/fill"), dict(model=model, api_name="/load_model")]


CHANGES = ("/delete_run", "/share_run", "/describe_run", "/stop_training", "/resume_training",
           "/retry_smaller_batch", "/retrain_fixed")


def call(client: Client, spec: dict[str, Any]) -> Any:
    spec = dict(spec)
    return client.predict(*spec.pop("args", ()), **spec)


def test_a_private_run_is_invisible_to_other_accounts_through_every_endpoint(lab: Lab) -> None:
    run, ghost = lab.run, lab.run + "-nope"
    for user in ("bob", "vic"):
        client = lab[user]
        assert run not in {r["run_id"] for r in client.predict(api_name="/list_runs")}
        for spec in reads(run):
            said = refusal(lambda: call(client, spec))  # noqa: B023 - called at once
            assert NO_RUN.format(run) in said, (user, spec["api_name"], said)
            ghost_spec = json.loads(json.dumps(spec).replace(run, ghost))
            assert refusal(lambda: call(client, ghost_spec)).replace(ghost, run) == said  # noqa: B023
        for endpoint in CHANGES:
            said = refusal(lambda: client.predict(run, api_name=endpoint))  # noqa: B023
            assert (READ_ONLY if user == "vic" else NO_RUN.format(run)) in said, (user, endpoint, said)
    listed = {r["run_id"]: r for r in lab["root"].predict(api_name="/list_runs")}
    assert listed[run]["owner"] == "ann" and "owner" not in lab["ann"].predict(api_name="/list_runs")[0]


def test_uploads_are_private_random_and_a_viewer_cannot_upload(lab: Lab) -> None:
    ann, bob = lab["ann"], lab["bob"]
    mine, again, bobs = upload(ann, SAMPLE), upload(ann, SAMPLE), upload(bob, SAMPLE)
    assert mine == again and mine != bobs and mine.endswith("-sample.csv") and bobs.endswith("-sample.csv")
    gone = "There is no upload 'sample.csv' you can see: upload the file again."
    for spec in (dict(args=(mine,), api_name="/inspect_data"), dict(args=(mine,), api_name="/start_training"),
                 dict(args=(mine,), api_name="/sweep_start"),
                 dict(args=(bobs,), settings={"pretrain": "file"}, pretrain_upload=mine, api_name="/start_training"),
                 dict(args=(bobs,), val_upload=mine, api_name="/start_training")):
        assert gone in refusal(lambda: call(bob, spec)), spec  # noqa: B023
    forged = mine[:-len("sample.csv")].swapcase() + "sample.csv"  # an id of the right form that nobody was given
    assert refusal(lambda: bob.predict(forged, api_name="/inspect_data")) == refusal(
        lambda: bob.predict(mine, api_name="/inspect_data"))
    assert ann.predict(mine, api_name="/inspect_data")["rows"] == 240
    assert "viewer account cannot upload" in refusal(lambda: upload(lab["vic"], SAMPLE))
    assert "viewer account cannot upload" in refusal(lambda: lab["vic"].predict("default", api_name="/use_sample"))
    until(lambda: not list(lab.gradio_tmp.rglob("sample.csv")), "Gradio's copies of the uploads deleted", 60)


def test_a_shared_run_is_read_by_the_lab_and_changed_by_its_owner_only(lab: Lab) -> None:
    ann, bob, vic, root = lab["ann"], lab["bob"], lab["vic"], lab["root"]
    run = lab.run
    assert ann.predict(run, True, api_name="/share_run") == {"run_id": run, "shared": True}
    try:
        for client in (bob, vic):
            assert run in {r["run_id"] for r in client.predict(api_name="/list_runs") if r["shared"]}
            assert client.predict("The striker scored twice.", model=f"run:{run}", api_name="/predict")["label"]
            assert client.predict(run, api_name="/training_status")["status"]["state"] == "finished"
        assert "<html" in Path(bob.predict(run, api_name="/report_file")).read_text(encoding="utf-8")
        for endpoint in ("/delete_run", "/share_run", "/describe_run", "/stop_training", "/resume_training"):
            assert "belongs to another account" in refusal(lambda: bob.predict(run, api_name=endpoint))  # noqa: B023
            assert READ_ONLY in refusal(lambda: vic.predict(run, api_name=endpoint))  # noqa: B023
        mine = upload(ann, SAMPLE)
        assert "There is no upload" in refusal(lambda: bob.predict(run, upload=mine, api_name="/evaluate"))
    finally:
        assert root.predict(run, False, api_name="/share_run")["shared"] is False  # an admin may change any run
    assert run not in {r["run_id"] for r in bob.predict(api_name="/list_runs")}


def test_sweeps_are_their_starters(lab: Lab) -> None:
    folder = lab.app.runs / "sweeps" / "anns-sweep"
    folder.mkdir(parents=True)
    (folder / "sweep.json").write_text(json.dumps({"sweep_id": "anns-sweep", "owner": "ann"}), encoding="utf-8")
    for user, endpoint, sentence in (("bob", "/sweep_status", "There is no sweep 'anns-sweep' you can see"),
                                     ("bob", "/sweep_stop", "There is no sweep 'anns-sweep' you can see"),
                                     ("vic", "/sweep_status", "There is no sweep 'anns-sweep' you can see"),
                                     ("vic", "/sweep_stop", READ_ONLY)):
        assert sentence in refusal(lambda: lab[user].predict("anns-sweep", api_name=endpoint)), (user, endpoint)  # noqa: B023
    assert refusal(lambda: lab["bob"].predict("anns-sweep", api_name="/sweep_status")).replace(
        "anns-sweep", "x") == refusal(lambda: lab["bob"].predict("x", api_name="/sweep_status"))


def test_downloads_reach_their_owner_once_then_leave_no_file(lab: Lab) -> None:
    raw = Client(lab.app.url, auth=("ann", PASSWORDS["ann"]), verbose=False, download_files=False)
    answer = raw.predict(lab.run, api_name="/report_file")
    assert str(lab.app.runs) not in json.dumps(answer) and answer["orig_name"].endswith("-report.html")
    stored = Path(answer["path"])
    url = lab.app.url + "gradio_api/file=" + answer["path"]
    assert httpx.get(url, cookies=lab["bob"].cookies).status_code == 404  # another account: as if not there
    assert httpx.get(url).status_code in (401, 403, 404)  # no login: nothing either
    got = httpx.get(url, cookies=raw.cookies)
    assert got.status_code == 200 and "<html" in got.text and "attachment" in got.headers["content-disposition"]
    until(lambda: not stored.parent.exists(), "the downloaded report deleted", 60)
    assert httpx.get(url, cookies=raw.cookies).status_code in (403, 404)
    export = Path(raw.predict(lab.run, format="zip", api_name="/export_file")["path"])
    assert export.exists()
    until(lambda: not export.parent.exists(), "an export nobody downloaded deleted after --download-minutes", 240)
    until(lambda: not any(p.is_file() for p in export.parent.parent.rglob("*")), "the download area empty", 240)


def test_twenty_concurrent_starts_get_unique_runs_or_the_limit_sentence(lab: Lab) -> None:
    users = ["ann", "bob"] * 10
    clients = [patient_client(lab.app.url, auth=(user, PASSWORDS[user])) for user in users]  # no 5 s timeout
    uploads = {user: upload(lab[user], SAMPLE) for user in ("ann", "bob")}
    limits = ("Your account already has as many runs waiting or training as one account may have (2)",
              "The server already has 3 runs waiting or training, the most it takes")

    def start(i: int) -> tuple[str, str]:
        try:
            return "run", clients[i].predict(uploads[users[i]], base_model=f"folder:{lab.models / 'tiny'}",
                                             settings=SETTINGS, api_name="/start_training")["run_id"]
        except Exception as exc:  # noqa: BLE001 - the refusal is checked below
            return "refused", str(exc)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(start, range(20)))
    started = [(users[i], value) for i, (kind, value) in enumerate(answers) if kind == "run"]
    refused = [value for kind, value in answers if kind == "refused"]
    assert 1 <= len(started) <= 3 and len({run for _, run in started}) == len(started)
    assert all(sum(user == u for u, _ in started) <= 2 for user in ("ann", "bob"))
    assert all(any(sentence in said for sentence in limits) for said in refused), refused
    assert all(str(lab.app.runs) not in value and "/tmp" not in value for _, value in answers)
    for user, run in started:
        assert run in {r["run_id"] for r in lab[user].predict(api_name="/list_runs")}
        lab[user].predict(run, api_name="/stop_training")
    for user, run in started:
        until(lambda: lab[user].predict(run, api_name="/training_status")["status"]["state"]  # noqa: B023
              not in ("created", "queued", "running", "stopping"), f"run {run} stopped")
