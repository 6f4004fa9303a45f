"""``--format sarif``: SARIF 2.1.0, one run, rules described from the passes' documentation.

Each finding is a result; a fix that this run would apply (safe, or unsafe with ``--unsafe-fixes``)
becomes ``fixes[0]`` with one ``artifactChange`` whose ``replacements`` are the fix's edits against
the file on disk. Columns count Unicode code points (``columnKind``), matching Python's offsets.
Notes (why something was left alone) are ``level: note``; findings are ``warning``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

from ..passes import REGISTRY, by_id
from ..syntax import Dockerfile
from .common import TOOL, VERSION, FileView, message_of, position, section, uri

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _region(tree: Dockerfile, start: int, end: int) -> dict[str, int]:
    a, b = position(tree, start), position(tree, end)
    return {"startLine": a.line, "startColumn": a.column, "endLine": b.line, "endColumn": b.column,
            "charOffset": start, "charLength": end - start}


def _rule(pass_id: str) -> dict[str, Any]:
    cls = by_id().get(pass_id)
    if cls is None:
        return {"id": pass_id, "shortDescription": {"text": pass_id}}
    doc = cls.documentation()
    what = section(doc, "What it does") or cls.summary
    why = section(doc, "Why is this bad?")
    safety = section(doc, "Fix safety")
    return {
        "id": cls.id,
        "name": "".join(part.capitalize() for part in cls.id.split("-")),
        "shortDescription": {"text": cls.summary},
        "fullDescription": {"text": what},
        "help": {"text": "\n\n".join(x for x in (what, why, safety) if x), "markdown": doc},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"fixSafety": cls.safety.value, "tags": ["dockerfile", "image-size"]},
    }


def render(views: Sequence[FileView]) -> str:
    order = {p.id: i for i, p in enumerate(REGISTRY)}
    used = sorted({f.pass_id for v in views if v.report.error is None for f in v.report.findings},
                  key=lambda pid: (order.get(pid, len(order)), pid))
    index = {pid: i for i, pid in enumerate(used)}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    artifacts: list[dict[str, Any]] = []
    for v in views:
        loc = {"uri": uri(v.uri_path)}
        r = v.report
        if r.error is not None:
            err = r.error
            note: dict[str, Any] = {"level": "error", "message": {"text": getattr(err, "message", str(err))},
                                    "locations": [{"physicalLocation": {"artifactLocation": loc}}]}
            line = getattr(err, "line", None)
            if line:
                note["locations"][0]["physicalLocation"]["region"] = {
                    "startLine": line, "startColumn": getattr(err, "column", None) or 1}
            notifications.append(note)
            continue
        tree = r.tree
        assert tree is not None
        artifacts.append({"location": loc, "length": len(r.original)})
        for f in r.findings:
            result: dict[str, Any] = {
                "ruleId": f.pass_id,
                "ruleIndex": index[f.pass_id],
                "level": "note" if f.note else "warning",
                "message": {"text": message_of(f)},
                "locations": [{"physicalLocation": {"artifactLocation": loc,
                                                    "region": _region(tree, f.start, f.end)}}],
            }
            props: dict[str, Any] = {}
            if f.saving:
                props["saving"] = f.saving
            if f.fix is not None:
                props["fixSafety"] = f.fix.safety.value
                if v.fix_applies(f):
                    changes: list[dict[str, Any]] = []
                    if f.fix.edits:
                        changes.append({"artifactLocation": loc,
                                        "replacements": [{"deletedRegion": _region(tree, e.start, e.end),
                                                          "insertedContent": {"text": e.text}}
                                                         for e in f.fix.edits]})
                    # A new file (e.g. a .dockerignore offer) is an insertion into an empty artifact.
                    folder = os.path.dirname(v.uri_path) if v.uri_path != "-" else ""
                    for rel, content in getattr(f.fix, "creates", ()):
                        changes.append({"artifactLocation": {"uri": uri(os.path.join(folder, rel))},
                                        "replacements": [{"deletedRegion": {"charOffset": 0, "charLength": 0},
                                                          "insertedContent": {"text": content}}]})
                    if changes:
                        result["fixes"] = [{
                            "description": {"text": f"{f.pass_id} ({f.fix.safety.value} fix): {f.message}"},
                            "artifactChanges": changes,
                        }]
            if props:
                result["properties"] = props
            results.append(result)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": TOOL, "version": VERSION, "semanticVersion": VERSION,
                            "rules": [_rule(pid) for pid in used]}},
        "columnKind": "unicodeCodePoints",
        "artifacts": artifacts,
        "results": results,
        "invocations": [{"executionSuccessful": not notifications,
                         "toolExecutionNotifications": notifications}],
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
