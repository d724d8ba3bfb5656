import django.db.models.deletion
from django.db import migrations, models


def note_months(apps, schema_editor):
    """MemberMonth rows made before had no campaign: note the first day of each of their
    months, so that the worker rebuilds those months (and their MemberMonth rows)."""
    MemberMonth = apps.get_model("analytics", "MemberMonth")
    DirtyDay = apps.get_model("analytics", "DirtyDay")
    months = MemberMonth.objects.values_list("org_id", "month").distinct()
    DirtyDay.objects.bulk_create(
        [DirtyDay(org_id=org_id, day=month) for org_id, month in months],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_rollup_months"),
        ("content", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="membermonth",
            name="campaign",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="content.campaign",
            ),
        ),
        migrations.RunPython(note_months, migrations.RunPython.noop),
    ]
