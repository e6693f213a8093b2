"""Admission decisions belong to a yard (counted over both directions and every road that waits
in it), no longer to a gate alone. Existing decisions move to their gate's own yard, where
admission has always counted (0004), and the yard becomes required (0005): three migrations,
as PostgreSQL cannot alter or index a table in the transaction that updated its rows
("pending trigger events")."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('flow', '0002_overflow_alerts'),
        ('gates', '0007_yard_capacity_as_of'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='admissiondecision',
            name='admission_once_a_day',
        ),
        migrations.AddField(
            model_name='admissiondecision',
            name='in_yard',
            field=models.PositiveIntegerField(default=0, help_text='Both directions, when the decision was computed.', verbose_name='trucks in the yard'),
        ),
        migrations.AddField(
            model_name='admissiondecision',
            name='yard',
            field=models.ForeignKey(help_text='The yard held by its count over both directions and all its roads.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='gates.yard', verbose_name='yard'),
        ),
    ]
