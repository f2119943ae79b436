"""Fit and check the confidence model (align/confidence.py): which words are more than 250 ms off.

usage:
  python bench/fit_confidence.py collect EPISODES_DIR [--episodes a,b] [--out bench/out/confidence]
  python bench/fit_confidence.py fit --train DIR[,DIR] --check DIR[,DIR] [--png bench/reliability.png]

``collect`` runs the pipeline on each episode (its recognition cached in OUT/EPISODE/cache, so a second collect
after a change to alignment or refinement costs only those), matches the JSON output's words to the truth as
``../shared/bench/score.py`` does, and writes OUT/EPISODE/evidence.npz: the evidence rows of the spoken words and
each one's start error (NaN where the truth has no start for it); evidence-unrefined.npz and evidence-fast.npz hold
those of its --no-refine and --fast runs.

``fit`` fits the models (boosted depth-2 trees), one on the --train episodes' default runs, one on their --no-refine
runs and one on their --fast runs (episodes made with other seeds: bench/build_fit_set.sh), then, on the --check
episodes only (never fitted on: the public set), prints each episode's flag share, precision and recall at 250 ms
and 1 s for the flag threshold, and draws the reliability diagram (predicted against observed share within 250 ms,
ten bins) as a PNG. --write writes them to align/confidence_model.json, align/confidence_model_unrefined.json and
align/confidence_model_fast.json.
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from align.confidence import FAST_MODEL, FEATURES, MODEL, UNREFINED_MODEL, Model  # noqa: E402

ROUNDS, RATE = 200, 0.1  # taken once, not tuned: the check episodes are never fitted on


def norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def audio_of(episode: Path) -> Path:
    return next(p for p in (episode / "episode.mp3", episode / "episode.wav") if p.exists())


def start_errors(result, truth: dict) -> np.ndarray:
    """Per transcript token, |start - true start| of the words score.py matches (NaN elsewhere)."""
    tokens, timings = result.transcript.tokens, result.alignment.timings
    segments = [k for k, t in enumerate(timings) if t.start is not None]  # as align.writers.to_json writes them
    truth_words = [w for w in truth["words"] if norm(w["text"])]
    matcher = difflib.SequenceMatcher(None, [norm(w["text"]) for w in truth_words],
                                      [norm(tokens[k].text) for k in segments], autojunk=False)
    errors = np.full(len(timings), np.nan)
    for block in matcher.get_matching_blocks():
        for j in range(block.size):
            word, k = truth_words[block.a + j], segments[block.b + j]
            if word["start"] is not None:
                errors[k] = abs(timings[k].start - word["start"])
    return errors


def collect(episodes_dir: Path, names: list[str], out: Path) -> None:
    for name in names:
        episode = episodes_dir / name
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["ALIGN_CACHE_DIR"] = str(folder / "cache")
        from align.pipeline import Options, align_episode

        for mode, options, file in (("", Options(), "evidence.npz"),
                                    (" (--no-refine)", Options(refine=False), "evidence-unrefined.npz"),
                                    (" (--fast)", Options(fast=True), "evidence-fast.npz")):
            result = align_episode(audio_of(episode), episode / "transcript.txt", options)
            errors = start_errors(result, json.loads((episode / "truth.json").read_text()))
            spoken = ~np.isnan(result.evidence[:, 0])
            np.savez(folder / file, rows=result.evidence[spoken], errors=errors[spoken])
            print(f"{name}{mode}: {int(spoken.sum())} spoken words, "
                  f"{int(np.sum(errors[spoken] > 0.25))} over 250 ms", flush=True)


def load(out: Path, names: list[str], unrefined: bool = False, fast: bool = False
         ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each episode's evidence rows and start errors (with ``unrefined``, also those of its --no-refine run, as
    ``NAME --no-refine``; with ``fast``, those of its --fast run, as ``NAME --fast``)."""
    data = {}
    for name in names:
        files = [(name, "evidence.npz")]
        files += [(f"{name} --no-refine", "evidence-unrefined.npz")] if unrefined else []
        files += [(f"{name} --fast", "evidence-fast.npz")] if fast else []
        for label, file in files:
            with np.load(out / name / file) as saved:
                data[label] = (saved["rows"], saved["errors"])
    return data


def fit_trees(x: np.ndarray, y: np.ndarray, rounds: int = ROUNDS, rate: float = RATE) -> tuple[float, tuple]:
    """Gradient boosting of depth-2 trees on the logistic loss (y: 1 for on time): the base log-odds and the trees
    as ``align.confidence.Model`` holds them. Splits are sought at 25 quantiles of each feature and at four in its
    tails (a few dozen words stretched over a pause, 40% of them off, lie beyond the 98th percentile); a side holds
    a hessian of 2 at least (some 200 sure words, or a few dozen doubtful ones); a leaf's value is its Newton step,
    shrunk by one pseudo-observation."""
    quantiles = np.r_[0.002, 0.01, np.linspace(0.02, 0.98, 25), 0.99, 0.998]
    cuts = [np.unique(np.quantile(x[:, j], quantiles)) for j in range(x.shape[1])]

    def best_split(idx, g, h):
        best, where = 0.0, None
        total_g, total_h = g[idx].sum(), h[idx].sum()
        for j in range(x.shape[1]):
            column = x[idx, j]
            for cut in cuts[j]:
                under = column <= cut
                gl, hl = g[idx][under].sum(), h[idx][under].sum()
                gr, hr = total_g - gl, total_h - hl
                if hl < 2 or hr < 2:
                    continue
                gain = gl * gl / (hl + 1) + gr * gr / (hr + 1) - total_g * total_g / (total_h + 1)
                if gain > best:
                    best, where = gain, (j, round(float(cut), 5))
        return where

    def leaf(idx, g, h):
        return round(float(g[idx].sum() / (h[idx].sum() + 1)), 5)

    base = round(float(np.log(y.mean() / (1 - y.mean()))), 5)
    logit = np.full(len(y), base)
    trees = []
    for _ in range(rounds):
        p = 1.0 / (1.0 + np.exp(-logit))
        g, h = y - p, p * (1 - p)
        everything = np.arange(len(y))
        split = best_split(everything, g, h)
        if split is None:
            break
        sides = []
        for part in (everything[x[:, split[0]] <= split[1]], everything[x[:, split[0]] > split[1]]):
            inner = best_split(part, g, h)
            if inner is None:
                sides.append((-1, 0.0, leaf(part, g, h), leaf(part, g, h)))
            else:
                low, high = part[x[part, inner[0]] <= inner[1]], part[x[part, inner[0]] > inner[1]]
                sides.append((inner[0], inner[1], leaf(low, g, h), leaf(high, g, h)))
        trees.append((split[0], split[1], sides[0], sides[1]))
        logit += Model(FEATURES, 0.0, rate, (trees[-1],), 0.5).log_odds(x)
    return base, tuple(trees)


def flag_scores(p: np.ndarray, errors: np.ndarray, below: float) -> dict:
    """score.py's flag metrics for the words with a truth start, flagging those with p < below."""
    known = ~np.isnan(errors)
    p, e = p[known], errors[known]
    flagged = p < below
    off, gross = e > 0.25, e > 1.0
    return {"words": int(len(e)), "over_250ms": int(off.sum()), "over_1s": int(gross.sum()),
            "flag_share": round(float(flagged.mean()), 4) if len(e) else None,
            "flag_precision_250ms": round(float(off[flagged].mean()), 4) if flagged.any() else None,
            "flag_recall_250ms": round(float(flagged[off].mean()), 4) if off.any() else None,
            "flag_recall_1s": round(float(flagged[gross].mean()), 4) if gross.any() else None}


def flag_threshold(train: dict, model: Model, max_share: float) -> float:
    """The highest probability under which words are flagged that flags at most ``max_share`` of the training
    episodes' words (pooled, refined): the longest list a producer is asked to hear."""
    p = np.concatenate([model.probability(rows)[~np.isnan(errors)] for name, (rows, errors)
                        in train.items() if not name.endswith("--no-refine")])  # the default mode's list
    grid = [round(t, 2) for t in np.arange(0.5, 0.991, 0.01)]
    return max((t for t in grid if float(np.mean(p < t)) <= max_share), default=0.5)


def reliability(p: np.ndarray, errors: np.ndarray, png: Path | None) -> list[tuple[float, float, int]]:
    """Ten bins of predicted probability: (mean predicted, observed share within 250 ms, words)."""
    known = ~np.isnan(errors)
    p, on_time = p[known], errors[known] <= 0.25
    bins = np.minimum((p * 10).astype(int), 9)
    table = [(float(p[bins == b].mean()), float(on_time[bins == b].mean()), int((bins == b).sum()))
             for b in range(10) if (bins == b).any()]
    if png is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
        ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="calibrated")
        ax.plot([t[0] for t in table], [t[1] for t in table], "o-", color="#1f5fa8", label="align")
        for mean, share, count in table:
            ax.annotate(str(count), (mean, share), textcoords="offset points", xytext=(4, -10), fontsize=7)
        ax.set_xlabel("predicted probability of starting within 250 ms")
        ax.set_ylabel("observed share within 250 ms")
        ax.set_title("Word-time confidence, public episodes", fontsize=10)
        ax.set_xlim(0, 1), ax.set_ylim(0, 1.02)
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        fig.savefig(png)
    return table


def ranking_curve(p: np.ndarray, errors: np.ndarray, recalls=(0.5, 0.6, 0.7, 0.8)) -> dict:
    """How well the model ranks the words over 250 ms above the rest, whatever the threshold: average precision,
    and the precision and share of words listed where the least sure words first reach each recall.

    >>> curve = ranking_curve(np.array([0.2, 0.9, 0.4, 0.99]), np.array([0.5, 0.0, 0.01, 0.3]), recalls=(0.5, 1.0))
    >>> curve["average_precision"], curve["at_recall"]["1.0"]
    (0.75, {'precision': 0.5, 'share': 1.0})
    """
    known = ~np.isnan(errors)
    off = errors[known] > 0.25
    ranked = off[np.argsort(p[known], kind="stable")]
    found = np.cumsum(ranked)
    precision = found / np.arange(1, len(ranked) + 1)
    recall = found / max(1, int(off.sum()))
    at = {}
    for target in recalls:
        n = int(np.argmax(recall >= target))  # the shortest list that reaches the recall
        at[str(target)] = {"precision": round(float(precision[n]), 3), "share": round((n + 1) / len(ranked), 4)}
    average = float(precision[ranked].mean()) if ranked.any() else 0.0  # precision where each wrong word is found
    return {"words": int(len(ranked)), "over_250ms": int(off.sum()), "average_precision": round(average, 3),
            "at_recall": at}


def fit_model(episodes: dict, max_share: float = 0.0, flag_below: float | None = None) -> Model:
    """A model fitted on these episodes' rows (one mode's), flagging under ``flag_below`` or, where None, under the
    threshold that flags at most ``max_share`` of their words."""
    x = np.vstack([rows for rows, errors in episodes.values()])
    e = np.concatenate([errors for rows, errors in episodes.values()])
    known = ~np.isnan(e)
    base, trees = fit_trees(x[known], (e[known] <= 0.25).astype(float))
    fitted_on = tuple(sorted({n.split(" ")[0] for n in episodes}))
    model = Model(FEATURES, base, RATE, trees, flag_below or 0.5, fitted_on)
    if flag_below is None:
        model = Model(FEATURES, base, RATE, trees, flag_threshold(episodes, model, max_share), fitted_on)
    return model


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect")
    c.add_argument("episodes_dir")
    c.add_argument("--episodes", default="")
    c.add_argument("--out", default=str(HERE / "out" / "confidence"))
    f = sub.add_parser("fit")
    f.add_argument("--train", required=True)
    f.add_argument("--check", required=True)
    f.add_argument("--out", default=str(HERE / "out" / "confidence"))
    f.add_argument("--write", action="store_true", help="write the models to align/confidence_model*.json")
    f.add_argument("--png", default=str(HERE / "reliability.png"))
    f.add_argument("--max-share", type=float, default=0.025, help="flag share on the training episodes at most")
    f.add_argument("--current", action="store_true", help="score the shipped models, fit nothing")
    a = ap.parse_args()
    if a.command == "collect":
        episodes_dir = Path(a.episodes_dir)
        names = a.episodes.split(",") if a.episodes else sorted(p.name for p in episodes_dir.iterdir()
                                                                if (p / "truth.json").exists())
        collect(episodes_dir, names, Path(a.out))
        return
    out = Path(a.out)
    train, every_check = load(out, a.train.split(","), True, True), load(out, a.check.split(","), True, True)

    def mode(name: str) -> str:
        return name.split(" ")[1] if " " in name else ""

    check = {n: v for n, v in every_check.items() if not mode(n)}  # the default mode's: the reliability diagram

    if a.current:
        models = {"": MODEL, "--no-refine": UNREFINED_MODEL, "--fast": FAST_MODEL}
    else:
        models = {"": fit_model({n: v for n, v in train.items() if not mode(n)}, a.max_share)}
        for other in ("--no-refine", "--fast"):
            models[other] = fit_model({n: v for n, v in train.items() if mode(n) == other},
                                      flag_below=models[""].flag_below)
        if a.write:
            for other, file in (("", ""), ("--no-refine", "_unrefined"), ("--fast", "_fast")):
                (HERE.parent / "align" / f"confidence_model{file}.json").write_text(models[other].to_json())
    model = models[""]
    print(f"flag_below = {model.flag_below}, {len(model.trees)} trees a model, fitted on {', '.join(model.fitted_on)}")
    for label, episodes in (("train", train), ("check", every_check)):
        for name, (rows, errors) in episodes.items():
            p = models[mode(name)].probability(rows)
            print(json.dumps({"set": label, "episode": name, **flag_scores(p, errors, model.flag_below)}))
    rows = np.vstack([r for r, _ in check.values()])
    errors = np.concatenate([e for _, e in check.values()])
    p = model.probability(rows)
    table = reliability(p, errors, Path(a.png) if a.png else None)
    print("reliability (check episodes): " + "; ".join(f"{m:.2f} -> {s:.3f} ({n})" for m, s, n in table))
    print("ranking (check episodes, pooled): " + json.dumps(ranking_curve(p, errors)))


if __name__ == "__main__":
    main()
