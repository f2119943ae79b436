"""Many episodes: pair audio with transcripts, align each one, in parallel here or on a Dask cluster, and report.

The unit of work is ``run_episode(episode, settings)``: a top-level function taking plain data (an episode dict
of paths, a frozen ``Settings``) and returning a plain row dict, so that it pickles for a process pool and for
Dask. It never raises for a bad episode: the row says ``failed`` with the one-line error and its exit status.
Outputs are written by the episode's task itself, atomically (temporary file, then rename), caption file last.

>>> rows = [{"name": "ep1", "status": "done", "duration": 3000.0, "captioned": 5000, "transcript_words": 5200,
...          "not_in_audio": 2, "seconds": 61.0, "error": None},
...         {"name": "ep2", "status": "failed", "duration": None, "captioned": None, "transcript_words": None,
...          "not_in_audio": None, "seconds": 0.4, "error": "ep2.mp3: cannot decode audio"}]
>>> print(report_table(rows, wall=62.0))
episode  duration  captioned    not in audio  status  time
ep1      50:00     5000 / 5200  2             done    61.0 s
ep2      -         -            -             failed  0.4 s
ep2: ep2.mp3: cannot decode audio
2 episodes: 1 done, 1 failed; 50:00 of audio in 62 s (48.4 audio hours per wall hour)
"""
from __future__ import annotations

import csv
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

from align.audio import container_seconds
from align.errors import AlignError, AudioError, OutputError, TranscriptError, UsageError
from align.memory import reuse_freed_memory
from align.outputs import check_replaceable, inside, json_document, remember_written, write_output
from align.pipeline import Options
from align.processes import die_with_parent, stop_pool

__all__ = ["Settings", "find_episodes", "pair_names", "read_manifest", "up_to_date", "run_episode", "run_batch",
           "report_table", "AUDIO_SUFFIXES", "TRANSCRIPT_SUFFIXES"]

# when a stem has several, the first in these orders is taken
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".wma", ".aif", ".aiff",
                  ".mp4", ".m4v", ".mov", ".mkv", ".webm")
TRANSCRIPT_SUFFIXES = (".txt", ".docx", ".md", ".srt", ".vtt")
RETRIES = 2  # an episode whose worker process died (or whose task raised) is run again up to this many times
REPORT_NAME = "batch-report.json"


@dataclass(frozen=True)
class Settings:
    """What every episode of a batch shares: the pipeline's options and the caption file's extras."""

    options: Options = field(default_factory=Options)
    word_timestamps: bool = False
    json_cues: bool = False


# ---------------------------------------------------------------------------------------------- finding episodes

def pair_names(names: Iterable[str], outputs: Iterable[str] = ()) -> list[tuple[str, str | None, str | None]]:
    """Group a folder's file names by stem into ``(stem, audio, transcript)``, sorted by stem. Hidden files and
    other extensions are ignored; ``outputs`` (this batch's own caption files, when they live in the same folder)
    are not transcripts unless nothing else is.

    >>> pair_names(["b.MP3", "b.docx", "a.mp3", "a.wav", "a.txt", "a.vtt", "notes.md", "c.mp3", ".x.mp3", "a.json"],
    ...            outputs=["a.vtt"])
    [('a', 'a.wav', 'a.txt'), ('b', 'b.MP3', 'b.docx'), ('c', 'c.mp3', None), ('notes', None, 'notes.md')]
    """
    outputs = set(outputs)
    audio: dict[str, list[str]] = {}
    text: dict[str, list[str]] = {}
    for name in names:
        stem, suffix = os.path.splitext(name)
        if name.startswith(".") or not stem:
            continue
        if suffix.lower() in AUDIO_SUFFIXES:
            audio.setdefault(stem, []).append(name)
        elif suffix.lower() in TRANSCRIPT_SUFFIXES:
            text.setdefault(stem, []).append(name)

    def first(candidates: list[str], order: tuple[str, ...]) -> str | None:
        ranked = sorted(candidates, key=lambda n: (n in outputs, order.index(os.path.splitext(n)[1].lower())))
        return ranked[0] if ranked else None

    return [(stem, first(audio.get(stem, []), AUDIO_SUFFIXES), first(text.get(stem, []), TRANSCRIPT_SUFFIXES))
            for stem in sorted(set(audio) | set(text))]


def _episode(name: str, audio: Path | None, transcript: Path | None, output: Path) -> dict:
    output = output.resolve()
    return {"name": name, "audio": str(audio.resolve()) if audio else None,
            "transcript": str(transcript.resolve()) if transcript else None,
            "output": str(output), "report": str(output.with_name(output.stem + ".report.json")),
            "error": None, "exit_status": 0}


def _fail(episode: dict, message: str, status: int) -> dict:
    return {**episode, "error": message, "exit_status": status}


def pair_folder(folder: Path, outdir: Path, suffix: str = ".vtt") -> list[dict]:
    """Episodes from a folder: ``ep12.mp3`` with ``ep12.txt`` (or .docx, .md, .srt, .vtt); captions in
    ``outdir/ep12<suffix>``. A stem with audio but no transcript, or the other way round, is a failed episode."""
    same = folder.resolve() == outdir.resolve()
    names = [p.name for p in folder.iterdir() if p.is_file()]
    episodes = []
    for stem, audio, text in pair_names(names, [n for n in names if same and Path(n).stem + suffix == n]):
        episode = _episode(stem, folder / audio if audio else None, folder / text if text else None,
                           outdir / (stem + suffix))
        if audio is None:
            episode = _fail(episode, f"{episode['transcript']}: no audio file with the same name "
                                     f"({', '.join(AUDIO_SUFFIXES[:4])}, ...)", AudioError.exit_status)
        elif text is None:
            episode = _fail(episode, f"{episode['audio']}: no transcript with the same name "
                                     f"({', '.join(TRANSCRIPT_SUFFIXES)})", TranscriptError.exit_status)
        episodes.append(episode)
    return episodes


def read_manifest(manifest: Path, outdir: Path, suffix: str = ".vtt") -> list[dict]:
    """Episodes from a CSV file with a header row naming ``audio``, ``transcript`` and optionally ``output``
    columns. Input paths are relative to the manifest's folder, outputs to ``outdir``; the default output is
    the audio's stem with ``suffix``."""
    try:
        with manifest.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"{manifest}: cannot read the manifest ({error})") from None
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "audio" not in header or "transcript" not in header:
        raise UsageError(f"{manifest}: the first row must name the columns audio,transcript[,output]")
    base = manifest.resolve().parent
    episodes: list[dict] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        values = dict(zip(header, (v.strip() for v in row)))
        if not any(values.values()):
            continue
        audio, text, output = values.get("audio", ""), values.get("transcript", ""), values.get("output", "")
        relative = Path(output or (Path(audio).stem or f"line{number}") + suffix)
        episode = _episode(relative.with_suffix("").as_posix(), base / audio if audio else None,
                           base / text if text else None, outdir / relative)
        if not audio or not text:
            episode = _fail(episode, f"{manifest} line {number}: the audio or the transcript is missing",
                            UsageError.exit_status)
        elif not inside(episode["output"], outdir):
            episode = _fail(episode, f"{manifest} line {number}: the output {output} is outside the output folder "
                                     f"{outdir}; give a path inside it", OutputError.exit_status)
        elif episode["output"] in seen:
            episode = _fail(episode, f"{manifest} line {number}: the same output as line {seen[episode['output']]}"
                                     f" ({relative.as_posix()})", OutputError.exit_status)
        seen.setdefault(episode["output"], number)
        episodes.append(episode)
    return episodes


def check_episode_outputs(episodes: list[dict], outdir: Path, force: bool = False) -> list[dict]:
    """The episodes again, each whose captions or report would replace a file it must not failed: an input of
    any episode, another episode's output, the batch report, or (unless ``force``) a file align did not write.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> a = _episode("a", d / "a.mp3", d / "a.txt", d / "a.vtt")
    >>> b = _episode("b", d / "b.mp3", d / "b.vtt", d / "b.srt")
    >>> c = _episode("c", d / "c.mp3", d / "c.txt", d / "b.vtt")   # would replace b's transcript
    >>> [e["error"] for e in check_episode_outputs([a, b, c], d)][2]
    'its captions ...b.vtt are the transcript of b; choose another output'
    """
    inputs = {Path(e[k]).resolve(): (e["name"], k) for e in episodes for k in ("audio", "transcript") if e[k]}
    taken: dict[Path, tuple[str, str]] = {(Path(outdir) / REPORT_NAME).resolve(): ("the batch", "report")}
    checked = []
    for episode in episodes:
        roles = (("captions", "output"), ("report", "report"))
        problem = None
        for role, key in roles if not episode["error"] else ():
            path = Path(episode[key]).resolve()
            if path in inputs:
                name, kind = inputs[path]
                problem = f"its {role} {path} {'are' if role == 'captions' else 'is'} the {kind} of {name}"
            elif path in taken:
                name, kind = taken[path]
                problem = f"its {role} {path} would replace the {kind} of {name}"
            if problem:
                episode = _fail(episode, problem + "; choose another output", OutputError.exit_status)
                break
        for role, key in roles if not episode["error"] else ():
            try:
                check_replaceable(episode[key], force)
            except OutputError as error:
                episode = _fail(episode, str(error), OutputError.exit_status)
                break
        if not episode["error"]:
            taken.update({Path(episode[key]).resolve(): (episode["name"], role) for role, key in roles})
        checked.append(episode)
    return checked


def find_episodes(source: Path, outdir: Path, suffix: str = ".vtt") -> list[dict]:
    """The episodes of a folder or a CSV manifest."""
    if source.is_dir():
        return pair_folder(source, outdir, suffix)
    if source.is_file() and source.suffix.lower() == ".csv":
        return read_manifest(source, outdir, suffix)
    if not source.exists():
        raise UsageError(f"{source}: no such folder or manifest")
    raise UsageError(f"{source}: give a folder of episodes or a CSV manifest (audio,transcript[,output])")


def up_to_date(episode: dict) -> bool:
    """Whether the captions and the report exist and are no older than the audio and the transcript.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for n, t in (("a.mp3", 10), ("a.txt", 20), ("a.vtt", 30), ("a.report.json", 30)):
    ...     _ = (d / n).write_text(""); os.utime(d / n, (t, t))
    >>> ep = {k: str(d / n) for k, n in (("audio", "a.mp3"), ("transcript", "a.txt"), ("output", "a.vtt"),
    ...                                  ("report", "a.report.json"))}
    >>> up_to_date(ep)
    True
    >>> os.utime(d / "a.txt", (40, 40)); up_to_date(ep)   # the transcript was edited since
    False
    """
    try:
        newest_input = max(os.stat(episode[k]).st_mtime_ns for k in ("audio", "transcript"))
        oldest_output = min(os.stat(episode[k]).st_mtime_ns for k in ("output", "report"))
    except (OSError, TypeError):
        return False
    return oldest_output >= newest_input


# ------------------------------------------------------------------------------------------------- one episode

def cpu_count() -> int:
    """The CPUs this process may use (its affinity, which containers and batch schedulers set)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


def _row(episode: dict) -> dict:
    return {"number": episode.get("number"), "name": episode["name"], "audio": episode["audio"],
            "transcript": episode["transcript"], "output": episode["output"], "report": episode["report"],
            "status": "failed", "duration": None,
            "captioned": None, "transcript_words": None, "not_in_audio": None, "not_in_audio_words": None,
            "seconds": 0.0, "error": episode.get("error"), "exit_status": episode.get("exit_status", 0),
            "warnings": [], "worker": f"{socket.gethostname()}:{os.getpid()}"}


def _counts(row: dict, report: dict) -> dict:
    counts = report.get("counts", {})
    return {**row, "captioned": counts.get("captioned"), "transcript_words": counts.get("transcript_tokens"),
            "not_in_audio": len(report.get("not_in_audio", [])), "not_in_audio_words": counts.get("not_in_audio")}


def run_episode(episode: dict, settings: Settings = Settings()) -> dict:
    """Align one episode and write its captions and report; the row of the batch table. Never raises for a bad
    episode (only for Ctrl-C): the row's ``status`` is ``done`` or ``failed`` with ``error`` and ``exit_status``.
    """
    from align.pipeline import align_episode
    from align.writers import format_for, to_json, to_json_cues, to_srt, to_vtt, write_atomically

    row = _row(episode)
    if episode.get("error"):
        return row
    began = time.monotonic()
    try:
        output, report = Path(episode["output"]), Path(episode["report"])
        kind = format_for(output)
        if settings.word_timestamps and kind != "vtt":
            raise UsageError(f"--word-timestamps: only for WebVTT output (.vtt), not {output.name}")
        if settings.json_cues and kind != "json":
            raise UsageError(f"--json-cues: only for JSON output (.json), not {output.name}")
        if {str(output), str(report)} & {episode["audio"], episode["transcript"]}:
            raise OutputError(f"{output}: is one of the inputs; choose another output folder")
        options = settings.options
        options = replace(options, style=replace(options.style, speaker_prefix=options.style.speaker_prefix
                                                  or kind == "srt"))
        row["duration"] = container_seconds(episode["audio"])
        result = align_episode(episode["audio"], episode["transcript"], options)
        content = {"vtt": lambda: to_vtt(result.cues, word_timestamps=settings.word_timestamps),
                   "srt": lambda: to_srt(result.cues),
                   "json": lambda: to_json_cues(result.cues) if settings.json_cues else to_json(result.alignment),
                   }[kind]()
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"{output.parent}: cannot make the folder ({error.strerror})") from None
        write_atomically(report, json_document(result.report))
        write_atomically(output, content)  # last: the captions are there only when everything is
        row = _counts({**row, "status": "done", "warnings": list(result.transcript.warnings)}, result.report)
    except AlignError as error:
        row.update(error=str(error), exit_status=error.exit_status)
    except Exception as error:  # a bug or an exhausted machine: this episode fails, the batch goes on
        row.update(error=f"internal error: {type(error).__name__}: {error}", exit_status=1)
    row["seconds"] = round(time.monotonic() - began, 2)
    return row


def _skipped(episode: dict) -> dict:
    row = {**_row(episode), "status": "skipped", "exit_status": 0, "duration": container_seconds(episode["audio"])}
    try:
        row = _counts(row, json.loads(Path(episode["report"]).read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError):
        pass
    return row


# ----------------------------------------------------------------------------------------- many: here or cluster


def _start_worker(parent: int) -> None:
    """A batch worker (a spawned process, which inherits none of the CLI's settings): it dies with ``parent``, and
    its C heap keeps the model's freed buffers for reuse (align.memory)."""
    die_with_parent(parent)
    reuse_freed_memory()


def run_local(episodes: list[dict], settings: Settings, jobs: int, on_row: Callable[[dict], None]) -> None:
    """Episodes in ``jobs`` worker processes (spawned, each loading the model once); ``jobs=1``: in this process.
    A worker process that dies (out of memory, a crash in native code) costs its episodes a retry, not the
    batch."""
    if jobs <= 1 or len(episodes) <= 1:
        for episode in episodes:
            on_row(run_episode(episode, settings))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    tries: dict[str, int] = {}
    pending = episodes
    while pending:
        retry = []
        # each worker dies with this process, whatever kills it, and leaves Ctrl-C to it: stopped here at once
        pool = ProcessPoolExecutor(min(jobs, len(pending)), mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(os.getpid(),))
        try:
            futures = {pool.submit(run_episode, episode, settings): episode for episode in pending}
            for future in as_completed(futures):
                episode = futures[future]
                try:
                    on_row(future.result())
                except BrokenProcessPool:
                    tries[episode["output"]] = tries.get(episode["output"], 0) + 1
                    if tries[episode["output"]] <= RETRIES:
                        retry.append(episode)
                    else:
                        on_row(_row(_fail(episode, "the worker process aligning it died (out of memory?)", 1)))
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown()
        pending = retry


def _worker_facts(dask_worker) -> tuple[str, int, int, str | None]:
    """On a Dask worker: its machine, its threads, the machine's CPUs, its MALLOC_TRIM_THRESHOLD_."""
    nthreads = getattr(dask_worker, "nthreads", None) or dask_worker.state.nthreads
    return socket.gethostname(), nthreads, cpu_count(), os.environ.get("MALLOC_TRIM_THRESHOLD_")


def cluster_threads(facts: dict) -> int:
    """CPU threads per episode so that the workers on one machine share its CPUs (0: no workers seen yet).

    >>> cluster_threads({"tcp://a:1": ("a", 1, 16), "tcp://a:2": ("a", 1, 16), "tcp://b:1": ("b", 2, 8)})
    4
    """
    per_host: dict[str, list[int]] = {}
    for host, nthreads, cpus, *_ in facts.values():
        per_host.setdefault(host, [0, cpus])[0] += nthreads
    return min((max(1, cpus // max(1, used)) for used, cpus in per_host.values()), default=0)


def connect(address):
    """A Dask client for ``address`` (the scheduler's, ``tcp://host:8786``, or a ``distributed`` cluster object)."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--cluster needs Dask: pip install 'align[cluster]'") from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise UsageError(f"--cluster {address}: cannot reach a Dask scheduler ({error})") from None


def run_cluster(episodes: list[dict], settings: Settings, client, on_row: Callable[[dict], None]) -> list[str]:
    """Each episode one task on a Dask cluster. The workers need ``align`` installed and the paths on a shared
    filesystem. A task whose worker dies is run again elsewhere by the scheduler; rows arrive as tasks
    complete. Returns warnings about the cluster."""
    from distributed import as_completed

    facts = client.run(_worker_facts)
    if not settings.options.threads:
        settings = replace(settings, options=replace(settings.options, threads=cluster_threads(facts)))
    warnings = []
    if any(fact[3] for fact in facts.values()):
        warnings.append("the Dask workers run with MALLOC_TRIM_THRESHOLD_ set (Dask's default), which makes align "
                        "about 30% slower; the README says how to start them without it")
    batch = uuid.uuid4().hex[:8]
    futures = {client.submit(run_episode, episode, settings, key=f"align-{episode['name']}-{batch}",
                             retries=RETRIES, pure=False): episode for episode in episodes}
    for future in as_completed(futures):
        try:
            on_row(future.result())
        except Exception as error:  # lost with its workers too often (KilledWorker), or cancelled
            on_row(_row(_fail(futures[future], f"failed on the cluster: {type(error).__name__}: {error}", 1)))
        future.release()
    return warnings


def run_batch(source: str | Path, outdir: str | Path, settings: Settings = Settings(), jobs: int = 1,
              cluster=None, force: bool = False, suffix: str = ".vtt",
              on_row: Callable[[dict, int, int], None] | None = None) -> dict:
    """Caption every episode of a folder or manifest into ``outdir``; skip those whose outputs are newer than
    their inputs unless ``force``, which also lets them replace files that align did not write. Returns the batch
    report (also written as ``outdir/batch-report.json``). ``on_row(row, finished, total)`` is called as each
    episode finishes (or is skipped)."""
    began = time.monotonic()
    source, outdir = Path(source), Path(outdir)
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: must be at least 1")
    episodes = [{**episode, "number": k} for k, episode in enumerate(find_episodes(source, outdir, suffix), 1)]
    check_replaceable(outdir / REPORT_NAME, force)
    episodes = check_episode_outputs(episodes, outdir, force)
    client = connect(cluster) if cluster is not None else None
    try:
        try:
            outdir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"{outdir}: cannot make the output folder ({error.strerror})") from None
        rows, warnings = _run(episodes, settings, jobs, client, force, on_row)
    finally:
        if client is not None:
            client.close()
        _remove_leftovers(episodes)  # an interrupted batch's too
    rows.sort(key=lambda r: r["number"])
    report = summarise(rows, time.monotonic() - began)
    report.update(source=str(source.resolve()), output_dir=str(outdir.resolve()), warnings=warnings,
                  mode=f"cluster {cluster}" if cluster is not None else f"{jobs} local worker(s)")
    write_output(outdir / REPORT_NAME, json_document(report))
    return report


def _run(episodes: list[dict], settings: Settings, jobs: int, client, force: bool, on_row):
    rows: list[dict] = []
    warnings: list[str] = []

    def collect(row: dict) -> None:
        if row["status"] == "done":  # written by a worker process, maybe on another machine: align's now
            remember_written(row["output"])
            remember_written(row["report"])
        rows.append(row)
        if on_row:
            on_row(row, len(rows), len(episodes))

    todo = []
    for episode in episodes:
        if episode["error"]:
            collect(_row(episode))
        elif not force and up_to_date(episode):
            collect(_skipped(episode))
        else:
            todo.append(episode)
    if todo and client is not None:
        warnings = run_cluster(todo, settings, client, collect)
    elif todo:
        workers = min(jobs, len(todo))
        if workers > 1 and not settings.options.threads:
            settings = replace(settings, options=replace(settings.options, threads=max(1, cpu_count() // workers)))
        run_local(todo, settings, workers, collect)
    return rows, warnings


def _remove_leftovers(episodes: list[dict]) -> None:
    """Temporary files of writes cut short by a worker that died (``.ep.vtt.x1y2.part``)."""
    for episode in episodes:
        for path in (Path(episode["output"]), Path(episode["report"])):
            for part in path.parent.glob(f".{path.name}.*.part") if path.parent.is_dir() else ():
                try:
                    part.unlink()
                except OSError:
                    pass


# ---------------------------------------------------------------------------------------------------- reporting

def summarise(rows: list[dict], wall: float) -> dict:
    """The batch report: every row, the totals and the throughput (audio hours per wall hour, of the episodes
    aligned in this run)."""
    done = [r for r in rows if r["status"] == "done"]
    audio = sum(r["duration"] or 0.0 for r in done)
    totals = {status: sum(1 for r in rows if r["status"] == status) for status in ("done", "failed", "skipped")}
    return {"episodes": rows, "totals": {"episodes": len(rows), **totals, "audio_seconds": round(audio, 3)},
            "wall_seconds": round(wall, 2), "audio_hours_per_wall_hour": round(audio / wall, 2) if wall > 0 else None}


def _clock(seconds: float | None) -> str:
    """
    >>> _clock(None), _clock(49.3), _clock(3725)
    ('-', '0:49', '1:02:05')
    """
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def report_table(rows: list[dict], wall: float) -> str:
    """The table printed at the end of a batch: one line per episode, the errors, and a total."""
    lines = [("episode", "duration", "captioned", "not in audio", "status", "time")]
    for r in rows:
        lines.append((r["name"], _clock(r["duration"]),
                      "-" if r["captioned"] is None else f"{r['captioned']} / {r['transcript_words']}",
                      "-" if r["not_in_audio"] is None else str(r["not_in_audio"]), r["status"],
                      "-" if r["status"] == "skipped" else f"{r['seconds']:.1f} s"))
    widths = [max(len(line[k]) for line in lines) for k in range(len(lines[0]))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
    text += [f"{r['name']}: {r['error']}" for r in rows if r["status"] == "failed"]
    summary = summarise(rows, wall)
    totals = summary["totals"]
    counts = ", ".join(f"{totals[s]} {s}" for s in ("done", "failed", "skipped") if totals[s] or s == "done")
    line = f"{len(rows)} episode{'s' * (len(rows) != 1)}: {counts}"
    if totals["done"]:
        line += (f"; {_clock(totals['audio_seconds'])} of audio in {wall:.0f} s "
                 f"({summary['audio_hours_per_wall_hour']:.1f} audio hours per wall hour)")
    return "\n".join(text + [line])
