from django.core.management.base import BaseCommand

from reporting import services


class Command(BaseCommand):
    help = "Escalate critical results not acknowledged in time (for cron, where celery beat does not run)."

    def handle(self, *args, **options):
        count = services.escalate_critical_results()
        self.stdout.write(f"{count} critical result(s) escalated.")
