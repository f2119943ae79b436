"""The ``align`` command: parse options, call the library, draw progress, write files, map errors to exits."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from align.captions import STYLES
from align.errors import AlignError, OutputError, UsageError
from align.report import summary_lines

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Caption a podcast episode from its audio and its edited, speaker-labelled transcript.")


class ProgressLine:
    """Progress on stderr, redrawn in place, with an estimate of the time left; silent off a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.stage = None
        self.began = time.monotonic()
        self.drawn = False

    def __call__(self, stage: str, done: float, total: float) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if stage != self.stage:
            self.stage, self.began = stage, now
        line = stage
        if total > 1 and done > 0:
            share = min(1.0, done / total)
            line += f" {share:4.0%}"
            elapsed = now - self.began
            if 0 < share < 1 and elapsed > 2:
                line += f", about {int(elapsed * (1 - share) / share) + 1} s left"
        sys.stderr.write("\r\033[K" + line)
        sys.stderr.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.drawn = False


def _check_positive(name: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise UsageError(f"{name} {value:g}: must be greater than 0")


@app.command()
def main(
    audio: Path = typer.Argument(..., help="The episode's audio (mp3, wav, m4a, flac, ogg/opus, or a video)."),
    transcript: Path = typer.Argument(..., help="The edited transcript, with speaker labels."),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Output file; .vtt, .srt or .json picks the format. "
                                               "Default: the audio's path with .vtt."),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write the alignment report (JSON) here."),
    model: Optional[str] = typer.Option(None, "--model",
                                        help="faster-whisper model name or local model directory "
                                             "(default: the bundled tiny.en)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    compute_type: str = typer.Option("default", "--compute-type",
                                     help="CTranslate2 compute type (default: int8 on CPU, float16 on GPU)."),
    language: str = typer.Option("en", "--language", help="Language code of the speech."),
    style: str = typer.Option("default", "--style", help=f"Caption preset: {', '.join(STYLES)}."),
    max_chars: Optional[int] = typer.Option(None, "--max-chars", help="Characters per caption line."),
    max_lines: Optional[int] = typer.Option(None, "--max-lines", help="Lines per cue."),
    max_duration: Optional[float] = typer.Option(None, "--max-duration", help="Seconds per cue at most."),
    keep_speaker_case: bool = typer.Option(False, "--keep-speaker-case",
                                           help="Show speaker names as written, not in title case."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the recognition cache."),
    force: bool = typer.Option(False, "--force", help="Write captions even if the transcript mostly does "
                                                      "not match the audio."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress and no summary on stderr."),
) -> None:
    """Align TRANSCRIPT with AUDIO and write captions (WebVTT by default)."""
    from dataclasses import replace

    from align.pipeline import Options, align_episode
    from align.writers import format_for, to_json, to_srt, to_vtt, write_atomically

    if style not in STYLES:
        raise UsageError(f"--style {style}: choose one of {', '.join(STYLES)}")
    for name, value in (("--max-chars", max_chars), ("--max-lines", max_lines), ("--max-duration", max_duration)):
        _check_positive(name, value)
    caption_style = STYLES[style]
    changes = {k: v for k, v in (("max_chars", max_chars), ("max_lines", max_lines),
                                 ("max_duration", max_duration)) if v is not None}
    caption_style = replace(caption_style, **changes)
    _check_language(language)
    output = output or audio.with_suffix(".vtt")
    _check_outputs([output] + ([report] if report else []), [audio, transcript])
    kind = format_for(output)
    if report is not None and report.suffix.lower() != ".json":
        raise OutputError(f"{report}: the report is JSON; give it a .json name")

    progress = ProgressLine(enabled=not quiet and sys.stderr.isatty())
    options = Options(model=model, device=device, compute_type=compute_type, language=language,
                      cache=not no_cache, keep_speaker_case=keep_speaker_case, style=caption_style,
                      min_found_share=0.0 if force else 0.5)
    try:
        result = align_episode(audio, transcript, options, progress)
    finally:
        progress.clear()
    content = {"vtt": lambda: to_vtt(result.cues), "srt": lambda: to_srt(result.cues),
               "json": lambda: to_json(result.alignment)}[kind]()
    if report is not None:
        import json

        write_atomically(report, json.dumps(result.report, ensure_ascii=False, indent=1) + "\n")
    write_atomically(output, content)
    if not quiet:
        for line in summary_lines(result.report):
            typer.echo(line, err=True)
        typer.echo(f"wrote {output}", err=True)


def _check_language(language: str) -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    if language not in _LANGUAGE_CODES:
        raise UsageError(f"--language {language}: not a language the speech model knows (e.g. en, de, fr)")


def _check_outputs(outputs: list[Path], inputs: list[Path]) -> None:
    resolved_inputs = {p.resolve() for p in inputs if p.exists()}
    for out in outputs:
        if out.resolve() in resolved_inputs:
            raise OutputError(f"{out}: is one of the inputs; choose another output path")
        if out.is_dir():
            raise OutputError(f"{out}: is a directory")
        folder = out.resolve().parent
        if not folder.is_dir():
            raise OutputError(f"{out}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
            raise OutputError(f"{out}: cannot write here (permission denied)")


def run(argv: list[str] | None = None) -> int:
    """Entry point: every failure becomes one line on stderr and an exit status; never a traceback."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="align", standalone_mode=False)
    except AlignError as error:
        typer.echo(f"align: error: {error}", err=True)
        return error.exit_status
    except KeyboardInterrupt:
        typer.echo("\nalign: interrupted; no output written", err=True)
        return 130
    except Exception as error:
        # click's exceptions, whichever copy of click typer uses
        kinds = {cls.__name__ for cls in type(error).__mro__}
        if "Exit" in kinds:
            return getattr(error, "exit_code", 0)
        if "Abort" in kinds:
            typer.echo("\nalign: interrupted; no output written", err=True)
            return 130
        if "ClickException" in kinds:
            typer.echo(f"align: error: {error.format_message()} (see align --help)", err=True)
            return 2
        if os.environ.get("ALIGN_DEBUG"):  # a bug: say so in one line, trace only on request
            raise
        typer.echo(f"align: internal error: {type(error).__name__}: {error} (set ALIGN_DEBUG=1 for details)",
                   err=True)
        return 1
    return 0


def entry() -> None:
    sys.exit(run())


if __name__ == "__main__":
    entry()
