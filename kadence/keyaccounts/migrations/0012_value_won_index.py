"""A covering index for our revenue per account over a window (kadence.keyaccounts.revenue): the won deals
by close date with the account and amount, so that a year's revenue of every account is an index-only
scan. PostgreSQL only (SQLite has no INCLUDE); named kam_* so that it is clearly this app's."""

from django.db import migrations


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql" and "pipeline_opportunity" in connection.introspection.table_names():
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS kam_opp_won_account ON pipeline_opportunity (closed_on) "
            "INCLUDE (account_id, amount) WHERE status = 'won'"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS kam_opp_won_account")


class Migration(migrations.Migration):
    dependencies = [("keyaccounts", "0011_value")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
