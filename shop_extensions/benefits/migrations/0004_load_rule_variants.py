from django.db import migrations

from shop_extensions.benefits.data.load import migration_forward


class Migration(migrations.Migration):
    """Rule variants missing from 0002 (n above pension age, aa, art 34a lid 1 c / lid 2, art 34b, WW and
    WGA first months, WW stop, Wajong end / max / allowance, Amsterdam's giftendrempel and
    bijverdienpremie) and the reference amounts (minimum wage, referentiemaandloon, asset limits). The
    same idempotent loader as 0002."""

    dependencies = [("benefits", "0003_situation_flags_reference_amounts")]

    operations = [migrations.RunPython(migration_forward, migrations.RunPython.noop)]
