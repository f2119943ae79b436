"""``align batch INPUT``: caption many episodes, here (``--jobs N``) or on a Dask cluster (``--cluster ADDRESS``).

``align.cli.run`` sends a command line whose first word is ``batch`` here, with the same one-line errors.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer

from align.captions import STYLES
from align.errors import BatchError, UsageError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


@app.command()
def batch(
    source: Path = typer.Argument(..., metavar="INPUT",
                                  help="A folder of episodes (ep12.mp3 with ep12.txt, .docx, .md, .srt or .vtt) or a "
                                       "CSV manifest with the columns audio,transcript[,output]."),
    outdir: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Folder for the captions and reports (made if missing; default: "
                                               "the input folder, or the manifest's)."),
    output_format: str = typer.Option("vtt", "--format", help="Caption format where the manifest names no output: "
                                                                "vtt, srt or json."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Episodes aligned at once on this machine, each worker "
                                                     "with its share of the CPUs."),
    cluster: Optional[str] = typer.Option(None, "--cluster",
                                          help="Run on a Dask cluster: its scheduler's address "
                                               "(tcp://host:8786); needs pip install 'align[cluster]'."),
    threads: int = typer.Option(0, "--threads", help="CPU threads per episode (default: the CPUs divided "
                                                     "among the workers)."),
    force: bool = typer.Option(False, "--force", help="Redo episodes whose outputs are newer than their inputs, and "
                                                      "replace output files that align did not write."),
    allow_mismatch: bool = typer.Option(False, "--allow-mismatch",
                                        help="Write captions even if a transcript mostly does not match its audio."),
    model: Optional[str] = typer.Option(None, "--model", help="faster-whisper model name or local model directory "
                                                              "(default: the bundled tiny.en)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    compute_type: str = typer.Option("default", "--compute-type", help="CTranslate2 compute type."),
    language: str = typer.Option("en", "--language", help="Language code of the speech."),
    style: str = typer.Option("default", "--style", help=f"Caption preset: {', '.join(STYLES)}."),
    max_chars: Optional[int] = typer.Option(None, "--max-chars", help="Characters per caption line."),
    max_lines: Optional[int] = typer.Option(None, "--max-lines", help="Lines per cue."),
    max_duration: Optional[float] = typer.Option(None, "--max-duration", help="Seconds per cue at most."),
    max_cps: Optional[float] = typer.Option(None, "--max-cps", help="Reading speed at most (characters a second)."),
    min_gap: Optional[float] = typer.Option(None, "--min-gap", help="Seconds between cues that do not touch."),
    speaker_prefix: bool = typer.Option(False, "--speaker-prefix", help="Show 'Name:' at each change of speaker."),
    word_timestamps: bool = typer.Option(False, "--word-timestamps", help="WebVTT: a timestamp before each word."),
    json_cues: bool = typer.Option(False, "--json-cues", help="JSON: one segment per cue, not one per word."),
    keep_speaker_case: bool = typer.Option(False, "--keep-speaker-case", help="Show speaker names as written."),
    transcript_format: str = typer.Option("auto", "--transcript-format", help="The transcripts' style (default: "
                                                                              "detected for each)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the recognition cache."),
    no_refine: bool = typer.Option(False, "--no-refine", help="Skip PocketSphinx refinement of word times."),
    fast: bool = typer.Option(False, "--fast", help="About twice as fast, word times less precise (align --help)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress and no table on stderr."),
) -> None:
    """Caption every episode of a folder or CSV manifest; one failing episode never stops the others. Writes
    OUTDIR/<episode>.vtt, OUTDIR/<episode>.report.json and OUTDIR/batch-report.json; exits 8 if any failed."""
    from align.batch import Settings, report_table, run_batch
    from align.cli import _check_language, _check_positive
    from align.formats import FORMATS
    from align.pipeline import MISMATCH_SHARE, Options
    from align.speech_model import check_compute_type, check_device, check_language, resolve_model
    from align.terminal import say

    if style not in STYLES:
        raise UsageError(f"--style {style}: choose one of {', '.join(STYLES)}")
    if transcript_format not in FORMATS:
        raise UsageError(f"--transcript-format {transcript_format}: choose one of {', '.join(FORMATS)}")
    if output_format not in ("vtt", "srt", "json"):
        raise UsageError(f"--format {output_format}: choose vtt, srt or json")
    for name, value in (("--max-chars", max_chars), ("--max-lines", max_lines), ("--max-duration", max_duration),
                        ("--jobs", jobs)):
        _check_positive(name, value)
    if threads < 0:
        raise UsageError(f"--threads {threads}: must be 0 (automatic) or more")
    if cluster is not None and jobs != 1:
        raise UsageError("--jobs is for this machine; on a cluster, each worker runs its own episodes "
                         "(dask worker --nworkers N)")
    _check_language(language)
    check_device(device)
    check_compute_type(compute_type)
    if cluster is None:  # a wrong --model fails once here, not once per episode (a cluster's workers may differ)
        check_language(resolve_model(model), language)
    changes = {k: v for k, v in (("max_chars", max_chars), ("max_lines", max_lines), ("max_duration", max_duration),
                                 ("max_cps", max_cps), ("min_gap", min_gap)) if v is not None}
    caption_style = replace(STYLES[style], speaker_prefix=speaker_prefix, **changes)
    options = Options(model=model, device=device, compute_type=compute_type, threads=threads, language=language,
                      cache=not no_cache, refine=not no_refine, fast=fast, keep_speaker_case=keep_speaker_case,
                      style=caption_style, transcript_format=transcript_format,
                      min_found_share=0.0 if allow_mismatch else MISMATCH_SHARE)
    settings = Settings(options, word_timestamps=word_timestamps, json_cues=json_cues)
    if outdir is None:
        outdir = source if source.is_dir() else source.resolve().parent
    def progress(row: dict, finished: int, total: int) -> None:
        if quiet or row["status"] == "skipped":
            return
        what = (f"done, {row['captioned']} of {row['transcript_words']} words captioned"
                if row["status"] == "done" else f"failed: {row['error']}")
        say(f"[{finished}/{total}] {row['name']}: {what} ({row['seconds']:.1f} s)")

    report = run_batch(source, outdir, settings, jobs=jobs, cluster=cluster, force=force,
                       suffix="." + output_format, on_row=progress)
    if not quiet:
        for warning in report["warnings"]:
            say(f"align: warning: {warning}")
        say(report_table(report["episodes"], report["wall_seconds"]))
        say(f"wrote {Path(outdir) / 'batch-report.json'}")
    failed = [r["name"] for r in report["episodes"] if r["status"] == "failed"]
    if failed:
        names = ", ".join(failed[:3]) + (f" and {len(failed) - 3} more" if len(failed) > 3 else "")
        raise BatchError(f"{len(failed)} of {len(report['episodes'])} episodes failed: {names} "
                         f"(see {Path(outdir) / 'batch-report.json'})")
