"""GitHub integration: pull-request reviews with one-click suggestions (``dockslim github review``).

``review.py`` is pure (diff hunks, suggestions, the review body), ``client.py`` speaks HTTP with the
standard library, ``flow.py`` ties them to the engine. Setup: docs/how-to/github.md.
"""
