"""``manage.py dicom_node add|list|remove``: the DICOM nodes allowed to talk to Lumen."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pacs.choices import NodeService
from pacs.models import DicomNode
from ris.equipment.models import Modality


class Command(BaseCommand):
    help = "Add, list or remove registered DICOM nodes (AE title, host, port, allowed services)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add", "list", "remove"])
        parser.add_argument("--ae-title")
        parser.add_argument("--host")
        parser.add_argument("--port", type=int, default=104)
        parser.add_argument("--allow", default="echo", help=f"Comma-separated: {','.join(NodeService.values)}")
        parser.add_argument("--description", default="")

    def handle(self, *args, action, **options):
        if action == "list":
            return self._list()
        if not options["ae_title"]:
            raise CommandError("--ae-title is required")
        if action == "remove":
            deleted, _ = DicomNode.objects.filter(ae_title=options["ae_title"]).delete()
            if not deleted:
                raise CommandError(f"No DICOM node has the AE title {options['ae_title']!r}.")
            self.stdout.write(f"Removed {options['ae_title']}.")
            return None
        if not options["host"]:
            raise CommandError("--host is required")
        services = [s.strip() for s in options["allow"].split(",") if s.strip()]
        node = DicomNode.objects.filter(ae_title=options["ae_title"]).first() or DicomNode(ae_title=options["ae_title"])
        node.host, node.port, node.services, node.description = (
            options["host"],
            options["port"],
            services,
            options["description"],
        )
        try:
            node.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        node.save()
        self.stdout.write(
            f"Saved {node.ae_title} {node.host}:{node.port} allowed: {', '.join(node.services) or 'nothing'}"
        )
        return None

    def _list(self):
        self.stdout.write(f"{'AE title':<17} {'host':<24} {'port':>5}  allowed")
        for node in DicomNode.objects.all():
            self.stdout.write(f"{node.ae_title:<17} {node.host:<24} {node.port:>5}  {','.join(node.services)}")
        for modality in Modality.objects.active():
            self.stdout.write(
                f"{modality.ae_title:<17} {modality.host:<24} {modality.port:>5}  {','.join(modality.services)} (modality)"
            )
