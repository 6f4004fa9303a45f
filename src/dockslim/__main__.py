from .entry import entrypoint

entrypoint()
