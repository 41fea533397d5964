from django.db import models


class ModalityType(models.TextChoices):
    """DICOM modality codes (PS3.3 C.7.3.1.1.1) for the acquisition devices a department books."""

    CT = "CT", "CT"
    MR = "MR", "MR"
    US = "US", "Ultrasound"
    CR = "CR", "Computed radiography"
    DX = "DX", "Digital radiography"
    MG = "MG", "Mammography"
    NM = "NM", "Nuclear medicine"
    PT = "PT", "PET"
    XA = "XA", "Angiography"
    RF = "RF", "Fluoroscopy"
    BMD = "BMD", "Bone densitometry"
    OT = "OT", "Other"


class DicomService(models.TextChoices):
    """DICOM services a registered node may use against Lumen."""

    ECHO = "echo", "Verification (C-ECHO)"
    STORE = "store", "Storage (C-STORE)"
    FIND = "find", "Query (C-FIND)"
    MOVE = "move", "Retrieve (C-MOVE)"
    GET = "get", "Retrieve (C-GET)"
    WORKLIST = "worklist", "Modality worklist"
    MPPS = "mpps", "Performed procedure step (MPPS)"


class MaintenanceKind(models.TextChoices):
    PREVENTIVE = "preventive", "Preventive maintenance"
    REPAIR = "repair", "Repair"
    CALIBRATION = "calibration", "Calibration"
    QA = "qa", "Quality assurance test"
    SOFTWARE = "software", "Software update"
    OTHER = "other", "Other"
