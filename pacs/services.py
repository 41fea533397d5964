"""PACS business actions: ingest an instance, link studies to the RIS, reconcile, clean up.

C-STORE, STOW-RS and ``import_dicom`` all store through ``ingest_file``: the same checks, the same duplicate
policy, the same durability (file fsynced under its final name and index row committed before success).
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone

from common.db import CommitNotDurable, durable_after_unlock
from pacs import storage
from pacs.choices import DuplicatePolicy, MatchState
from pacs.ingest import (
    OUT_OF_RESOURCES,
    Parsed,
    Rejected,
    check_preamble,
    parse,
    peek_identity,
    valid_uid,
    zero_preamble,
)
from pacs.models import Instance, Series, Study
from ris.orders.models import Order
from ris.patients.models import Patient

logger = logging.getLogger(__name__)


class Stored:
    """What happened to one received instance: ``outcome`` ("stored", "duplicate" or "replaced"), its ``instance``
    and ``study`` rows (given as models, or as functions that build them when first asked for: a C-STORE never asks,
    and building Django models costs as much as a statement), whether the study is new, and notes."""

    def __init__(self, outcome: str, instance, study, *, created_study: bool = False, notes=None) -> None:
        self.outcome = outcome
        self._instance, self._study = instance, study
        self.created_study = created_study
        self.notes: list[str] = notes if notes is not None else []

    @property
    def instance(self) -> Instance:
        if not isinstance(self._instance, Instance):
            self._instance = self._instance()
        return self._instance

    @property
    def study(self) -> Study:
        if not isinstance(self._study, Study):
            self._study = self._study()
        return self._study


class _KnownStudy(NamedTuple):
    """A study row this process knows (``_known_studies``): what an ingest needs of it."""

    pk: int
    study_instance_uid: str


class _KnownSeries(NamedTuple):
    """A series row this process knows (``_known_series``)."""

    pk: int
    study_id: int
    series_instance_uid: str


def _study_model(study) -> Study:
    return study if isinstance(study, Study) else Study(pk=study.pk, study_instance_uid=study.study_instance_uid)


def _series_model(series) -> Series:
    if isinstance(series, Series):
        return series
    return Series(pk=series.pk, study_id=series.study_id, series_instance_uid=series.series_instance_uid)


def ingest_file(
    path: Path | str,
    *,
    source: str,
    owned: bool,
    expected_sop_instance_uid: str | None = None,
    expected_sop_class_uid: str | None = None,
    digest: tuple[str, int] | None = None,
    head: bytes | None = None,
    descriptor: int | None = None,
) -> Stored:
    """Store and index one DICOM Part-10 file. Raises ``Rejected`` with a DICOM status and a reason.

    ``owned``: the file is a temporary under the storage root's incoming directory that may be renamed into
    place (C-STORE receives straight there); otherwise it is copied first and the source is left untouched.
    ``digest``: the file's SHA-256 and size, when taken as it was written (an owned file only); ``head``: its first
    bytes as written, when kept (an owned file only), so its start is not read back; ``descriptor``: the file's
    open descriptor, when its writer still holds it (with ``digest`` only): fsynced through it, never closed here.
    The temporary is renamed into place, or removed, whatever happens.
    """
    temp = path if owned else storage.copy_to_temp(Path(path))
    with _ingesting:
        return _ingest(
            temp,
            source,
            expected_sop_instance_uid,
            expected_sop_class_uid,
            digest if owned else None,
            head if owned else None,
            descriptor if owned and digest is not None else None,
        )


_fsync_pool: tuple[int, ThreadPoolExecutor] | None = None


def _durability_pool() -> ThreadPoolExecutor:
    """Threads that hash and fsync received files (per process: a forked worker starts its own). Started as
    needed, up to one per concurrent ingest of a busy listener; an idle one costs nothing but its stack."""
    global _fsync_pool
    if _fsync_pool is None or _fsync_pool[0] != os.getpid():
        _fsync_pool = (os.getpid(), ThreadPoolExecutor(max_workers=32, thread_name_prefix="lumen-fsync"))
    return _fsync_pool[1]


class _Later:
    """A job run in the thread that first asks for its result (``Future``'s ``result``, ``exception`` and
    ``cancel``, for a job that may never run)."""

    def __init__(self, function, *args, **kwargs) -> None:
        self._call = (function, args, kwargs)
        self._outcome: tuple[object, BaseException | None] | None = None

    def _run(self) -> tuple[object, BaseException | None]:
        if self._outcome is None:
            function, args, kwargs = self._call
            try:
                self._outcome = (function(*args, **kwargs), None)
            except Exception as exc:  # noqa: BLE001 - kept, and raised by result(), as a Future does
                self._outcome = (None, exc)
        return self._outcome

    def result(self):
        value, error = self._run()
        if error is not None:
            raise error
        return value

    def exception(self) -> BaseException | None:
        return self._outcome[1] if self._outcome is not None else None

    def cancel(self) -> bool:
        if self._outcome is None:
            self._outcome = (None, CancelledError())
            return True
        return False


class _Ingesting:
    """How many ingests this process runs at the moment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __enter__(self) -> int:
        with self._lock:
            self.count += 1
            return self.count

    def __exit__(self, *exc) -> None:
        with self._lock:
            self.count -= 1


_ingesting = _Ingesting()


class _Placement:
    """A received file on its way into the store: where it is now, and the job that makes it durable.

    The file goes to its final name as early as possible, on the word of ``peek_identity``, so that the file's
    fsync and its directory's (and its SHA-256, unless it was taken as the file was written) run in a pool thread
    while this one parses the header (hashing and fsync release the GIL), when it is the process's only ingest at
    the moment; with others under way, in this thread after the parse (see ``start``). The row commits only after
    the job, so no row ever points at a file that is not whole and durable; a file that ends
    up without its row (refused, a duplicate, a crash) is removed here or by the start-up clean-up.
    """

    def __init__(self, temp: Path | str, digest: tuple[str, int] | None, descriptor: int | None = None):
        self.temp = temp
        self._digest = digest
        self.identity: tuple[str, str, str] | None = None
        self.relative: str | None = None
        self.kept = False
        self._descriptor = descriptor  # its writer's, still open: the job fsyncs through it and leaves it open
        # Otherwise a handle of its own, closed by the job, or by close() if the job never ran.
        self._handle = None if descriptor is not None else open(temp, "rb+", buffering=0)  # noqa: SIM115
        self._job: Future | None = None

    @property
    def path(self) -> Path | str:
        return storage.absolute_text(self.relative) if self.relative else self.temp

    def start(self, identity: tuple[str, str, str] | None, *, alone: bool = True) -> None:
        """Move the file where ``identity`` says (if it is sound) and start the job that makes it durable: in a pool
        thread, while this one parses, when this is the process's only ingest at the moment (``alone``); else when
        ``durable()`` asks for it, in this thread (the other ingests keep the processor busy meanwhile, and handing
        the job to another thread and back would cost more than it saves)."""
        directory = None
        if identity is not None and all(valid_uid(uid) for uid in identity):
            directory = os.path.dirname(self._move(identity))
        job = _durability_pool().submit if alone else _Later
        self._job = job(storage.seal, self._handle, directory, self._digest, descriptor=self._descriptor)

    def settle(self, identity: tuple[str, str, str]) -> str:
        """Put the file where the parsed header says (where it is already, unless the peek had no answer or a
        different one): its relative path."""
        if identity != self.identity:
            old = self.path
            storage.fsync_dir(os.path.dirname(self._move(identity, source=old)))
        return self.relative

    def _move(self, identity: tuple[str, str, str], *, source: Path | str | None = None) -> str:
        relative = storage.relative_path(*identity)
        final = storage.move_into_place_text(source or self.temp, relative)
        self.identity, self.relative = identity, relative
        return final

    def durable(self) -> tuple[str, int]:
        """SHA-256 and size, once bytes and name are on disk."""
        return self._job.result()

    def close(self) -> None:
        if self._job is None or self._job.cancel():  # never started: no hashing, no fsync, no open file
            if self._handle is not None:
                self._handle.close()
        elif self._descriptor is not None:
            self._job.exception()  # done with the writer's descriptor before its writer closes it
        if self.relative is None:
            Path(self.temp).unlink(missing_ok=True)  # never moved into place
        elif not self.kept:
            storage.remove(self.relative)


def _ingest(
    temp: Path | str,
    source: str,
    expected_sop: str | None,
    expected_class: str | None,
    digest: tuple[str, int] | None,
    head: bytes | None = None,
    descriptor: int | None = None,
) -> Stored:
    try:
        if check_preamble(temp, head):
            zero_preamble(temp)
            digest = head = descriptor = None  # taken of the bytes as they were
        placement = _Placement(temp, digest, descriptor)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    try:
        head = bytes(head) if head is not None else None
        placement.start(peek_identity(temp, head), alone=_ingesting.count <= 1)
        parsed = parse(
            placement.path,
            expected_sop_instance_uid=expected_sop,
            expected_sop_class_uid=expected_class,
            head=head,
            size=digest[1] if digest is not None else None,
        )
        sop_uid = parsed.uid("SOPInstanceUID")
        existing = None
        if settings.LUMEN_DUPLICATE_POLICY == DuplicatePolicy.REPLACE:
            existing = (
                Instance.objects.select_related("series__study")
                .defer("metadata")
                .filter(sop_instance_uid=sop_uid)
                .first()
            )
        elif _is_indexed(sop_uid):
            # Keep-first and stored before: nothing to index (a copy arriving at this very moment from another
            # sender is caught by the unique index instead).
            first = _first_copy(sop_uid)
            if first is not None:
                return Stored("duplicate", first, first.series.study)
        placement.settle((parsed.uid("StudyInstanceUID"), parsed.uid("SeriesInstanceUID"), sop_uid))
        try:
            stored = _index(parsed, placement, source, existing)
        except CommitNotDurable:
            placement.kept = True  # its row is committed: the file stays with it (the sender is told of a failure)
            raise
        except IntegrityError:
            # A remembered study or series row no longer exists (the check can come at commit): forget it, so
            # the sender's retry of this instance finds or creates the rows afresh.
            forget_known()
            raise
        placement.kept = stored.outcome != "duplicate"
        return stored
    except storage.StorageFull as exc:
        raise Rejected(OUT_OF_RESOURCES, "The image store is full; the instance was not stored.") from exc
    finally:
        placement.close()


def _index(parsed: Parsed, placement: _Placement, source: str, existing) -> Stored:
    sha256, size = placement.durable()
    fields = {
        "series_id": None,  # known once the transaction has found or made the series
        "sop_class_uid": parsed.uid("SOPClassUID"),
        "instance_number": parsed.integer("InstanceNumber"),
        "transfer_syntax_uid": parsed.transfer_syntax_uid,
        "rows": parsed.integer("Rows"),
        "columns": parsed.integer("Columns"),
        "number_of_frames": parsed.integer("NumberOfFrames") or 1,
        "path": placement.relative,
        "size_bytes": size,
        "sha256": sha256,
        "metadata": parsed.metadata,
        "received_from": source[:16],
    }
    insert = None
    if existing is None:
        sop_uid = fields["sop_instance_uid"] = parsed.uid("SOPInstanceUID")
        fields["created_at"] = timezone.now()
        # The statement and its parameters (the metadata as JSON) made ready before the transaction takes the
        # database's write lock, which every other ingest waits for (on SQLite) while it is held.
        insert = _prepared_insert(fields)
    with durable_after_unlock():
        study, created_study = _study_for(parsed)
        series, created_series = _series_for(parsed, study)
        fields["series_id"] = series.pk
        if insert is not None:
            pk = _insert_instance(insert, series.pk)
            if pk is None:
                # Stored before (or by another association a moment ago): keep the first copy.
                instance = _first_copy(sop_uid)
                if instance is None:  # that copy's row was deleted meanwhile: the sender's retry starts again
                    forget_known()
                    raise IntegrityError(f"SOP instance {sop_uid} conflicted with a row that is gone")
                return Stored("duplicate", instance, instance.series.study)
            _count(study, series, size, created_series, +1)
            transaction.on_commit(lambda: _remember(study, series))
            outcome = "stored"
        else:
            instance = Instance.objects.select_for_update().select_related("series__study").get(pk=existing.pk)
            old_path, old_series = instance.path, instance.series
            for name, value in fields.items():
                setattr(instance, name, value)
            instance.series = _series_model(series)
            instance.save()
            if old_series.pk != series.pk:
                _count(old_series.study, old_series, -existing.size_bytes, False, -1)
                _count(study, series, size, created_series, +1)
            transaction.on_commit(lambda: storage.remove(old_path), robust=True)  # never fails the kept copy
            outcome = "replaced"
        if created_study:
            link_study(study)
    if insert is not None:

        def instance() -> Instance:
            built = Instance(pk=pk, **fields)
            built.series = _series_model(series)
            return built

    return Stored(outcome, instance, lambda: _study_model(study), created_study=created_study)


# Study and series rows already known to this process (UID -> row), so each further instance of a series costs no
# look-up. Filled only after a commit, so a rolled-back row is never remembered.
_known_studies: dict[str, int] = {}
_known_series: dict[str, tuple[int, int]] = {}  # series UID -> (series pk, study pk)
_KNOWN_LIMIT = 2000


def _remember(study: Study | _KnownStudy, series: Series | _KnownSeries) -> None:
    if len(_known_series) > _KNOWN_LIMIT:
        _known_studies.clear()
        _known_series.clear()
    _known_studies[study.study_instance_uid] = study.pk
    _known_series[series.series_instance_uid] = (series.pk, study.pk)


def forget_known() -> None:
    """Drop the per-process cache (after reconciliation or deletes change what a UID maps to)."""
    _known_studies.clear()
    _known_series.clear()


def _study_for(parsed: Parsed) -> tuple[Study | _KnownStudy, bool]:
    known = _known_studies.get(parsed.uid("StudyInstanceUID"))
    if known is not None:
        return _KnownStudy(known, parsed.uid("StudyInstanceUID")), False
    defaults = {
        "dicom_patient_id": parsed.text("PatientID", 64),
        "issuer_of_patient_id": parsed.text("IssuerOfPatientID", 64),
        "patient_name": parsed.text("PatientName", 324),
        "patient_birth_date": parsed.text("PatientBirthDate", 8),
        "patient_sex": parsed.text("PatientSex", 16),
        "study_date": parsed.text("StudyDate", 8),
        "study_time": parsed.text("StudyTime", 16),
        "accession_number": parsed.text("AccessionNumber", 16),
        "study_id": parsed.text("StudyID", 16),
        "study_description": parsed.text("StudyDescription", 64),
        "referring_physician_name": parsed.text("ReferringPhysicianName", 324),
    }
    try:
        with transaction.atomic():
            return Study.objects.get_or_create(study_instance_uid=parsed.uid("StudyInstanceUID"), defaults=defaults)
    except IntegrityError:
        return Study.objects.get(study_instance_uid=parsed.uid("StudyInstanceUID")), False


def _series_for(parsed: Parsed, study: Study | _KnownStudy) -> tuple[Series | _KnownSeries, bool]:
    known = _known_series.get(parsed.uid("SeriesInstanceUID"))
    if known is not None and known[1] == study.pk:
        return _KnownSeries(known[0], study.pk, parsed.uid("SeriesInstanceUID")), False
    defaults = {
        "study_id": study.pk,
        "modality": parsed.text("Modality", 16),
        "series_number": parsed.integer("SeriesNumber"),
        "series_description": parsed.text("SeriesDescription", 64),
        "body_part_examined": parsed.text("BodyPartExamined", 16),
        "series_date": parsed.text("SeriesDate", 8),
        "series_time": parsed.text("SeriesTime", 16),
    }
    try:
        with transaction.atomic():
            series, created = Series.objects.get_or_create(
                series_instance_uid=parsed.uid("SeriesInstanceUID"), defaults=defaults
            )
    except IntegrityError:
        series, created = Series.objects.get(series_instance_uid=parsed.uid("SeriesInstanceUID")), False
    if created and series.modality:
        # Rebuilt from the series under the study's row lock: concurrent new series never lose each other's modality.
        Study.objects.select_for_update().filter(pk=study.pk).values_list("pk").first()
        modalities = Series.objects.filter(study_id=study.pk).exclude(modality="").values_list("modality", flat=True)
        Study.objects.filter(pk=study.pk).update(modalities_in_study="\\".join(sorted(set(modalities))))
    return series, created


# The two statements every stored instance runs, in SQL: through the ORM (create() in a savepoint, update() with
# F() expressions) they cost about four times as long, most of an ingest's database time.
def _prepared_insert(values: dict) -> tuple[str, list, int]:
    """The INSERT of the instance row (unless its SOP Instance UID is indexed already) and its parameters, all but
    the series' (``values["series_id"]``), whose place among them is the third item."""
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: each use of the proxy looks it up again
    names = tuple(values)
    sql, fields = _insert_statement(db.vendor, names)
    params = [f.get_db_prep_save(value, db) for f, value in zip(fields, values.values(), strict=True)]
    return sql, params, names.index("series_id")


def _insert_instance(insert: tuple[str, list, int], series_id: int) -> int | None:
    """Run a prepared INSERT for the instance's series; the new row's primary key, or None if it was there."""
    sql, params, series_at = insert
    params[series_at] = series_id
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


@lru_cache(maxsize=8)
def _insert_statement(vendor: str, names: tuple[str, ...]) -> tuple[str, list]:
    """The INSERT for these columns, and their fields (the same few shapes for every instance)."""
    fields = [Instance._meta.get_field(name) for name in names]
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING RETURNING {}".format(
        qn(Instance._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
        qn("sop_instance_uid"),
        qn("id"),
    )
    return sql, fields


def _first_copy(sop_uid: str) -> Instance | None:
    """The stored copy a duplicate is answered with: its identity only (other fields load when read)."""
    fields = ("sop_instance_uid", "sop_class_uid", "series__series_instance_uid", "series__study__study_instance_uid")
    return Instance.objects.select_related("series__study").only(*fields).filter(sop_instance_uid=sop_uid).first()


def _is_indexed(sop_uid: str) -> bool:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {qn(Instance._meta.db_table)} WHERE sop_instance_uid = %s", [sop_uid])
        return cursor.fetchone() is not None


def _count(study, series, size: int, created_series: bool, delta: int) -> None:
    """Count an instance (``delta`` +1 or -1) in its series and study (rows or ``_Known*`` rows)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(Series._meta.db_table)} SET number_of_instances = number_of_instances + %s WHERE id = %s",
            [delta, series.pk],
        )
        cursor.execute(
            f"UPDATE {qn(Study._meta.db_table)} SET number_of_instances = number_of_instances + %s, "
            "number_of_series = number_of_series + %s, size_bytes = size_bytes + %s WHERE id = %s",
            [delta, 1 if created_series else 0, size, study.pk],
        )


def link_study(study: Study) -> None:
    """Link a study to its order (by accession number, checked against the patient ID) or at least its patient.

    A study whose patient ID contradicts its accession's order is kept but linked to nothing (``conflict``),
    so no image reaches the wrong patient's record; staff resolve it in the reconciliation list.
    """
    study = Study.objects.select_for_update().get(pk=study.pk)
    order = (
        Order.objects.select_related("patient").filter(accession_number=study.accession_number).first()
        if study.accession_number
        else None
    )
    issuer = study.issuer_of_patient_id or settings.LUMEN_MRN_ISSUER
    if order is not None:
        patient = order.patient
        same_patient = not study.dicom_patient_id or (
            study.dicom_patient_id == patient.mrn
            and (not study.issuer_of_patient_id or study.issuer_of_patient_id == patient.issuer)
        )
        if same_patient:
            _set_match(study, MatchState.MATCHED, patient=patient, order=order)
            return
        _set_match(
            study,
            MatchState.CONFLICT,
            note=f"Patient ID {study.dicom_patient_id} contradicts order {order.accession_number} "
            f"(patient {patient.mrn}).",
        )
        return
    patient = (
        Patient.objects.active().filter(issuer=issuer, mrn=study.dicom_patient_id).first()
        if study.dicom_patient_id
        else None
    )
    if patient is not None:
        note = (
            f"No order has accession number {study.accession_number}."
            if study.accession_number
            else "No accession number."
        )
        _set_match(study, MatchState.PATIENT_ONLY, patient=patient, note=note)
    else:
        _set_match(study, MatchState.UNMATCHED, note="No patient or order matches the images' identifiers.")


def _set_match(study: Study, state: str, *, patient=None, order=None, note: str = "") -> None:
    study.match_state, study.patient, study.order, study.match_note = state, patient, order, note
    study.save(update_fields=["match_state", "patient", "order", "match_note", "updated_at"])
    if order is not None and order.images_received_at is None:
        Order.objects.filter(pk=order.pk, images_received_at__isnull=True).update(images_received_at=timezone.now())


@transaction.atomic
def reconcile_study(*, study: Study, order: Order, actor, request=None) -> Study:
    """Link a study from the reconciliation list to the right order (and so patient), and make the stored headers
    say so: patient identity and accession number are rewritten in every instance file (queued on commit)."""
    from ris.audit.choices import Action
    from ris.audit.services import record_access

    study = Study.objects.select_for_update().get(pk=study.pk)
    order = Order.objects.select_related("patient").get(pk=order.pk)
    transaction.on_commit(forget_known)
    patient = order.patient
    before = {
        "patient_id": study.dicom_patient_id,
        "accession_number": study.accession_number,
        "state": study.match_state,
    }
    study.dicom_patient_id, study.issuer_of_patient_id = patient.mrn, patient.issuer
    study.patient_name, study.patient_sex = patient.dicom_name, patient.sex
    study.patient_birth_date = patient.birth_date.strftime("%Y%m%d")
    study.accession_number = order.accession_number
    study.save()
    _set_match(study, MatchState.MATCHED, patient=patient, order=order, note=f"Reconciled by {actor}.")
    record_access(
        request=request,
        user=actor,
        action=Action.UPDATE,
        obj=study,
        patient=patient,
        channel="ui" if request is not None else "service",
        detail={"reconciled": True, "before": before, "order": order.accession_number},
    )
    from pacs.tasks import rewrite_study_headers_task

    transaction.on_commit(lambda: rewrite_study_headers_task.delay(study.pk))
    return study


def header_values(study: Study) -> dict[str, str]:
    """The patient and order identity every stored header of the study must carry."""
    return {
        "PatientID": study.dicom_patient_id,
        "IssuerOfPatientID": study.issuer_of_patient_id,
        "PatientName": study.patient_name,
        "PatientBirthDate": study.patient_birth_date,
        "PatientSex": study.patient_sex,
        "AccessionNumber": study.accession_number,
    }


def rewrite_instance_header(instance: Instance, values: dict[str, str]) -> bool:
    """Rewrite one stored file so its header carries ``values``; idempotent (False when already so).

    The new file is written beside the old under a content-derived name, fsynced, indexed, and only then is the
    old file removed: a crash leaves either the old or the new file indexed, never a half-written one.
    """
    from pydicom import dcmread

    from pacs.ingest import parse

    read_path = instance.path
    ds = dcmread(storage.absolute(read_path))
    if all(str(ds.get(k, "")) == v for k, v in values.items()):
        return False
    if not all(v.isascii() for v in values.values()):
        ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8, so names like 山田^太郎 survive the rewrite
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    temp = storage.new_temp_path()
    try:
        ds.save_as(temp, enforce_file_format=True)
        parsed = parse(temp)
        sha256, size = storage.sha256_and_fsync(temp)
        relative = storage.relative_path(
            instance.series.study.study_instance_uid,
            instance.series.series_instance_uid,
            instance.sop_instance_uid,
        )
        with transaction.atomic():
            locked = Instance.objects.select_for_update().get(pk=instance.pk)
            if locked.path != read_path:
                return False  # a newer copy arrived meanwhile; the task runs again over the study
            old = locked.path
            storage.place(temp, relative)
            locked.path, locked.sha256, locked.size_bytes, locked.metadata = relative, sha256, size, parsed.metadata
            locked.save(update_fields=["path", "sha256", "size_bytes", "metadata"])
            transaction.on_commit(lambda: storage.remove(old))
    finally:
        temp.unlink(missing_ok=True)
    return True


def remove_orphans(*, min_age_seconds: int = 3600) -> dict[str, int]:
    """Delete files no index row points at (left by a crash between rename and commit) and stale temporaries.

    Safe beside other writers: only files older than ``min_age_seconds`` (by the file system's own clock, from
    a fresh temporary) are considered, and each is checked against the index again just before it is removed.
    """
    root = storage.root()
    probe = storage.new_temp_path()
    now = probe.stat().st_mtime
    probe.unlink(missing_ok=True)
    removed = {"orphans": 0, "temporaries": 0}

    def old_enough(path: Path) -> bool:
        try:
            return now - path.stat().st_mtime >= min_age_seconds
        except FileNotFoundError:
            return False  # another process renamed or removed it meanwhile

    for path in storage.incoming_dir().iterdir():
        if old_enough(path):
            path.unlink(missing_ok=True)
            removed["temporaries"] += 1
    for path in root.glob("??/??/*/*/*.dcm"):
        relative = path.relative_to(root).as_posix()
        if old_enough(path) and not Instance.objects.filter(path=relative).exists():
            path.unlink(missing_ok=True)
            removed["orphans"] += 1
    return removed
