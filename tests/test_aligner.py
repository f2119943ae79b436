import random

from align.aligner import RecognisedWord, align_words
from align.transcript import parse_transcript

from helpers import said


def statuses(alignment):
    return [t.status for t in alignment.timings]


def test_exact_speech_is_matched_in_order():
    t = parse_transcript("A: the quick brown fox jumps over the lazy dog")
    a = align_words(t, said("the quick brown fox jumps over the lazy dog"))
    assert statuses(a) == ["matched"] * 9
    assert [x.start for x in a.timings] == [round(0.4 * k, 3) for k in range(9)]


def test_fillers_and_repeats_in_the_audio_are_skipped():
    t = parse_transcript("A: I think that we should go now")
    a = align_words(t, said("I um think that that we uh should go now"))
    assert statuses(a) == ["matched"] * 7
    assert a.timings[2].start in (1.2, 1.6)  # "that" takes one of the two
    assert a.unscripted == []


def test_a_word_heard_twice_takes_its_later_saying_not_the_next_word_a_mishearing_of_it():
    t = parse_transcript("A: can you say how you think the US government has managed this")
    a = align_words(t, said("can you say how you think think that US government has managed this"))
    assert a.timings[5].start == 2.4  # "think" takes the second "think", not the first (2.0)
    assert a.timings[6].status != "misheard" or a.timings[6].start >= 2.8  # "the" is not the second "think"


def test_misheard_word_takes_the_time_of_what_was_heard():
    t = parse_transcript("A: we spoke with Sacha Llorenti about the summit today")
    a = align_words(t, said("we spoke with Sasha Lorenty about the summit today"))
    assert all(s in ("matched", "misheard") for s in statuses(a))
    assert a.timings[4].start == 1.6


def test_numbers_match_their_spoken_form():
    t = parse_transcript("A: it was published in 1823 and costs $200 now")
    a = align_words(t, said("it was published in eighteen twenty three and costs two hundred dollars now"))
    assert statuses(a) == ["matched"] * 9


def test_a_cut_paragraph_is_not_in_audio():
    t = parse_transcript("A: first we talk about the weather today.\n\n"
                         "This whole paragraph was removed from the recording by the editor.\n\n"
                         "A: and then we talk about sports.")
    a = align_words(t, said("first we talk about the weather today and then we talk about sports"))
    cut = [t.tokens[x.token].line for x in a.timings if x.status == "not_in_audio"]
    assert cut == [3] * 11
    assert all(x.start is not None for x in a.timings if t.tokens[x.token].line != 3)


def test_paragraphs_too_long_for_their_gap_are_not_asked_about():
    t = parse_transcript("A: first we talk about the weather today.\n\n"
                         "This whole paragraph was removed from the recording by the editor.\n\n"
                         "A: and then we talk about sports.")
    asked = []

    def verifier(words, lo, hi):
        asked.append(words)
        return [(lo, lo, 0.0) for _ in words]

    words = said("first we talk about the weather today") + said("and then we talk about sports", start=3.0)
    a = align_words(t, words, verifier=verifier)  # 11 words in the 0.2 s between the two paragraphs
    assert [t.tokens[x.token].line for x in a.timings if x.status == "not_in_audio"] == [3] * 11
    assert asked == []


def test_page_text_around_the_interview_is_not_in_audio():
    page = "Home News Podcasts\n\nSubscribe to our newsletter for weekly updates and more.\n\n"
    t = parse_transcript(page + "HOST: welcome to the show everyone\n\nLeave a comment below. Share this story.")
    a = align_words(t, said("welcome to the show everyone", start=5.0))
    shown = [t.tokens[x.token].text for x in a.timings if x.start is not None]
    assert shown == ["welcome", "to", "the", "show", "everyone"]


def test_an_ad_read_is_not_in_the_transcript():
    t = parse_transcript("A: here is the news for today.\n\nB: thanks for having me on the show.")
    words = said("here is the news for today") + said(
        "this episode is brought to you by our sponsor visit them now", start=4.0) + said(
        "thanks for having me on the show", start=10.0)
    a = align_words(t, words)
    assert all(x.status == "matched" for x in a.timings)
    assert len(a.unscripted) == 1 and 4.0 <= a.unscripted[0].start < a.unscripted[0].end <= 9.0
    assert a.unscripted[0].heard.startswith("this episode")


def test_a_loop_the_recogniser_fell_into_is_not_reported_as_speech():
    # Whisper repeats a phrase over speech it cannot make out: that is not speech the transcript lacks
    t = parse_transcript("A: here is the news for today.\n\nB: thanks for having me on the show.")
    words = said("here is the news for today") + said("in fact " * 12, start=4.0) + said(
        "thanks for having me on the show", start=14.0)
    assert align_words(t, words).unscripted == []


def test_a_misheard_word_after_an_ad_read_stays_with_its_turn():
    # "As" is heard as "And" after the ad: the alignment alone cannot tell at which end of the ad it goes
    t = parse_transcript("A: is it organised by the government?\n\nB: As I said before, it is a failure.")
    words = said("is it organised by the government") + said(
        "this episode is brought to you by our sponsor visit them now", start=3.0) + said(
        "and I said before it is a failure", start=10.0)
    a = align_words(t, words)
    as_ = a.timings[6]
    assert t.tokens[6].text == "As" and 9.0 <= as_.start <= 10.4, as_
    assert a.unscripted[0].heard.startswith("this episode")


def test_a_repeated_phrase_maps_to_its_own_occurrence():
    text = "we will win. " * 3 + "and that is all."
    t = parse_transcript("A: " + text)
    a = align_words(t, said(text.replace(".", "")))
    assert [x.start for x in a.timings] == sorted(x.start for x in a.timings)
    assert a.timings[3].start == 1.2 and a.timings[6].start == 2.4


def test_notes_are_not_matched():
    t = parse_transcript("A: well [laughs] that is funny")
    a = align_words(t, said("well that is funny"))
    assert statuses(a) == ["matched", "note", "matched", "matched", "matched"]


def test_a_missed_word_gets_a_time_between_its_neighbours():
    t = parse_transcript("A: one two three four five six")
    a = align_words(t, said("one two three five six"))
    four = a.timings[3]
    assert four.status == "interpolated"
    assert a.timings[2].start < four.start <= a.timings[4].start


def test_unheard_first_words_of_a_turn_start_back_from_the_next_word_by_what_their_letters_take():
    # seed-full: "Secretary Llorenti, you" opened a turn and nobody heard them; at 0.35 s a word they started a
    # second late, where refinement could not reach their speech
    t = parse_transcript("A: that is all right now.\nB: Secretary Llorenti, you mentioned that")
    heard = said("that is all right now") + [RecognisedWord("mentioned", 4.0, 4.4), RecognisedWord("that", 4.4, 4.6)]
    a = align_words(t, heard)
    assert statuses(a)[5:8] == ["interpolated"] * 3
    assert a.timings[5].start == 2.45  # 4.0 less 0.07 s a letter and 0.05 s a word
    assert a.timings[7].end == 4.0


def test_heard_fillers_the_text_lacks_do_not_pull_words_onto_a_later_mishearing():
    # fit-recut: "right, like, of all countries, so, of the continent", heard with "of all" and "of the" both as
    # "a mall"; the gap each filler opened made "of all" take the second "a mall", a second late
    t = parse_transcript("A: the right of all countries of the continent to be")
    a = align_words(t, said("the right like a mall country so a mall continent to be"))
    assert [(x.status, x.start) for x in a.timings[2:6]] == [
        ("misheard", 1.2), ("matched", 1.6), ("matched", 2.0), ("misheard", 2.8)]


def test_every_token_gets_a_timing_on_long_random_input():
    rng = random.Random(1)
    vocabulary = [f"w{k}" for k in range(400)] + ["the", "of", "and", "a"] * 50
    spoken = [rng.choice(vocabulary) for _ in range(3000)]
    heard = [w if rng.random() > 0.1 else "zz" for w in spoken if rng.random() > 0.05]
    t = parse_transcript("A: " + " ".join(spoken))
    a = align_words(t, [RecognisedWord(w, k * 0.3, k * 0.3 + 0.2) for k, w in enumerate(heard)])
    assert len(a.timings) == len(t.tokens)
    times = [x.start for x in a.timings if x.start is not None]
    assert times == sorted(times)
    assert sum(x.status == "matched" for x in a.timings) > 0.8 * len(spoken)


def _spreading_verifier(words, lo, hi):
    """A stand-in for Whisper's forced alignment: the words fit the audio, spread evenly over it."""
    step = (hi - lo) / max(1, len(words))
    return [(round(lo + k * step, 3), round(lo + (k + 1) * step, 3), 0.8) for k in range(len(words))]


def test_a_passage_misheard_past_recognition_is_not_taken_for_an_ad_read():
    """A long question heard as something else entirely cannot be said in the moment left after that speech:
    the speech is the question, timed over it, not an ad read with the question squeezed in beside it."""
    question = ("so what does this say about the fact that the progressive governments in the region "
                "are refusing to participate")
    t = parse_transcript(f"A: the first part ends here.\n\nB: {question}?\n\nA: along with Spain which was invited.")
    words = said("the first part ends here") + said(
        "rr rr wood rr mean rr dome rr amendments rr rr cringy rr rr rr rr rr", start=2.2) + said(
        "along with Spain which was invited", start=9.9)
    a = align_words(t, words, verifier=_spreading_verifier)
    asked = [x for x in a.timings if t.tokens[x.token].paragraph == t.tokens[5].paragraph]
    assert len(asked) == 19 and all(x.start is not None for x in asked)
    assert asked[0].start < 3.0 and asked[-1].start > 7.0
    assert a.unscripted == []


def test_turn_ends_misheard_into_an_ad_read_stay_beside_their_turns():
    """The ad between two turns was heard together with the end of one turn and the start of the next, all as
    speech the transcript lacks (as on a noisy episode): the end is said right after the turn's last heard word,
    the start right before the next turn's first, never over the ad."""
    t = parse_transcript("A: we talk about the summit that is being organised by the U.S. government?\n\n"
                         "B: As I said before, it is a failure.")
    heard = ("has been in all the time I do a strongerment this episode in blood the new my allies and all the "
             "support the show and the totally access to new episodes I become in a moment of the am I sent")
    words = said("we talk about the summit") + said(heard, start=2.0) + said("before it is a failure", start=17.0)
    said_at = {"that": 2.0, "being": 2.8, "government?": 4.8, "As": 16.0, "I": 16.4, "said": 16.8}

    def verifier(words, lo, hi):  # the words fit where they were said
        return [(s, e, 0.8 if abs(s - said_at.get(w, s)) < 1.5 else 0.05)
                for w, (s, e, _) in zip(words, _spreading_verifier(words, lo, hi))]

    a = align_words(t, words, verifier=verifier)
    end_of_a = a.timings[12]
    as_i_said = a.timings[13:16]
    assert [t.tokens[x.token].text for x in [end_of_a] + as_i_said] == ["government?", "As", "I", "said"]
    assert end_of_a.start < 7.0 and all(x.start >= 15.0 for x in as_i_said), (end_of_a, as_i_said)


def test_a_phrase_heard_once_is_not_taken_from_its_look_alike_later_in_the_text():
    """"that are not going" is heard once, in place of "that are going" (misheard); the text has it later too,
    where the recogniser heard "that's not going". Each stays with its own sentence."""
    t = parse_transcript("B: I believe that most of the leaders or representatives that are that are going are going "
                         "to protest the situation. And the ones that are not going, of course, they mean it.")
    heard = ("I believe that most of the leaders or ethnicities that are not going to protest in our situation you "
             "know and one that's not going of course they mean it")
    a = align_words(t, said(heard))
    text = [tok.text.strip(".,").lower() for tok in t.tokens]
    at = {w: round(k * 0.4, 3) for k, w in reversed(list(enumerate(heard.split())))}  # first time each is heard
    assert a.timings[text.index("protest")].start == at["protest"]
    assert a.timings[text.index("and")].start == at["and"]
    ones = a.timings[text.index("ones") + 3]  # "not" of "the ones that are not going"
    assert ones.start == round(heard.split().index("not", heard.split().index("one")) * 0.4, 3)


def test_a_passage_misheard_past_recognition_is_not_pulled_to_a_word_heard_after_it():
    """Whisper heard "they organize and finance not just coups" as noise, then "they have" seconds later: the
    passage stays where it was said instead of being squeezed after that late "they"."""
    t = parse_transcript("B: What they do is they organize and finance not just coups d'etat, but also the political "
                         "instability in our countries.")
    heard = ("what they do is or the high and high and soft just coups coups I mean they have also the political "
             "instability in our country").split()
    a = align_words(t, said(" ".join(heard)))
    text = [tok.text.strip(".,").lower() for tok in t.tokens]
    assert a.timings[4].start < 0.4 * heard.index("high")  # the second "they"
    assert abs(a.timings[text.index("just")].start - 0.4 * heard.index("just")) <= 0.5


def test_a_run_guessed_in_noise_does_not_outweigh_the_words_heard_after_it():
    """Whisper lost in music (the public seed-noisy, one cold recognition) runs on with words of the text it
    guessed, barely sure of them ("a lot more than a hundred million", under 0.1); the words it did hear after
    them ("not attending") keep their place, and "more than 200 million" is not pulled 5 s early."""
    heard = ("not:378.06:0.521 the:378.1:0.049 so:378.28:0.559 mention:378.5:0.969 mention:378.9:0.493 "
             "that:379.4:0.826 "
             "the:379.64:0.683 reports:379.84:0.597 that:380.28:0.851 the:380.82:0.455 privileged:381.02:0.048 "
             "in:381.18:0.096 Taimin:381.4:0.256 are:382.04:0.471 most:382.32:0.213 of:382.6:0.039 the:382.86:0.426 "
             "a:383.1:0.009 lot:383.36:0.021 more:383.36:0.026 than:383.66:0.235 a:383.66:0.135 hundred:383.66:0.05 "
             "million:383.72:0.065 views,:383.72:0.154 army:384.4:0.299 reported:384.62:0.661 re:385.18:0.212 "
             "not:385.38:0.237 attending,:385.54:0.312 so:386.8:0.794 technically:386.98:0.002 not:387.22:0.434 "
             "to:387.7:0.069 be,:387.7:0.039 not:387.7:0.649 to:387.98:0.443 be:388.58:0.087 billion:389.18:0.071 "
             "people:389.56:0.633 in:390.06:0.454 the:390.58:0.976 region:390.74:0.983")
    words = [RecognisedWord(w, float(s), float(s) + 0.2, float(p)) for w, s, p in (x.split(":") for x in heard.split())]
    t = parse_transcript("A: also mention, mention that there are reports that the president of El Salvador, "
                         "Nayib Bukele, is reportedly not attending. So together, that's more than 200 million "
                         "people. In the region")
    a = align_words(t, words)
    start = {t.tokens[x.token].text: x.start for x in a.timings}
    assert start["not"] == 385.38 and start["attending."] == 385.54
    assert start["more"] > 386.8 and start["million"] > 386.8


def test_a_word_heard_only_by_a_guess_is_not_paired_with_a_word_it_does_not_match():
    """--fast's free decoding, sampling after the last word, heard "You" at 0.002 where the page's "Click to
    comment" follows the interview: the page text is not paired with it (and so not captioned on it)."""
    from dataclasses import replace

    t = parse_transcript("A: It was my pleasure, Ben.\n\nClick to comment")
    heard = said("it was my pleasure Ben.") + [replace(said("You", 2.0)[0], probability=0.002)]
    a = align_words(t, heard)
    assert [x.status for x in a.timings][:5] == ["matched"] * 5
    assert a.timings[5].status != "misheard"


def test_a_paragraph_after_the_last_word_heard_is_not_paired_with_what_was_heard_after_it():
    """--fast's free decoding heard the silence after the interview's last words as "your men": the page text
    that follows is not paired with it (and so not captioned on it)."""
    from align.aligner import RecognisedWord

    t = parse_transcript("A: Thank you. It was my pleasure, Ben.\n\nClick to comment\n\nLeave a Reply\n\n"
                         "Your email address will not be published. Required fields are marked *\n\nRelated stories")
    heard = said("thank you it was my pleasure") + [RecognisedWord("your", 2.08, 2.36, 0.078),
                                                    RecognisedWord("men", 2.36, 2.96, 0.468)]
    a = align_words(t, heard)
    assert [x.status for x in a.timings][:6] == ["matched"] * 6
    assert [x.status for x in a.timings][7:] == ["not_in_audio"] * (len(a.timings) - 7)


def test_a_turns_last_words_misheard_before_an_ad_read_are_not_reported_as_part_of_it():
    """The end of a turn was heard, misheard, in one stretch with the ad read after it ("a certain fifty-era-ling
    present, this episode is brought to you..."): the turn's words placed over their mishearing claim it, and the
    speech the transcript lacks starts where the ad does."""
    t = parse_transcript("A: the former dictator, Jeanine Anez, faces 15 years in prison.\n\n"
                         "B: Well I believe that the people have written one of the most heroic pages.")
    misheard = "the iranian i mean a certain fifty era ling present"
    ad = "this episode is brought to you by our listeners support the show and get early access to new episodes"
    words = (said("the former dictator") + said(misheard, start=1.2) + said(ad, start=5.6)
             + said("well i believe that the people have written one of the most heroic pages", start=14.0))
    said_at = {"Jeanine": 1.2, "Anez,": 1.6, "faces": 2.4, "15": 3.2, "years": 3.6, "in": 4.0, "prison.": 4.8}

    def verifier(texts, lo, hi):  # the turn's words fit where their mishearing is; heard words where they are
        spread = _spreading_verifier(texts, lo, hi)
        return [(said_at[w], said_at[w] + 0.3, 0.8) if w in said_at else s for w, s in zip(texts, spread)]

    a = align_words(t, words, verifier=verifier)
    assert [x.start for x in a.timings[3:10]] == list(said_at.values())
    assert [round(s.start, 1) for s in a.unscripted] == [5.6]
