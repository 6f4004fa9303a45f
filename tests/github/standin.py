"""A local stand-in for GitHub's REST API on 127.0.0.1, strict where GitHub is strict.

It serves one repository's pull requests and enforces the documented rules for
``POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews``:

- the body is a JSON object with only ``commit_id``, ``body``, ``event``, ``comments``;
  ``event`` is APPROVE | REQUEST_CHANGES | COMMENT and ``body`` is required for the last two;
  ``commit_id``, when given, is the PR's head;
- each comment has only ``path``, ``body``, ``line``, ``side``, ``start_line``, ``start_side``
  (``position`` is the deprecated alternative), ``path`` and ``body`` are required strings;
- ``path`` is a file of the PR with a diff; ``side``/``start_side`` are LEFT or RIGHT;
- ``line`` lies inside a hunk of that file's diff on its side; a multi-line comment's
  ``start_line`` is less than ``line`` and in the same hunk.

Breaking a rule answers 422 like GitHub ("Unprocessable Entity" with ``errors``). Pages follow
``per_page``/``page`` with ``Link`` headers. Failures can be injected (rate limit, Retry-After, 422).
Every request is recorded. Nothing leaves the machine; the server stops with the test.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dockslim.github.review import parse_patch

REVIEW_KEYS = {"commit_id", "body", "event", "comments"}
COMMENT_KEYS = {"path", "position", "body", "line", "side", "start_line", "start_side"}


@dataclass
class PullRequest:
    number: int
    head_sha: str
    files: list[dict[str, Any]]  # filename, status, patch
    reviews: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeGitHub:
    def __init__(self, owner_repo: str = "octo/app", token: str = "t0ken"):
        self.repo = owner_repo
        self.token = token
        self.pulls: dict[int, PullRequest] = {}
        self.requests: list[Recorded] = []
        self.fail_next: list[tuple[int, dict[str, str], Any]] = []  # injected answers, in order
        self.reject_all_comments = False  # answer 422 to any review with comments
        self._ids = iter(range(1000, 10**6))
        self._server: ThreadingHTTPServer | None = None

    # --- set-up ------------------------------------------------------------------------------
    def add_pull(self, number: int, files: list[dict[str, Any]], head_sha: str = "a" * 40) -> PullRequest:
        pr = PullRequest(number, head_sha, files)
        self.pulls[number] = pr
        return pr

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(data).encode() if data is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    return self._send(400, {"message": "Problems parsing JSON"})
                fake.requests.append(Recorded(method, self.path, dict(self.headers), body))
                if fake.fail_next:
                    status, headers, data = fake.fail_next.pop(0)
                    return self._send(status, data, headers)
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._send(401, {"message": "Bad credentials"})
                status, data, headers = fake.route(method, self.path, body)
                self._send(status, data, headers)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PUT(self) -> None:
                self._handle("PUT")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # --- routes ------------------------------------------------------------------------------
    def route(self, method: str, raw_path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        m = re.fullmatch(rf"/repos/{re.escape(self.repo)}/pulls/(\d+)(/.*)?", parts.path)
        if not m or int(m.group(1)) not in self.pulls:
            return 404, {"message": "Not Found"}, {}
        pr = self.pulls[int(m.group(1))]
        rest = m.group(2) or ""
        if method == "GET" and rest == "":
            return 200, {"number": pr.number, "head": {"sha": pr.head_sha}}, {}
        if method == "GET" and rest in ("/files", "/reviews", "/comments"):
            items = {"/files": pr.files, "/reviews": pr.reviews, "/comments": pr.comments}[rest]
            return self._page(parts.path, items, query)
        if method == "POST" and rest == "/reviews":
            return self._create_review(pr, body)
        m2 = re.fullmatch(r"/reviews/(\d+)", rest)
        if method == "PUT" and m2:
            review = next((r for r in pr.reviews if r["id"] == int(m2.group(1))), None)
            if review is None:
                return 404, {"message": "Not Found"}, {}
            if not isinstance(body, dict) or set(body) != {"body"} or not isinstance(body["body"], str):
                return 422, {"message": "Invalid request", "errors": ["body is required"]}, {}
            review["body"] = body["body"]
            return 200, review, {}
        return 404, {"message": "Not Found"}, {}

    def _page(self, path: str, items: list[Any], query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<{self.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
        return 200, chunk, headers

    def _invalid(self, message: str) -> tuple[int, Any, dict[str, str]]:
        return 422, {"message": "Unprocessable Entity", "errors": [message],
                     "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"}, {}

    def _create_review(self, pr: PullRequest, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            return self._invalid("body must be a JSON object")
        extra = set(body) - REVIEW_KEYS
        if extra:
            return self._invalid(f"unknown fields: {sorted(extra)}")
        event = body.get("event")
        if event not in (None, "APPROVE", "REQUEST_CHANGES", "COMMENT"):
            return self._invalid(f"event {event!r} is not a valid event")
        if event in ("REQUEST_CHANGES", "COMMENT") and not body.get("body"):
            return self._invalid("Body is required for event COMMENT")
        if "commit_id" in body and body["commit_id"] != pr.head_sha:
            return self._invalid("commit_id is not the head of the pull request")
        comments = body.get("comments", [])
        if not isinstance(comments, list):
            return self._invalid("comments must be an array")
        if comments and self.reject_all_comments:
            return self._invalid("Line could not be resolved")
        for c in comments:
            problem = self._check_comment(pr, c)
            if problem:
                return self._invalid(problem)
        review = {"id": next(self._ids), "body": body.get("body", ""), "state": "COMMENTED",
                  "commit_id": pr.head_sha}
        pr.reviews.append(review)
        for c in comments:
            pr.comments.append({"id": next(self._ids), "pull_request_review_id": review["id"],
                                "path": c["path"], "body": c["body"], "line": c["line"],
                                "start_line": c.get("start_line"), "side": c.get("side", "RIGHT")})
        return 200, review, {}

    def _check_comment(self, pr: PullRequest, c: Any) -> str | None:
        if not isinstance(c, dict):
            return "each comment must be an object"
        extra = set(c) - COMMENT_KEYS
        if extra:
            return f"unknown comment fields: {sorted(extra)}"
        if not isinstance(c.get("path"), str) or not isinstance(c.get("body"), str):
            return "path and body are required"
        if "position" in c:
            return "position is not supported by this stand-in; use line"
        if not isinstance(c.get("line"), int):
            return "line is required"
        side = c.get("side", "RIGHT")
        start_side = c.get("start_side", side)
        if side not in ("LEFT", "RIGHT") or start_side not in ("LEFT", "RIGHT"):
            return "side must be LEFT or RIGHT"
        f = next((f for f in pr.files if f["filename"] == c["path"]), None)
        if f is None or not f.get("patch"):
            return "Path could not be resolved"
        hunks = parse_patch(f["patch"])
        line = c["line"]
        hunk = next((h for h in hunks if h.covers(line, line, side)), None)
        if hunk is None:
            return "Line could not be resolved"
        if "start_line" in c:
            start = c["start_line"]
            if not isinstance(start, int) or start >= line:
                return "start_line must precede line"
            if start_side != side or not hunk.covers(start, line, side):
                return "start_line must be part of the same hunk as the line"
        elif "start_side" in c:
            return "start_side needs start_line"
        return None
