"""Every existing admission decision moves to its gate's own yard (the yard admission has always
counted): the non-holding yard without a route, else the gate's first non-holding yard."""

from django.db import migrations


def to_own_yard(apps, schema_editor):
    Decision = apps.get_model("flow", "AdmissionDecision")
    Yard = apps.get_model("gates", "Yard")
    for gate_id in Decision.objects.values_list("gate_id", flat=True).distinct():
        yards = Yard.objects.filter(gate_id=gate_id).exclude(kind="holding_area")
        yard = (
            yards.filter(route__isnull=True).order_by("code").first()
            or yards.order_by("code").first()
        )
        if yard is None:
            raise RuntimeError(
                f"gate {gate_id} has admission decisions but no yard: add its yard first"
            )
        Decision.objects.filter(gate_id=gate_id).update(yard=yard)


class Migration(migrations.Migration):

    dependencies = [
        ('flow', '0003_admission_by_yard'),
    ]

    operations = [
        migrations.RunPython(to_own_yard, migrations.RunPython.noop),
    ]
