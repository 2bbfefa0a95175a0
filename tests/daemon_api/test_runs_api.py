"""The post-release API over real HTTP: auth, validation, limits, idempotency, waiting."""

from __future__ import annotations

import threading
from pathlib import Path

import requests

from monitor.app import App
from monitor.config import parse_settings
from monitor.services import alerts as alert_service
from monitor.services import post_release
from tests.conftest import EditableDns
from tests.daemon_api.conftest import TOKEN, TOKEN_ENV, Api, settings_data

PAYLOAD = {"environment": "production", "release": "v1.4.2", "checks": ["dns"]}


def _post(api: Api, body: object = PAYLOAD, **headers: str) -> requests.Response:
    return requests.post(
        f"{api.base}/api/v1/runs", json=body, headers=api.headers(**headers), timeout=10
    )


def test_wrong_token_is_401_with_bearer_challenge(api: Api) -> None:
    """A pipeline with a stale token learns why, and nothing is queued."""
    answer = requests.post(
        f"{api.base}/api/v1/runs",
        json=PAYLOAD,
        headers={"Authorization": "Bearer wrong"},
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.json()["code"] == "unauthorized"
    missing = requests.get(f"{api.base}/api/v1/runs/1", timeout=10)
    assert missing.status_code == 401
    assert post_release.get(api.app, 1) is None


def test_queued_run_is_202_with_its_url_and_wakes_the_runner(api: Api) -> None:
    """The answer says where to ask next; the runner is told at once, not on a tick."""
    answer = _post(api)
    assert answer.status_code == 202
    body = answer.json()
    assert body["url"] == f"/api/v1/runs/{body['id']}"
    assert answer.headers["Location"] == body["url"]
    assert body["state"] == "queued"
    assert api.view.wakes.is_set()


def test_unknown_environment_is_422_naming_the_field(api: Api) -> None:
    """The pipeline sees which field is wrong and the environments that exist."""
    answer = _post(api, {**PAYLOAD, "environment": "prod"})
    assert answer.status_code == 422
    body = answer.json()
    assert (body["code"], body["field"]) == ("unknown_environment", "environment")
    assert "production" in body["message"]


def test_unknown_check_is_422_naming_its_position(api: Api) -> None:
    """`checks[1]` points at the typo in the list."""
    answer = _post(api, {**PAYLOAD, "checks": ["dns", "spf"]})
    assert answer.status_code == 422
    assert (answer.json()["code"], answer.json()["field"]) == ("unknown_check", "checks[1]")


def test_canary_on_an_environment_without_one_is_422(api: Api) -> None:
    """Asking for a part the environment cannot run fails at once, not in the runner."""
    answer = _post(api, {**PAYLOAD, "checks": ["canary"]})
    assert answer.status_code == 422
    assert answer.json()["field"] == "checks"


def test_bad_bodies_are_json_errors(api: Api) -> None:
    """Not JSON, not an object, a missing release: each gets its own stable code."""
    raw = requests.post(f"{api.base}/api/v1/runs", data=b"{nope", headers=api.headers(), timeout=10)
    assert (raw.status_code, raw.json()["code"]) == (400, "invalid_json")
    listed = _post(api, ["production"])
    assert (listed.status_code, listed.json()["field"]) == (422, "body")
    no_release = _post(api, {"environment": "production"})
    assert (no_release.status_code, no_release.json()["field"]) == (422, "release")
    extra = _post(api, {**PAYLOAD, "relase": "x"})
    assert (extra.status_code, extra.json()["field"]) == (422, "relase")


def test_body_over_the_limit_is_413(api: Api) -> None:
    """A body over `api.max_body_bytes` is refused before it is parsed."""
    answer = _post(api, {**PAYLOAD, "release": "v" + "x" * 2000})
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"


def test_too_many_queued_is_429(api: Api) -> None:
    """With `max_queued` waiting, the next request is refused until the runner catches up."""
    for n in range(3):
        assert _post(api, {**PAYLOAD, "release": f"v{n}"}).status_code == 202
    answer = _post(api, {**PAYLOAD, "release": "v9"})
    assert answer.status_code == 429
    assert answer.json()["code"] == "too_many_queued"


def test_retried_idempotency_key_returns_the_same_run(api: Api) -> None:
    """A pipeline retrying after a lost answer gets its first run, not a second one."""
    first = _post(api, **{"Idempotency-Key": "deploy-7781"}).json()
    again = _post(api, **{"Idempotency-Key": "deploy-7781"}).json()
    assert again["id"] == first["id"]
    other = _post(api, {**PAYLOAD, "release": "v2"}, **{"Idempotency-Key": "deploy-7781"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_concurrent_retries_with_one_key_queue_one_run(api: Api) -> None:
    """Two copies of a request racing each other still make one run (unique key)."""
    ids: list[int] = []

    def send() -> None:
        ids.append(_post(api, **{"Idempotency-Key": "race"}).json()["id"])

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 4
    assert len(set(ids)) == 1


def test_unknown_run_is_404(api: Api) -> None:
    answer = requests.get(f"{api.base}/api/v1/runs/999", headers=api.headers(), timeout=10)
    assert (answer.status_code, answer.json()["code"]) == (404, "run_not_found")


def test_wait_returns_when_the_run_is_done(api: Api) -> None:
    """`?wait=` holds the answer until the runner finished the real DNS run."""
    run_id = _post(api).json()["id"]
    runner = threading.Timer(0.3, post_release.execute_next, args=(api.app,))
    runner.start()
    try:
        answer = requests.get(
            f"{api.base}/api/v1/runs/{run_id}?wait=30", headers=api.headers(), timeout=40
        )
    finally:
        runner.join()
    body = answer.json()
    assert body["state"] == "done"
    assert body["status"] in {"pass", "warn"}
    assert body["exit_code"] == 0
    assert body["release"] == "v1.4.2"
    document = body["result"]
    assert document["run_id"] == body["run_id"]
    assert {r["check"] for r in document["results"]} >= {"spf", "dmarc"}
    assert all(r["environment"] == "production" for r in document["results"])


def test_wait_gives_up_after_its_time_with_the_run_still_queued(api: Api) -> None:
    """Without a runner the answer comes back after `wait` seconds, still queued."""
    run_id = _post(api).json()["id"]
    answer = requests.get(
        f"{api.base}/api/v1/runs/{run_id}?wait=0.5", headers=api.headers(), timeout=10
    )
    assert answer.json()["state"] == "queued"
    bad = requests.get(
        f"{api.base}/api/v1/runs/{run_id}?wait=soon", headers=api.headers(), timeout=10
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "wait")


def test_a_failing_deploy_run_raises_its_alerts_like_check(
    tmp_path: Path, dns_server: EditableDns
) -> None:
    """A post-release run goes through the same alert lifecycle as `senderwatch check`: a
    missing DKIM key fires (delivery is left to the daemon's outbox job)."""
    data = settings_data(dns_server.address, tmp_path / "db.sqlite")
    data["environments"]["production"]["domain"] = "core-fail.test"
    data["environments"]["production"]["dkim_selectors"] = ["s1"]
    with App(parse_settings(data), environ={TOKEN_ENV: TOKEN}) as app:
        post_release.enqueue(app, post_release.NewRun("production", "v2", ("dns",)))
        assert post_release.execute_next(app) is True
        firing = alert_service.overview(app).alerts
    keys = {str(record.key) for record, _muted in firing}
    assert "core-fail.test/dkim/dkim.selector_missing" in keys


def test_a_request_cut_off_mid_run_is_answered_interrupted_not_running_forever(
    api: Api,
) -> None:
    """The daemon stopped (or died) while a post-release run went on: the request is answered
    `interrupted` with exit 5 (no verdict), so a waiting pipeline is not left hanging."""
    run_id = _post(api).json()["id"]
    claimed = post_release._claim(api.app)  # a runner took it, then its process went away
    assert claimed is not None and claimed.id == run_id
    assert post_release.interrupt_running(api.app) == [run_id]
    answer = requests.get(f"{api.base}/api/v1/runs/{run_id}", headers=api.headers(), timeout=10)
    body = answer.json()
    assert (body["state"], body["status"], body["exit_code"]) == ("done", "interrupted", 5)
    assert post_release.interrupt_running(api.app) == []  # answered once
