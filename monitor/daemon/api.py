"""The daemon's WSGI application: the post-release API, health checks and metrics.

Routes (docs/api.md):
    POST /api/v1/runs            queue a post-release run (bearer token)     202
    GET  /api/v1/runs/<id>       its state, verdict and document; ?wait=S    200
    GET  /healthz                the process and the scheduler are alive     200 / 503
    GET  /readyz                 database reachable, no job overdue          200 / 503
    GET  /metrics                Prometheus text format                      200

Every error is JSON `{"code": ..., "message": ..., "field": ...}` with a stable `code`, so a
pipeline can branch on it. Werkzeug parses and routes; the server is `monitor.daemon.http`.
"""

from __future__ import annotations

import datetime as dt
import hmac
import html
import ipaddress
import json
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from monitor.app import App
from monitor.config import ConfigError
from monitor.daemon.contracts import DaemonView, JobState
from monitor.daemon.fleet_health import readyz_fleet
from monitor.daemon.metrics import make_registry
from monitor.render.checks import outcome_document
from monitor.services import post_release
from monitor.storage import DatabaseProblem
from monitor.storage.run_requests import DONE
from monitor.wiring.secrets import read_secret

__all__ = ["ApiError", "DaemonApi"]

_MAX_TEXT = 200


class ApiError(Exception):
    """An answer other than success: HTTP status, stable code, message, optional field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, default=str) + "\n",
        status=status,
        mimetype="application/json",
        headers=headers,
    )


def _error(exc: ApiError) -> Response:
    if isinstance(exc, PageError):
        return _page_error(exc)
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.field is not None:
        body["field"] = exc.field
    headers = {"WWW-Authenticate": 'Bearer realm="senderwatch"'} if exc.status == 401 else None
    return _json(body, exc.status, headers)


class PageError(ApiError):
    """A page cannot be shown: answered as a short HTML page, not JSON."""


# Pages carry no script: the policy says so to the browser too.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _page(html: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        html,
        status,
        headers={**_PAGE_HEADERS, **(headers or {})},
        content_type="text/html; charset=utf-8",
    )


def _page_error(exc: PageError) -> Response:
    if exc.status == 401:
        text = "Sign in with the API token as the password (any user name)."
        challenge = {"WWW-Authenticate": 'Basic realm="senderwatch", charset="UTF-8"'}
        return _page(f"<!doctype html><title>401</title><p>{text}</p>", 401, challenge)
    text = html.escape(exc.message)
    body = f"<!doctype html><title>{exc.status}</title><p>{text}</p><p><a href='/'>Overview</a></p>"
    return _page(body, exc.status)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DaemonApi:
    """The WSGI callable; one per server, holding the App, the daemon view and a registry."""

    def __init__(
        self, app: App, view: DaemonView, *, now: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.app = app
        self.view = view
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.registry = make_registry(app, view, self.now)
        self.routes = Map(
            [
                Rule("/api/v1/runs", methods=["POST"], endpoint="create_run"),
                Rule("/api/v1/runs/<int:run_id>", methods=["GET"], endpoint="show_run"),
                Rule("/api/v1/runs/<int:run_id>/junit", methods=["GET"], endpoint="run_junit"),
                Rule("/", methods=["GET"], endpoint="overview"),
                Rule("/favicon.ico", methods=["GET"], endpoint="favicon"),
                Rule("/reports/weekly", methods=["GET"], endpoint="weekly_latest"),
                Rule("/reports/weekly/<week>", methods=["GET"], endpoint="weekly_report"),
                Rule("/healthz", methods=["GET"], endpoint="healthz"),
                Rule("/readyz", methods=["GET"], endpoint="readyz"),
                Rule("/metrics", methods=["GET"], endpoint="metrics"),
            ]
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = self.app.settings.api.max_body_bytes
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Route the request; every failure becomes a JSON error, never a traceback page."""
        try:
            endpoint, args = self.routes.bind_to_environ(request.environ).match()
            handler: Callable[..., Response] = getattr(self, f"_{endpoint}")
            return handler(request, **args)
        except ApiError as exc:
            return _error(exc)
        except NotFound:
            return _error(ApiError(404, "not_found", f"no such resource: {request.path}"))
        except MethodNotAllowed:
            return _error(ApiError(405, "method_not_allowed", f"{request.method} not allowed"))
        except HTTPException as exc:
            status = exc.code or 400
            code = "body_too_large" if status == 413 else "bad_request"
            return _error(ApiError(status, code, exc.description or exc.name))
        except DatabaseProblem as exc:
            return _error(ApiError(503, "database_unavailable", str(exc)))

    # -- post-release runs -------------------------------------------------------------

    def _authorize(self, request: Request, *, basic: bool = False) -> None:
        """Bearer token from `api.token_env`, compared in constant time; with `basic`, the
        token may also come as the password of HTTP Basic auth (what a browser can send)."""
        try:
            token = read_secret(
                self.app.settings.api.token_env, key="api.token_env", environ=self.app.environ
            )
        except ConfigError:
            raise ApiError(
                401, "unauthorized", "the API token is not configured (api.token_env)"
            ) from None
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if basic and request.authorization is not None and request.authorization.type == "basic":
            scheme, given = "bearer", request.authorization.password or ""
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            raise ApiError(401, "unauthorized", "missing or wrong bearer token")

    def _create_run(self, request: Request) -> Response:
        self._authorize(request)
        limit = self.app.settings.api.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise ApiError(413, "body_too_large", f"the body is over {limit} bytes")
        new_run = _parse_new_run(request.get_data(cache=False))
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= _MAX_TEXT:
            raise ApiError(
                422, "invalid_field", f"must be 1 to {_MAX_TEXT} characters", "Idempotency-Key"
            )
        try:
            queued = post_release.enqueue(self.app, new_run, key)
        except post_release.RequestInvalid as exc:
            raise ApiError(422, exc.code, str(exc), exc.field) from None
        except post_release.QueueFull as exc:
            raise ApiError(429, "too_many_queued", str(exc)) from None
        self.view.wake_runner()
        url = f"/api/v1/runs/{queued.id}"
        body = {"id": queued.id, "url": url, "state": queued.state}
        return _json(body, 202, {"Location": url})

    def _show_run(self, request: Request, run_id: int) -> Response:
        self._authorize(request)
        wait = _wait_seconds(request, self.app.settings.api.max_wait)
        if wait > 0:
            detail = post_release.wait(self.app, run_id, wait)
        else:
            detail = post_release.get(self.app, run_id)
        if detail is None:
            raise ApiError(404, "run_not_found", f"no post-release run {run_id}")
        return _json(_run_body(detail))

    def _run_junit(self, request: Request, run_id: int) -> Response:
        """The finished run as JUnit XML, the file CI systems show as tests (`check --junit`)."""
        self._authorize(request)
        detail = post_release.get(self.app, run_id)
        if detail is None:
            raise ApiError(404, "run_not_found", f"no post-release run {run_id}")
        if detail.outcome is None:
            state = detail.request.state
            if state == DONE:  # done without a stored run: it never ran
                message = f"run {run_id} ended without results: {detail.request.error}"
                raise ApiError(409, "run_has_no_results", message)
            raise ApiError(409, "run_not_done", f"run {run_id} is {state}; JUnit comes when done")
        from monitor.render.junit import render_junit

        return Response(render_junit(detail.outcome), 200, content_type="application/xml")

    # -- pages -------------------------------------------------------------------------

    def _authorize_page(self, request: Request) -> None:
        """Pages are open on a loopback listener (only this host can reach them; a reverse
        proxy in front is then the gate). Otherwise they need the API token: as a bearer
        token, or as the password of HTTP Basic auth, which a browser asks for by itself."""
        if _is_loopback(self.app.settings.api.host):
            return
        try:
            self._authorize(request, basic=True)
        except ApiError as exc:
            raise PageError(exc.status, exc.code, exc.message) from None

    def _overview(self, request: Request) -> Response:
        self._authorize_page(request)
        from monitor.render.pages import render_overview
        from monitor.services.overview import overview

        return _page(
            render_overview(overview(self.app), self.view.jobs(), latest_report="/reports/weekly")
        )

    def _favicon(self, _request: Request) -> Response:
        """No icon, said plainly: browsers ask for one with every page, and a 404 would be a
        console error on each."""
        return Response(status=204, headers={"Cache-Control": "max-age=86400"})

    def _weekly_latest(self, request: Request) -> Response:
        """The last full week's report: a redirect, so the address names the week."""
        self._authorize_page(request)
        from monitor.services.report import parse_week

        week = parse_week(None, self.app.clock())
        query = request.query_string.decode("latin-1")
        location = f"/reports/weekly/{week}" + (f"?{query}" if query else "")
        return Response("", 302, headers={"Location": location, **_PAGE_HEADERS})

    def _weekly_report(self, request: Request, week: str) -> Response:
        """The standalone report of ISO week `week`; `?env=` or `?domain=` narrow it."""
        self._authorize_page(request)
        from monitor.errors import UsageError
        from monitor.services.report import build_weekly, render_weekly

        try:
            report = build_weekly(
                self.app, week, env=request.args.get("env"), domain=request.args.get("domain")
            )
        except UsageError as exc:
            raise PageError(404, "not_found", str(exc)) from None
        return _page(render_weekly(report, "html"))

    # -- operations --------------------------------------------------------------------

    def _healthz(self, _request: Request) -> Response:
        alive = self.view.alive()
        body = {"status": "ok" if alive else "down", "scheduler": alive}
        return _json(body, 200 if alive else 503)

    def _readyz(self, _request: Request) -> Response:
        problems: list[str] = []
        try:
            post_release.get(self.app, 0)
            database = True
        except DatabaseProblem as exc:
            database = False
            problems.append(f"database: {exc}")
        now = self.now()
        jobs = []
        for job in self.view.jobs():
            overdue = _overdue(job, now)
            if overdue:
                problems.append(f"job {job.name}: no success within twice its interval")
            jobs.append(
                {
                    "name": job.name,
                    "ok": not overdue,
                    "last_success": job.last_success.isoformat() if job.last_success else None,
                    "last_error": job.last_error,
                }
            )
        ready = not problems
        body = {
            "status": "ready" if ready else "not_ready",
            "database": database,
            "jobs": jobs,
            "problems": problems,
        }
        if database:
            body.update(readyz_fleet(self.app, self.view))
        return _json(body, 200 if ready else 503)

    def _metrics(self, _request: Request) -> Response:
        return Response(
            generate_latest(self.registry), mimetype=None, content_type=CONTENT_TYPE_LATEST
        )


def _overdue(job: JobState, now: dt.datetime) -> bool:
    """No success within twice the job's interval. A job that has not succeeded yet counts
    only once it failed or started over two intervals ago (a fresh daemon is ready)."""
    if job.interval_s is None:
        return False
    limit = dt.timedelta(seconds=2 * job.interval_s)
    if job.last_success is not None:
        return now - job.last_success > limit
    if job.last_error is not None:
        return True
    return job.last_started is not None and now - job.last_started > limit


def _parse_new_run(raw: bytes) -> post_release.NewRun:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_field", "the body must be a JSON object", "body")
    unknown = sorted(set(data) - {"environment", "release", "checks"})
    if unknown:
        raise ApiError(422, "unknown_field", f"unknown field {unknown[0]!r}", unknown[0])
    environment = _text(data, "environment")
    release = _text(data, "release")
    checks = data.get("checks", list(post_release.CHECK_PARTS))
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        raise ApiError(422, "invalid_field", "must be a list of strings", "checks")
    return post_release.NewRun(environment, release, tuple(checks))


def _text(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if value is None:
        raise ApiError(422, "missing_field", f"{field} is required", field)
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_TEXT:
        raise ApiError(
            422, "invalid_field", f"{field} must be a string of 1 to {_MAX_TEXT} characters", field
        )
    return value


def _wait_seconds(request: Request, bound: float) -> float:
    raw = request.args.get("wait")
    if raw is None:
        return 0.0
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ApiError(422, "invalid_field", "wait must be a number of seconds", "wait")
    return min(seconds, bound)


def _run_body(detail: post_release.RunDetail) -> dict[str, Any]:
    request = detail.request
    return {
        "id": request.id,
        "url": f"/api/v1/runs/{request.id}",
        "state": request.state,
        "environment": request.environment,
        "release": request.release,
        "checks": list(request.checks),
        "requested_at": request.requested_at.isoformat(),
        "started_at": request.started_at.isoformat() if request.started_at else None,
        "finished_at": request.finished_at.isoformat() if request.finished_at else None,
        "run_id": request.run_id,
        "status": request.status,
        "exit_code": request.exit_code,
        "error": request.error,
        "result": outcome_document(detail.outcome) if detail.outcome is not None else None,
    }
