"""Numbers typed by people, made plain before anything checks or stores them.

A phone keyboard or a Japanese input method types full-width digits (``９１００００１４４``), and
Python's ``str.isdigit``, ``int`` and ``\\d`` accept them, so without this one number could be
stored twice in two spellings. Every place that reads an organisation number, a KID, a phone
number, a postcode or an answer's number passes it through ``ascii_digits`` first.
"""

import unicodedata


def ascii_digits(text: str) -> str:
    """``text`` with full-width forms folded (NFKC: ``９`` → ``9``, ``，`` → ``,``, the
    ideographic space → a space) and every other script's decimal digit (``٩``, ``९``) as its
    ASCII digit. Letters and punctuation stay, so a validator still refuses what is not a
    number."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    return "".join(_ascii_digit(char) for char in folded)


def _ascii_digit(char: str) -> str:
    digit = unicodedata.decimal(char, None)
    return str(digit) if digit is not None else char
