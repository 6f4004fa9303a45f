"""``--format json``: every finding with its location, message, saving and fix (edits + safety).

In ``fix`` mode each file also carries the result: whether it changed, the unified diff, and the
fixes applied per round. Offsets are ``str`` indices into the file as read; lines and columns are
1-based, columns in characters.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..passes import Finding
from ..syntax import Dockerfile
from .common import VERSION, FileView, message_of, position
from .diff import unified_diff


def _pos(tree: Dockerfile, offset: int) -> dict[str, int]:
    p = position(tree, offset)
    return {"line": p.line, "column": p.column, "offset": offset}


def finding_dict(view: FileView, f: Finding) -> dict[str, Any]:
    tree = view.report.tree
    assert tree is not None
    out: dict[str, Any] = {
        "pass": f.pass_id,
        "message": f.message,
        "saving": f.saving,
        "note": f.note,
        "start": _pos(tree, f.start),
        "end": _pos(tree, f.end),
        "fix": None,
    }
    if f.fix is not None:
        out["fix"] = {
            "safety": f.fix.safety.value,
            "applicable": view.fix_applies(f),
            "edits": [{"start": _pos(tree, e.start), "end": _pos(tree, e.end), "text": e.text}
                      for e in f.fix.edits],
            "creates": [{"path": rel, "content": content} for rel, content in getattr(f.fix, "creates", ())],
        }
    return out


def file_dict(view: FileView) -> dict[str, Any]:
    r = view.report
    out: dict[str, Any] = {"path": view.shown}
    if r.error is not None:
        err = r.error
        out["error"] = {"message": getattr(err, "message", str(err)),
                        "line": getattr(err, "line", None), "column": getattr(err, "column", None)}
        return out
    out["findings"] = [finding_dict(view, f) for f in r.findings]
    if view.mode == "fix" and r.result is not None:
        res = r.result
        out["result"] = {
            "changed": res.changed,
            "diff": unified_diff(view.shown, res.original, res.text),
            "applied": [{"pass": a.finding.pass_id, "message": message_of(a.finding),
                         "round": a.round + 1, "line": a.line} for a in res.applied],
            "creates": [{"path": rel, "content": content} for rel, content in getattr(res, "creates", ())],
        }
    return out


def render(views: Sequence[FileView]) -> str:
    doc = {"tool": "dockslim", "version": VERSION, "files": [file_dict(v) for v in views]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
