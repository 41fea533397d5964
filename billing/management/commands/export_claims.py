"""Export the ready claims as one batch file, for scheduled batch runs (cron, systemd timers)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing import export, services
from billing.choices import ClaimFormat


class Command(BaseCommand):
    help = "Export every ready claim as one X12 837P or CSV file (the claims become exported)."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=ClaimFormat.values)
        parser.add_argument("--out", required=True, help="File to write; written whole or not at all.")
        parser.add_argument("--user", default="", help="Username the access log records (default: none, 'command').")

    def handle(self, *args, **options):
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user {options['user']!r}.")
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"The directory of {out} does not exist.")
        try:
            batch = services.export_claims(actor=actor, format=options["format"], channel="command")
        except services.NothingToExport as exc:
            raise CommandError(exc.messages[0]) from None
        except ValidationError as exc:
            lines = [f"{number}: {problem}" for number, problems in exc.message_dict.items() for problem in problems]
            raise CommandError("Nothing exported; fix these claims first:\n" + "\n".join(lines)) from None
        # Write beside the target and rename, so a reader never sees half a file.
        fd, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
        try:
            with os.fdopen(fd, "w", encoding="ascii" if batch.format == ClaimFormat.X12_837P else "utf-8") as file:
                for chunk in export.render(batch):
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, out)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self.stdout.write(f"Exported {batch.claim_count} claims ({batch.total}) as {batch.filename} to {out}.")
