"""Unified diff of a file's original and fixed text (stdlib difflib), git-style EOF markers."""

from __future__ import annotations

import difflib

NO_EOL = "\\ No newline at end of file\n"


def unified_diff(path: str, before: str, after: str, context: int = 3) -> str:
    if before == after:
        return ""
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    lines = []
    shown = path.lstrip("/")
    for line in difflib.unified_diff(a, b, f"a/{shown}", f"b/{shown}", n=context):
        if line.endswith("\n"):
            lines.append(line)
        else:  # last line of a file without a final newline
            lines.append(line + "\n" + NO_EOL)
    return "".join(lines)


def new_file_diff(path: str, content: str) -> str:
    """A unified diff that creates ``path`` with ``content`` (``--- /dev/null``)."""
    lines = content.splitlines(keepends=True)
    out = ["--- /dev/null\n", f"+++ b/{path.lstrip('/')}\n", f"@@ -0,0 +1,{len(lines)} @@\n"]
    for line in lines:
        out.append("+" + line if line.endswith("\n") else "+" + line + "\n" + NO_EOL)
    return "".join(out)
