"""The pure part of the review: hunks, suggestions, fences, the body; and the stand-in's own rules."""

from __future__ import annotations

import json
import urllib.request

import pytest

from dockslim.github.review import (ChangedFile, DiffHunk, FileFix, digest_of, fence_for, fix_hunks,
                                    parse_git_diff, parse_patch, plan, superseded_body)

from .standin import FakeGitHub


def test_parse_patch():
    assert parse_patch("@@ -1,3 +1,4 @@\n a\n+b\n c\n d\n@@ -10 +11,0 @@\n-x") == (
        DiffHunk(1, 3, 1, 4), DiffHunk(10, 10, 11, 10))


def test_parse_git_diff_statuses_and_paths():
    text = ("diff --git a/Dockerfile b/Dockerfile\nindex 1..2 100644\n--- a/Dockerfile\n+++ b/Dockerfile\n"
            "@@ -1,2 +1,2 @@\n-a\n+b\n c\n"
            "diff --git a/new dir/Dockerfile b/new dir/Dockerfile\nnew file mode 100644\n--- /dev/null\n"
            "+++ b/new dir/Dockerfile\n@@ -0,0 +1 @@\n+FROM a\n"
            "diff --git a/old b/old\ndeleted file mode 100644\n--- a/old\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n")
    files = parse_git_diff(text)
    assert [(f.path, f.status) for f in files] == [("Dockerfile", "modified"), ("new dir/Dockerfile", "added"),
                                                  ("old", "removed")]
    assert files[1].hunks == (DiffHunk(0, -1, 1, 1),)


@pytest.mark.parametrize("text, fence", [("a", "```"), ("echo `date`", "```"), ("```", "````"),
                                         ("x ````` y", "``````")])
def test_fence_is_longer_than_any_backtick_run(text, fence):
    assert fence_for(text) == fence


def _pr(path, before_lines):
    return {path: ChangedFile(path, "modified", (DiffHunk(1, before_lines, 1, before_lines),))}


def test_backticks_lengthen_the_suggestion_fence():
    before = "FROM a\nMAINTAINER ```me```\n"
    after = 'FROM a\nLABEL maintainer="```me```"\n'
    review = plan([FileFix("Dockerfile", before, after)], _pr("Dockerfile", 2))
    [c] = review.comments
    assert '````suggestion\nLABEL maintainer="```me```"\n````' in c.body
    assert c.start_line is None and c.line == 2


def test_a_pure_insertion_is_anchored_on_the_line_before():
    before = "FROM a\nRUN x\n"
    after = "FROM a\nRUN x\nRUN y\n"
    [h] = fix_hunks(before, after)
    assert (h.old_start, h.old_end) == (3, 2)
    [c] = plan([FileFix("Dockerfile", before, after)], _pr("Dockerfile", 2)).comments
    assert (c.start_line, c.line) == (None, 2)
    assert "```suggestion\nRUN x\nRUN y\n```" in c.body


def test_a_deletion_is_an_empty_suggestion():
    before = "FROM a\nRUN x\nRUN y\n"
    after = "FROM a\nRUN y\n"
    [c] = plan([FileFix("Dockerfile", before, after)], _pr("Dockerfile", 3)).comments
    assert "```suggestion\n```" in c.body and c.line == 2


def test_new_files_and_files_outside_the_diff_go_to_the_body():
    review = plan([FileFix(".dockerignore", "", ".git\n", new=True),
                   FileFix("Dockerfile", "FROM a\nMAINTAINER me\n", 'FROM a\nLABEL maintainer="me"\n')],
                  {})
    assert review.comments == () and review.fixes == 2
    assert "<code>.dockerignore</code>: new file" in review.body
    assert "--- /dev/null\n+++ b/.dockerignore\n@@ -0,0 +1 @@\n+.git" in review.body
    assert '-MAINTAINER me\n+LABEL maintainer="me"' in review.body


def test_digest_marker_round_trip():
    review = plan([FileFix("Dockerfile", "FROM a\nMAINTAINER me\n", 'FROM a\nLABEL maintainer="me"\n')], {})
    assert digest_of(review.body) == review.digest
    assert digest_of(superseded_body()) is None
    assert digest_of("a human review") is None


def _post(fake, body, token="t0ken"):
    req = urllib.request.Request(f"{fake.url}/repos/octo/app/pulls/1/reviews", data=json.dumps(body).encode(),
                                 method="POST", headers={"Authorization": f"Bearer {token}",
                                                         "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("comment, error", [
    ({"path": "Dockerfile", "body": "x", "line": 9}, "Line could not be resolved"),
    ({"path": "Dockerfile", "body": "x", "line": 3, "start_line": 3}, "start_line must precede line"),
    ({"path": "Dockerfile", "body": "x", "line": 12, "start_line": 3}, "same hunk"),
    ({"path": "Dockerfile", "body": "x", "line": 3, "side": "MIDDLE"}, "side must be LEFT or RIGHT"),
    ({"path": "other", "body": "x", "line": 1}, "Path could not be resolved"),
    ({"path": "Dockerfile", "body": "x", "line": 3, "colour": "red"}, "unknown comment fields"),
    ({"path": "Dockerfile", "line": 3}, "path and body are required"),
])
def test_the_standin_enforces_githubs_rules(comment, error):
    with FakeGitHub() as fake:
        fake.add_pull(1, [{"filename": "Dockerfile", "status": "modified",
                           "patch": "@@ -1,4 +1,5 @@\n a\n b\n+c\n d\n e\n@@ -10,3 +11,3 @@\n x\n-y\n+z\n w"}])
        status, data = _post(fake, {"event": "COMMENT", "body": "b", "comments": [comment]})
        assert status == 422 and error in data["errors"][0]
        ok = {"path": "Dockerfile", "body": "x", "line": 4, "start_line": 2, "side": "RIGHT", "start_side": "RIGHT"}
        assert _post(fake, {"event": "COMMENT", "body": "b", "comments": [ok]})[0] == 200
        assert _post(fake, {"event": "COMMENT", "comments": []})[0] == 422  # COMMENT needs a body
        assert _post(fake, {"event": "COMMENT", "body": "b", "draft": True})[0] == 422
        assert _post(fake, {"event": "COMMENT", "body": "b"}, token="nope")[0] == 401
