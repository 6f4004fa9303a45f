"""End to end: `dockslim github review` with the real HTTP client against the local stand-in."""

from __future__ import annotations

import difflib
import json
import os
import subprocess

import pytest

from dockslim.cli import main

from .standin import FakeGitHub

BASE = """FROM python:3.11-slim
RUN apt-get update
RUN echo python -V
RUN mkdir /code
RUN mkdir /code/db
ADD . /code/
WORKDIR /code
EXPOSE 8000
USER app
ENV A=1
ENV B=2
LABEL x=y
RUN pip install -U pip
RUN pip install -r requirement
"""
HEAD = BASE.replace("RUN mkdir /code\n", "RUN mkdir -p /code\n")
SELECT = "add-to-copy,maintainer-to-label,merge-runs"


def patch(before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), n=3)
    return "".join(list(lines)[2:])  # GitHub's `patch` starts at the first @@


@pytest.fixture
def checkout(tmp_path):
    (tmp_path / "Dockerfile").write_text(HEAD)
    (tmp_path / "requirement").write_text("flask\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    return tmp_path


@pytest.fixture
def github(checkout):  # noqa: ARG001 - the checkout exists before the fake API serves it
    with FakeGitHub() as fake:
        fake.add_pull(7, [{"filename": "README.md", "status": "modified", "patch": "@@ -1 +1 @@\n-a\n+b"},
                          {"filename": "Dockerfile", "status": "modified", "patch": patch(BASE, HEAD)}])
        yield fake


def review(fake, checkout, capsys, monkeypatch, *extra, token="t0ken"):
    if token is None:
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    else:
        monkeypatch.setenv("GITHUB_TOKEN", token)
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/app")
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    argv = ["github", "review", "--pr", "7", "--api-url", fake.url if fake else "http://127.0.0.1:9",
            "--root", str(checkout), "--isolated", "--select", SELECT, *extra]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def posts(fake):
    return [r for r in fake.requests if r.method == "POST"]


def test_suggestions_inside_hunks_and_the_rest_in_the_body(github, checkout, capsys, monkeypatch):
    code, _, err = review(github, checkout, capsys, monkeypatch)
    assert code == 0, err
    [post] = posts(github)
    body = post.body
    assert body["event"] == "COMMENT" and body["commit_id"] == "a" * 40
    [c] = body["comments"]
    # lines 2-6 (four RUNs and the ADD) lie in the PR's hunk (lines 1-7): one suggestion
    assert (c["path"], c["start_line"], c["line"], c["side"]) == ("Dockerfile", 2, 6, "RIGHT")
    assert "```suggestion\nRUN apt-get update \\\n    && echo python -V \\\n    && mkdir -p /code \\\n" \
           "    && mkdir /code/db\nCOPY . /code/\n```" in c["body"]
    assert "`merge-runs`" in c["body"] and "3 layers" in c["body"] and "`add-to-copy`" in c["body"]
    # the pip RUNs (lines 13-14) are outside the PR's diff: a collapsible diff in the body
    assert "<details><summary><code>Dockerfile</code>: 1 change outside" in body["body"]
    assert "-RUN pip install -U pip\n-RUN pip install -r requirement\n+RUN pip install -U pip \\\n" in body["body"]
    assert body["body"].startswith("<!-- dockslim-review ")
    assert "posted a review with 1 suggestion" in err
    assert not [r for r in github.requests if r.method == "GET" and "Authorization" not in r.headers]


def test_rerun_posts_nothing_when_nothing_changed(github, checkout, capsys, monkeypatch):
    assert review(github, checkout, capsys, monkeypatch)[0] == 0
    code, _, err = review(github, checkout, capsys, monkeypatch)
    assert code == 0 and "still holds" in err
    assert len(posts(github)) == 1
    assert len(github.pulls[7].reviews) == 1 and len(github.pulls[7].comments) == 1


def test_a_changed_result_replaces_the_old_summary(github, checkout, capsys, monkeypatch):
    assert review(github, checkout, capsys, monkeypatch)[0] == 0
    first = github.pulls[7].reviews[0]
    code, _, err = review(github, checkout, capsys, monkeypatch, "--ignore", "add-to-copy")
    assert code == 0, err
    assert len(posts(github)) == 2
    assert "Superseded" in first["body"]
    new = github.pulls[7].reviews[1]
    assert "dockslim-review" in new["body"] and "Superseded" not in new["body"]
    # a third run with the same result: nothing
    review(github, checkout, capsys, monkeypatch, "--ignore", "add-to-copy")
    assert len(posts(github)) == 2


def test_unchanged_suggestions_are_not_posted_twice(github, checkout, capsys, monkeypatch):
    (checkout / ".x").write_text("")
    assert review(github, checkout, capsys, monkeypatch)[0] == 0
    # the pip RUNs change (outside the PR's lines), the suggestion inside stays the same
    (checkout / "Dockerfile").write_text(HEAD.replace("RUN pip install -r requirement\n",
                                                      "RUN pip install -r requirement\nRUN echo done\n"))
    assert review(github, checkout, capsys, monkeypatch)[0] == 0
    second = posts(github)[1].body
    assert second["comments"] == []  # the open suggestion was not repeated
    assert "echo done" in second["body"]


def test_a_422_moves_the_suggestions_into_the_body(github, checkout, capsys, monkeypatch):
    github.reject_all_comments = True
    code, _, err = review(github, checkout, capsys, monkeypatch)
    assert code == 0, err
    first, second = posts(github)
    assert first.body["comments"] and second.body["comments"] == []
    assert "```suggestion\nRUN apt-get update" in second.body["body"]
    assert "GitHub did not accept these as comments" in second.body["body"]
    assert "refused the suggestions" in err and "Line could not be resolved" in err


def test_missing_token_is_a_clear_error(github, checkout, capsys, monkeypatch):
    monkeypatch.delenv("GH_TOKEN", raising=False)
    code, _, err = review(github, checkout, capsys, monkeypatch, token=None)
    assert code == 2 and "GITHUB_TOKEN (or GH_TOKEN) is not set" in err
    assert github.requests == []


def test_gh_token_is_used_when_github_token_is_not_set(github, checkout, capsys, monkeypatch):
    monkeypatch.setenv("GH_TOKEN", "wrong")  # the gh CLI's name; the stand-in rejects this token
    code, _, err = review(github, checkout, capsys, monkeypatch, token=None)
    assert code == 2 and "rejected the token (401)" in err and github.requests


def test_bad_token(github, checkout, capsys, monkeypatch):
    code, _, err = review(github, checkout, capsys, monkeypatch, token="wrong")
    assert code == 2 and "rejected the token (401)" in err


def test_rate_limit_is_reported_with_its_reset(github, checkout, capsys, monkeypatch):
    github.fail_next.append((403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"},
                             {"message": "API rate limit exceeded"}))
    code, _, err = review(github, checkout, capsys, monkeypatch)
    assert code == 2 and "rate limit" in err and "resets at" in err
    assert posts(github) == []


def test_retry_after_is_honoured(github, checkout, capsys, monkeypatch):
    github.fail_next.append((429, {"Retry-After": "0"}, {"message": "secondary rate limit"}))
    code, _, err = review(github, checkout, capsys, monkeypatch)
    assert code == 0, err
    assert len(posts(github)) == 1


def test_network_error(checkout, capsys, monkeypatch):
    code, _, err = review(None, checkout, capsys, monkeypatch)
    assert code == 2 and "cannot reach GitHub" in err


def test_files_are_paginated(checkout, capsys, monkeypatch):
    with FakeGitHub() as fake:
        files = [{"filename": f"src/f{i}.py", "status": "added", "patch": "@@ -0,0 +1 @@\n+x"} for i in range(150)]
        files.append({"filename": "Dockerfile", "status": "modified", "patch": patch(BASE, HEAD)})
        fake.add_pull(7, files)
        code, _, err = review(fake, checkout, capsys, monkeypatch)
        assert code == 0, err
        pages = [r.path for r in fake.requests if r.method == "GET" and "/files" in r.path]
        assert len(pages) == 2 and "page=2" in pages[1]
        assert len(posts(fake)[0].body["comments"]) == 1


def test_nothing_to_fix_posts_nothing_and_clears_an_old_review(github, checkout, capsys, monkeypatch):
    assert review(github, checkout, capsys, monkeypatch)[0] == 0
    subprocess_free = checkout / "Dockerfile"
    subprocess_free.write_text("FROM python:3.11-slim\nCOPY . /code/\n")
    code, _, err = review(github, checkout, capsys, monkeypatch)
    assert code == 0 and "everything is fixed" in err
    assert "Nothing left to fix" in github.pulls[7].reviews[0]["body"]
    assert len(posts(github)) == 1
    with FakeGitHub() as fresh:
        fresh.add_pull(7, [{"filename": "Dockerfile", "status": "modified", "patch": "@@ -1,2 +1,2 @@\n x\n-y\n+z"}])
        code, _, err = review(fresh, checkout, capsys, monkeypatch)
        assert code == 0 and "no review posted" in err and posts(fresh) == []


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(cwd), "PATH": os.environ.get("PATH", "")})


def test_local_diff_dry_run_needs_no_token_or_network(tmp_path, capsys, monkeypatch):
    (tmp_path / "Dockerfile").write_text(BASE)
    (tmp_path / "requirement").write_text("flask\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "Dockerfile").write_text(HEAD)
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile.dev").write_text("FROM a\nMAINTAINER me\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "head")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    code = main(["github", "review", "--base", "HEAD~1", "--dry-run", "--root", str(tmp_path),
                 "--isolated", "--select", SELECT])
    out, err = capsys.readouterr()
    assert code == 0, err
    payload = json.loads(out)
    where = sorted((c["path"], c.get("start_line"), c["line"]) for c in payload["comments"])
    assert where == [("Dockerfile", 2, 6), ("docker/Dockerfile.dev", None, 2)]
    assert "dry run" in err


def test_a_new_file_offered_by_a_fix_goes_into_the_body(tmp_path, capsys, monkeypatch):
    from dockslim.passes import by_id
    if "reorder-for-cache" not in by_id():
        pytest.skip("needs the reorder-for-cache pass")
    seed = "FROM python:3.11-slim\nWORKDIR /code\nCOPY . /code/\nRUN pip install -r requirements.txt\n"
    (tmp_path / "Dockerfile").write_text(seed)
    (tmp_path / "requirements.txt").write_text("flask\n")
    with FakeGitHub() as fake:
        fake.add_pull(7, [{"filename": "Dockerfile", "status": "added", "patch": patch("", seed)}])
        monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
        code = main(["github", "review", "--repo", "octo/app", "--pr", "7", "--api-url", fake.url,
                     "--root", str(tmp_path), "--isolated", "--select", "reorder-for-cache"])
        _, err = capsys.readouterr()
        assert code == 0, err
        body = posts(fake)[0].body["body"]
        assert "<code>.dockerignore</code>: new file" in body and "+++ b/.dockerignore" in body
