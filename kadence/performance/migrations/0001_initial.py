from django.db import migrations


class Migration(migrations.Migration):
    """The app's first migration: each part's tables come in the migrations after it."""

    initial = True
    dependencies: list[tuple[str, str]] = []
    operations: list[migrations.operations.base.Operation] = []
