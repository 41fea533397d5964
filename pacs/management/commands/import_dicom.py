"""``manage.py import_dicom PATH...``: bring a legacy archive's files into Lumen through the same ingest as C-STORE.

Resumable: every file handled is written to a journal (one JSON line each) under ``var/imports/``; running the
same command again skips what the journal holds, so an interrupted import continues where it stopped. The
final report covers the whole import: stored, duplicates, rejected (with the reason per file) and studies left
unmatched to an order.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pacs import services
from pacs.ingest import OUT_OF_RESOURCES, Rejected
from pacs.models import Study


def iter_files(paths: list[Path]):
    for path in paths:
        if path.is_file():
            yield path
        else:
            for directory, _dirs, names in os.walk(path):
                for name in sorted(names):
                    yield Path(directory) / name


class Command(BaseCommand):
    help = "Import DICOM files or folder trees (resumable), with a progress bar and a final report."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--journal", type=Path, help="Where to keep progress (default: var/imports/<hash>.jsonl)")
        parser.add_argument("--restart", action="store_true", help="Forget earlier progress and start over")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs)")

    def handle(self, *args, paths, journal, restart, no_progress, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"Not found: {', '.join(missing)}")
        roots = sorted(str(p.resolve()) for p in paths)
        if journal is None:
            key = hashlib.sha256("\n".join(roots).encode()).hexdigest()[:16]
            journal = Path(settings.VAR_DIR) / "imports" / f"{key}.jsonl"
        journal.parent.mkdir(parents=True, exist_ok=True)
        if restart:
            journal.unlink(missing_ok=True)
        done = self._read(journal)
        files = [f for f in iter_files([Path(r) for r in roots]) if str(f) not in done]
        if done:
            self.stdout.write(f"Resuming: {len(done)} files already handled, {len(files)} to go.")
        with (
            open(journal, "a", encoding="utf-8") as log,
            tqdm(total=len(files), unit="file", disable=no_progress, file=self.stderr._out, dynamic_ncols=True) as bar,
        ):
            for path in files:
                entry = self._one(path)
                if entry is None:
                    continue  # a temporary failure: not journaled, so the next run tries the file again
                log.write(json.dumps(entry) + "\n")
                log.flush()
                done[entry["path"]] = entry
                bar.update(1)
        self._report(done)

    def _one(self, path: Path) -> dict | None:
        try:
            stored = services.ingest_file(path, source="IMPORT", owned=False)
        except Rejected as exc:
            if exc.status == OUT_OF_RESOURCES:
                raise CommandError(f"{exc.reason} Free space and run the same command again to continue.") from exc
            return {"path": str(path), "outcome": "rejected", "reason": exc.reason}
        except OSError as exc:
            self.stderr.write(f"Cannot read {path} now ({exc.strerror}); it will be tried again on the next run.")
            return None
        return {"path": str(path), "outcome": stored.outcome, "study": stored.study.study_instance_uid}

    @staticmethod
    def _read(journal: Path) -> dict[str, dict]:
        done: dict[str, dict] = {}
        if journal.exists():
            for line in journal.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interruption: that file is done again
                done[entry["path"]] = entry
        return done

    def _report(self, done: dict[str, dict]) -> None:
        counts = Counter(entry["outcome"] for entry in done.values())
        studies = {entry["study"] for entry in done.values() if "study" in entry}
        unmatched = Study.objects.filter(study_instance_uid__in=studies).awaiting_reconciliation()
        self.stdout.write("Import report")
        self.stdout.write(f"  files handled:         {len(done)}")
        self.stdout.write(f"  stored:                {counts['stored'] + counts['replaced']}")
        self.stdout.write(f"  duplicates (kept one): {counts['duplicate']}")
        self.stdout.write(f"  rejected:              {counts['rejected']}")
        self.stdout.write(f"  studies:               {len(studies)}")
        self.stdout.write(f"  studies not matched to an order: {unmatched.count()} (see the reconciliation list)")
        rejected = [e for e in done.values() if e["outcome"] == "rejected"]
        for entry in rejected[:50]:
            self.stdout.write(f"  rejected {entry['path']}: {entry['reason']}")
        if len(rejected) > 50:
            self.stdout.write(f"  ... and {len(rejected) - 50} more rejected files (all in the journal)")
