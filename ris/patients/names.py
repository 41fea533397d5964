"""Name normalisation for accent- and case-insensitive search."""

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s,^]+")


def fold(text: str) -> str:
    """Lower-case ASCII-ish form: 'Müller-Lüdenscheidt' -> 'muller-ludenscheidt', 'Ørsted' -> 'orsted'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_EXTRA)


# Letters that carry no combining mark in Unicode but are searched as their plain forms.
_EXTRA = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})


def name_words(*parts: str) -> list[str]:
    words: list[str] = []
    for part in parts:
        words.extend(w for w in _SEPARATORS.split(fold(part or "")) if w)
    return words
