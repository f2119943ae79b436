"""The errors the library raises for bad input. Each carries the exit status the command line uses."""
from __future__ import annotations

__all__ = ["AlignError", "UsageError", "TranscriptError", "AudioError", "ModelError", "OutputError",
           "MismatchError", "BatchError", "EXIT_STATUSES"]


class AlignError(Exception):
    """Base class: a problem with what the user gave us, explained in one line."""

    exit_status = 1


class UsageError(AlignError):
    """An option value that makes no sense."""

    exit_status = 2


class TranscriptError(AlignError):
    """The transcript cannot be read or holds no words."""

    exit_status = 3


class AudioError(AlignError):
    """The audio cannot be decoded or holds no speech."""

    exit_status = 4


class ModelError(AlignError):
    """The speech model cannot be found, verified or loaded."""

    exit_status = 5


class OutputError(AlignError):
    """An output file cannot be written."""

    exit_status = 6


class MismatchError(AlignError):
    """The transcript mostly does not match the audio (a different episode?)."""

    exit_status = 7


class BatchError(AlignError):
    """One or more episodes of a batch failed (each is named in its table and batch-report.json)."""

    exit_status = 8


EXIT_STATUSES = {
    0: "success",
    1: "unexpected internal error",
    UsageError.exit_status: "bad option value or usage",
    TranscriptError.exit_status: "transcript missing, unreadable or empty",
    AudioError.exit_status: "audio missing, undecodable or without speech",
    ModelError.exit_status: "speech model missing, corrupt or unloadable",
    OutputError.exit_status: "output path unwritable or unsupported",
    MismatchError.exit_status: "the transcript does not match the audio",
    BatchError.exit_status: "align batch: one or more episodes failed",
    130: "interrupted (Ctrl-C)",
}
