"""One query engine for C-FIND (and QIDO-RS): DICOM attribute matching (PS3.4 C.2.2.2) as indexed ORM filters.

Supported: single value matching, wildcards ``*`` and ``?``, date and time ranges, UID lists, universal matching
(an empty key asks for the value back), and return keys answered from indexed columns or, for anything else,
from the stored DICOM JSON of a representative instance. Sequences are not matched (sequence-free queries).
Person names may also be matched fuzzily (QIDO-RS ``fuzzymatching=true``, PS3.18 8.3.4.1): see ``fuzzy_name``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from django.db.models import Count, Min, Q, QuerySet
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset

from pacs.models import Instance, Series, Study
from ris.patients.names import fold, name_words

STUDY_KEYS = {
    "StudyInstanceUID": ("study_instance_uid", "UI"),
    "StudyDate": ("study_date", "DA"),
    "StudyTime": ("study_time", "TM"),
    "AccessionNumber": ("accession_number", "SH"),
    "StudyID": ("study_id", "SH"),
    "StudyDescription": ("study_description", "LO"),
    "ReferringPhysicianName": ("referring_physician_name", "PN"),
    "ModalitiesInStudy": ("modalities_in_study", "CS-LIST"),
    "NumberOfStudyRelatedSeries": ("number_of_series", "COUNT"),
    "NumberOfStudyRelatedInstances": ("number_of_instances", "COUNT"),
}
PATIENT_KEYS = {
    "PatientID": ("dicom_patient_id", "LO"),
    "IssuerOfPatientID": ("issuer_of_patient_id", "LO"),
    "PatientName": ("patient_name", "PN"),
    "PatientBirthDate": ("patient_birth_date", "DA"),
    "PatientSex": ("patient_sex", "CS"),
}
SERIES_KEYS = {
    "SeriesInstanceUID": ("series_instance_uid", "UI"),
    "Modality": ("modality", "CS"),
    "SeriesNumber": ("series_number", "IS"),
    "SeriesDescription": ("series_description", "LO"),
    "BodyPartExamined": ("body_part_examined", "CS"),
    "SeriesDate": ("series_date", "DA"),
    "SeriesTime": ("series_time", "TM"),
    "NumberOfSeriesRelatedInstances": ("number_of_instances", "COUNT"),
}
IMAGE_KEYS = {
    "SOPInstanceUID": ("sop_instance_uid", "UI"),
    "SOPClassUID": ("sop_class_uid", "UI"),
    "InstanceNumber": ("instance_number", "IS"),
}


class QueryError(Exception):
    """The identifier cannot be answered; ``status`` is the C-FIND failure status."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


IDENTIFIER_DOES_NOT_MATCH = 0xA900
UNABLE_TO_PROCESS = 0xC000


@dataclass(frozen=True)
class Level:
    name: str
    model: type
    keys: dict[str, tuple[str, str]]  # keyword -> (ORM path from this level's model, matching kind)


def _prefixed(keys: dict, prefix: str) -> dict:
    return {k: (prefix + path, kind) for k, (path, kind) in keys.items()}


LEVELS = {
    "PATIENT": Level("PATIENT", Study, PATIENT_KEYS),
    "STUDY": Level("STUDY", Study, {**PATIENT_KEYS, **STUDY_KEYS}),
    "SERIES": Level("SERIES", Series, {**_prefixed({**PATIENT_KEYS, **STUDY_KEYS}, "study__"), **SERIES_KEYS}),
    "IMAGE": Level(
        "IMAGE",
        Instance,
        {
            **_prefixed({**PATIENT_KEYS, **STUDY_KEYS}, "series__study__"),
            **_prefixed(SERIES_KEYS, "series__"),
            **IMAGE_KEYS,
        },
    ),
}


def _wildcard(path: str, value: str, insensitive: bool) -> Q:
    if value == "*":
        return Q()
    body = value.rstrip("*")
    if "*" not in body and "?" not in body:
        return Q(**{f"{path}__{'i' if insensitive else ''}startswith": body})
    pattern = "^" + re.escape(value).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return Q(**{f"{path}__{'i' if insensitive else ''}regex": pattern})


def _range(path: str, value: str) -> Q:
    if "-" not in value:
        return Q(**{path: value})
    start, _, end = value.partition("-")
    condition = Q()
    if start:
        condition &= Q(**{f"{path}__gte": start})
    if end:
        # A time or date-time bound matches everything that starts with it (2000 covers 200059).
        condition &= Q(**{f"{path}__lte": end + ("\uffff" if len(end) < 8 else "")})
    return condition


@cache
def _letter_classes() -> dict[str, str]:
    """For each ASCII letter, a regex class of every Latin letter that folds to it ("u" -> "[uUùúûü...]")."""
    variants: dict[str, set[str]] = {}
    for code in [*range(0x41, 0x5B), *range(0x61, 0x7B), *range(0xC0, 0x250)]:
        ch = chr(code)
        if not unicodedata.category(ch).startswith("L"):
            continue
        folded = fold(ch)
        if len(folded) == 1 and folded.isascii() and folded.isalpha():
            variants.setdefault(folded, set()).update({ch, ch.upper(), ch.lower()})
    return {letter: "[" + "".join(sorted(chars)) + "]" for letter, chars in variants.items()}


def fuzzy_name(path: str, value: str) -> Q:
    """Fuzzy person-name matching: every word of ``value`` begins a component or word of the name, ignoring
    case, accents and order ("zoe mull" matches ``Müller^Zoë``). Wildcards add nothing here and are ignored."""
    classes = _letter_classes()
    condition = Q()
    for word in name_words(value.replace("*", " ").replace("?", " ")):
        body = "".join(classes.get(ch, re.escape(ch)) for ch in word)
        condition &= Q(**{f"{path}__regex": r"(^|[\^ =,.-])" + body})
    return condition


def match(path: str, kind: str, value: str, *, fuzzy: bool = False) -> Q:
    """The filter for one key; an empty Q for universal matching. ``fuzzy`` applies to person names."""
    value = value.strip()
    if not value or kind == "COUNT":
        return Q()
    if fuzzy and kind == "PN" and value != "*":
        return fuzzy_name(path, value)
    if kind == "UI":
        uids = [u.strip() for u in value.split("\\") if u.strip()]
        if not uids:
            return Q()
        return Q(**{f"{path}__in": uids}) if len(uids) > 1 else Q(**{path: uids[0]})
    if kind in ("DA", "TM"):
        if not re.fullmatch(r"[0-9.:]*-?[0-9.:]*", value):
            raise QueryError(IDENTIFIER_DOES_NOT_MATCH, f"“{value}” is not a {kind} value or range.")
        return _range(path, value.replace(":", "") if kind == "TM" else value.replace(".", ""))
    if kind == "IS":
        try:
            return Q(**{path: int(value)})
        except ValueError:
            raise QueryError(IDENTIFIER_DOES_NOT_MATCH, f"“{value}” is not an integer string.") from None
    if kind == "CS-LIST":
        condition = Q()
        for code in filter(None, value.split("\\")):
            condition |= Q(**{f"{path}__regex": r"(^|\\)" + re.escape(code) + r"(\\|$)"})
        return condition
    insensitive = kind == "PN"  # names are matched case-insensitively, as most archives do
    if "*" in value or "?" in value:
        return _wildcard(path, value, insensitive)
    return Q(**{f"{path}__iexact" if insensitive else path: value})


def identifier_keys(identifier: Dataset) -> list[tuple[str, str]]:
    """The identifier's attributes other than sequences, as (keyword, value as text) in tag order: walking a
    pydicom data set costs more than the query itself, so a query walks it once."""
    return [(elem.keyword, _value_text(elem)) for elem in identifier if elem.keyword and elem.VR != "SQ"]


def _requested(keys: list[tuple[str, str]]) -> list[str]:
    return [keyword for keyword, _ in keys if keyword not in ("QueryRetrieveLevel", "SpecificCharacterSet")]


def _value_text(elem) -> str:
    if elem.value is None:
        return ""
    if elem.VM > 1:
        return "\\".join(str(v) for v in elem.value)
    return str(elem.value)


def level_of(identifier: Dataset, allowed: tuple[str, ...]) -> Level:
    return level_named(str(identifier.get("QueryRetrieveLevel", "")), allowed)


def level_named(name: str, allowed: tuple[str, ...]) -> Level:
    name = name.strip().upper()
    if name not in allowed:
        raise QueryError(
            IDENTIFIER_DOES_NOT_MATCH,
            f"Query/Retrieve Level “{name}” is not one of {', '.join(allowed)} for this information model.",
        )
    return LEVELS[name]


def filtered(level: Level, keys: list[tuple[str, str]], *, fuzzy: bool = False) -> QuerySet:
    """The rows of ``level`` matching every key of an identifier (its ``identifier_keys``) that the index knows."""
    condition = Q()
    for keyword, text in keys:
        if keyword in level.keys:
            path, kind = level.keys[keyword]
            condition &= match(path, kind, text, fuzzy=fuzzy)
    return level.model.objects.filter(condition)


SCOPES = {"PATIENT": "pk__in", "STUDY": "pk__in", "SERIES": "study__in", "IMAGE": "series__study__in"}


def find(identifier: Dataset, *, allowed: tuple[str, ...], retrieve_ae: str, **scope) -> Iterator[Dataset]:
    """Answer a C-FIND identifier: one response data set per match, with the requested keys filled in.

    ``scope``: ``studies`` limits matches to those studies (a user's scope); ``offset``/``limit`` page the
    matches; ``fuzzy`` matches person names fuzzily (``fuzzy_name``).
    """
    for level, requested, values in matches(identifier, allowed=allowed, **scope):
        yield _response(level, requested, values, retrieve_ae)


def find_json(level: str, keys: list[tuple[str, str]], *, allowed: tuple[str, ...], **scope) -> Iterator[dict]:
    """The matches of a query given as its level and keys (as ``identifier_keys`` gives them), each as a DICOM
    JSON object (PS3.18 F.2) for QIDO-RS: the requested keys and the Specific Character Set, written straight
    from the index's values. QIDO-RS builds no pydicom data set, neither for its query nor for a match: that
    cost more than the whole query."""
    for _level, requested, values in search(level_named(level, allowed), keys, **scope):
        yield _json_response(requested, values)


def matches(identifier: Dataset, *, allowed: tuple[str, ...], **scope) -> Iterator[tuple[str, list[str], dict]]:
    """The matches of a C-FIND identifier, as ``search`` gives them."""
    return search(level_of(identifier, allowed), identifier_keys(identifier), **scope)


def search(
    level: Level,
    keys: list[tuple[str, str]],
    *,
    studies: QuerySet | None = None,
    offset: int = 0,
    limit: int | None = None,
    fuzzy: bool = False,
) -> Iterator[tuple[str, list[str], dict]]:
    """The matches of a query as (level, requested keywords, {keyword: value}), in index order."""
    requested = _requested(keys)
    rows = filtered(level, keys, fuzzy=fuzzy)
    if studies is not None and studies.query.where:  # an unfiltered scope (department staff) adds nothing
        rows = rows.filter(**{SCOPES[level.name]: studies.values("pk")})
    window = slice(offset, None if limit is None else offset + limit)
    if level.name == "PATIENT":
        yield from _patients(rows, requested, window)
        return
    representative = [k for k in requested if k not in level.keys and k != "RetrieveAETitle"]
    # Keys without a column that carry a value to match: checked against the stored header, row by row.
    header_matches = {keyword: text for keyword, text in keys if keyword in representative and text.strip()}
    columns = {k: level.keys[k][0] for k in requested if k in level.keys}
    fields = ["pk", *dict.fromkeys(columns.values())]
    if representative and level.name == "IMAGE":
        fields.append("metadata")
    for row in rows.order_by("pk")[window].values(*fields).iterator(chunk_size=500):
        values = {k: row[path] for k, path in columns.items()}
        if representative:
            values.update(_from_metadata(row, level.name, representative))
            if not all(_matches_header(values.get(k), pattern) for k, pattern in header_matches.items()):
                continue
        yield level.name, requested, values


def _matches_header(value, pattern: str) -> bool:
    """Single value or wildcard matching of a stored header value (keys the index has no column for)."""
    if value is None:
        return False
    text = _value_text(value) if hasattr(value, "VM") else str(value)
    if "*" in pattern or "?" in pattern:
        regex = "^" + re.escape(pattern.strip()).replace(r"\*", ".*").replace(r"\?", ".") + "$"
        return re.match(regex, text.strip()) is not None
    return text.strip() == pattern.strip()


def _patients(rows: QuerySet, requested: list[str], window: slice) -> Iterator[tuple[str, list[str], dict]]:
    fields = [path for path, _kind in PATIENT_KEYS.values()]
    grouped = rows.values(*fields).annotate(studies=Count("id"), first=Min("id")).order_by("first")[window]
    for group in grouped.iterator():
        values = {k: group[PATIENT_KEYS[k][0]] for k in requested if k in PATIENT_KEYS}
        if "NumberOfPatientRelatedStudies" in requested:
            values["NumberOfPatientRelatedStudies"] = group["studies"]
        yield "PATIENT", requested, values


def _from_metadata(row: dict, level: str, keywords: list[str]) -> dict:
    """Values the index has no column for, from the stored header of one instance at or below the row."""
    if level == "IMAGE":
        metadata = row["metadata"]
    else:
        instances = (
            Instance.objects.filter(series_id=row["pk"])
            if level == "SERIES"
            else Instance.objects.filter(series__study_id=row["pk"])
        )
        metadata = instances.values_list("metadata", flat=True).first() or {}
    header = Dataset.from_json({t: v for t, v in metadata.items() if "BulkDataURI" not in v})
    return {k: header.get(k) for k in keywords if k in header}


def _response(level: str, requested: list[str], values: dict, retrieve_ae: str) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.QueryRetrieveLevel = level
    for keyword in requested:
        value = values.get(keyword)
        if keyword == "RetrieveAETitle":
            value = retrieve_ae
        try:
            setattr(ds, keyword, "" if value is None else value)
        except (ValueError, TypeError):
            setattr(ds, keyword, "")
    if "RetrieveAETitle" not in requested:
        ds.RetrieveAETitle = retrieve_ae
    return ds


# DICOM JSON written directly, for the value kinds the index holds; anything else is converted by pydicom.
_TEXT_VRS = frozenset({"AE", "AS", "CS", "DA", "DT", "LO", "SH", "TM", "UI"})
_SINGLE_TEXT_VRS = frozenset({"LT", "ST", "UT", "UR", "UC"})
_NUMBER_VRS = frozenset({"IS", "US", "UL", "SS", "SL", "UV", "SV"})


@cache
def _vr(keyword: str) -> str:
    return dictionary_VR(keyword)


def _json_response(requested: list[str], values: dict) -> dict:
    document = {"00080005": {"vr": "CS", "Value": ["ISO_IR 192"]}}
    for keyword in requested:
        if keyword == "RetrieveAETitle":
            continue  # QIDO-RS answers with a Retrieve URL instead
        document[f"{tag_for_keyword(keyword):08X}"] = _json_element(keyword, values.get(keyword))
    return dict(sorted(document.items()))


def _json_element(keyword: str, value) -> dict:
    vr = _vr(keyword)
    if value is None or value == "":
        return {"vr": vr}
    if isinstance(value, str) and "\\" not in value:
        if vr in _TEXT_VRS or vr in _SINGLE_TEXT_VRS:
            return {"vr": vr, "Value": [value]}
        if vr == "PN" and "=" not in value:
            return {"vr": vr, "Value": [{"Alphabetic": value}]}
    elif isinstance(value, str) and vr in _TEXT_VRS and "" not in value.split("\\"):
        return {"vr": vr, "Value": value.split("\\")}
    elif type(value) is int and vr in _NUMBER_VRS:
        return {"vr": vr, "Value": [value]}
    # Names with several component groups, multi-valued names, decimal strings, values read from a stored
    # header: as pydicom writes them (the same conversion C-FIND's data sets get).
    ds = _response("", [keyword], {keyword: value}, "")
    return ds[keyword].to_json_dict(bulk_data_element_handler=None, bulk_data_threshold=1 << 30)


UNIQUE_KEYS = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
RETRIEVE_FIELDS = (
    "id",
    "path",
    "sop_class_uid",
    "sop_instance_uid",
    "transfer_syntax_uid",
    "series_id",
    "instance_number",
)


def instances_for(identifier: Dataset, *, allowed: tuple[str, ...]) -> QuerySet:
    """The instances a C-MOVE or C-GET identifier selects, at whatever level it names.

    A retrieve must name what it wants by the unique key of its level (PS3.4 C.4.2.2.1): an empty or missing
    key would otherwise mean "everything", the whole archive.
    """
    level = level_of(identifier, allowed)
    unique = UNIQUE_KEYS[level.name]
    if not str(identifier.get(unique, "") or "").strip(" \\"):
        raise QueryError(IDENTIFIER_DOES_NOT_MATCH, f"A {level.name}-level retrieve must give {unique}.")
    rows = filtered(level, identifier_keys(identifier))
    if level.name == "IMAGE":
        return rows.only(*RETRIEVE_FIELDS)
    if level.name == "SERIES":
        return Instance.objects.filter(series__in=rows.values("pk")).only(*RETRIEVE_FIELDS)
    return Instance.objects.filter(series__study__in=rows.values("pk")).only(*RETRIEVE_FIELDS)
