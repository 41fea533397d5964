from django.db import models


class MatchState(models.TextChoices):
    """How a study relates to the RIS: linked to its order, or waiting in the reconciliation list."""

    MATCHED = "matched", "Linked to its order"
    PATIENT_ONLY = "patient_only", "Patient known, no order"
    UNMATCHED = "unmatched", "No matching patient or order"
    CONFLICT = "conflict", "Contradicts its order"


class NodeService(models.TextChoices):
    """What a registered DICOM node may ask of Lumen."""

    ECHO = "echo", "Verification (C-ECHO)"
    STORE = "store", "Storage (C-STORE)"
    FIND = "find", "Query (C-FIND)"
    MOVE = "move", "Retrieve (C-MOVE)"
    GET = "get", "Retrieve (C-GET)"
    COMMIT = "commit", "Storage commitment"


class DuplicatePolicy(models.TextChoices):
    KEEP_FIRST = "keep_first", "Keep the first copy"
    REPLACE = "replace", "Replace with the newest copy"
