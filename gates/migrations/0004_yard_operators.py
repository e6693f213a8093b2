"""Yard operators are data (name, tax code, yards): the free-text operator becomes a link."""

import django.db.models.deletion
from django.db import migrations, models
from django.utils.text import slugify


def forwards(apps, schema_editor):
    Yard = apps.get_model("gates", "Yard")
    YardOperator = apps.get_model("gates", "YardOperator")
    for yard in Yard.objects.exclude(operator_name=""):
        name = yard.operator_name.split(" (")[0].strip()
        code = slugify(name)[:40] or f"operator-{yard.pk}"
        operator, _ = YardOperator.objects.get_or_create(
            code=code, defaults={"name": name, "source": "migrated from the yard's operator name"}
        )
        yard.operator = operator
        yard.save(update_fields=["operator"])


class Migration(migrations.Migration):
    dependencies = [("gates", "0003_foreign_hours_and_holding_areas")]

    operations = [
        migrations.CreateModel(
            name="YardOperator",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("source", models.TextField(blank=True, help_text="Where this record's figures come from; 'inferred' marks what is not stated.", verbose_name="source")),
                ("code", models.SlugField(max_length=40, unique=True, verbose_name="code")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                ("tax_code", models.CharField(blank=True, help_text="Empty while not confirmed.", max_length=20, verbose_name="tax code")),
            ],
            options={"verbose_name": "yard operator", "verbose_name_plural": "yard operators", "ordering": ("name",)},
        ),
        migrations.RenameField("yard", "operator", "operator_name"),
        migrations.AddField(
            model_name="yard",
            name="operator",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="yards",
                to="gates.yardoperator",
                verbose_name="operator",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField("yard", "operator_name"),
    ]
