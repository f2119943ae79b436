"""Issue 7: the summary, the report and the review page.

The page is checked twice: as HTML (every token, marks, nothing external), and in a real headless Chromium
(Debian's, through the system chromedriver) on the harbour fixture: it loads, a click on a word seeks the
player, playback moves the highlight, the track holds the captions' cues. Without Chromium those tests skip."""
import base64
import html.parser
import json
import os
import re
import shutil
import time
import urllib.parse

import pytest

from align.aligner import align_words
from align.captions import caption_words, make_cues
from align.cli import run
from align.errors import MismatchError, OutputError, UsageError
from align.pipeline import Options, Result, align_episode
from align.report import build_report, summary_lines
from align.review import audio_url, review_html
from align.transcript import parse_transcript
from align.writers import to_vtt

import browser
from helpers import said

TEXT = ("Page header: subscribe now.\n\n"
        "HOST: Welcome to the show, I'm here with <Ann> & \"friends\" [laughs] today.\n\n"
        "This whole paragraph was removed from the recording by the editor </script> before release.\n\n"
        "GUEST: Thanks for having me on the show.\n\n"
        "HOST: And that is all for today, goodbye.")
SPEECH = ("welcome to the show i'm here with ann and friends today", 0.0, "thanks for having me on the show", 4.6,
          "this episode is brought to you by our sponsor visit them now", 8.5,
          "and that is all for today goodbye", 14.0)


def made_result():
    transcript = parse_transcript(TEXT)
    words = []
    for text, start in zip(SPEECH[::2], SPEECH[1::2]):
        words += said(text, start)
    alignment = align_words(transcript, words)
    return Result(transcript, alignment, make_cues(caption_words(alignment)), build_report(alignment))


class Elements(html.parser.HTMLParser):
    """Every start tag with its attributes, and the tokens (elements with data-i) with their text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.tokens, self.open = [], {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "data-i" in attrs:
            self.open.append(int(attrs["data-i"]))
            self.tokens[int(attrs["data-i"])] = {"attrs": attrs, "text": ""}
        elif self.open and tag not in ("br",):
            self.open.append(None)

    def handle_endtag(self, tag):
        if self.open:
            self.open.pop()

    def handle_data(self, data):
        if self.open and self.open[-1] is not None:
            self.tokens[self.open[-1]]["text"] += data


def parse(page):
    p = Elements()
    p.feed(page)
    return p


# --- the summary and the report ---

def test_report_names_passages_spans_and_low_confidence_words():
    result = made_result()
    report = result.report
    assert [(p["line"], p["where"]) for p in report["not_in_audio"]] == [(1, "before"), (5, "within")]
    assert report["not_in_audio"][1]["text"].startswith("This whole paragraph")
    before = [t for t in result.alignment.timings if t.start is not None
              and result.transcript.tokens[t.token].line < 5]
    assert report["not_in_audio"][1]["at"] == pytest.approx(before[-1].end)
    (span,) = report["not_in_transcript"]
    assert span["heard"].startswith("this episode") and 8.5 <= span["start"] < span["end"] <= 13.5
    assert report["counts"]["low_confidence"] == len(report["low_confidence"])
    assert all({"line", "text", "start", "end", "confidence", "status"} <= set(e) for e in report["low_confidence"])
    json.dumps(report)


def test_summary_names_what_to_check():
    lines = summary_lines(made_result().report)
    text = "\n".join(lines)
    assert lines[0].startswith("captioned ")
    assert "line 5 (at 0:" in text and "This whole paragraph was removed" in text
    assert "line 1, before the first word heard: Page header: subscribe now." in text
    assert "0:08-0:13: this episode is brought" in text


def test_summary_groups_page_text_and_lists_low_confidence_stretches():
    passages = [{"line": n, "text": f"page text {n}", "at": 0.0, "where": "before"} for n in (1, 3, 5)]
    passages += [{"line": 40, "text": "a cut paragraph of many words " * 3, "at": 65.0, "where": "within"}]
    passages += [{"line": n, "text": "comments", "at": 99.0, "where": "after"} for n in (90, 92)]
    low = [{"line": 7, "text": w, "start": 10 + k * 0.3, "end": 10.25 + k * 0.3, "confidence": 0.1,
            "status": "misheard"} for k, w in enumerate("three low words".split())]
    low += [{"line": 9, "text": "alone", "start": 30.0, "end": 30.3, "confidence": 0.0, "status": "interpolated"}]
    counts = {"captioned": 10, "transcript_tokens": 20, "matched": 8, "misheard": 1, "forced": 0,
              "interpolated": 1, "not_in_audio": 10}
    lines = summary_lines({"counts": counts, "not_in_audio": passages, "not_in_transcript": [],
                           "low_confidence": low}, limit=1)
    assert "  line 40 (at 1:05): a cut paragraph of many words a cut ..." in lines
    assert "  lines 1-5, before the first word heard: 3 passages (9 words) from 'page text 1'" in lines
    assert "  lines 90-92, after the last word heard: 2 passages (2 words) from 'comments'" in lines
    assert lines[-3:] == ["worth a listen (4 words likely over 250 ms off); the least sure first:",
                          "  0:30 line 9: alone", "  ... and 1 more (see --report)"]


def test_force_writes_captions_of_a_mismatched_transcript(tmp_path, harbour, capsys):
    other = tmp_path / "other.txt"
    other.write_text("HOST: Today we discuss the history of jazz piano in New Orleans.\n\n"
                     "GUEST: It began in the brothels and bars of Storyville around nineteen hundred.\n")
    out = tmp_path / "x.vtt"
    assert run([str(harbour["audio"]), str(other), "-o", str(out)]) == MismatchError.exit_status
    assert "--force" in capsys.readouterr().err and not out.exists()
    assert run([str(harbour["audio"]), str(other), "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("WEBVTT") and "not in the audio" in capsys.readouterr().err


# --- the page as HTML ---

def test_page_shows_every_token_in_order_with_its_time():
    result = made_result()
    page = review_html(result, "episode.mp3", to_vtt(result.cues))
    tokens = parse(page).tokens
    assert sorted(tokens) == list(range(len(result.transcript.tokens)))
    for token, timing in zip(result.transcript.tokens, result.alignment.timings):
        shown = tokens[token.index]
        assert shown["text"] == token.text
        if timing.start is not None and timing.status != "note":
            assert float(shown["attrs"]["data-start"]) == pytest.approx(timing.start, abs=1e-3)
            assert float(shown["attrs"]["data-end"]) >= float(shown["attrs"]["data-start"])
        else:
            assert "data-start" not in shown["attrs"]
    assert [t["attrs"]["class"] for t in tokens.values() if t["text"] == "[laughs]"] == ["note"]


def test_page_marks_problems_in_place_and_on_the_timeline():
    result = made_result()
    page = review_html(result, "episode.mp3", to_vtt(result.cues))
    tags = parse(page).tags
    gone = [a for t, a in tags if t == "del" and "gone" in a.get("class", "")]
    assert [a["data-line"] for a in gone] == ["1", "5"]
    unscripted = [a for t, a in tags if "unscripted" in a.get("class", "").split() and t in ("div", "span")]
    assert len(unscripted) == 1 and float(unscripted[0]["data-start"]) == result.alignment.unscripted[0].start
    # the ad read sits between the guest's turn and the host's, where it was heard
    assert page.index(">Thanks<") < page.index('id="unscripted-1"') < page.index(">goodbye.<")
    marks = [a["class"] for t, a in tags if "mark" in a.get("class", "").split()]
    assert "mark gone" in marks and "mark unscripted" in marks
    assert ("mark low" in marks) == bool(result.report["low_confidence"])


def test_page_is_self_contained():
    result = made_result()
    vtt = to_vtt(result.cues)
    page = review_html(result, "/shows/ep 1.mp3", vtt, page_path="/shows/review/ep.html")
    tags = parse(page).tags
    assert not re.search(r"https?://", page, re.I)
    assert not [t for t, a in tags if t in ("link", "img", "iframe", "object", "embed", "source")]
    urls = [a[k] for t, a in tags for k in ("src", "href") if k in a]
    assert all(u.startswith(("data:", "#")) or u == "../ep%201.mp3" for u in urls), urls
    assert all("src" not in a for t, a in tags if t == "script")
    (audio,) = [a for t, a in tags if t == "audio"]
    assert audio["src"] == "../ep%201.mp3"
    (track,) = [a for t, a in tags if t == "track"]
    assert track["kind"] == "captions" and "default" in track
    head, _, data = track["src"].partition(",")
    assert head == "data:text/vtt;charset=utf-8;base64" and base64.b64decode(data).decode() == vtt
    # transcript text cannot close the script or break out of an attribute
    assert page.count("</script>") == 2 and "&lt;/script&gt;" in page and "&lt;Ann&gt;" in page  # code, cue data
    data = page.split('<script type="application/json" id="cue-data">')[1].split("</script>")[0]
    assert "<" not in data and json.loads(data)["vtt"]
    assert "default-src 'none'" in page


def test_embedded_audio(tmp_path):
    result = made_result()
    audio = tmp_path / "ep.mp3"
    audio.write_bytes(b"ID3 not really an mp3")
    page = review_html(result, audio, "WEBVTT\n", embed_audio=True)
    src = [a for t, a in parse(page).tags if t == "audio"][0]["src"]
    assert src == "data:audio/mpeg;base64," + base64.b64encode(audio.read_bytes()).decode()


def test_audio_url():
    assert audio_url("/a/b/ep.mp3", "/a/b/ep.html") == "ep.mp3"
    assert audio_url("/a/b/ep.mp3", "/a/c/d/ep.html") == "../../b/ep.mp3"
    assert audio_url("/a/b/Ep #1?.mp3", "/a/b/x.html") == "Ep%20%231%3F.mp3"


def test_an_alignment_without_problems():
    t = parse_transcript("A: just a few words said clearly")
    a = align_words(t, said("just a few words said clearly"))
    page = review_html(Result(t, a, make_cues(caption_words(a)), build_report(a)), "ep.mp3", "WEBVTT\n")
    assert "Every transcript word was found in the audio" in page


# --- the command line ---

@pytest.fixture
def work(tmp_path, harbour):
    folder = tmp_path / "show"
    folder.mkdir()
    shutil.copy(harbour["audio"], folder / "episode.mp3")
    shutil.copy(harbour["transcript"], folder / "transcript.txt")
    return folder


def test_cli_writes_the_review_page(work, capsys):
    (work / "out").mkdir()
    page, report = work / "out" / "episode.html", work / "out" / "report.json"
    status = run([str(work / "episode.mp3"), str(work / "transcript.txt"), "-o", str(work / "out" / "ep.srt"),
                  "--report", str(report), "--review", str(page)])
    err = capsys.readouterr().err
    assert status == 0, err
    assert "review page" in err and "line 13 (at 0:" in err and "0:33-0:4" in err
    text = page.read_text()
    src = [a for t, a in parse(text).tags if t == "audio"][0]["src"]
    assert src == "../episode.mp3"
    assert (page.parent / urllib.parse.unquote(src)).resolve() == (work / "episode.mp3").resolve()
    assert len(parse(text).tokens) == json.loads(report.read_text())["counts"]["transcript_tokens"]


@pytest.mark.parametrize("args,status", [
    (["--review", "page.txt"], OutputError.exit_status),
    (["--review", "transcript.txt"], OutputError.exit_status),
    (["--review", "no/such/folder/page.html"], OutputError.exit_status),
    (["--review-embed"], UsageError.exit_status),
])
def test_cli_review_path_checks(work, capsys, monkeypatch, args, status):
    monkeypatch.chdir(work)
    assert run(["episode.mp3", "transcript.txt", *args]) == status
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("align: error:")
    assert sorted(p.name for p in work.iterdir()) == ["episode.mp3", "transcript.txt"]


# --- the page in a real browser ---

# CI (.ci/run) sets ALIGN_REQUIRE_BROWSER=1: there a missing browser fails these tests instead of skipping them
needs_browser = pytest.mark.skipif(browser.unavailable() is not None and not os.environ.get("ALIGN_REQUIRE_BROWSER"),
                                   reason=f"browser tests skipped: {browser.unavailable()}")


@pytest.fixture(scope="module")
def harbour_page(harbour, tmp_path_factory):
    """The harbour episode's page, captions and audio in one folder, served on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("review")
    shutil.copy(harbour["audio"], folder / "episode.mp3")
    result = align_episode(folder / "episode.mp3", harbour["transcript"], Options())
    vtt = to_vtt(result.cues)
    (folder / "episode.vtt").write_text(vtt)
    page = folder / "episode.html"
    page.write_text(review_html(result, folder / "episode.mp3", vtt, page_path=page))
    with browser.serve(folder) as base:
        yield result, base + "episode.html"


@pytest.fixture(scope="module")
def page(harbour_page):
    """Chromium with the page loaded, its audio's metadata and its captions track ready."""
    result, url = harbour_page
    if browser.unavailable():
        pytest.fail(f"ALIGN_REQUIRE_BROWSER is set, but {browser.unavailable()}")
    with browser.chromium() as driver:
        driver.get(url)
        wait(driver, "return player.readyState >= 1 && captions.readyState === 2")
        yield driver, result


def wait(driver, condition, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if driver.execute_script(condition):
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {condition}")


def pause(driver):
    driver.execute_script("player.pause()")


@needs_browser
def test_browser_shows_every_transcript_word(page):
    driver, result = page
    shown = driver.execute_script(
        "return Array.from(document.querySelectorAll('[data-i]'), e => [+e.dataset.i, e.textContent, "
        "e.dataset.start === undefined ? null : +e.dataset.start])")
    assert [s[0] for s in shown] == list(range(len(result.transcript.tokens)))
    assert [s[1] for s in shown] == [t.text for t in result.transcript.tokens]
    spoken = [t.start for t in result.alignment.timings if t.start is not None and t.status != "note"]
    assert [s[2] for s in shown if s[2] is not None] == pytest.approx(spoken, abs=1e-3)
    assert driver.execute_script("return document.querySelectorAll('del.gone').length") == \
        len(result.report["not_in_audio"])
    assert driver.execute_script("return document.querySelectorAll('#transcript .unscripted').length") == \
        len(result.report["not_in_transcript"])
    # the player is ready, the page made no request outside its own folder and logged no error (e.g. CSP)
    assert driver.execute_script("return player.duration") == pytest.approx(49.1, abs=0.5)
    requested = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(u.startswith(("http://127.0.0.1", "data:")) for u in requested)
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


@needs_browser
def test_browser_track_has_the_cues(page):
    driver, result = page
    cues = driver.execute_script(
        "return Array.from(captions.track.cues, c => [c.startTime, c.endTime, c.text])")
    assert len(cues) == len(result.cues)
    for (start, end, text), cue in zip(cues, result.cues):
        assert start == pytest.approx(cue.start, abs=1e-3) and end == pytest.approx(cue.end, abs=1e-3)
        assert text.startswith(f"<v {cue.speaker}>")
    assert driver.execute_script("return captions.track.kind") == "captions"


@needs_browser
def test_browser_click_on_a_word_seeks_the_player(page):
    from selenium.webdriver.common.by import By

    driver, result = page
    for n in (20, 60):  # a word in the first turn, one further down (the page scrolls to it)
        pause(driver)
        word = driver.find_elements(By.CSS_SELECTOR, "#transcript .w[data-start]")[n]
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", word)
        start = float(word.get_attribute("data-start"))
        word.click()
        wait(driver, f"return Math.abs(player.currentTime - {start}) < 0.6 && !player.seeking")
        assert driver.execute_script("return player.currentTime") >= start - 0.05
        wait(driver, f"return document.querySelector('.w.now') === document.querySelectorAll("
                     f"'#transcript .w[data-start]')[{n}] || player.currentTime > {start} + 0.3")
    pause(driver)


@needs_browser
def test_browser_playback_moves_the_highlight_and_shows_captions(page):
    driver, result = page
    pause(driver)
    driver.execute_script("reviewSeek(12.0, true)")  # Tom's first turn
    wait(driver, "return !player.paused && player.currentTime > 12.2 && document.querySelector('.w.now')")
    first = driver.execute_script("return [+document.querySelector('.w.now').dataset.i, player.currentTime]")
    wait(driver, f"return player.currentTime > {first[1]} + 1.5")
    second, now, start = driver.execute_script(
        "var w = document.querySelector('.w.now'); return [+w.dataset.i, player.currentTime, +w.dataset.start]")
    pause(driver)
    assert second > first[0]
    assert start <= now + 0.05
    caption = driver.execute_script("return caption.textContent")
    assert caption.startswith("Tom Reyes: ")
    active = [c for c in result.cues if c.start <= now + 0.3 and c.end >= now - 0.3]
    assert any(c.lines[0] in caption for c in active)


@needs_browser
def test_browser_timeline_mark_seeks_to_the_ad_read(page):
    from selenium.webdriver.common.by import By

    driver, result = page
    pause(driver)
    span = result.alignment.unscripted[0]
    mark = driver.find_element(By.CSS_SELECTOR, "#timeline .mark.unscripted")
    left = driver.execute_script("return arguments[0].offsetLeft / timeline.clientWidth", mark)
    assert left == pytest.approx(span.start / 49.13, abs=0.01)
    mark.click()
    wait(driver, f"return Math.abs(player.currentTime - {span.start}) < 0.6")
    wait(driver, "return document.querySelector('#transcript .unscripted.now') !== null")
    pause(driver)


@needs_browser
def test_browser_corrections_survive_a_reload_download_and_flow_back_into_the_captions(harbour_page, harbour,
                                                                                        tmp_path, capsys):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from align.cli import run

    result, url = harbour_page
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with browser.chromium() as driver:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        driver.get(url)
        wait(driver, "return player.readyState >= 1 && captions.readyState === 2")
        word = driver.find_elements(By.CSS_SELECTOR, "#transcript .w[data-ref]")[20]
        ref, start = word.get_attribute("data-ref"), float(word.get_attribute("data-start"))
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", word)
        word.click()  # selects it (and plays from it)
        pause(driver)
        target = round(start + 0.6, 3)
        driver.execute_script(f"player.currentTime = {target}")
        wait(driver, f"return Math.abs(player.currentTime - {target}) < 0.002")
        ActionChains(driver).send_keys("s").perform()  # set start at the playhead
        assert float(word.get_attribute("data-start")) == round(driver.execute_script("return player.currentTime"), 3)
        target = float(word.get_attribute("data-start"))
        ActionChains(driver).send_keys("]").perform()  # nudged 50 ms later...
        assert float(word.get_attribute("data-start")) == pytest.approx(target + 0.05)
        ActionChains(driver).send_keys("u").perform()  # ... and back
        assert float(word.get_attribute("data-start")) == target
        driver.refresh()  # kept in the browser
        wait(driver, "return player.readyState >= 1")
        word = driver.find_element(By.CSS_SELECTOR, f'#transcript .w[data-ref="{ref}"]')
        assert float(word.get_attribute("data-start")) == target and "fixed" in word.get_attribute("class")
        for button, name in (("fix-download", "episode.corrections.json"), ("fix-vtt", "episode.vtt"),
                             ("fix-srt", "episode.srt")):
            driver.find_element(By.ID, button).click()
            end = time.monotonic() + 10
            while not (downloads / name).exists() and time.monotonic() < end:
                time.sleep(0.1)
    fixes = json.loads((downloads / "episode.corrections.json").read_text())
    assert fixes == {"words": [{"ref": ref, "start": target}]}
    import srt as srt_library
    import webvtt

    assert len(webvtt.read(str(downloads / "episode.vtt"))) == len(result.cues)
    assert len(list(srt_library.parse((downloads / "episode.srt").read_text()))) == len(result.cues)
    folder = tmp_path / "again"
    folder.mkdir()
    shutil.copy(harbour["audio"], folder / "episode.mp3")
    status = run([str(folder / "episode.mp3"), str(harbour["transcript"]), "-o", str(folder / "ep.json"), "-o",
                  str(folder / "ep.vtt"), "--corrections", str(downloads / "episode.corrections.json"), "-q"])
    assert status == 0, capsys.readouterr().err
    segments = {s.get("ref"): s for s in json.loads((folder / "ep.json").read_text())["segments"]}
    assert segments[ref]["startTime"] == target
