"""Speech-to-text behind one interface.

Lumen ships no recogniser: the default, ``NotAvailable``, answers ``None`` and every dictation goes to the
transcription queue to be typed by a transcriptionist or the radiologist. A site with a local engine (for example
an on-premises Whisper service) sets ``LUMEN_TRANSCRIBER`` to the dotted path of a class implementing
``Transcriber``; its text is stored as the dictation's machine transcript for the typist to correct.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class Transcriber(Protocol):
    """Turns a recorded audio file into text, or answers None when it cannot."""

    available: bool

    def transcribe(self, path: Path, content_type: str) -> str | None: ...


class NotAvailable:
    """No speech-to-text engine is installed: nothing is recognised, dictations are typed by people."""

    available = False

    def transcribe(self, path: Path, content_type: str) -> str | None:
        return None


@cache
def _load(dotted: str) -> Transcriber:
    return import_string(dotted)()


def get_transcriber() -> Transcriber:
    return _load(settings.LUMEN_TRANSCRIBER)
