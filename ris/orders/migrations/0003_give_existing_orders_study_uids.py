"""Orders entered before Study Instance UIDs were assigned at entry get one now (UUID-derived, PS3.5 B.2)."""

from django.db import migrations
from pydicom.uid import generate_uid


def assign(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.filter(study_instance_uid__isnull=True).only("pk").iterator():
        Order.objects.filter(pk=order.pk).update(study_instance_uid=generate_uid(prefix=None))


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_study_uid_and_performed_details")]

    operations = [migrations.RunPython(assign, migrations.RunPython.noop)]
