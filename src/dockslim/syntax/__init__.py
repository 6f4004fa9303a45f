"""Dockerfile syntax: a lossless tree, BuildKit-compatible decoding, and the RUN shell model.

Knows nothing of passes.
"""

from .nodes import Dockerfile, Flag, Heredoc, Instruction, Stage, Trivia
from .parser import ParseError, parse

__all__ = ["Dockerfile", "Flag", "Heredoc", "Instruction", "ParseError", "Stage", "Trivia", "parse"]
