"""Vehicles get the key plate cameras are matched on (flow control's yard events)."""

from django.db import migrations, models


def fill_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Compute the camera key of every existing vehicle; reversing just drops the column."""
    from shipments.validators import ocr_key

    Vehicle = apps.get_model("shipments", "Vehicle")
    for vehicle in Vehicle.objects.only("pk", "plate").iterator():
        Vehicle.objects.filter(pk=vehicle.pk).update(ocr_key=ocr_key(vehicle.plate))


class Migration(migrations.Migration):
    dependencies = [("shipments", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="vehicle",
            name="ocr_key",
            field=models.CharField(
                db_index=True,
                default="",
                editable=False,
                help_text="The plate as a camera reads it, confusable characters merged.",
                max_length=20,
                verbose_name="camera key",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
    ]
