"""Slugs for names people read: Norwegian letters transliterated, not dropped.

Django's ``slugify`` removes what ASCII cannot spell, so "Bølge Mobil" became ``blge-mobil`` and
"Sjøsignal AS" ``sjsignal-as``. Here æ→ae, ø→o, å→a first (as Norwegian URLs usually do).
"""

from django.utils.text import slugify

#: Letters ``slugify`` would drop, as Norwegian (and its neighbours) spell them in ASCII.
TRANSLITERATION = str.maketrans(
    {"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "å": "a", "Å": "A", "ß": "ss", "đ": "d"}
)


def slug_for(text: str) -> str:
    """``text`` as a slug: lower case ASCII letters, digits and hyphens."""
    return slugify(text.translate(TRANSLITERATION))
