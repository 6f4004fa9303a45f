"""``--format rdjson``: reviewdog's Diagnostic Format (one ``DiagnosticResult`` JSON document).

Each finding is a diagnostic; a fix this run would apply becomes ``suggestions`` (one per edit).
Columns count UTF-8 bytes, as the format defines. Feed it to ``reviewdog -f=rdjson``.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..syntax import Dockerfile
from .common import TOOL, FileView, message_of, position


def _range(tree: Dockerfile, start: int, end: int) -> dict[str, Any]:
    a, b = position(tree, start), position(tree, end)
    return {"start": {"line": a.line, "column": a.byte_column(tree)},
            "end": {"line": b.line, "column": b.byte_column(tree)}}


def render(views: Sequence[FileView]) -> str:
    diagnostics: list[dict[str, Any]] = []
    for v in views:
        r = v.report
        if r.error is not None:
            err = r.error
            loc: dict[str, Any] = {"path": v.shown}
            if getattr(err, "line", None):
                loc["range"] = {"start": {"line": err.line, "column": getattr(err, "column", None) or 1}}
            diagnostics.append({"message": getattr(err, "message", str(err)), "location": loc,
                                "severity": "ERROR", "source": {"name": TOOL}})
            continue
        tree = r.tree
        assert tree is not None
        for f in r.findings:
            d: dict[str, Any] = {
                "message": message_of(f),
                "location": {"path": v.shown, "range": _range(tree, f.start, f.end)},
                "severity": "INFO" if f.note else "WARNING",
                "source": {"name": TOOL},
                "code": {"value": f.pass_id},
            }
            if f.fix is not None and v.fix_applies(f) and f.fix.edits:  # new files have no range here
                d["suggestions"] = [{"range": _range(tree, e.start, e.end), "text": e.text}
                                    for e in f.fix.edits]
            diagnostics.append(d)
    doc = {"source": {"name": TOOL}, "severity": "WARNING", "diagnostics": diagnostics}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
