"""dockslim: rewrite Dockerfiles into smaller, faster-building images without breaking the build."""

__version__ = "0.1.0"
