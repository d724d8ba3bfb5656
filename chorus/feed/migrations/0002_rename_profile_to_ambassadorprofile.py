"""`feed.Profile` becomes `feed.AmbassadorProfile` (the account has its own /profile/ page).

The tables keep their names: the model and its three many-to-many tables are pinned to
them first (no change in the database), then the model is renamed; only the column that
points from each many-to-many table to the profile follows the new name."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0001_initial"),
        ("feed", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="profile", table="feed_profile"),
        migrations.AlterField(
            model_name="profile",
            name="interests",
            field=models.ManyToManyField(
                blank=True,
                db_table="feed_profile_interests",
                related_name="interested",
                to="content.topic",
                verbose_name="topics of interest",
            ),
        ),
        migrations.AlterField(
            model_name="profile",
            name="expertise",
            field=models.ManyToManyField(
                blank=True,
                db_table="feed_profile_expertise",
                related_name="experts",
                to="content.topic",
                verbose_name="topics of expertise",
            ),
        ),
        migrations.AlterField(
            model_name="profile",
            name="personas",
            field=models.ManyToManyField(
                blank=True,
                db_table="feed_profile_personas",
                related_name="profiles",
                to="content.persona",
                verbose_name="audiences I reach",
            ),
        ),
        migrations.RenameModel(old_name="Profile", new_name="AmbassadorProfile"),
    ]
