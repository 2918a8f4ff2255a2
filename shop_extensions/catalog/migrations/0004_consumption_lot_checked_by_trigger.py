# A lot consumption's lot is checked per statement by a trigger instead of a per-row foreign-key check, as
# the ledger's sale records are (ledger 0006, ADR 0007): the lots a statement consumes from are locked
# FOR KEY SHARE once each, and a missing one fails the statement (23503). Ledger 0006, which this runs after,
# refuses deleting a lot while a consumption references it (ledger_keeps_lot) and changing a lot's id;
# consumptions' lots never change either.
#
# idempotency_key: unique through a named constraint without the pattern-ops (LIKE) index Django adds for
# unique=True; the one prefix lookup (services._consumptions) comes with order_line_key, whose index serves
# it.

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE FUNCTION catalog_lotconsumption_references_exist() RETURNS trigger AS $$
DECLARE
    lots bigint[];
    lots_found bigint;
    missing bigint;
BEGIN
    SELECT array_agg(DISTINCT i.lot_id) INTO lots FROM inserted i;
    SELECT count(*) INTO lots_found
    FROM (SELECT FROM catalog_productionlot p WHERE p.id = ANY (lots) FOR KEY SHARE) l;
    IF lots_found < cardinality(lots) THEN
        SELECT m INTO missing FROM unnest(lots) m
        WHERE NOT EXISTS (SELECT FROM catalog_productionlot p WHERE p.id = m) LIMIT 1;
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'lot_id', missing, 'catalog_productionlot');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER catalog_lotconsumption_references_exist AFTER INSERT ON catalog_lotconsumption
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION catalog_lotconsumption_references_exist();

CREATE TRIGGER catalog_lotconsumption_keys_kept BEFORE UPDATE ON catalog_lotconsumption
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.lot_id IS DISTINCT FROM NEW.lot_id)
    EXECUTE FUNCTION ledger_refuse_key_change('id', 'lot_id');
"""

BACKWARD = """
DROP TRIGGER catalog_lotconsumption_references_exist ON catalog_lotconsumption;
DROP TRIGGER catalog_lotconsumption_keys_kept ON catalog_lotconsumption;
DROP FUNCTION catalog_lotconsumption_references_exist();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_stock_sync_state"),
        # ledger_reference_missing, ledger_refuse_key_change and the lots' delete guard
        ("ledger", "0006_sale_record_references_checked_by_triggers"),
    ]

    operations = [
        # Installed while the foreign key still stands, so no moment is unguarded (reversed: dropped last).
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AlterField(
            model_name="lotconsumption",
            name="lot",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="consumptions",
                to="catalog.productionlot",
            ),
        ),
        migrations.AlterField(
            model_name="lotconsumption",
            name="idempotency_key",
            field=models.CharField(max_length=300),
        ),
        migrations.AddConstraint(
            model_name="lotconsumption",
            constraint=models.UniqueConstraint(
                fields=("idempotency_key",), name="consumption_idempotency_key_unique"
            ),
        ),
    ]
