"""align: captions for a podcast episode from its audio and its edited, speaker-labelled transcript.

The library never prints; ``align.pipeline.align_episode`` is the one call, the ``align`` command a thin shell.
"""
from align.errors import AlignError
from align.pipeline import Options, Result, align_episode

__all__ = ["align_episode", "Options", "Result", "AlignError"]
__version__ = "0.1.0"
