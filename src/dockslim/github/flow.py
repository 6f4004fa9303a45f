"""``dockslim github review`` as a reusable function: PR diff -> fix -> one review, without duplicates."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from ..engine import fix_file
from ..io import is_dockerfile_name
from ..options import RunOptions
from ..passes import Options, Pass
from .client import GitHub, GitHubError
from .review import (COMMENT_MARKER, REVIEW_MARKER, ChangedFile, FileFix, Review, digest_of, fallback,
                     parse_git_diff, parse_patch, plan, superseded_body)

Planner = Callable[[str], "tuple[Sequence[Pass], Options]"]


@dataclass(frozen=True)
class Outcome:
    action: str  # dry-run | nothing | unchanged | posted | posted-fallback | updated
    review: Review
    payload: dict[str, Any]
    message: str
    errors: tuple[str, ...] = ()


def changed_from_api(gh: GitHub, repo: str, number: int) -> list[ChangedFile]:
    files = gh.paginate(f"/repos/{repo}/pulls/{number}/files")
    return [ChangedFile(f["filename"], f.get("status", "modified"), parse_patch(f.get("patch")))
            for f in files]


def changed_from_git(base: str, root: Path) -> list[ChangedFile]:
    cmd = ["git", "-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "-U3",
           f"{base}...HEAD"]
    try:
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise GitHubError(f"cannot run git: {exc}") from None
    if proc.returncode != 0:
        # One line: outside a repository git adds ~100 lines of `git diff --no-index` usage.
        first = next((line.strip() for line in proc.stderr.splitlines() if line.strip()), str(proc.returncode))
        if "not a git repository" in proc.stderr.lower():
            first = f"{root} is not a git repository (--root names the pull request's checkout)"
        raise GitHubError(f"`git diff {base}...HEAD` failed: {first}")
    return parse_git_diff(proc.stdout)


def collect(changed: Sequence[ChangedFile], root: Path, planner: Planner) -> tuple[list[FileFix], list[str]]:
    """Fix every Dockerfile the PR adds or changes (as checked out under ``root``)."""
    fixes: list[FileFix] = []
    errors: list[str] = []
    for cf in changed:
        if cf.status == "removed" or not is_dockerfile_name(os.path.basename(cf.path)):
            continue
        path = root / cf.path
        if not path.is_file():
            errors.append(f"{cf.path}: changed in the pull request but not in this checkout")
            continue
        passes, options = planner(str(path))
        report = fix_file(str(path), passes, options, None)
        if report.error is not None or report.result is None:
            errors.append(str(report.error))
            continue
        tree, res = report.tree, report.result
        assert tree is not None
        lines = {id(ap): (tree.position(ap.finding.start)[0],
                          tree.position(max(ap.finding.start, ap.finding.end - 1))[0])
                 for ap in res.applied if ap.round == 0}
        fixes.append(FileFix(cf.path, res.original, res.text, res.applied, lines))
        folder = os.path.dirname(cf.path)
        for rel, content in getattr(res, "creates", ()):  # new files a fix offers (.dockerignore)
            target = os.path.normpath(os.path.join(folder, rel))
            if not (root / target).exists() and all(f.path != target for f in fixes):
                fixes.append(FileFix(target, "", content, new=True))
    return fixes, errors


def review_pull_request(
    gh: GitHub | None,
    repo: str | None,
    number: int | None,
    *,
    root: Path,
    planner: Planner,
    base: str | None = None,
    dry_run: bool = False,
) -> Outcome:
    """Compute the review and (unless ``dry_run``) post it. Raises :class:`GitHubError`."""
    if base is not None:
        changed = changed_from_git(base, root)
    else:
        if gh is None or repo is None or number is None:
            raise GitHubError("the pull request's diff needs --repo and --pr (or --base for a local diff)")
        changed = changed_from_api(gh, repo, number)
    fixes, errors = collect(changed, root, planner)
    review = plan(fixes, {c.path: c for c in changed})
    if dry_run:
        return Outcome("dry-run", review, review.payload(), "dry run: nothing posted", tuple(errors))
    if gh is None or repo is None or number is None:
        raise GitHubError("posting a review needs --repo, --pr and GITHUB_TOKEN")

    pull = gh.request("GET", f"/repos/{repo}/pulls/{number}").data or {}
    head = (pull.get("head") or {}).get("sha")
    ours = [r for r in gh.paginate(f"/repos/{repo}/pulls/{number}/reviews")
            if REVIEW_MARKER in (r.get("body") or "")]
    latest = next((r for r in reversed(ours) if digest_of(r.get("body"))), None)
    if latest is not None and digest_of(latest.get("body")) == review.digest:
        return Outcome("unchanged", review, {}, "the earlier dockslim review still holds: nothing posted",
                       tuple(errors))
    if review.fixes == 0:
        if latest is None:
            return Outcome("nothing", review, {}, "nothing to suggest: no review posted", tuple(errors))
        gh.request("PUT", f"/repos/{repo}/pulls/{number}/reviews/{latest['id']}", {"body": review.body})
        return Outcome("updated", review, {"body": review.body},
                       "everything is fixed: the earlier dockslim review now says so", tuple(errors))

    # Suggestions still open from an earlier run are not posted twice.
    open_keys = {(c.get("path"), c.get("line"), c.get("start_line"), c.get("body"))
                 for c in gh.paginate(f"/repos/{repo}/pulls/{number}/comments")
                 if COMMENT_MARKER in (c.get("body") or "") and c.get("line") is not None}
    fresh = Review(tuple(c for c in review.comments if c.key() not in open_keys), review.body,
                   review.digest, review.fixes)
    payload = fresh.payload(head)
    action, message = "posted", f"posted a review with {len(fresh.comments)} suggestion(s)"
    try:
        gh.request("POST", f"/repos/{repo}/pulls/{number}/reviews", payload)
    except GitHubError as exc:
        if exc.status != 422:
            raise
        moved = fallback(fresh)
        payload = moved.payload(head)
        gh.request("POST", f"/repos/{repo}/pulls/{number}/reviews", payload)
        action = "posted-fallback"
        message = (f"GitHub refused the suggestions as diff comments ({exc.message}); "
                   "posted them in the review body instead")
    if latest is not None:
        gh.request("PUT", f"/repos/{repo}/pulls/{number}/reviews/{latest['id']}", {"body": superseded_body()})
    return Outcome(action, review, payload, message, tuple(errors))


def pr_from_event() -> int | None:
    """The PR number from the Actions event payload (GITHUB_EVENT_PATH) or GITHUB_REF."""
    import json
    import re

    event = os.environ.get("GITHUB_EVENT_PATH")
    if event and os.path.isfile(event):
        try:
            with open(event, encoding="utf-8") as fh:
                data = json.load(fh)
            number = (data.get("pull_request") or {}).get("number") or data.get("number")
            if isinstance(number, int):
                return number
        except (OSError, ValueError):
            pass
    m = re.match(r"^refs/pull/(\d+)/", os.environ.get("GITHUB_REF", ""))
    return int(m.group(1)) if m else None


def run_review(options: RunOptions, *, repo: str | None = None, pr: int | None = None,
               base: str | None = None, dry_run: bool = False, api_url: str | None = None,
               root: str = ".") -> int:
    """``dockslim github review``: the pull request (from the flags, else the Actions environment),
    fixed with ``options``, reviewed once; the exit code. Token: $GITHUB_TOKEN, else $GH_TOKEN."""
    import json

    from ..commands import Planner
    from ..exitcodes import ExitCode
    from ..term import echo, error
    from .client import DEFAULT_API

    planner = Planner(options)
    repo = repo or os.environ.get("GITHUB_REPOSITORY") or None
    pr = pr if pr is not None else pr_from_event()
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or None  # GH_TOKEN: the gh CLI's name
    needs_api = not dry_run or base is None
    if needs_api and not dry_run and not token:
        error("GITHUB_TOKEN (or GH_TOKEN) is not set: a token with `pull-requests: write` is needed to post a review "
              "(or use --dry-run)")
        return int(ExitCode.ERROR)
    if needs_api and (not repo or pr is None):
        error("which pull request? give --repo owner/name and --pr N (in Actions they come from the event)")
        return int(ExitCode.ERROR)
    gh = GitHub(token, api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API) if needs_api else None
    try:
        outcome = review_pull_request(gh, repo, pr, root=Path(root), planner=planner.plan,
                                      base=base, dry_run=dry_run)
    except GitHubError as exc:
        error(exc.message)
        return int(ExitCode.ERROR)
    for e in outcome.errors:
        echo(e, err=True)
    if dry_run:
        echo(json.dumps(outcome.payload, indent=2, ensure_ascii=False))
    echo(f"dockslim: {outcome.message}", err=True)
    return int(ExitCode.ERROR if outcome.errors else ExitCode.OK)
