"""A modality simulator: query Lumen's worklist as a station, then perform the first step over MPPS.

    manage.py simulate_modality --ae-title LUMEN_CT1 [--host 127.0.0.1 --port 11112] [--leave-in-progress]

It speaks DICOM only (pynetdicom): MWL C-FIND for today's steps of its station, N-CREATE IN PROGRESS for the first
one, then N-SET COMPLETED with one performed series. Useful to watch the board change without a real modality.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid
from pynetdicom import AE, evt
from pynetdicom.sop_class import ModalityPerformedProcedureStep, ModalityWorklistInformationFind

from pacs.dicom.network import set_nodelay


def worklist_query(station: str, day: dt.date) -> Dataset:
    step = Dataset()
    step.ScheduledStationAETitle = station
    step.ScheduledProcedureStepStartDate = day.strftime("%Y%m%d")
    step.ScheduledProcedureStepStartTime = ""
    step.ScheduledProcedureStepID = ""
    step.ScheduledProcedureStepDescription = ""
    step.Modality = ""
    ds = Dataset()
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber",
                    "StudyInstanceUID", "RequestedProcedureID", "RequestedProcedureDescription"):  # fmt: skip
        setattr(ds, keyword, "")
    ds.ScheduledProcedureStepSequence = Sequence([step])
    return ds


def performed(item: Dataset, station: str, status: str) -> Dataset:
    now = timezone.localtime()
    ds = Dataset()
    if status == "IN PROGRESS":
        ref = Dataset()
        ref.StudyInstanceUID = item.StudyInstanceUID
        ref.AccessionNumber = item.AccessionNumber
        ref.ScheduledProcedureStepID = item.ScheduledProcedureStepSequence[0].ScheduledProcedureStepID
        ds.ScheduledStepAttributesSequence = Sequence([ref])
        ds.PatientName, ds.PatientID = item.PatientName, item.PatientID
        ds.PerformedStationAETitle = station
        ds.PerformedProcedureStepStartDate, ds.PerformedProcedureStepStartTime = f"{now:%Y%m%d}", f"{now:%H%M%S}"
        ds.Modality = item.ScheduledProcedureStepSequence[0].Modality
    else:
        series = Dataset()
        series.SeriesInstanceUID = generate_uid()
        series.SeriesDescription = "Simulated series"
        series.ReferencedImageSequence = Sequence()
        ds.PerformedSeriesSequence = Sequence([series])
        ds.PerformedProcedureStepEndDate, ds.PerformedProcedureStepEndTime = f"{now:%Y%m%d}", f"{now:%H%M%S}"
    ds.PerformedProcedureStepStatus = status
    return ds


class Command(BaseCommand):
    help = "Query the worklist as a modality, then send MPPS IN PROGRESS and COMPLETED for the first step."

    def add_arguments(self, parser):
        parser.add_argument("--ae-title", required=True, help="The modality's (calling) AE title, e.g. LUMEN_CT1.")
        parser.add_argument("--host", default=settings.LUMEN_DICOM_HOST)
        parser.add_argument("--port", type=int, default=settings.LUMEN_DICOM_PORT)
        parser.add_argument("--called", default=settings.LUMEN_DICOM_AE_TITLE)
        parser.add_argument("--leave-in-progress", action="store_true", help="Send N-CREATE only.")

    def handle(self, *args, ae_title, host, port, called, leave_in_progress, **options):
        ae = AE(ae_title)
        ae.add_requested_context(ModalityWorklistInformationFind)
        ae.add_requested_context(ModalityPerformedProcedureStep)
        assoc = ae.associate(host, port, ae_title=called, evt_handlers=[(evt.EVT_CONN_OPEN, set_nodelay)])
        if not assoc.is_established:
            raise CommandError(f"{called} at {host}:{port} refused the association from {ae_title}.")
        try:
            query = worklist_query(ae_title, timezone.localdate())
            answers = assoc.send_c_find(query, ModalityWorklistInformationFind)
            items = [ds for status, ds in answers if status and status.Status in (0xFF00, 0xFF01)]
            self.stdout.write(f"{len(items)} steps on today's worklist for {ae_title}.")
            if not items:
                return
            item = items[0]
            uid = generate_uid()
            status, _ = assoc.send_n_create(
                performed(item, ae_title, "IN PROGRESS"), ModalityPerformedProcedureStep, uid
            )
            self.stdout.write(f"MPPS IN PROGRESS for {item.AccessionNumber}: status 0x{status.Status:04X}")
            if not leave_in_progress:
                status, _ = assoc.send_n_set(
                    performed(item, ae_title, "COMPLETED"), ModalityPerformedProcedureStep, uid
                )
                self.stdout.write(f"MPPS COMPLETED for {item.AccessionNumber}: status 0x{status.Status:04X}")
        finally:
            assoc.release()
