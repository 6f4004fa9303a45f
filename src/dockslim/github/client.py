"""A small GitHub REST client on the standard library (urllib): JSON, pagination, rate limits.

Every failure becomes a :class:`GitHubError` with a message a person can act on; ``status`` keeps
the HTTP status (0 for network errors) so callers can treat 422 specially.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any, Callable

from .. import __version__

DEFAULT_API = "https://api.github.com"
MAX_PAGES = 50  # 5,000 items at 100 per page: more than GitHub lists for a pull request
MAX_RETRY_WAIT = 30.0  # seconds we are willing to wait for a Retry-After before giving up


class GitHubError(Exception):
    def __init__(self, message: str, status: int = 0, payload: Any = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.payload = payload


class RateLimited(GitHubError):
    pass


@dataclass(frozen=True)
class Response:
    status: int
    headers: Message
    data: Any


_LINK = re.compile(r'<([^>]+)>;\s*rel="([^"]+)"')


def next_link(header: str | None) -> str | None:
    for url, rel in _LINK.findall(header or ""):
        if rel == "next":
            return url
    return None


def _details(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    msg = str(data.get("message", ""))
    errors = data.get("errors")
    if errors:
        msg += ": " + "; ".join(e if isinstance(e, str) else json.dumps(e, sort_keys=True) for e in errors)
    return msg


class GitHub:
    def __init__(self, token: str | None, api_url: str = DEFAULT_API, *, timeout: float = 30.0,
                 max_retry_wait: float = MAX_RETRY_WAIT, sleep: Callable[[float], None] = time.sleep):
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep

    def request(self, method: str, path_or_url: str, body: Any = None) -> Response:
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.api_url + path_or_url
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"dockslim/{__version__}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(3):
            req = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    raw = resp.read()
                    return Response(resp.status, resp.headers, json.loads(raw) if raw.strip() else None)
            except urllib.error.HTTPError as exc:
                raw = exc.read()
                try:
                    payload = json.loads(raw) if raw.strip() else None
                except ValueError:
                    payload = raw.decode("utf-8", "replace")
                wait = self._retry_wait(exc.code, exc.headers)
                if wait is not None and attempt < 2:
                    self.sleep(wait)
                    continue
                raise self._error(method, url, exc.code, exc.headers, payload) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise GitHubError(f"cannot reach GitHub at {self.api_url}: {reason}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_wait(self, status: int, headers: Message) -> float | None:
        """Seconds to wait before retrying (secondary rate limit, server hiccup), or None."""
        retry_after = headers.get("Retry-After")
        if status in (403, 429) and retry_after:
            try:
                wait = float(retry_after)
            except ValueError:
                return None
            return wait if wait <= self.max_retry_wait else None
        if status in (502, 503, 504):
            return 1.0
        return None

    def _error(self, method: str, url: str, status: int, headers: Message, payload: Any) -> GitHubError:
        what = f"{method} {urllib.parse.urlsplit(url).path}"
        detail = _details(payload)
        if status in (403, 429) and (headers.get("X-RateLimit-Remaining") == "0" or headers.get("Retry-After")):
            reset = headers.get("X-RateLimit-Reset")
            when = (time.strftime(" (resets at %H:%M:%S UTC)", time.gmtime(int(reset)))
                    if reset and reset.isdigit() else "")
            after = headers.get("Retry-After")
            if after:
                when = f" (retry after {after} s)"
            return RateLimited(f"GitHub rate limit reached on {what}{when}; try again later", status, payload)
        if status == 401:
            return GitHubError(f"GitHub rejected the token (401) on {what}: check GITHUB_TOKEN", status, payload)
        if status == 403:
            return GitHubError(f"forbidden (403) on {what}: {detail or 'no permission'}. The token needs "
                               "`pull-requests: write`; on pull requests from forks GITHUB_TOKEN is "
                               "read-only", status, payload)
        if status == 404:
            return GitHubError(f"not found (404): {what} (wrong repository or pull request number, or "
                               "a token without access)", status, payload)
        return GitHubError(f"GitHub answered {status} to {what}: {detail or 'no details'}", status, payload)

    def paginate(self, path: str) -> list[Any]:
        sep = "&" if "?" in path else "?"
        url: str | None = f"{path}{sep}per_page=100"
        items: list[Any] = []
        for _ in range(MAX_PAGES):
            if url is None:
                return items
            resp = self.request("GET", url)
            if not isinstance(resp.data, list):
                raise GitHubError(f"unexpected answer from GET {path}: not a list", resp.status, resp.data)
            items.extend(resp.data)
            url = next_link(resp.headers.get("Link"))
        raise GitHubError(f"GET {path}: more than {MAX_PAGES} pages; giving up")
