from django.db import migrations, models


class Migration(migrations.Migration):
    """Apart from 0007: PostgreSQL builds no index on a table with rows inserted in the same
    transaction whose foreign keys are still to be checked."""

    dependencies = [
        ("analytics", "0007_item_network_level"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="segmentday",
            index=models.Index(
                condition=models.Q(("level", 14)),
                fields=["org", "network", "day"],
                name="segmentday_item_network",
            ),
        ),
        migrations.AddIndex(
            model_name="segmentmonth",
            index=models.Index(
                condition=models.Q(("level", 14)),
                fields=["org", "network", "month"],
                name="segmentmonth_item_network",
            ),
        ),
    ]
