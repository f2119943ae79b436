"""Caption craft: each rule of the caption issue on small hand-made alignments, and the invariants for any
words and any valid style (hypothesis)."""
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from align.aligner import align_words
from align.captions import STYLES, CaptionStyle, CaptionWord, Cue, break_cost, caption_words, make_cues
from align.cli import run
from align.errors import UsageError
from align.transcript import parse_transcript

from helpers import said


def words_of(text, speaker="Ann", start=0.0, pace=0.35, first=0):
    return [CaptionWord(first + k, w, round(start + k * pace, 3), round(start + k * pace + pace * 0.8, 3), speaker)
            for k, w in enumerate(text.split())]


def shown(cues):
    return [" ".join(c.lines) for c in cues]


def check_rules(cues, words, style=CaptionStyle()):
    """Every invariant of the issue; returns nothing, asserts all."""
    gap = style.min_gap - 1e-6
    for k, cue in enumerate(cues):
        assert 1 <= len(cue.lines) <= style.max_lines
        assert all(0 < len(line) <= style.max_chars for line in cue.lines), cue.lines
        assert all(line.strip() == line and "\n" not in line for line in cue.lines)
        assert cue.end > cue.start
        assert cue.end - cue.start <= style.max_duration + 1e-6
        assert len({w.speaker for w in cue.words}) == 1 and cue.speaker == cue.words[0].speaker
        assert [w.text for line in cue.word_lines() for w in line] == [w.text for w in cue.words]
        if k:
            before = cues[k - 1]
            assert cue.start >= before.start and cue.start >= before.end
            assert cue.start - before.end == 0 or cue.start - before.end >= gap
    assert "".join(w.text for c in cues for w in c.words) == "".join(w.text for w in words)


# ------------------------------------------------------------------------------------------- break rules

def test_sentence_ends_before_clauses_before_conjunctions_before_plain_words():
    assert break_cost("done.", "Then") < break_cost("well,", "I") < break_cost("go", "and") < break_cost("go", "home")


def test_an_abbreviation_before_a_small_letter_is_no_sentence_end():
    assert break_cost("U.S.", "government") > break_cost("U.S.", "Then") == 0.0
    assert break_cost("Dr.", "Smith") >= 12
    assert break_cost("U.S.", "government") >= 12  # and it modifies the noun after it


@pytest.mark.parametrize("left, right", [
    ("the", "house"), ("a", "friend"),  # article and noun
    ("Bolivian", "diplomat"), ("economic", "alliance"), ("great", "privilege"), ("Mexican", "people"),  # adjective
    ("Ben", "Norton"), ("Secretary", "Llorenti"),  # first and last name, title and name
    ("we", "went"), ("they", "said"),  # pronoun and verb
    ("8", "km"), ("20", "percent"), ("eight", "countries"), ("June", "8"),  # number and unit
])
def test_never_split_a_unit(left, right):
    assert break_cost(left, right) >= 12 > break_cost("house", "and")


def test_a_function_word_after_a_pronoun_or_adjective_is_a_fair_break():
    assert break_cost("them", "for") < 12 and break_cost("important", "to") < 12 and break_cost("it", "and") < 12


def test_a_line_does_not_end_on_a_conjunction_or_preposition():
    assert break_cost("and", "then") > break_cost("then", "and")
    assert break_cost("of", "the") > break_cost("people", "of")


def test_a_note_a_dash_or_a_lone_mark_stays_with_the_word_before():
    assert break_cost("funny", "[laughs]") >= 12
    assert break_cost("boycotted", "–") >= 12 and break_cost("–", "their") <= 1


def test_line_and_cue_breaks_fall_at_sentence_ends():
    text = ("This is the first sentence of the speech. And here is a second one that goes on "
            "for quite a while longer than the first.")
    ws = words_of(text, pace=0.3)
    cues = make_cues(ws)
    check_rules(cues, ws)
    ends = [line.split()[-1] for c in cues for line in c.lines]
    assert "speech." in ends


def test_never_breaks_after_an_article():
    ws = words_of(" ".join(["we walked into the old house and then"] * 6))
    cues = make_cues(ws)
    check_rules(cues, ws)
    for cue in cues:
        for line in cue.lines:
            assert line.split()[-1] not in ("the", "a", "an", "old", "we")


def test_a_name_and_a_number_with_its_unit_stay_together():
    ws = words_of("today I spoke with the executive secretary Sacha Llorenti about the 20 percent tariff "
                  "and about the eight countries that boycotted the summit in Los Angeles this week", pace=0.3)
    cues = make_cues(ws)
    check_rules(cues, ws)
    lines = [line for c in cues for line in c.lines]
    for pair in ("Sacha Llorenti", "20 percent", "eight countries", "Los Angeles"):
        assert any(pair in line for line in lines), (pair, lines)


def test_notes_stay_with_their_words():
    t = parse_transcript("A: that was funny [laughs] and then we left [of the Americas] to go home")
    a = align_words(t, said("that was funny and then we left to go home"))
    ws = caption_words(a)
    for style in (CaptionStyle(), CaptionStyle(max_chars=24, max_lines=1)):
        lines = [line for c in make_cues(ws, style) for line in c.lines]
        assert any("funny [laughs]" in line for line in lines), lines
        assert any("[of the Americas]" in line for line in lines), lines


# ------------------------------------------------------------------------------------------- cue layout

def test_one_speaker_per_cue_and_a_new_cue_after_a_long_pause():
    ws = words_of("Hello there.", "Ann") + words_of("Hi Ann.", "Bob", start=0.8, first=2)
    cues = make_cues(ws)
    assert [(c.speaker, c.text) for c in cues] == [("Ann", "Hello there."), ("Bob", "Hi Ann.")]
    ws = words_of("one two", start=0) + words_of("three four", start=1.9 + 1.6, first=2)
    assert shown(make_cues(ws)) == ["one two", "three four"]
    ws = words_of("one two", start=0) + words_of("three four", start=0.7 + 1.0, first=2)
    assert shown(make_cues(ws)) == ["one two three four"]


def test_a_cue_is_one_line_unless_it_needs_two():
    ws = words_of("So this is the sick corpus I have a cold.", pace=0.3)
    assert [c.lines for c in make_cues(ws)] == [["So this is the sick corpus I have a cold."]]


def test_two_lines_are_balanced_not_an_orphan():
    text = "there's nothing going else going on we're just there's some speech errors"
    cues = make_cues(words_of(text, pace=0.2))
    assert len(cues) == 1 and len(cues[0].lines) == 2
    a, b = map(len, cues[0].lines)
    assert min(a, b) >= max(a, b) / 2, cues[0].lines


def test_a_cue_does_not_end_on_a_lone_conjunction_line():
    ws = words_of("in intensity we're just saying some words and", pace=0.4)
    cues = make_cues(ws)
    assert all(line.split() != ["and"] for c in cues for line in c.lines), [c.lines for c in cues]


def test_every_limit_of_a_style_holds():
    ws = words_of(" ".join(["this is a slow and rather long stretch of speech, said at length"] * 8), pace=0.5)
    for style in STYLES.values():
        check_rules(make_cues(ws, style), ws, style)
    style = CaptionStyle(max_chars=20, max_lines=3, max_duration=3.0, max_cps=12, min_gap=0.2)
    check_rules(make_cues(ws, style), ws, style)


def test_a_word_longer_than_a_line_is_split():
    ws = words_of("see https://example.com/a/very/long/path/that/goes/on/and/on/forever ok")
    cues = make_cues(ws)
    check_rules(cues, ws)


def test_speaker_prefix_counts_in_the_line_length():
    style = CaptionStyle(max_chars=32, speaker_prefix=True)
    ws = words_of("Hello there my friend.", "Benjamin Norton") + words_of("Hi.", "Sacha", start=2, first=4)
    cues = make_cues(ws, style)
    check_rules(cues, ws, style)
    assert cues[0].lines[0].startswith("Benjamin Norton:") and cues[0].label == "Benjamin Norton:"
    assert cues[-1].lines == ["Sacha: Hi."] and cues[-1].body == "Hi."
    later = make_cues(ws[:4] + words_of("More words.", "Benjamin Norton", start=5, first=4), style)
    assert later[-1].label is None  # the same speaker again: no new label


# ------------------------------------------------------------------------------------------- timing

def test_a_cue_starts_exactly_at_its_first_word():
    ws = words_of("Good morning. Today we look at the harbour and its boats.", pace=0.31, start=1.2345)
    cues = make_cues(ws)
    starts = {round(w.start, 3) for w in ws}
    assert all(c.start in starts for c in cues) and cues[0].start == 1.234


def test_fast_speech_is_held_into_the_silence_for_reading():
    ws = words_of("Quick words said really fast.", pace=0.12)  # 29 characters in 0.7 s
    (cue,) = make_cues(ws)
    assert cue.end == pytest.approx(ws[-1].end + 0.5)  # held the whole linger, no more
    assert make_cues(words_of("Quick.", pace=0.12))[0].end == pytest.approx(0.834)  # the minimum duration


def test_a_cue_is_held_only_as_long_as_reading_needs():
    ws = words_of("Yes, so.", pace=0.4)  # 8 characters: 0.4 s of reading, 0.83 s minimum, speech to 0.72
    assert make_cues(ws)[0].end == pytest.approx(0.834)


def test_a_cue_is_never_held_over_the_next_speech():
    # the next word belongs to another speaker (another cue) and starts 0.3 s after this speech
    ws = words_of("Quick words said really fast.", "Ann", pace=0.12)
    ws += [CaptionWord(5, "No.", ws[-1].end + 0.3, ws[-1].end + 0.6, "Bob")]
    first, second = make_cues(ws)
    assert first.end <= second.start == pytest.approx(ws[-1].start)
    # times that cross: the word after the next starts earlier still, and still bounds the hold
    ws = words_of("Quick words said really fast.", "Ann", pace=0.12)
    ws += [CaptionWord(5, "[laughs]", 1.2, 1.2, "Bob"), CaptionWord(6, "No.", 0.75, 1.3, "Bob")]
    cues = make_cues(ws)
    assert cues[0].end <= 0.75


def test_a_cue_too_fast_to_read_appears_a_little_before_its_first_word():
    fast = words_of("Quick words said really fast.", "Ann", start=5.0, pace=0.12)  # 29 characters, 1.08 s held
    (cue,) = make_cues(fast)
    assert cue.start == 4.75 and cue.end == pytest.approx(5.0 + 0.576 + 0.5)  # the whole lead-in, still short
    (cue,) = make_cues(fast, CaptionStyle(lead_in=1.0))
    assert cue.end - cue.start == pytest.approx(29 / 20)  # only as early as reading needs
    before = words_of("Hello.", "Bob", start=4.0, pace=0.4)  # held to 4.834: the lead-in stops two frames after
    first, second = make_cues(before + words_of("Quick words said really fast.", "Ann", start=5.0, pace=0.12,
                                                first=1))
    assert (first.end, second.start) == (4.834, 4.914)
    assert make_cues(fast, CaptionStyle(lead_in=0))[0].start == 5.0
    slow = words_of("Slow words.", start=5.0)
    assert make_cues(slow)[0].start == 5.0  # a cue that reads in time starts with its word


def test_gaps_between_cues_are_zero_or_at_least_two_frames():
    for pause in (0.02, 0.05, 0.09, 0.3, 0.55, 0.6, 1.0):
        ws = words_of("First one here.", "Ann", pace=0.3) + words_of("And two.", "Bob", start=0.84 + pause, first=3)
        cues = make_cues(ws)
        gap = round(cues[1].start - cues[0].end, 3)
        assert gap == 0 or gap >= 0.08, (pause, gap)
        assert cues[1].start == ws[3].start


def test_no_cue_stays_up_during_a_long_silence():
    ws = words_of("Before the ad.", pace=0.3) + words_of("After the ad.", start=40, first=3)
    first, second = make_cues(ws)
    assert first.end <= ws[2].end + 0.5 and second.start == 40


def test_cue_duration_is_capped():
    ws = words_of("slow " * 30, pace=1.0)
    check_rules(make_cues(ws), ws)
    ws = [CaptionWord(0, "Hmmmmmm.", 0.0, 12.0, "Ann")]
    assert make_cues(ws)[0].end == 7.0


def test_text_not_in_audio_is_not_shown():
    t = parse_transcript("A: hello there.\n\nThis paragraph was cut from the recording entirely today.\n\nA: bye now.")
    a = align_words(t, said("hello there bye now"))
    assert " ".join(shown(make_cues(caption_words(a)))) == "hello there. bye now."


# ------------------------------------------------------------------------------------------- options

@pytest.mark.parametrize("changes, message", [
    ({"max_cps": 0}, "--max-cps 0: must be greater than 0"),
    ({"min_gap": -1}, "--min-gap -1: must not be negative"),
    ({"max_lines": 0}, "--max-lines 0: must be greater than 0"),
    ({"max_chars": 5}, "--max-chars 5: must be at least 10"),
    ({"max_duration": 0}, "--max-duration 0: must be at least 0.1"),
    ({"min_gap": 8}, "--min-gap 8: must be shorter than --max-duration 7"),
    ({"max_cps": float("nan")}, "--max-cps nan: must be a finite number"),
])
def test_style_values_are_checked(changes, message):
    with pytest.raises(UsageError, match=message.replace("+", r"\+")):
        CaptionStyle(**changes)


@pytest.mark.parametrize("args, message", [
    (["--max-cps", "0"], "--max-cps 0: must be greater than 0"),
    (["--min-gap", "-1"], "--min-gap -1: must not be negative"),
    (["--max-lines", "0"], "--max-lines 0: must be greater than 0"),
    (["--style", "tv"], "--style tv: choose one of default, podcasting2, bbc"),
    (["-o", "OUT.srt", "--word-timestamps"], "--word-timestamps: only for WebVTT output"),
    (["-o", "OUT.vtt", "--json-cues"], "--json-cues: only for JSON output"),
])
def test_the_command_refuses_bad_caption_options_in_one_line(args, message, tmp_path, capsys):
    args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    assert run([str(tmp_path / "a.wav"), str(tmp_path / "t.txt"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


# ------------------------------------------------------------------------------------------- properties

styles = st.builds(CaptionStyle, max_chars=st.integers(10, 80), max_lines=st.integers(1, 3),
                   max_duration=st.floats(0.5, 10), max_cps=st.floats(5, 30), min_gap=st.floats(0, 0.3),
                   speaker_prefix=st.booleans())
word = st.text(alphabet="abcXYZ019.,?[]-–'é", min_size=1, max_size=14)


def timed_words(items):
    t, ws = 0.0, []
    for k, (text, step, length, speaker) in enumerate(items):
        ws.append(CaptionWord(k, text, round(t, 3), round(t + min(length, step), 3), speaker))
        t += step
    return ws


items = st.lists(st.tuples(word, st.floats(0.01, 2.5), st.floats(0, 0.8),
                           st.sampled_from(["Ann", "Bob", "Dr. Alexandra Longname-Smith", None])),
                 min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(items, styles)
def test_rules_hold_for_any_words_and_style(items, style):
    ws = timed_words(items)
    cues = make_cues(ws, style)
    check_rules(cues, ws, style)
    # words in time order: every cue starts exactly at its first word, or a little before it when it is too
    # fast to read otherwise, and then no earlier than reading needs; or, where it could not be held long enough
    # after its words, as much earlier as its minimum duration needs
    firsts = [c for k, c in enumerate(cues) if not k or c.words[0].token != cues[k - 1].words[-1].token]
    for c in firsts:  # (a piece of a cut word may wait)
        spoken = round(c.words[0].start, 3)
        assert c.start == spoken or (spoken - style.lead_in - 1e-6 <= c.start < spoken and
                                     c.end - c.start <= len(" ".join(c.lines)) / style.max_cps + 0.002) or \
            (c.start < spoken and c.end - c.start <= min(style.min_duration, style.max_duration) + 1e-6), c


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(word, st.floats(0, 20), st.floats(0, 3), st.sampled_from(["Ann", "Bob"])),
                min_size=1, max_size=40), styles)
def test_invariants_hold_even_when_word_times_cross(items, style):
    ws = [CaptionWord(k, text, start, start + length, speaker) for k, (text, start, length, speaker)
          in enumerate(items)]
    check_rules(make_cues(ws, style), ws, style)


@settings(max_examples=100, deadline=None)
@given(items)
@example([("000", 0.25, 0.0, "Bob"), ("00000", 0.125, 0.0, "Bob"), ("00000000", 0.75, 0.5, "Bob"),
          ("0", 0.5, 0.0, "Ann"), ("0", 1.0, 0.0, "Bob")])  # a short cue after it once took its reading time
def test_reading_speed_is_kept_where_the_silence_allows(items):
    """Wherever a cue could be held long enough (enough silence after it), it reads at 20 characters a
    second at most."""
    ws = timed_words(items)
    style = CaptionStyle()
    cues = make_cues(ws, style)
    for k, cue in enumerate(cues):
        room = (cues[k + 1].start if k + 1 < len(cues) else float("inf")) - cue.start
        hold = min(room, max(w.end for w in cue.words) + style.linger - cue.start, style.max_duration)
        needed = len(" ".join(cue.lines)) / style.max_cps
        if hold >= needed + 0.002:
            assume(True)
            assert cue.end - cue.start >= needed - 0.001, (cue, needed)


def test_cue_word_lines_match_the_lines():
    ws = words_of("Hello there my friend.")
    cue = Cue(0, 1, "Ann", ["Hello there", "my friend."], ws)
    assert [[w.text for w in line] for line in cue.word_lines()] == [["Hello", "there"], ["my", "friend."]]


def test_a_memo_of_block_layouts_gives_the_same_cues_and_is_used():
    from align.cache import WindowMemo

    import align.captions as captions_module

    words = [CaptionWord(k, t, k * 0.4, k * 0.4 + 0.3, "Ann" if k < 12 else "Bob", k // 6)
             for k, t in enumerate(("the quick brown fox jumps over the lazy dog and then it ran far away into "
                                    "the woods where nobody could find it again").split())]
    memo = WindowMemo(None)
    first = make_cues(words, CaptionStyle(), memo=memo)
    calls = []
    real = captions_module._segment
    try:
        captions_module._segment = lambda *a: calls.append(a) or real(*a)
        again = make_cues(words, CaptionStyle(), memo=memo)
    finally:
        captions_module._segment = real
    assert [(c.start, c.end, c.lines) for c in again] == [(c.start, c.end, c.lines) for c in first]
    assert calls == []
    assert [(c.start, c.end, c.lines) for c in make_cues(words, CaptionStyle())] == \
        [(c.start, c.end, c.lines) for c in first]


def test_a_cue_cut_at_an_ad_never_runs_over_the_next_cue():
    # the last word has just begun where the ad starts, and the next cue's words are squeezed onto that moment:
    # the cut cue ends where the next one starts (it used to end 0.1 s after its last word's start, over it)
    from align.captions import _clear_of

    said = [CaptionWord(0, "create", 272.458, 272.578, "B"), CaptionWord(1, "a", 272.578, 272.578, "B")]
    cut = Cue(271.178, 273.0, "B", ["in the region to create a"], said)
    after = Cue(272.578, 273.412, "B", ["and to create"], [CaptionWord(2, "and", 272.578, 272.578, "B")])
    _clear_of([cut, after], [(272.3, 289.52)], CaptionStyle())
    assert cut.end <= after.start
