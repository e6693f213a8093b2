"""The yard of an admission decision is required, and a day is decided once per yard and
direction (after 0004 filled the yard of every existing decision)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('flow', '0004_admission_decisions_to_yards'),
    ]

    operations = [
        migrations.AlterField(
            model_name='admissiondecision',
            name='yard',
            field=models.ForeignKey(help_text='The yard held by its count over both directions and all its roads.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='gates.yard', verbose_name='yard'),
        ),
        migrations.AddConstraint(
            model_name='admissiondecision',
            constraint=models.UniqueConstraint(fields=('yard', 'flow', 'day'), name='admission_once_a_day_per_yard'),
        ),
    ]
