from hypothesis import given, settings
from hypothesis import strategies as st

from align.aligner import align_words
from align.captions import CaptionStyle, CaptionWord, break_cost, caption_words, make_cues
from align.transcript import parse_transcript

from helpers import said


def words_of(text, speaker="Ann", start=0.0, pace=0.35):
    return [CaptionWord(k, w, start + k * pace, start + k * pace + pace * 0.8, speaker)
            for k, w in enumerate(text.split())]


def check_rules(cues, style=CaptionStyle()):
    for k, cue in enumerate(cues):
        assert 1 <= len(cue.lines) <= style.max_lines
        assert all(len(line) <= style.max_chars for line in cue.lines)
        assert cue.end > cue.start
        assert cue.end - cue.start <= style.max_duration + 1e-6
        assert len({w.speaker for w in cue.words}) == 1
        if k:
            assert cue.start >= cues[k - 1].end
            gap = cue.start - cues[k - 1].end
            assert gap == 0 or gap >= style.min_gap - 1e-6


def test_one_speaker_per_cue():
    ws = words_of("Hello there.", "Ann") + words_of("Hi Ann.", "Bob", start=0.8)
    cues = make_cues(ws)
    assert [(c.speaker, c.text) for c in cues] == [("Ann", "Hello there."), ("Bob", "Hi Ann.")]
    check_rules(cues)


def test_long_pause_ends_a_cue():
    ws = words_of("one two", start=0) + words_of("three four", start=3.0)
    assert [c.text for c in make_cues(ws)] == ["one two", "three four"]


def test_breaks_prefer_sentence_ends():
    text = ("This is the first sentence of the speech. And here is a second one that goes on "
            "for quite a while longer than the first.")
    cues = make_cues(words_of(text))
    check_rules(cues)
    assert cues[0].text.replace("\n", " ").endswith("speech.")


def test_never_breaks_after_an_article():
    assert break_cost("the", "house") > break_cost("house", "and")
    text = " ".join(["we walked into the old house and then"] * 6)
    for cue in make_cues(words_of(text)):
        for line in cue.lines:
            assert line.split()[-1] not in ("the", "a", "an")


def test_cue_duration_is_capped():
    cues = make_cues(words_of("slow " * 30, pace=1.0))
    check_rules(cues)


def test_notes_stay_with_their_words():
    t = parse_transcript("A: that was funny [laughs] and then we left")
    a = align_words(t, said("that was funny and then we left"))
    cues = make_cues(caption_words(a))
    assert "funny [laughs] and" in " ".join(c.text.replace("\n", " ") for c in cues)


def test_text_not_in_audio_is_not_shown():
    t = parse_transcript("A: hello there.\n\nThis paragraph was cut from the recording entirely today.\n\nA: bye now.")
    a = align_words(t, said("hello there bye now"))
    shown = " ".join(c.text.replace("\n", " ") for c in make_cues(caption_words(a)))
    assert shown == "hello there. bye now."


def test_a_word_longer_than_a_line_is_split():
    cues = make_cues(words_of("see https://example.com/a/very/long/path/that/goes/on/and/on/forever ok"))
    check_rules(cues)


word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz.,?", min_size=1, max_size=15)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(word, st.floats(0.05, 2.5), st.sampled_from(["Ann", "Bob"])), min_size=1, max_size=80),
       st.sampled_from([CaptionStyle(), CaptionStyle(max_chars=20, max_lines=1, max_duration=3.0),
                        CaptionStyle(max_chars=65, max_lines=1)]))
def test_rules_hold_for_any_words(items, style):
    t, ws = 0.0, []
    for k, (text, step, speaker) in enumerate(items):
        ws.append(CaptionWord(k, text, t, t + min(step, 0.6), speaker))
        t += step
    cues = make_cues(ws, style)
    check_rules(cues, style)
    shown = [w.text for c in cues for w in c.words]
    assert "".join(shown) == "".join(w.text for w in ws)
