"""Every output format, rendered from the same findings and edits."""
