"""VNACCS channels: the legal channel comes from VNACCS; cuakhau's selectivity only advises.

* ``Clearance.assigned_channel`` becomes ``advised_channel`` (cuakhau's risk advice);
  ``Clearance.channel`` (the legal channel) may be empty until VNACCS's is recorded.
* There is no blue channel in Vietnam: post-clearance audit is a separate process after release.
  Blue clearances become green with ``post_clearance_audit`` set; blue selectivity rules select
  for post-clearance audit (the shipped ``random-blue`` is renamed ``random-post-audit``).
* Selectivity rules that named the old "compliant" class name the three middle levels of
  Circular 81/2019 (high, moderate, low) that it spanned.
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    Clearance = apps.get_model("clearance", "Clearance")
    SelectivityRule = apps.get_model("clearance", "SelectivityRule")
    for rule in SelectivityRule.objects.all():
        changed = False
        if rule.channel == "blue":
            rule.channel = "post_audit"
            if rule.code == "random-blue":
                rule.code = "random-post-audit"
            changed = True
        if "compliant" in (rule.compliance_classes or []):
            classes = [c for c in rule.compliance_classes if c != "compliant"]
            rule.compliance_classes = [*classes, "high", "moderate", "low"]
            changed = True
        if changed:
            rule.save()
    for clearance in Clearance.objects.all().iterator():
        blue = "blue" in (clearance.channel, clearance.advised_channel)
        hits = clearance.explanation or []
        renamed = [
            {**hit, "channel": "post_audit"} if hit.get("channel") == "blue" else hit
            for hit in hits
        ]
        if not blue and renamed == hits:
            continue
        if clearance.channel == "blue":
            clearance.channel = "green"
        if clearance.advised_channel == "blue":
            clearance.advised_channel = "green"
        clearance.post_clearance_audit = clearance.post_clearance_audit or blue
        clearance.explanation = renamed
        clearance.save()


class Migration(migrations.Migration):
    dependencies = [("clearance", "0001_initial")]

    operations = [
        migrations.RenameField("clearance", "assigned_channel", "advised_channel"),
        migrations.AddField(
            model_name="clearance",
            name="post_clearance_audit",
            field=models.BooleanField(
                default=False, verbose_name="advised for post-clearance audit"
            ),
        ),
        migrations.AlterField(
            model_name="clearance",
            name="advised_channel",
            field=models.CharField(
                choices=[
                    ("green", "Green: released"),
                    ("yellow", "Yellow: documents checked"),
                    ("red", "Red: physical inspection"),
                ],
                help_text="What cuakhau's selectivity rules would have chosen: advice, not the channel.",
                max_length=10,
                verbose_name="cuakhau's risk advice",
            ),
        ),
        migrations.AlterField(
            model_name="clearance",
            name="channel",
            field=models.CharField(
                blank=True,
                choices=[
                    ("green", "Green: released"),
                    ("yellow", "Yellow: documents checked"),
                    ("red", "Red: physical inspection"),
                ],
                help_text="The declaration's VNACCS channel; empty while it is not recorded.",
                max_length=10,
                verbose_name="customs channel (VNACCS)",
            ),
        ),
        migrations.AlterField(
            model_name="selectivityrule",
            name="channel",
            field=models.CharField(
                choices=[
                    ("yellow", "Yellow: documents checked"),
                    ("red", "Red: physical inspection"),
                    ("post_audit", "Post-clearance audit (after release)"),
                ],
                max_length=10,
                verbose_name="selects for",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
