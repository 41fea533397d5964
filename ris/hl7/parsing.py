"""Reading HL7 v2 messages (HL7 v2.5.1 chapter 2: message construction rules) with the ``hl7`` package.

``read(data)`` turns the bytes of one MLLP frame into a :class:`Parsed` message or raises :class:`HL7Error`
saying which acknowledgement to answer (AE / AR), with the HL7 error code (table 0357) and the location.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import hl7

from ris.hl7.choices import ErrorCode

# MSH-18 character sets (table 0211) Lumen reads; empty means the default, which Lumen takes as UTF-8
# (a superset of the ASCII the standard assumes).
CHARSETS = {"": "utf-8", "UNICODE UTF-8": "utf-8", "ASCII": "ascii", "8859/1": "latin-1", "8859/15": "iso8859-15"}
SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")


class HL7Error(Exception):
    """Content Lumen cannot accept; ``ack`` is AE (wrong content) or AR (cannot be processed here)."""

    def __init__(self, text: str, *, code: tuple[str, str] = ErrorCode.APPLICATION_ERROR, ack: str = "AE", location=""):
        super().__init__(text)
        self.text, self.code, self.ack, self.location = text, code, ack, location


def encoding_of(data: bytes) -> str:
    """The codec MSH-18 declares (UTF-8 when it declares nothing or something Lumen does not know)."""
    return CHARSETS.get(peek_header(data.lstrip(b"\r\n")).get("charset", "").upper(), "utf-8")


def log_text(data: bytes) -> str:
    """The frame as text for the message log, in its declared character set: undecodable bytes are kept
    visible as \\xNN, NUL likewise."""
    return data.decode(encoding_of(data), errors="backslashreplace").replace("\x00", "\\x00")


def peek_header(data: bytes) -> dict[str, str]:
    """The MSH fields needed to log and answer a message, read from raw bytes before any validation."""
    first = data.split(b"\r", 1)[0].split(b"\n", 1)[0].decode("latin-1")
    if not first.startswith("MSH") or len(first) < 8:
        return {}
    sep = first[3]
    fields = first.split(sep)
    # fields[0] is "MSH", fields[1] the encoding characters (MSH-2); MSH-n is fields[n-1].
    component = first[4] if len(first) > 4 else "^"

    def msh(n: int) -> str:
        return fields[n - 1] if len(fields) >= n else ""

    return {
        "separator": sep,
        "sending_application": msh(3).split(component)[0],
        "sending_facility": msh(4).split(component)[0],
        "receiving_application": msh(5).split(component)[0],
        "receiving_facility": msh(6).split(component)[0],
        "message_type": "^".join(msh(9).split(component)[:2]),
        "control_id": msh(10),
        "processing_id": msh(11).split(component)[0],
        "version": msh(12).split(component)[0],
        "charset": msh(18).split("~" if len(first) < 6 else first[5])[0] if msh(18) else "",
    }


@dataclass
class Parsed:
    message: hl7.Message
    text: str
    header: dict[str, str]

    @property
    def message_code(self) -> str:
        return self.header["message_type"].split("^")[0]

    @property
    def trigger(self) -> str:
        parts = self.header["message_type"].split("^")
        return parts[1] if len(parts) > 1 else ""

    def segment(self, name: str):
        """The first segment ``name``, or None."""
        try:
            return self.message.segment(name)
        except KeyError:
            return None

    def segments(self, name: str) -> list:
        try:
            return list(self.message.segments(name))
        except KeyError:
            return []

    def require(self, name: str):
        seg = self.segment(name)
        if seg is None:
            raise HL7Error(f"The {name} segment is missing.", code=ErrorCode.SEGMENT_SEQUENCE, location=name)
        return seg


def read(data: bytes) -> Parsed:
    """Decode and parse one message. Raises HL7Error for a message Lumen cannot read at all."""
    head = data.lstrip(b"\r\n")
    if not head.startswith(b"MSH"):
        raise HL7Error(
            "The message does not start with an MSH segment.", code=ErrorCode.SEGMENT_SEQUENCE, ack="AR", location="MSH"
        )
    if head[3:4] != b"|" or head[4:8] != b"^~\\&":
        raise HL7Error(
            "MSH-1/MSH-2 must be the standard delimiters |^~\\& (HL7 v2.5.1 section 2.5.4).",
            code=ErrorCode.DATA_TYPE,
            ack="AR",
            location="MSH^1^1",
        )
    header = peek_header(head)
    charset = header["charset"].upper()
    if charset not in CHARSETS:
        raise HL7Error(
            f"MSH-18 character set {header['charset']!r} is not supported; use UNICODE UTF-8 or 8859/1.",
            code=ErrorCode.TABLE_VALUE_NOT_FOUND,
            location="MSH^1^18",
        )
    try:
        text = head.decode(CHARSETS[charset])
    except UnicodeDecodeError as exc:
        raise HL7Error(
            f"Byte 0x{head[exc.start]:02X} at offset {exc.start} is not valid {CHARSETS[charset].upper()} "
            f"(MSH-18 declares {header['charset'] or 'the default, UTF-8'}).",
            code=ErrorCode.DATA_TYPE,
        ) from None
    text = text.replace("\r\n", "\r").replace("\n", "\r").strip("\r")
    if "\x00" in text:
        raise HL7Error("The message contains a NUL character.", code=ErrorCode.DATA_TYPE)
    if header["version"] not in SUPPORTED_VERSIONS:
        raise HL7Error(
            f"MSH-12 version {header['version']!r} is not supported (2.3 to 2.5.1).",
            code=ErrorCode.UNSUPPORTED_VERSION_ID,
            ack="AR",
            location="MSH^1^12",
        )
    if not header["control_id"]:
        raise HL7Error(
            "MSH-10 message control ID is missing.", code=ErrorCode.REQUIRED_FIELD_MISSING, location="MSH^1^10"
        )
    if not header["message_type"] or "^" not in header["message_type"]:
        raise HL7Error(
            "MSH-9 message type must give the message code and trigger event (e.g. ADT^A04).",
            code=ErrorCode.REQUIRED_FIELD_MISSING,
            ack="AR",
            location="MSH^1^9",
        )
    for number, segment_text in enumerate(text.split("\r"), start=1):
        if not re.fullmatch(r"[A-Z][A-Z0-9]{2}", segment_text[:3]) or (
            len(segment_text) > 3 and segment_text[3] != "|"
        ):
            raise HL7Error(
                f"Segment {number} ({segment_text[:10]!r}) is not a segment: a segment is three letters or digits "
                "followed by |.",
                code=ErrorCode.SEGMENT_SEQUENCE,
            )
    try:
        message = hl7.parse(text)
    except Exception as exc:  # noqa: BLE001 - the parser's own exceptions are several and undocumented
        raise HL7Error(f"The message cannot be parsed: {exc}", code=ErrorCode.SEGMENT_SEQUENCE) from None
    return Parsed(message=message, text=text, header=header)


def value(segment, field: int, component: int = 1, repetition: int = 1, subcomponent: int = 1) -> str:
    """One (unescaped) value of a segment, "" when absent."""
    if segment is None:
        return ""
    try:
        result = segment.extract_field(1, field, repetition, component, subcomponent)
    except IndexError:
        return ""
    return str(result).strip()


def repetitions(segment, field: int) -> int:
    """How many repetitions the field has (0 when empty)."""
    if segment is None or field >= len(segment):
        return 0
    f = segment(field)
    if not str(f):
        return 0
    return len(f) if isinstance(f, hl7.Field) and f and isinstance(f[0], hl7.Repetition) else 1


def parse_date(text: str, location: str) -> dt.date | None:
    """An HL7 DT/DTM value (YYYY[MM[DD[HHMM...]]]) as a date; "" is None. Reduced precision is refused."""
    if not text:
        return None
    match = re.fullmatch(r"(\d{8})(\d{2,6}(\.\d{1,4})?)?([+-]\d{4})?", text)
    if match:
        try:
            day = match.group(1)
            return dt.date(int(day[:4]), int(day[4:6]), int(day[6:8]))
        except ValueError:
            pass
    raise HL7Error(
        f"{location.replace('^1^', '-')} {text!r} is not a valid date (YYYYMMDD).",
        code=ErrorCode.DATA_TYPE,
        location=location,
    )


def format_ts(moment: dt.datetime) -> str:
    """An aware datetime as HL7 DTM with its offset (YYYYMMDDHHMMSS+ZZZZ)."""
    return moment.strftime("%Y%m%d%H%M%S%z")


def escape(text: str) -> str:
    """Escape the delimiters in free text (HL7 v2.5.1 section 2.7)."""
    return (
        text.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
        .replace("\r\n", "\\.br\\")
        .replace("\n", "\\.br\\")
        .replace("\r", "\\.br\\")
    )
