"""The ``align`` command: parse options, call the library, draw progress, write files, map errors to exits."""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import List, Optional

import typer

from align.captions import STYLES
from align.errors import AlignError, OutputError, UsageError
from align.memory import reuse_freed_memory
from align.report import summary_lines
from align.terminal import ProgressLine, ensure_standard_streams, say

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Caption a podcast episode from its audio and its edited, speaker-labelled transcript.")


def _check_positive(name: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise UsageError(f"{name} {value:g}: must be greater than 0")


@app.command()
def main(
    audio: Path = typer.Argument(..., help="The episode's audio (mp3, wav, m4a, flac, ogg/opus, or a video)."),
    transcript: Path = typer.Argument(..., help="The edited transcript, with speaker labels."),
    output: Optional[List[Path]] = typer.Option(None, "--output", "-o",
                                                help="Output file; .vtt, .srt or .json picks the format; give it "
                                                     "again for more formats from the same alignment. "
                                                     "Default: the audio's path with .vtt."),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write the alignment report (JSON) here."),
    review: Optional[Path] = typer.Option(None, "--review",
                                          help="Also write a review page (HTML) here: the transcript to check by "
                                               "listening, the audio linked by its path relative to the page."),
    corrections: Optional[Path] = typer.Option(None, "--corrections",
                                               help="A producer's corrections (JSON: {\"words\": [{\"ref\": "
                                                    "\"LINE:N\", \"start\": SECONDS}]}, as the review page "
                                                    "downloads them): each word starts exactly there."),
    review_embed: bool = typer.Option(False, "--review-embed",
                                      help="Put the audio inside the review page (a large file for a long episode)."),
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
    max_cps: Optional[float] = typer.Option(None, "--max-cps", help="Reading speed at most, in characters a second "
                                                                   "(default 20)."),
    min_gap: Optional[float] = typer.Option(None, "--min-gap", help="Seconds between cues that do not touch, at "
                                                                   "least (default 0.08, two frames)."),
    speaker_prefix: bool = typer.Option(False, "--speaker-prefix",
                                        help="Show 'Name:' at each change of speaker (SRT always does)."),
    word_timestamps: bool = typer.Option(False, "--word-timestamps",
                                         help="WebVTT: a timestamp before each word, for word-by-word highlighting."),
    json_cues: bool = typer.Option(False, "--json-cues", help="JSON: one segment per cue, not one per word."),
    keep_speaker_case: bool = typer.Option(False, "--keep-speaker-case",
                                           help="Show speaker names as written, not in title case."),
    transcript_format: str = typer.Option("auto", "--transcript-format",
                                          help="The transcript's style: auto (detected), plain, broadcast, markdown, "
                                               "timestamped, rev, otter, vtt, srt or docx."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the recognition cache."),
    no_refine: bool = typer.Option(False, "--no-refine",
                                   help="Keep the recogniser's word times (skip PocketSphinx refinement)."),
    fast: bool = typer.Option(False, "--fast",
                              help="About twice as fast, word times less precise: the transcript is forced "
                                   "through the speech model, which decodes freely only where the text does not fit "
                                   "(no PocketSphinx refinement)."),
    force: bool = typer.Option(False, "--force", help="Write captions even if the transcript mostly does "
                                                      "not match the audio, and replace output files that align "
                                                      "did not write."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress and no summary on stderr."),
) -> None:
    """Align TRANSCRIPT with AUDIO and write captions (WebVTT by default). Many episodes: align batch --help."""
    from dataclasses import replace

    from align.outputs import json_document, write_output
    from align.pipeline import MISMATCH_SHARE, Options, align_episode
    from align.speech_model import check_compute_type, check_device, check_language, resolve_model
    from align.captions import caption_words, make_cues
    from align.writers import format_for, to_json, to_json_cues, to_srt, to_vtt

    if style not in STYLES:
        raise UsageError(f"--style {style}: choose one of {', '.join(STYLES)}")
    from align.formats import FORMATS

    if transcript_format not in FORMATS:
        raise UsageError(f"--transcript-format {transcript_format}: choose one of {', '.join(FORMATS)}")
    for name, value in (("--max-chars", max_chars), ("--max-lines", max_lines), ("--max-duration", max_duration)):
        _check_positive(name, value)
    caption_style = STYLES[style]
    changes = {k: v for k, v in (("max_chars", max_chars), ("max_lines", max_lines), ("max_duration", max_duration),
                                 ("max_cps", max_cps), ("min_gap", min_gap)) if v is not None}
    caption_style = replace(caption_style, **changes)
    _check_language(language)
    check_device(device)
    check_compute_type(compute_type)
    check_language(resolve_model(model), language)
    outputs = list(output or [audio.with_suffix(".vtt")])
    named = {("captions" if len(outputs) == 1 else f"output {n}"): path for n, path in enumerate(outputs, 1)}
    named.update({"report": report, "review page": review})
    _check_outputs({role: path for role, path in named.items() if path is not None}, [audio, transcript], force)
    kinds = [format_for(path) for path in outputs]
    if word_timestamps and "vtt" not in kinds:
        raise UsageError(f"--word-timestamps: only for WebVTT output (.vtt), not {outputs[0].name}")
    if json_cues and "json" not in kinds:
        raise UsageError(f"--json-cues: only for JSON output (.json), not {outputs[0].name}")
    caption_style = replace(caption_style, speaker_prefix=speaker_prefix or kinds == ["srt"])
    if report is not None and report.suffix.lower() != ".json":
        raise OutputError(f"{report}: the report is JSON; give it a .json name")
    if review is not None and review.suffix.lower() not in (".html", ".htm"):
        raise OutputError(f"{review}: the review page is HTML; give it a .html name")
    if review_embed and review is None:
        raise UsageError("--review-embed: give --review PATH.html too")

    fixes = None
    if corrections is not None:
        from align.corrections import read_corrections

        fixes = read_corrections(corrections)
    progress = ProgressLine(enabled=not quiet and sys.stderr.isatty())
    options = Options(model=model, device=device, compute_type=compute_type, language=language,
                      cache=not no_cache, refine=not no_refine, fast=fast, keep_speaker_case=keep_speaker_case,
                      style=caption_style, transcript_format=transcript_format,
                      min_found_share=0.0 if force else MISMATCH_SHARE, corrections=fixes)
    try:
        result = align_episode(audio, transcript, options, progress)
    finally:
        progress.clear()
    srt_cues = None
    if "srt" in kinds or review is not None:  # SRT shows names, laid out within the line length
        srt_cues = result.cues if caption_style.speaker_prefix else \
            make_cues(caption_words(result.alignment), replace(caption_style, speaker_prefix=True),
                      result.alignment.unscripted_spans)
    writers = {"vtt": lambda: to_vtt(result.cues, word_timestamps=word_timestamps), "srt": lambda: to_srt(srt_cues),
               "json": lambda: to_json_cues(result.cues) if json_cues else to_json(result.alignment)}
    contents = [writers[kind]() for kind in kinds]  # every file made before any is written
    if report is not None:
        write_output(report, json_document(result.report))
    if review is not None:
        from align.review import review_html

        write_output(review, review_html(result, audio, to_vtt(result.cues), page_path=review,
                                         embed_audio=review_embed, language=language, srt_cues=srt_cues))
    for path, content in zip(outputs, contents):
        write_output(path, content)
    if not quiet:
        for warning in result.transcript.warnings:
            say(f"align: warning: {warning}")
        for skipped in result.report.get("corrections", {}).get("skipped", []):
            say(f"align: warning: {corrections}: the correction of {skipped['ref']} at {skipped['start']} is "
                f"skipped: it {skipped['why']}")
        for line in summary_lines(result.report):
            say(line)
        say(f"wrote {', '.join(map(str, outputs))}" + (f" and the review page {review}" if review is not None else ""))


def _check_language(language: str) -> None:
    if language == "en":  # every model knows it; importing the list would cost a run that loads no model 0.1 s
        return
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    if language not in _LANGUAGE_CODES:
        raise UsageError(f"--language {language}: not a language the speech model knows (e.g. en, de, fr)")


def _check_outputs(outputs: dict[str, Path], inputs: list[Path], force: bool) -> None:
    from align.outputs import check_outputs

    for out in outputs.values():
        if out.is_dir():
            raise OutputError(f"{out}: is a directory")
        folder = out.resolve().parent
        if not folder.is_dir():
            raise OutputError(f"{out}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
            raise OutputError(f"{out}: cannot write here (permission denied)")
    check_outputs(outputs, inputs, force)


def run(argv: list[str] | None = None) -> int:
    """Entry point: every failure becomes one line on stderr and an exit status; never a traceback."""
    ensure_standard_streams()
    args = sys.argv[1:] if argv is None else list(argv)
    batch = args[:1] == ["batch"]  # `align batch INPUT`: many episodes (an audio file named `batch`: use ./batch)
    if batch:
        from align.batch_cli import app as batch_app
    command = typer.main.get_command(batch_app if batch else app)
    stopped = "\nalign: interrupted; " + ("finished episodes are kept, run it again to resume" if batch
                                          else "no output written")
    with _interrupts_noted() as interrupted:
        return _run(command, args[1:] if batch else args, "align batch" if batch else "align", stopped, interrupted)


def _run(command, args: list[str], prog_name: str, stopped: str, interrupted: list[int]) -> int:
    try:
        # typer turns Ctrl-C into Exit(130), which non-standalone mode returns rather than raises
        status = command.main(args=args, prog_name=prog_name, standalone_mode=False)
        if status == 130:
            raise KeyboardInterrupt
        if isinstance(status, int):
            return status
    except AlignError as error:
        say(f"align: error: {error}")
        return error.exit_status
    except KeyboardInterrupt:
        say(stopped)
        return 130
    except Exception as error:
        if interrupted:  # Ctrl-C inside a library that turned the KeyboardInterrupt into its own error
            say(stopped)
            return 130
        # click's exceptions, whichever copy of click typer uses
        kinds = {cls.__name__ for cls in type(error).__mro__}
        if "Exit" in kinds:
            return getattr(error, "exit_code", 0)
        if "Abort" in kinds:
            say(stopped)
            return 130
        if "ClickException" in kinds:
            say(f"align: error: {error.format_message()} (see align --help)")
            return 2
        if os.environ.get("ALIGN_DEBUG"):  # a bug: say so in one line, trace only on request
            raise
        say(f"align: internal error: {type(error).__name__}: {error} (set ALIGN_DEBUG=1 for details)")
        return 1
    return 0


@contextlib.contextmanager
def _interrupts_noted():
    """Ctrl-C raises KeyboardInterrupt as usual and is also noted in the yielded list: some libraries catch the
    interrupt during an import and raise an error of their own (faster-whisper: "requires onnxruntime")."""
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return

    def on_interrupt(number, frame):
        noted.append(number)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)


def entry() -> None:
    """The `align` command: a process of its own, whose C heap keeps freed memory for the model's next call."""
    reuse_freed_memory()
    leave(run())


def leave(status: int) -> None:
    """Exit with ``status``. Where nothing is left running (no child process, no thread but this one) and the
    standard streams are flushed, the process ends without tearing the interpreter down: freeing the speech model
    and every module takes 0.05 s, a twentieth of a run after a one-word fix. Otherwise, and under a profiler or
    a coverage tracer (which write their results at exit), it exits as usual."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(status)
    processes = sys.modules.get("multiprocessing")
    if (processes is not None and processes.active_children()) or threading.active_count() > 1 or \
            sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(status)
    os._exit(status)


if __name__ == "__main__":
    entry()
