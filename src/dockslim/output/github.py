"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::warning file=F,line=L,col=C,endLine=..,endColumn=..,title=dockslim ID::message``; notes are
``::notice`` (only with ``--show-notes``: a note is not a problem to annotate), input errors ``::error``. Values are escaped as the Actions runner expects.
"""

from __future__ import annotations

from typing import Sequence

from .common import FileView, message_of, position


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, props: dict[str, object], message: str) -> str:
    inner = ",".join(f"{k}={_prop(str(v))}" for k, v in props.items() if v is not None)
    return f"::{level} {inner}::{_data(message)}"


def render(views: Sequence[FileView]) -> str:
    lines: list[str] = []
    for v in views:
        r = v.report
        if r.error is not None:
            err = r.error
            lines.append(_command("error", {"file": v.shown, "line": getattr(err, "line", None),
                                            "col": getattr(err, "column", None), "title": "dockslim"},
                                  getattr(err, "message", str(err))))
            continue
        tree = r.tree
        assert tree is not None
        for f in r.findings:
            if f.note and not v.notes:
                continue
            a, b = position(tree, f.start), position(tree, max(f.start, f.end - 1))
            props: dict[str, object] = {"file": v.shown, "line": a.line, "endLine": b.line}
            if a.line == b.line:  # GitHub ignores columns on multi-line annotations
                props.update(col=a.column, endColumn=b.column + (1 if f.end > f.start else 0))
            props["title"] = f"dockslim {f.pass_id}"
            tag = ""
            if f.fix is not None and not f.note:
                tag = " [fix available: `dockslim fix`]" if v.fix_applies(f) else \
                    f" [{f.fix.safety.value} fix: needs --unsafe-fixes]" if f.fix.safety.value == "unsafe" else ""
            lines.append(_command("notice" if f.note else "warning", props, message_of(f) + tag))
    return "".join(line + "\n" for line in lines)
