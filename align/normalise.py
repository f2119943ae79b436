"""Turn written words into comparable spoken units: lower case, no punctuation, numbers spelled out.

Both the transcript and the recogniser's words go through ``spoken_units``, so ``1823`` in one matches
``eighteen twenty-three`` in the other, and ``U.S.`` matches ``US``.

>>> spoken_units("U.S.")
['us']
>>> spoken_units("ALBA-TCP,")
['alba', 'tcp']
>>> spoken_units("1823"), spoken_units("eighteen twenty-three")
(['eighteen', 'twenty', 'three'], ['eighteen', 'twenty', 'three'])
>>> spoken_units("$200"), spoken_units("24/7"), spoken_units("it’s")
(['two', 'hundred', 'dollars'], ['twenty', 'four', 'seven'], ['its'])
"""
from __future__ import annotations

import functools
import re
import unicodedata
import zlib

__all__ = ["spoken_units", "number_words", "similarity", "repeats_itself"]

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred")]
_ORDINAL_SUFFIX = re.compile(r"^(\d+)(st|nd|rd|th)$")
_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
             "nine": "ninth", "twelve": "twelfth"}


def number_words(n: int) -> list[str]:
    """Cardinal number words, without "and".

    >>> number_words(2004), number_words(115)
    (['two', 'thousand', 'four'], ['one', 'hundred', 'fifteen'])
    """
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    for value, name in _SCALES:
        if n >= value:
            rest = number_words(n % value) if n % value else []
            return number_words(n // value) + [name] + rest
    raise AssertionError(n)  # pragma: no cover


def _year_words(n: int) -> list[str]:
    """Years as they are said: 1823 -> eighteen twenty-three, 1900 -> nineteen hundred."""
    high, low = divmod(n, 100)
    if low == 0:
        return number_words(high) + ["hundred"]
    if low < 10:
        return number_words(high) + ["oh", _ONES[low]]
    return number_words(high) + number_words(low)


def _ordinal(words: list[str]) -> list[str]:
    last = words[-1]
    if last in _ORDINALS:
        last = _ORDINALS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return words[:-1] + [last]


def _digits_words(digits: str) -> list[str]:
    """Words for a run of digits as a person would most likely say it: digit by digit from a trillion up (as
    a long number is read out), never converted to an integer (a run of thousands of digits is text too).

    >>> _digits_words("007"), _digits_words("1" * 13) == ["one"] * 13, len(_digits_words("9" * 5000))
    (['oh', 'oh', 'seven'], True, 5000)
    """
    if len(digits) > 1 and digits.startswith("0"):
        return [_ONES[int(d)] if d != "0" else "oh" for d in digits]
    if len(digits) > 12:
        return [_ONES[int(d)] for d in digits]
    n = int(digits)
    if 1100 <= n <= 1999 or 2010 <= n <= 2099:
        return _year_words(n)
    return number_words(n)


_SYMBOLS = {"%": "percent", "&": "and", "+": "plus", "@": "at"}
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}


def _fold(text: str) -> str:
    """Lower case, accents removed, typographic apostrophes made plain."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def spoken_units(text: str) -> list[str]:
    """The spoken units of one written word (or a few words).

    >>> spoken_units("[laughs]"), spoken_units("--"), spoken_units("5%"), spoken_units("3rd")
    (['laughs'], [], ['five', 'percent'], ['third'])
    """
    return list(_units(text))


@functools.lru_cache(maxsize=1 << 16)
def _units(text: str) -> tuple[str, ...]:
    """``spoken_units``, kept: the aligner asks for each word's several times (a fifth of a run after a fix)."""
    text = _fold(text)
    units: list[str] = []
    currency = next((name for sign, name in _CURRENCY.items() if sign in text), None)
    for piece in re.split(r"[\s\-–—/_]+", text):
        # remove apostrophes and dots inside words (it's -> its, u.s. -> us), keep digits and letters apart
        piece = re.sub(r"(?<=\w)['.](?=\w)", "", piece)
        piece = re.sub(r"(?<=\d),(?=\d{3})", "", piece)
        for part in re.findall(r"\d+(?:st|nd|rd|th)\b|\d+(?:\.\d+)?|[a-z]+|[%&+@]", piece):
            ordinal = _ORDINAL_SUFFIX.match(part)
            if ordinal:
                units += _ordinal(_digits_words(ordinal.group(1)))
            elif part[0].isdigit():
                whole, _, fraction = part.partition(".")
                units += _digits_words(whole)
                if fraction:
                    units += ["point"] + [_ONES[int(d)] for d in fraction]
            elif part in _SYMBOLS:
                units.append(_SYMBOLS[part])
            else:
                units.append(part)
    if currency and units:
        units.append(currency)
    return tuple(units)


def similarity(a: str, b: str) -> float:
    """How alike two units are, from 0 to 1 (1 = equal), by longest common prefix and suffix and length.

    Cheap on purpose: it runs for every candidate pair in the alignment's fuzzy step.

    >>> similarity("llorenti", "lorenti") > 0.8, similarity("the", "a") < 0.5
    (True, True)
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def repeats_itself(text: str) -> bool:
    """Whether recognised text loops, by Whisper's own test: it compresses more than 2.4 times. Whisper falls into
    such loops over speech it cannot make out ("in fact, in fact, in fact, ...").

    >>> repeats_itself("in fact, " * 20), repeats_itself("but we need some venue in which things are run by us")
    (True, False)
    """
    data = text.encode()
    return bool(data) and len(data) / len(zlib.compress(data)) > 2.4
