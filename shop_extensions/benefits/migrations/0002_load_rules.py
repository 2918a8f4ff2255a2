from django.db import migrations

from shop_extensions.benefits.data.load import migration_forward


class Migration(migrations.Migration):
    """Benefit rules and bijstand norms 2024-01-01 onwards. Later amounts: edit data/rules.py and add a
    migration with the same RunPython (the load is an idempotent upsert)."""

    dependencies = [("benefits", "0001_initial")]

    operations = [migrations.RunPython(migration_forward, migrations.RunPython.noop)]
