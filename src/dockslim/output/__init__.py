"""Every output format, rendered from the same findings and edits.

``text`` (and the diff of ``fix``) print as they go; the machine formats render a whole run at once
from :class:`~dockslim.output.common.FileView` objects: ``render(views) -> str``.
"""

FORMATS = ("text", "json", "sarif", "github", "rdjson")


def renderer(name: str):
    """The ``render(views) -> str`` function of a machine format."""
    if name == "json":
        from .json import render
    elif name == "sarif":
        from .sarif import render
    elif name == "github":
        from .github import render
    elif name == "rdjson":
        from .rdjson import render
    else:
        raise ValueError(f"unknown format '{name}'")
    return render
