"""The trip's own customs number and channel go: they live on CustomsDeclaration (0008, 0009)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shipments", "0009_trip_numbers_to_customs_declarations")]

    operations = [
        migrations.RemoveConstraint(
            model_name='declaration',
            name='decl_unique_customs_number',
        ),
        migrations.RemoveConstraint(
            model_name='declaration',
            name='decl_channel_has_number',
        ),
        migrations.RemoveField(
            model_name='declaration',
            name='customs_channel',
        ),
        migrations.RemoveField(
            model_name='declaration',
            name='customs_declaration_number',
        ),
    ]
