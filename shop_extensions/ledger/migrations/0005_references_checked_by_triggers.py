# The references between ledger rows written in one transaction (line -> order, allocation -> line,
# entry -> order/line/allocation) are checked per statement, set-based, instead of by PostgreSQL's deferred
# per-row foreign-key checks at commit: each of those took a FOR KEY SHARE lock on a freshly inserted parent
# row, which writes WAL (about 20% of attribution time). See docs/adr/0007-batch-attribution.md.
#
# The guarantee stays that of a foreign key:
# - an insert into a child table fails (23503 foreign_key_violation) if any row of the statement points at a
#   parent row that does not exist; parents written earlier in the transaction are seen. Unlike the deferred
#   foreign keys, the check runs when the statement ends, not at commit: write parents before children.
# - a child's reference never changes (entries refuse every UPDATE already, migration 0002);
# - a parent row is never deleted and its id never changes, so a reference, once checked, stays valid.
# TRUNCATE is not guarded (Django's test flush and the benchmarks empty the tables with it).

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE FUNCTION ledger_reference_missing(child text, col text, missing bigint, parent text) RETURNS void AS $$
BEGIN
    RAISE EXCEPTION '%.% = % has no row in %', child, col, missing, parent
        USING ERRCODE = 'foreign_key_violation', TABLE = child, COLUMN = col,
              CONSTRAINT = child || '_' || col || '_exists';
END;
$$ LANGUAGE plpgsql;

-- After each INSERT statement: one anti-join per reference over the rows it inserted. OFFSET 0 keeps each
-- lookup a probe of the parent's primary key: PL/pgSQL keeps the plan of its first call, and a hash join over
-- the whole parent table (cheaper for a big first batch into a small table) would be kept for later
-- one-row inserts into a big one.
CREATE FUNCTION ledger_saleline_references_exist() RETURNS trigger AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT i.order_id INTO missing FROM inserted i
    WHERE NOT EXISTS (SELECT FROM ledger_saleorder p WHERE p.id = i.order_id OFFSET 0) LIMIT 1;
    IF FOUND THEN
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'order_id', missing, 'ledger_saleorder');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION ledger_allocation_references_exist() RETURNS trigger AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT i.line_id INTO missing FROM inserted i
    WHERE NOT EXISTS (SELECT FROM ledger_saleline p WHERE p.id = i.line_id OFFSET 0) LIMIT 1;
    IF FOUND THEN
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'line_id', missing, 'ledger_saleline');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION ledger_earningentry_references_exist() RETURNS trigger AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT i.order_id INTO missing FROM inserted i
    WHERE i.order_id IS NOT NULL
      AND NOT EXISTS (SELECT FROM ledger_saleorder p WHERE p.id = i.order_id OFFSET 0) LIMIT 1;
    IF FOUND THEN
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'order_id', missing, 'ledger_saleorder');
    END IF;
    SELECT i.line_id INTO missing FROM inserted i
    WHERE i.line_id IS NOT NULL
      AND NOT EXISTS (SELECT FROM ledger_saleline p WHERE p.id = i.line_id OFFSET 0) LIMIT 1;
    IF FOUND THEN
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'line_id', missing, 'ledger_saleline');
    END IF;
    SELECT i.allocation_id INTO missing FROM inserted i
    WHERE i.allocation_id IS NOT NULL
      AND NOT EXISTS (SELECT FROM ledger_allocation p WHERE p.id = i.allocation_id OFFSET 0) LIMIT 1;
    IF FOUND THEN
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'allocation_id', missing, 'ledger_allocation');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_saleline_references_exist AFTER INSERT ON ledger_saleline
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger_saleline_references_exist();
CREATE TRIGGER ledger_allocation_references_exist AFTER INSERT ON ledger_allocation
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger_allocation_references_exist();
CREATE TRIGGER ledger_earningentry_references_exist AFTER INSERT ON ledger_earningentry
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger_earningentry_references_exist();

-- Called only when the trigger's WHEN clause saw one of the columns named in its arguments change.
CREATE FUNCTION ledger_refuse_key_change() RETURNS trigger AS $$
DECLARE
    col text;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF to_jsonb(OLD) -> col IS DISTINCT FROM to_jsonb(NEW) -> col THEN
            RAISE EXCEPTION '%.% of row % is kept: changing it to % refused',
                    TG_TABLE_NAME, col, OLD.id, to_jsonb(NEW) ->> col
                USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = col;
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_saleorder_keys_kept BEFORE UPDATE ON ledger_saleorder
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION ledger_refuse_key_change('id');
CREATE TRIGGER ledger_saleline_keys_kept BEFORE UPDATE ON ledger_saleline
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.order_id IS DISTINCT FROM NEW.order_id)
    EXECUTE FUNCTION ledger_refuse_key_change('id', 'order_id');
CREATE TRIGGER ledger_allocation_keys_kept BEFORE UPDATE ON ledger_allocation
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.line_id IS DISTINCT FROM NEW.line_id)
    EXECUTE FUNCTION ledger_refuse_key_change('id', 'line_id');

CREATE FUNCTION ledger_refuse_sale_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'sale records are kept for the ledger: DELETE of % row % refused', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'integrity_constraint_violation', TABLE = TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_saleorder_kept BEFORE DELETE ON ledger_saleorder
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_sale_delete();
CREATE TRIGGER ledger_saleline_kept BEFORE DELETE ON ledger_saleline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_sale_delete();
CREATE TRIGGER ledger_allocation_kept BEFORE DELETE ON ledger_allocation
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_sale_delete();
"""

BACKWARD = """
DROP TRIGGER ledger_saleline_references_exist ON ledger_saleline;
DROP TRIGGER ledger_allocation_references_exist ON ledger_allocation;
DROP TRIGGER ledger_earningentry_references_exist ON ledger_earningentry;
DROP TRIGGER ledger_saleorder_keys_kept ON ledger_saleorder;
DROP TRIGGER ledger_saleline_keys_kept ON ledger_saleline;
DROP TRIGGER ledger_allocation_keys_kept ON ledger_allocation;
DROP TRIGGER ledger_saleorder_kept ON ledger_saleorder;
DROP TRIGGER ledger_saleline_kept ON ledger_saleline;
DROP TRIGGER ledger_allocation_kept ON ledger_allocation;
DROP FUNCTION ledger_saleline_references_exist();
DROP FUNCTION ledger_allocation_references_exist();
DROP FUNCTION ledger_earningentry_references_exist();
DROP FUNCTION ledger_reference_missing(text, text, bigint, text);
DROP FUNCTION ledger_refuse_key_change();
DROP FUNCTION ledger_refuse_sale_delete();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_entry_indexes_without_duplicates"),
    ]

    operations = [
        migrations.AlterField(
            model_name="allocation",
            name="line",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="allocations",
                to="ledger.saleline",
            ),
        ),
        migrations.AlterField(
            model_name="earningentry",
            name="allocation",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="ledger.allocation",
            ),
        ),
        migrations.AlterField(
            model_name="earningentry",
            name="line",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="ledger.saleline",
            ),
        ),
        migrations.AlterField(
            model_name="earningentry",
            name="order",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="ledger.saleorder",
            ),
        ),
        migrations.AlterField(
            model_name="saleline",
            name="order",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="ledger.saleorder",
            ),
        ),
        # After the foreign keys are gone: installs the checks that replace them (reversed: dropped first).
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
