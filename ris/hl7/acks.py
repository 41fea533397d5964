"""Building acknowledgements (HL7 v2.5.1 section 2.9.2 original mode; MSA 2.14.8, ERR 2.14.5)."""

from __future__ import annotations

import itertools

from django.conf import settings
from django.utils import timezone

from ris.hl7.parsing import HL7Error, escape, format_ts

_counter = itertools.count(1)


def control_id() -> str:
    """A control ID for an ACK: time plus a process-wide counter (unique enough within one listener)."""
    return f"ACK{timezone.now():%Y%m%d%H%M%S}{next(_counter) % 1000000:06d}"


def build_ack(header: dict[str, str], code: str, *, text: str = "", error: HL7Error | None = None) -> str:
    """The ACK for a message whose MSH reads ``header`` ({} when it had no usable MSH)."""
    version = header.get("version") or "2.5.1"
    if version not in ("2.3", "2.3.1", "2.4", "2.5", "2.5.1"):
        version = "2.5.1"
    trigger = header.get("message_type", "").split("^")[1:2]
    msh = [
        "MSH",
        "^~\\&",
        escape(settings.LUMEN_HL7_APPLICATION),
        escape(settings.LUMEN_HL7_FACILITY),
        escape(header.get("sending_application", "")),
        escape(header.get("sending_facility", "")),
        format_ts(timezone.localtime()),
        "",
        f"ACK^{escape(trigger[0])}^ACK" if trigger else "ACK",
        control_id(),
        header.get("processing_id") or "P",
        version,
    ]
    segments = ["|".join(msh), "|".join(["MSA", code, escape(header.get("control_id", "")), escape(text[:80])])]
    if error is not None:
        location = error.location.split("^") if error.location else []
        err1 = ""
        if version.startswith("2.3") or version == "2.4":
            # 2.3.1 ERR-1 (ELD): segment^sequence^field^code&text
            err1 = "^".join([*location[:3], f"{error.code[0]}&{escape(error.code[1])}"]) if location else ""
        segments.append(
            "|".join(
                [
                    "ERR",
                    err1,
                    "^".join(location),
                    f"{error.code[0]}^{escape(error.code[1])}^HL70357",
                    "E",
                    "",
                    "",
                    "",
                    escape(error.text),
                ]
            )
        )
    return "\r".join(segments)
