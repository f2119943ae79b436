import pytest

from align.normalise import number_words, spoken_units


@pytest.mark.parametrize("written,said", [
    ("1823", "eighteen twenty-three"),
    ("200", "two hundred"),
    ("U.S.", "US"),
    ("U.S.", "u.s."),
    ("it’s", "it's"),
    ("ALBA-TCP,", "alba tcp"),
    ("24/7", "twenty four seven"),
    ("10", "ten"),
    ("2004", "two thousand four"),
    ("3rd", "third"),
    ("Chávez", "chavez"),
    ("5%", "five percent"),
    ("1,000", "one thousand"),
])
def test_written_and_said_forms_meet(written, said):
    assert spoken_units(written) == spoken_units(said)


def test_number_words():
    assert number_words(0) == ["zero"]
    assert number_words(1_234_567) == ["one", "million", "two", "hundred", "thirty", "four", "thousand",
                                       "five", "hundred", "sixty", "seven"]


def test_punctuation_alone_has_no_units():
    assert spoken_units("–") == [] and spoken_units("...") == []
