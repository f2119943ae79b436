"""Make docs/review-seed-full.png and docs/review-seed-full-top.png: the review page of the public seed-full
episode in headless Chromium, playing just before the paragraph that was cut from the audio, and the top of the
page (what to check, and the timeline).

    ALIGN_CACHE_DIR=bench/out/seed-full/cache python docs/make_screenshot.py /work/episodes/seed-full

Needs Debian's chromium and chromium-driver, and selenium (the test extra). The episode folder holds
episode.mp3 and transcript.txt (``../shared/bench/build_public_set.sh`` builds it).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import browser  # noqa: E402  (tests/browser.py: the system Chromium and a local server)

from align.pipeline import Options, align_episode  # noqa: E402
from align.review import review_html  # noqa: E402
from align.writers import to_vtt  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("episode", type=Path, help="folder with episode.mp3 and transcript.txt")
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "review-seed-full.png")
    ap.add_argument("--line", type=int, default=106, help="the cut passage to show (its transcript line)")
    a = ap.parse_args()
    reason = browser.unavailable()
    if reason:
        sys.exit(reason)
    result = align_episode(a.episode / "episode.mp3", a.episode / "transcript.txt", Options())
    top = a.output.with_name(a.output.stem + "-top" + a.output.suffix)
    passage = next(p for p in result.report["not_in_audio"] if p["line"] == a.line)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "episode.mp3").symlink_to((a.episode / "episode.mp3").resolve())
        page = folder / "episode.html"
        vtt = to_vtt(result.cues)
        page.write_text(review_html(result, folder / "episode.mp3", vtt, page_path=page,
                                    title=f"{a.episode.name}/episode.mp3"))
        with browser.serve(folder) as base, browser.chromium(1280, 1000) as driver:
            driver.get(base + "episode.html")
            for _ in range(200):
                if driver.execute_script("return player.readyState >= 1 && captions.readyState === 2"):
                    break
                time.sleep(0.05)
            driver.execute_script(f"reviewSeek({passage['at'] - 2.5}, true)")
            time.sleep(1.6)
            driver.execute_script("player.pause();"
                                  "var p = document.querySelector('del.gone[data-line=\"%d\"]');"
                                  "window.scrollBy(0, p.getBoundingClientRect().top - "
                                  "document.querySelector('header.bar').offsetHeight - 160);" % a.line)
            time.sleep(0.3)
            driver.save_screenshot(str(a.output))
            # the top of the page: what to check, with the timeline
            driver.execute_script("window.scrollTo(0, 0)")
            time.sleep(0.3)
            driver.save_screenshot(str(top))
    for path in (a.output, top):
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
