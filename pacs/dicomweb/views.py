"""DICOMweb (PS3.18): QIDO-RS search, WADO-RS retrieve (instances, metadata, frames, bulk data), STOW-RS store,
and WADO-URI, over the same index, query engine, ingest and access log as the DICOM listener."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from pydicom import dcmread
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.encaps import generate_frames
from pydicom.uid import UID

from pacs import rendering, services, storage
from pacs.dicomweb import multipart
from pacs.dicomweb.auth import dicomweb_view
from pacs.ingest import Rejected
from pacs.models import Instance, Study
from pacs.query import QueryError, find_json
from ris.accounts.choices import ALL_ROLES, Role
from ris.accounts.roles import _declare
from ris.audit.choices import Action
from ris.audit.services import query_of, record_access

DICOM_JSON = "application/dicom+json"
STOW_ROLES = (Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMIN)
CHUNK = 1 << 20

STUDY_FIELDS = [
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "ModalitiesInStudy",
    "ReferringPhysicianName",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyInstanceUID",
    "StudyID",
    "StudyDescription",
    "NumberOfStudyRelatedSeries",
    "NumberOfStudyRelatedInstances",
]
SERIES_FIELDS = [
    "Modality",
    "SeriesDescription",
    "SeriesNumber",
    "SeriesInstanceUID",
    "BodyPartExamined",
    "NumberOfSeriesRelatedInstances",
]
INSTANCE_FIELDS = ["SOPClassUID", "SOPInstanceUID", "InstanceNumber", "Rows", "Columns", "NumberOfFrames"]
DEFAULTS = {"STUDY": STUDY_FIELDS, "SERIES": SERIES_FIELDS, "IMAGE": INSTANCE_FIELDS}
CONTROL = {"limit", "offset", "includefield", "fuzzymatching"}


def _error(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _base(request) -> str:
    return request.build_absolute_uri("/dicomweb")


def _visible_studies(request):
    return Study.objects.for_user(request.user)


def _keyword(name: str) -> str | None:
    """A query parameter's attribute: a keyword (PatientName) or a tag (00100010)."""
    if re.fullmatch(r"[0-9A-Fa-f]{8}", name):
        return keyword_for_tag(int(name, 16)) or None
    return name if tag_for_keyword(name) is not None else None


# --- QIDO-RS ---------------------------------------------------------------------------------------------------


def _search(request, level: str, scope: dict[str, str]) -> HttpResponse:
    params = request.GET
    try:
        limit = int(params.get("limit", 100))
        offset = int(params.get("offset", 0))
    except ValueError:
        return _error(400, "limit and offset must be whole numbers.")
    if limit < 1 or offset < 0:
        return _error(400, "limit must be at least 1 and offset at least 0.")
    limit = min(limit, settings.LUMEN_QIDO_MAX_LIMIT)
    fuzzy = params.get("fuzzymatching", "false").lower()
    if fuzzy not in ("true", "false"):
        return _error(400, "fuzzymatching must be true or false.")
    # The query as (keyword, value) pairs: the return keys asked for with no value, then the matching keys.
    keys = dict.fromkeys(DEFAULTS[level], "")
    for value in params.getlist("includefield"):
        for name in value.split(","):
            if name == "all":
                for field in (f for levels in DEFAULTS.values() for f in levels):
                    keys.setdefault(field, "")
            elif _keyword(name) is None:
                return _error(400, f"includefield: “{name}” is not a DICOM attribute.")
            else:
                keys.setdefault(_keyword(name), "")
    for name, values in params.lists():
        if name in CONTROL:
            continue
        keyword = _keyword(name)
        if keyword is None:
            return _error(400, f"“{name}” is not a DICOM attribute or a QIDO-RS parameter.")
        if dictionary_VR(keyword) == "SQ":
            return _error(400, f"Matching on the sequence {keyword} is not supported.")
        if keyword == "QueryRetrieveLevel":
            return _error(400, "QueryRetrieveLevel is not a QIDO-RS parameter: the URL gives the level.")
        keys[keyword] = values[-1]
    keys.update(scope)
    try:
        found = list(
            find_json(
                level,
                list(keys.items()),
                allowed=("STUDY", "SERIES", "IMAGE"),
                studies=_visible_studies(request),
                offset=offset,
                limit=limit + 1,
                fuzzy=fuzzy == "true",
            )
        )
    except QueryError as exc:
        return _error(400, exc.reason)
    more = len(found) > limit
    found = found[:limit]
    record_access(
        request=request,
        action=Action.SEARCH,
        object_type=f"dicomweb.{level.lower()}",
        channel="api",
        detail={"query": query_of(params), "matches": len(found)},
    )
    if not found:
        return HttpResponse(status=204)
    base = _base(request)
    for document in found:
        document["00081190"] = {"vr": "UR", "Value": [_retrieve_url(base, level, document, scope)]}
    response = HttpResponse(json.dumps(found), content_type=DICOM_JSON)
    if more:
        response["Warning"] = '299 Lumen: "There are additional results that can be requested"'
        query = params.copy()
        query["offset"] = str(offset + limit)
        response["Link"] = f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'
    return response


def _retrieve_url(base: str, level: str, document: dict, scope: dict[str, str]) -> str:
    def uid(tag: str) -> str:
        return (document.get(tag, {}).get("Value") or [""])[0]

    study = scope.get("StudyInstanceUID") or uid("0020000D")
    if level == "STUDY":
        return f"{base}/studies/{study}"
    series = scope.get("SeriesInstanceUID") or uid("0020000E")
    if level == "SERIES":
        return f"{base}/studies/{study}/series/{series}"
    return f"{base}/studies/{study}/series/{series}/instances/{uid('00080018')}"


@dicomweb_view(*ALL_ROLES)
def search_studies(request):
    return _search(request, "STUDY", {})


@dicomweb_view(*ALL_ROLES)
def search_series(request, study=None):
    return _search(request, "SERIES", {"StudyInstanceUID": study} if study else {})


@dicomweb_view(*ALL_ROLES)
def search_instances(request, study=None, series=None):
    scope = {k: v for k, v in (("StudyInstanceUID", study), ("SeriesInstanceUID", series)) if v}
    return _search(request, "IMAGE", scope)


# --- WADO-RS ---------------------------------------------------------------------------------------------------


def _instances(request, study: str, series: str | None = None, instance: str | None = None):
    """The instances addressed, within the user's scope; None when nothing visible matches (404)."""
    rows = Instance.objects.filter(
        series__study__in=_visible_studies(request).values("pk"), series__study__study_instance_uid=study
    )
    if series:
        rows = rows.filter(series__series_instance_uid=series)
    if instance:
        rows = rows.filter(sop_instance_uid=instance)
    rows = rows.select_related("series__study").order_by("series__series_number", "series_id", "instance_number", "id")
    return rows if rows.exists() else None


def _log_retrieve(request, rows, what: str) -> None:
    first = rows.first()
    record_access(
        request=request,
        action=Action.VIEW,
        obj=first.series.study,
        patient=first.series.study.patient_id,
        channel="api",
        detail={"dicomweb": what, "instances": rows.count()},
    )


def _accepts(request, offered: list[str]) -> str | None:
    """The first offered media type the Accept header allows (PS3.18 8.7: an absent Accept allows any)."""
    accept = request.META.get("HTTP_ACCEPT", "") or "*/*"
    wanted = []
    for item in accept.split(","):
        media, params = multipart.parameters(item)
        if media == "multipart/related":
            media = params.get("type", "application/octet-stream").lower()
        wanted.append((media, params))
    for media, params in wanted:
        for option in offered:
            if media in (option, "*/*", option.split("/")[0] + "/*"):
                syntax = params.get("transfer-syntax")
                if syntax in (None, "*"):
                    return option
                return option + ";transfer-syntax=" + syntax
    return None


def _file_chunks(path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


@dicomweb_view(*ALL_ROLES)
def retrieve(request, study, series=None, instance=None):
    rows = _instances(request, study, series, instance)
    if rows is None:
        return _error(404, "No such study, series or instance.")
    chosen = _accepts(request, ["application/dicom"])
    if chosen is None:
        return _error(406, "Instances are available as multipart/related; type=application/dicom.")
    wanted_syntax = chosen.partition(";transfer-syntax=")[2]
    if wanted_syntax and rows.exclude(transfer_syntax_uid=wanted_syntax).exists():
        return _error(406, f"Lumen returns instances in their stored transfer syntax, not {wanted_syntax}.")
    _log_retrieve(request, rows, "instances")
    mark = multipart.boundary()
    parts = (
        (f"application/dicom; transfer-syntax={i.transfer_syntax_uid}", _file_chunks(storage.absolute(i.path)))
        for i in rows.iterator()
    )
    response = StreamingHttpResponse(
        multipart.stream(parts, mark), content_type=f'multipart/related; type="application/dicom"; boundary={mark}'
    )
    return response


@dicomweb_view(*ALL_ROLES)
def metadata(request, study, series=None, instance=None):
    rows = _instances(request, study, series, instance)
    if rows is None:
        return _error(404, "No such study, series or instance.")
    if _accepts(request, [DICOM_JSON, "application/json"]) is None:
        return _error(406, "Metadata is available as application/dicom+json.")
    _log_retrieve(request, rows, "metadata")
    base = _base(request)

    def documents() -> Iterator[bytes]:
        yield b"["
        for index, row in enumerate(
            rows.values_list(
                "series__study__study_instance_uid", "series__series_instance_uid", "sop_instance_uid", "metadata"
            )
        ):
            study_uid, series_uid, sop_uid, document = row
            prefix = f"{base}/studies/{study_uid}/series/{series_uid}/instances/{sop_uid}/"
            for element in document.values():
                if "BulkDataURI" in element and not element["BulkDataURI"].startswith("http"):
                    element["BulkDataURI"] = prefix + element["BulkDataURI"]
            yield (b"," if index else b"") + json.dumps(document).encode()
        yield b"]"

    return StreamingHttpResponse(documents(), content_type=DICOM_JSON)


def _frames_of(instance: Instance, numbers: list[int]) -> list[bytes]:
    ds = dcmread(storage.absolute(instance.path))
    count = int(ds.get("NumberOfFrames", 1) or 1)
    if any(n < 1 or n > count for n in numbers):
        raise IndexError(f"The instance has {count} frame(s).")
    if UID(instance.transfer_syntax_uid).is_encapsulated:
        frames = list(generate_frames(ds.PixelData, number_of_frames=count))
        return [frames[n - 1] for n in numbers]
    size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    return [ds.PixelData[(n - 1) * size : n * size] for n in numbers]


@dicomweb_view(*ALL_ROLES)
def frames(request, study, series, instance, frame_list):
    rows = _instances(request, study, series, instance)
    if rows is None:
        return _error(404, "No such instance.")
    try:
        numbers = [int(n) for n in frame_list.split(",")]
    except ValueError:
        return _error(400, "Frame numbers are whole numbers separated by commas, from 1.")
    inst = rows.first()
    stored = UID(inst.transfer_syntax_uid)
    offered = ["application/octet-stream"] if not stored.is_encapsulated else [_compressed_type(stored)]
    chosen = _accepts(request, offered)
    if chosen is None:
        return _error(406, f"Frames are available as {offered[0]} (the stored transfer syntax {stored}).")
    try:
        data = _frames_of(inst, numbers)
    except IndexError as exc:
        return _error(404, str(exc))
    _log_retrieve(request, rows, "frames")
    mark = multipart.boundary()
    body = b"".join(multipart.stream(((offered[0] + f"; transfer-syntax={stored}", [f]) for f in data), mark))
    return HttpResponse(body, content_type=f'multipart/related; type="{offered[0]}"; boundary={mark}')


def _compressed_type(syntax: UID) -> str:
    return {
        "1.2.840.10008.1.2.4.50": "image/jpeg",
        "1.2.840.10008.1.2.4.51": "image/jpeg",
        "1.2.840.10008.1.2.4.57": "image/jpeg",
        "1.2.840.10008.1.2.4.70": "image/jpeg",
        "1.2.840.10008.1.2.4.80": "image/jls",
        "1.2.840.10008.1.2.4.81": "image/jls",
        "1.2.840.10008.1.2.4.90": "image/jp2",
        "1.2.840.10008.1.2.4.91": "image/jp2",
        "1.2.840.10008.1.2.5": "image/x-dicom-rle",
    }.get(str(syntax), "application/octet-stream")


@dicomweb_view(*ALL_ROLES)
def bulkdata(request, study, series, instance, tag):
    rows = _instances(request, study, series, instance)
    if rows is None:
        return _error(404, "No such instance.")
    inst = rows.first()
    ds = dcmread(storage.absolute(inst.path))
    if int(tag, 16) not in ds:
        return _error(404, "The instance has no such element.")
    _log_retrieve(request, rows, "bulkdata")
    value = ds[int(tag, 16)].value
    mark = multipart.boundary()
    body = b"".join(multipart.stream([("application/octet-stream", [bytes(value)])], mark))
    return HttpResponse(body, content_type=f'multipart/related; type="application/octet-stream"; boundary={mark}')


# --- Rendered and thumbnails -----------------------------------------------------------------------------------


def _image_response(request, rows, *, frame: int = 1, thumbnail: bool = False) -> HttpResponse:
    media = _accepts(request, list(rendering.MEDIA))
    if media is None:
        return _error(406, "Rendered images are available as image/jpeg or image/png.")
    media = media.partition(";")[0]
    try:
        options = rendering.Options.parse(request.GET, media=media, frame=frame, thumbnail=thumbnail)
        instance = _representative(rows)
        data = rendering.render(instance, options)
    except rendering.RenderError as exc:
        return _error(400, str(exc))
    _log_retrieve(request, rows, "thumbnail" if thumbnail else "rendered")
    response = HttpResponse(data, content_type=media)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _representative(rows):
    """The middle image of the first series: what a study or series thumbnail shows."""
    first_series = rows.first().series_id
    images = list(rows.filter(series_id=first_series).values_list("pk", flat=True))
    return Instance.objects.get(pk=images[len(images) // 2])


@dicomweb_view(*ALL_ROLES)
def rendered(request, study, series=None, instance=None, frame_list=None):
    rows = _instances(request, study, series, instance)
    if rows is None:
        return _error(404, "No such study, series or instance.")
    try:
        frame = int(frame_list.split(",")[0]) if frame_list else 1
    except ValueError:
        return _error(400, "Frame numbers are whole numbers from 1.")
    return _image_response(request, rows, frame=frame)


@dicomweb_view(*ALL_ROLES)
def thumbnail(request, study, series=None, instance=None):
    rows = _instances(request, study, series, instance)
    if rows is None:
        return _error(404, "No such study, series or instance.")
    return _image_response(request, rows, thumbnail=True)


# --- STOW-RS ---------------------------------------------------------------------------------------------------


@dicomweb_view(*STOW_ROLES)
def store(request, study=None):
    """Store the instances of a multipart/related body through the same ingest as C-STORE (PS3.18 10.5)."""
    media, params = multipart.parameters(request.META.get("CONTENT_TYPE", ""))
    if media != "multipart/related" or "boundary" not in params:
        return _error(415, 'Send multipart/related; type="application/dicom" with a boundary.')
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    limit = settings.LUMEN_STOW_MAX_BYTES
    if length > limit:
        return _error(413, f"The upload is larger than {limit} bytes.")
    referenced, failed = [], []
    base = _base(request)
    parts = multipart.parts_to_files(request.read, params["boundary"], storage.new_temp_path, limit=limit)
    try:
        for headers, path, digest in parts:
            _store_part(headers, path, digest, study, base, referenced, failed)
    except multipart.TooLarge:
        return _error(413, f"The upload is larger than {limit} bytes.")
    except multipart.Malformed as exc:
        if not referenced and not failed:
            return _error(400, str(exc))
        failed.append(_failure("", "", 0xC000))  # a part cut short; the complete ones before it are kept
    record_access(
        request=request,
        action=Action.CREATE,
        object_type="dicomweb.stow",
        channel="api",
        detail={"stored": len(referenced), "failed": len(failed)},
    )
    document = {"00081190": {"vr": "UR", "Value": [f"{base}/studies/{study}"]}} if study else {}
    if referenced:
        document["00081199"] = {"vr": "SQ", "Value": referenced}
    if failed:
        document["00081198"] = {"vr": "SQ", "Value": failed}
    status = 200 if not failed else (202 if referenced else 409)
    return JsonResponse(document, status=status, content_type=DICOM_JSON)


def _store_part(headers, path, digest, study, base, referenced, failed) -> None:
    """Ingest one received part (a file in the incoming directory) and note the outcome."""
    part_type, _ = multipart.parameters(headers.get("content-type", "application/dicom"))
    if part_type != "application/dicom":
        path.unlink(missing_ok=True)
        failed.append(_failure("", "", 0xA900))
        return
    if study:
        # An instance of another study than the URL names is refused before anything is stored (PS3.18 10.5.1).
        try:
            header = dcmread(
                path, stop_before_pixels=True, specific_tags=["StudyInstanceUID", "SOPClassUID", "SOPInstanceUID"]
            )
            other = str(header.get("StudyInstanceUID", "")) != study
        except Exception:  # noqa: BLE001 - unreadable: ingest_file below says why
            other = False
        if other:
            path.unlink(missing_ok=True)
            failed.append(_failure(str(header.get("SOPClassUID", "")), str(header.get("SOPInstanceUID", "")), 0xA900))
            return
    try:
        stored = services.ingest_file(path, source="STOW", owned=True, digest=digest)
    except Rejected as exc:
        failed.append(_failure("", "", exc.status))
        return
    inst = stored.instance
    item = {
        "00081150": {"vr": "UI", "Value": [inst.sop_class_uid]},
        "00081155": {"vr": "UI", "Value": [inst.sop_instance_uid]},
        "00081190": {
            "vr": "UR",
            "Value": [
                f"{base}/studies/{stored.study.study_instance_uid}/series/"
                f"{inst.series.series_instance_uid}/instances/{inst.sop_instance_uid}"
            ],
        },
    }
    if stored.outcome == "duplicate":
        item["00081196"] = {"vr": "US", "Value": [0xB007]}  # warning: already stored; the first copy is kept
    referenced.append(item)


def _failure(sop_class: str, sop_uid: str, reason: int) -> dict:
    item = {"00081197": {"vr": "US", "Value": [reason]}}
    if sop_uid:
        item["00081150"] = {"vr": "UI", "Value": [sop_class]}
        item["00081155"] = {"vr": "UI", "Value": [sop_uid]}
    return item


# --- WADO-URI --------------------------------------------------------------------------------------------------


@dicomweb_view(*ALL_ROLES)
def wado_uri(request):
    """WADO-URI (PS3.18 9) for older viewers: ``requestType=WADO&studyUID=&seriesUID=&objectUID=``."""
    params = request.GET
    if params.get("requestType") != "WADO":
        return _error(400, "requestType must be WADO.")
    missing = [p for p in ("studyUID", "seriesUID", "objectUID") if not params.get(p)]
    if missing:
        return _error(400, f"Missing: {', '.join(missing)}.")
    content_type = params.get("contentType", "image/jpeg")  # PS3.18 9.1: JPEG unless asked otherwise
    if content_type not in ("application/dicom", *rendering.MEDIA):
        return _error(406, "contentType is application/dicom, image/jpeg or image/png.")
    rows = _instances(request, params["studyUID"], params["seriesUID"], params["objectUID"])
    if rows is None:
        return _error(404, "No such object.")
    if content_type in rendering.MEDIA:
        query = {"quality": params.get("imageQuality", "85")}
        if params.get("windowCenter") and params.get("windowWidth"):
            query["window"] = f"{params['windowCenter']},{params['windowWidth']}"
        if params.get("columns") or params.get("rows"):
            size = params.get("columns") or params.get("rows")
            query["viewport"] = f"{params.get('columns', size)},{params.get('rows', size)}"
        try:
            frame = int(params.get("frameNumber", 1))
            options = rendering.Options.parse(query, media=content_type, frame=frame)
            data = rendering.render(rows.first(), options)
        except (ValueError, rendering.RenderError) as exc:
            return _error(400, str(exc))
        _log_retrieve(request, rows, "wado-uri")
        return HttpResponse(data, content_type=content_type)
    _log_retrieve(request, rows, "wado-uri")
    inst = rows.first()
    response = StreamingHttpResponse(_file_chunks(storage.absolute(inst.path)), content_type="application/dicom")
    response["Content-Length"] = str(inst.size_bytes)
    return response


def _by_method(get, post):
    """One URL, two services (PS3.18 puts search and store, or retrieve and store, on the same resource)."""

    def dispatch(request, *args, **kwargs):
        if request.method == "POST":
            return post(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            return get(request, *args, **kwargs)
        return _error(405, "Use GET or POST.")

    # CSRF is checked inside, for session-authenticated writes only (token clients have no CSRF cookie).
    return _declare(csrf_exempt(dispatch), ALL_ROLES)


search_studies_or_store = _by_method(search_studies, store)
study_or_store = _by_method(retrieve, store)
