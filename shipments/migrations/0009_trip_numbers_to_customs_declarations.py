"""One VNACCS customs declaration for many trucks, and many on one truck (issue 22).

Before: a trip had one ``customs_declaration_number`` (unique over all trips) and its
``customs_channel``. After: ``CustomsDeclaration`` rows, each linked to its trips, carrying the
channel. The data migration makes one customs declaration per numbered trip, with the trip's
channel (recorded at the trip's last change, by an unnamed recorder: the old rows did not say
who); the reverse writes each trip's first customs declaration back onto it, and refuses when a
declaration covers several trips or a trip carries several (that could not be stored before).
"""

from django.db import migrations

def trips_to_customs_declarations(apps, schema_editor):
    Declaration = apps.get_model("shipments", "Declaration")
    CustomsDeclaration = apps.get_model("shipments", "CustomsDeclaration")
    Link = apps.get_model("shipments", "CustomsDeclarationTrip")
    rows = Declaration.objects.exclude(customs_declaration_number="").values_list(
        "pk",
        "customs_declaration_number",
        "customs_channel",
        "enterprise_id",
        "created_at",
        "state_changed_at",
    )
    batch: list = []

    def flush() -> None:
        created = CustomsDeclaration.objects.bulk_create(
            CustomsDeclaration(
                number=number,
                enterprise_id=enterprise,
                channel=channel,
                channel_recorded_at=changed if channel else None,
                channel_recorded_by_label="migrated" if channel else "",
                created_at=created_at,
            )
            for _pk, number, channel, enterprise, created_at, changed in batch
        )
        by_number = {cd.number: cd.pk for cd in created if cd.pk is not None}
        if len(by_number) != len(batch):  # backends that return no ids
            by_number = dict(
                CustomsDeclaration.objects.filter(
                    number__in=[row[1] for row in batch]
                ).values_list("number", "pk")
            )
        Link.objects.bulk_create(
            Link(customs_declaration_id=by_number[number], trip_id=pk, added_at=created_at)
            for pk, number, _channel, _enterprise, created_at, _changed in batch
        )
        batch.clear()

    for row in rows.iterator(chunk_size=2000):
        batch.append(row)
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()


def customs_declarations_to_trips(apps, schema_editor):
    Declaration = apps.get_model("shipments", "Declaration")
    Link = apps.get_model("shipments", "CustomsDeclarationTrip")
    from django.db.models import Count

    shared = (
        Link.objects.values("customs_declaration_id").annotate(n=Count("pk")).filter(n__gt=1)
    )
    several = Link.objects.values("trip_id").annotate(n=Count("pk")).filter(n__gt=1)
    if shared.exists() or several.exists():
        raise RuntimeError(
            "Cannot go back: some customs declarations cover several trucks or some trucks "
            "carry several declarations, which the old schema cannot store."
        )
    for trip_id, number, channel in Link.objects.values_list(
        "trip_id", "customs_declaration__number", "customs_declaration__channel"
    ).iterator(chunk_size=2000):
        Declaration.objects.filter(pk=trip_id).update(
            customs_declaration_number=number, customs_channel=channel
        )


class Migration(migrations.Migration):
    dependencies = [("shipments", "0008_customs_declarations")]

    operations = [
        migrations.RunPython(trips_to_customs_declarations, customs_declarations_to_trips),
    ]
