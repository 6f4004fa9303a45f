from __future__ import annotations

from typing import Iterator

from .base import Context, Edit, Finding, Fix, Pass, Safety, same_case


def label_value(value: str, escape: str) -> str:
    """A double-quoted LABEL value that BuildKit reads back as ``value`` (no expansion)."""
    out = []
    for ch in value:
        if ch in ('"', "$", escape):
            out.append(escape)
        out.append(ch)
    return '"' + "".join(out) + '"'


class MaintainerToLabel(Pass):
    """## What it does
    Rewrites the deprecated `MAINTAINER` instruction to `LABEL maintainer="..."`.

    ## Why is this bad?
    `MAINTAINER` has been deprecated since Docker 1.13; labels are what registries, scanners and
    `docker inspect` tooling read (hadolint DL4000, BuildKit check MaintainerDeprecated).

    ## Example
    ```dockerfile
    MAINTAINER Jane Doe <jane@example.com>
    ```
    becomes
    ```dockerfile
    LABEL maintainer="Jane Doe <jane@example.com>"
    ```

    ## Fix safety
    Safe: no file, command, environment or ordering of the build changes. The value is quoted and
    escaped (`"`, `$` and the escape character) so the label holds exactly the old text; the image's
    legacy `Author` field is no longer set, which only deprecated tooling reads. An instruction
    spread over continuation lines is reported without a fix.
    """

    id = "maintainer-to-label"
    hadolint = ("DL4000",)
    summary = "MAINTAINER becomes LABEL maintainer=..."
    safety = Safety.SAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        escape = ctx.dockerfile.escape
        for ins in ctx.dockerfile.instructions:
            target = ins.effective
            if target.cmd != "MAINTAINER":
                continue
            start = target.keyword_start
            args_start, args_end = target.args_file_span()
            fix = None
            single_line = len(target.source_map.segments) == 1
            if target.args and single_line:
                text = f"{same_case(target.keyword, 'LABEL')} maintainer={label_value(target.args, escape)}"
                fix = Fix((Edit(start, args_end, text),), Safety.SAFE)
            message = "MAINTAINER is deprecated: use LABEL maintainer=..."
            if target.args and not single_line:
                message += " (not fixed: the instruction spans several lines)"
            yield Finding(self.id, message, start, max(args_end, start + len(target.keyword)), fix)
