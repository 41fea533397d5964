from django.db import models


class Action(models.TextChoices):
    """What was done with patient data (after DICOM PS3.15 A.5 / ATNA event types)."""

    VIEW = "view", "Viewed a record"
    SEARCH = "search", "Searched or listed"
    EXPORT = "export", "Exported"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    MERGE = "merge", "Merged patients"
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOGOUT = "logout", "Signed out"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"
