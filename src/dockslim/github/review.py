"""The review, computed without any I/O: which fix hunks become suggestions, what goes in the body.

Suggestions come from the diff between the file as it is in the pull request and the fixed text
(difflib opcodes from :func:`~dockslim.output.diff.line_opcodes`, grouped into hunks), not from
per-finding edits: the fixer loops in rounds, and
only the final text is what the reviewer would commit. Each hunk is attributed to the applied fixes
whose lines (on the file on disk) it covers.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

from ..fixer import Applied
from ..output.common import section
from ..output.diff import line_opcodes
from ..passes import by_id

REVIEW_MARKER = "<!-- dockslim-review"
COMMENT_MARKER = "<!-- dockslim -->"
SUPERSEDED = "superseded"


# --- the pull request's diff ------------------------------------------------------------------

@dataclass(frozen=True)
class DiffHunk:
    """One ``@@`` hunk of the PR's diff: the lines it covers on each side (inclusive ranges)."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int

    def covers(self, first: int, last: int, side: str = "RIGHT") -> bool:
        lo, hi = (self.new_start, self.new_end) if side == "RIGHT" else (self.old_start, self.old_end)
        return lo <= first and last <= hi


@dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str  # added | modified | removed | renamed | ...
    hunks: tuple[DiffHunk, ...]


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse_patch(patch: str | None) -> tuple[DiffHunk, ...]:
    """The hunks of a unified diff body (GitHub's ``patch`` field, or one file of ``git diff``)."""
    out = []
    for line in (patch or "").splitlines():
        m = _HUNK.match(line)
        if m:
            a, b = int(m.group(1)), int(m.group(2) or 1)
            c, d = int(m.group(3)), int(m.group(4) or 1)
            out.append(DiffHunk(a, a + b - 1, c, c + d - 1))
    return tuple(out)


def _unquote(path: str) -> str:
    if path.startswith('"') and path.endswith('"'):
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode(
            "latin-1").decode("utf-8", "replace")
    return path


def parse_git_diff(text: str) -> list[ChangedFile]:
    """Files and hunks of ``git diff BASE...HEAD`` output (a/ b/ prefixes)."""
    files: list[ChangedFile] = []
    path: str | None = None
    status = "modified"
    body: list[str] = []

    def flush() -> None:
        if path is not None:
            files.append(ChangedFile(path, status, parse_patch("\n".join(body))))

    for line in text.splitlines():
        if line.startswith("diff --git "):
            flush()
            path, status, body = None, "modified", []
            parts = line[len("diff --git "):]
            m = re.match(r'^(?:"a/.*?"|a/\S+) (?P<b>"b/.*"|b/.+)$', parts)
            if m:
                path = _unquote(m.group("b")).removeprefix('"').removeprefix("b/")
                path = path[2:] if path.startswith("b/") else path
        elif line.startswith("new file mode"):
            status = "added"
        elif line.startswith("deleted file mode"):
            status = "removed"
        elif line.startswith("rename to "):
            status = "renamed"
        elif line.startswith("+++ "):
            target = line[4:].strip()
            if target != "/dev/null":
                target = _unquote(target)
                path = target[2:] if target.startswith("b/") else target
        elif line.startswith("@@"):
            body.append(line)
    flush()
    return files


# --- the fix, as hunks ----------------------------------------------------------------------

@dataclass(frozen=True)
class FixHunk:
    """Lines ``old_start..old_end`` (1-based, inclusive; ``old_end == old_start - 1`` for a pure
    insertion before ``old_start``) of the original become ``new_lines``."""

    old_start: int
    old_end: int
    old_lines: tuple[str, ...]
    new_lines: tuple[str, ...]
    applied: tuple[Applied, ...] = ()


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def fix_hunks(original: str, final: str, applied: Sequence[Applied] = (),
              finding_lines: dict[int, tuple[int, int]] | None = None) -> list[FixHunk]:
    """Group ``SequenceMatcher`` opcodes into hunks (changes not separated by an unchanged line).

    ``finding_lines`` maps ``id(applied)`` to the finding's (first, last) line on the original; a
    round-0 fix belongs to a hunk it overlaps. Fixes of later rounds (whose lines refer to an
    intermediate text) go to every hunk that has no round-0 fix, so none is left unexplained.
    """
    a, b = _lines(original), _lines(final)
    groups: list[list[tuple[str, int, int, int, int]]] = []
    for op in line_opcodes(a, b, autojunk=False):
        if op[0] == "equal":
            groups.append([])
            continue
        if not groups:
            groups.append([])
        groups[-1].append(op)
    hunks: list[FixHunk] = []
    finding_lines = finding_lines or {}
    for ops in groups:
        if not ops:
            continue
        i1, i2 = ops[0][1], ops[-1][2]
        j1, j2 = ops[0][3], ops[-1][4]
        first, last = i1 + 1, i2
        mine = []
        for ap in applied:
            if ap.round != 0:
                continue
            lo, hi = finding_lines.get(id(ap), (ap.line, ap.line))
            if lo <= max(last, first) and first <= hi + (1 if last < first else 0):
                mine.append(ap)
        hunks.append(FixHunk(first, last, tuple(a[i1:i2]), tuple(b[j1:j2]), tuple(mine)))
    # Later rounds: their lines refer to an intermediate text, so place each where the text it
    # inserted shows up; failing that, on the hunks nothing else explains.
    for ap in applied:
        if ap.round == 0:
            continue
        texts = [e.text.strip() for e in (ap.finding.fix.edits if ap.finding.fix else ()) if e.text.strip()]
        homes = [i for i, h in enumerate(hunks) if texts and any(t in "".join(h.new_lines) for t in texts)]
        if not homes:
            homes = [i for i, h in enumerate(hunks) if not h.applied]
        for i in homes:
            hunks[i] = replace(hunks[i], applied=hunks[i].applied + (ap,))
    return hunks


# --- suggestions and the body ------------------------------------------------------------------

@dataclass(frozen=True)
class FileFix:
    """One file of the review: its text in the PR and after ``dockslim fix``. ``before`` is ''
    and ``new`` True for a file dockslim creates (e.g. a ``.dockerignore``)."""

    path: str
    before: str
    after: str
    applied: tuple[Applied, ...] = ()
    finding_lines: dict[int, tuple[int, int]] = field(default_factory=dict)
    new: bool = False


@dataclass(frozen=True)
class Comment:
    path: str
    line: int
    body: str
    start_line: int | None = None

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "body": self.body, "line": self.line, "side": "RIGHT"}
        if self.start_line is not None:
            out["start_line"] = self.start_line
            out["start_side"] = "RIGHT"
        return out

    def key(self) -> tuple[str, int, int | None, str]:
        return (self.path, self.line, self.start_line, self.body)


@dataclass(frozen=True)
class Review:
    comments: tuple[Comment, ...]
    body: str  # includes the marker with the digest
    digest: str
    fixes: int  # hunks in total (suggestions + body)
    fallback: bool = False  # comments moved into the body (GitHub refused them)

    def payload(self, commit_id: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"body": self.body, "event": "COMMENT",
                               "comments": [c.payload() for c in self.comments]}
        if commit_id:
            out["commit_id"] = commit_id
        return out


def fence_for(text: str) -> str:
    """A backtick fence longer than any run of backticks in ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _strip_eol(line: str) -> str:
    return line.rstrip("\r\n")


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    head = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return head if head.endswith((".", "!", "?")) else head + "."


def explain(applied: Iterable[Applied]) -> str:
    """Which pass, what, why and the saving, one paragraph per applied fix."""
    parts = []
    seen = set()
    for ap in applied:
        f = ap.finding
        if (f.pass_id, f.message) in seen:
            continue
        seen.add((f.pass_id, f.message))
        cls = by_id().get(f.pass_id)
        why = _first_sentence(section(cls.documentation(), "Why is this bad?")) if cls is not None else ""
        saving = f" Estimated saving: **{f.saving}**." if f.saving else ""
        parts.append(f"**dockslim `{f.pass_id}`**: {f.message}.{saving}" + (f"\n{why}" if why else ""))
    return "\n\n".join(parts) or "**dockslim**: a follow-up change of the fixes above."


def _suggestion(path: str, h: FixHunk, lines: list[str]) -> Comment | None:
    first, last = h.old_start, h.old_end
    new = [_strip_eol(x) for x in h.new_lines]
    if last < first:  # a pure insertion: anchor it on a neighbouring line
        if first > 1:
            first = last = first - 1
            new = [_strip_eol(lines[first - 1])] + new
        elif first <= len(lines):
            last = first
            new = new + [_strip_eol(lines[first - 1])]
        else:
            return None
    content = "\n".join(new)
    fence = fence_for(content)
    block = f"{fence}suggestion\n{content}\n{fence}" if new else f"{fence}suggestion\n{fence}"
    body = f"{explain(h.applied)}\n\n{block}\n{COMMENT_MARKER}"
    return Comment(path, last, body, first if first < last else None)


def _partial(before: str, hunks: Sequence[FixHunk]) -> str:
    """``before`` with only ``hunks`` applied (for the body's diff of what is not a suggestion)."""
    lines = _lines(before)
    out: list[str] = []
    pos = 0
    for h in sorted(hunks, key=lambda h: h.old_start):
        start = h.old_start - 1
        out.extend(lines[pos:start])
        out.extend(h.new_lines)
        pos = h.old_end if h.old_end >= h.old_start else start
    out.extend(lines[pos:])
    return "".join(out)


def _diff(path: str, before: str, after: str, new: bool) -> str:
    from ..output.diff import unified_diff
    text = unified_diff(path, before, after)
    if new:
        text = text.replace(f"--- a/{path}", "--- /dev/null", 1)
    return text


def _details(summary: str, diff: str) -> str:
    fence = fence_for(diff)
    return f"<details><summary>{summary}</summary>\n\n{fence}diff\n{diff.rstrip(chr(10))}\n{fence}\n</details>"


def _digest(comments: Sequence[Comment], body: str) -> str:
    blob = json.dumps([[c.key() for c in comments], body], sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def plan(files: Sequence[FileFix], pr: dict[str, ChangedFile]) -> Review:
    """Suggestions for hunks that lie wholly inside one hunk of the PR's diff; the rest in the body."""
    comments: list[Comment] = []
    sections: list[str] = []
    total = 0
    for ff in files:
        if ff.before == ff.after:
            continue
        if ff.new:
            total += 1
            sections.append(_details(f"<code>{ff.path}</code>: new file", _diff(ff.path, "", ff.after, True)))
            continue
        hunks = fix_hunks(ff.before, ff.after, ff.applied, ff.finding_lines)
        total += len(hunks)
        changed = pr.get(ff.path)
        pr_hunks = changed.hunks if changed is not None else ()
        lines = _lines(ff.before)
        leftovers: list[FixHunk] = []
        for h in hunks:
            c = _suggestion(ff.path, h, lines)
            lo = c.start_line if c is not None and c.start_line is not None else (c.line if c else 0)
            if c is not None and any(ph.covers(lo, c.line) for ph in pr_hunks):
                comments.append(c)
            else:
                leftovers.append(h)
        if leftovers:
            why = "\n".join(f"- {explain(h.applied)}".replace("\n", " ") for h in leftovers)
            diff = _diff(ff.path, ff.before, _partial(ff.before, leftovers), False)
            n = len(leftovers)
            sections.append(_details(f"<code>{ff.path}</code>: {n} change{'s' if n != 1 else ''} outside "
                                     "the lines this pull request touches", diff) + f"\n\n{why}")
    body = _body(len(comments), total, sections)
    digest = _digest(comments, body)
    return Review(tuple(comments), f"{REVIEW_MARKER} {digest} -->\n{body}", digest, total)


def _body(suggested: int, total: int, sections: Sequence[str]) -> str:
    if total == 0:
        return "### dockslim\nNothing left to fix in this pull request's Dockerfiles."
    lines = [f"### dockslim\nFound {total} {'changes that make' if total != 1 else 'change that makes'} the image smaller "
             "or the build faster without changing what it builds."]
    if suggested:
        lines.append(f"{suggested} {'is a suggestion' if suggested == 1 else 'are suggestions'} on the diff: "
                     "apply with one click.")
    if sections:
        lines.append("The rest touches lines outside this pull request's diff; run `dockslim fix --write` "
                     "or apply the diff below.")
    return "\n\n".join(["\n".join(lines[:1]) + (" " + " ".join(lines[1:]) if len(lines) > 1 else ""),
                        *sections]) + "\n"


def fallback(review: Review) -> Review:
    """The same review with every suggestion moved into the body (after a 422 from GitHub)."""
    if not review.comments:
        return review
    parts = [review.body.split("\n", 1)[1].rstrip("\n"),
             "GitHub did not accept these as comments on the diff, so here they are:"]
    for c in review.comments:
        where = f"{c.start_line}-{c.line}" if c.start_line else str(c.line)
        parts.append(f"<details><summary><code>{c.path}</code> line {where}</summary>\n\n"
                     f"{c.body.replace(COMMENT_MARKER, '').strip()}\n</details>")
    body = "\n\n".join(parts) + "\n"
    return Review((), f"{REVIEW_MARKER} {review.digest} -->\n{body}", review.digest, review.fixes, True)


def digest_of(body: str | None) -> str | None:
    """The digest in an earlier dockslim review's body (None when not ours or superseded)."""
    if not body or REVIEW_MARKER not in body:
        return None
    m = re.search(re.escape(REVIEW_MARKER) + r" ([0-9a-f]+|" + SUPERSEDED + r") -->", body)
    if not m or m.group(1) == SUPERSEDED:
        return None
    return m.group(1)


def superseded_body() -> str:
    return (f"{REVIEW_MARKER} {SUPERSEDED} -->\n### dockslim\n_Superseded by a newer dockslim review "
            "on this pull request._\n")
