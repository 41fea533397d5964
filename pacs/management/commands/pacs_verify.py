"""``manage.py pacs_verify``: re-hash stored files against the index and report what is missing or changed."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from pacs import storage
from pacs.models import Instance


class Command(BaseCommand):
    help = "Check every stored file (or one study's) against its indexed size and SHA-256; exit 1 on any mismatch."

    def add_arguments(self, parser):
        parser.add_argument("--study", help="Only this Study Instance UID")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, study=None, no_progress=False, **options):
        instances = Instance.objects.only("id", "path", "sha256", "size_bytes", "sop_instance_uid").order_by("id")
        if study:
            instances = instances.filter(series__study__study_instance_uid=study)
        problems = []
        checked = 0
        for instance in tqdm(
            instances.iterator(chunk_size=1000),
            total=instances.count(),
            disable=no_progress,
            unit="file",
            file=self.stderr._out,
        ):
            checked += 1
            path = storage.absolute(instance.path)
            try:
                if path.stat().st_size != instance.size_bytes or storage.sha256_of(path) != instance.sha256:
                    problems.append((instance.sop_instance_uid, "content differs from what was stored"))
            except FileNotFoundError:
                problems.append((instance.sop_instance_uid, "file missing"))
        for sop_uid, problem in problems:
            self.stdout.write(f"{sop_uid}: {problem}")
        self.stdout.write(
            f"Checked {checked} files: {checked - len(problems)} intact, {len(problems)} damaged or missing."
        )
        if problems:
            raise SystemExit(1)
