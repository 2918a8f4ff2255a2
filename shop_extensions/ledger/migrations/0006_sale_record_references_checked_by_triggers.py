# The sale records' references to rows outside the ledger (order -> installation and initiative, line -> rule,
# allocation -> maker, lot and rule) and allocation -> the allocation it resolves are checked per statement,
# set-based, like those of migration 0005, instead of by PostgreSQL's per-row foreign-key checks (an SPI query
# and a row lock each, ~15 per order line). Lot consumptions follow in catalog 0004. ADR 0007.
#
# Unlike ledger rows, these parents can be deleted (the admin deletes installations and initiatives nothing
# protects), so the guarantee of a foreign key is kept under concurrency too:
# - an insert locks the distinct parents its statement references FOR KEY SHARE, as a foreign key's check does
#   but once per parent instead of once per row, and fails (23503) when any is missing: a parent deleted by a
#   transaction that committed first is not found, one being deleted is waited for;
# - a parent's DELETE fails (23503) while a sale record references it. One that has to wait for an inserter's
#   lock sees the inserted rows once it may go on: under READ COMMITTED each query of the trigger takes a new
#   snapshot. Under REPEATABLE READ or SERIALIZABLE the transaction's snapshot would not see them (a foreign
#   key re-checks with a fresh snapshot, which PL/pgSQL cannot), so there such a DELETE is refused (0A000);
# - sale records' references never change, except an order's initiative (set when its lines are attributed:
#   checked like an insert whenever it changes), and neither do the parents' ids.
# TRUNCATE is not guarded (Django's test flush and the benchmarks empty the tables with it).

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
-- After each INSERT statement: the distinct parents outside the ledger, locked FOR KEY SHARE in one
-- statement, then counted against the distinct ids; only a shortfall looks for the missing id. The line,
-- order and resolved allocation are ledger rows, never deleted: an existence check is enough for them.
CREATE FUNCTION ledger_saleorder_references_exist() RETURNS trigger AS $$
DECLARE
    installations bigint[];
    initiatives bigint[];
    installations_found bigint;
    initiatives_found bigint;
    missing bigint;
BEGIN
    SELECT array_agg(DISTINCT i.installation_id),
           array_agg(DISTINCT i.initiative_id) FILTER (WHERE i.initiative_id IS NOT NULL)
      INTO installations, initiatives FROM inserted i;
    SELECT (SELECT count(*) FROM (SELECT FROM saleor_app_installation p WHERE p.id = ANY (installations)
                                  FOR KEY SHARE) l),
           (SELECT count(*) FROM (SELECT FROM makers_initiative p WHERE p.id = ANY (initiatives)
                                  FOR KEY SHARE) l)
      INTO installations_found, initiatives_found;
    IF installations_found < cardinality(installations) THEN
        SELECT m INTO missing FROM unnest(installations) m
        WHERE NOT EXISTS (SELECT FROM saleor_app_installation p WHERE p.id = m) LIMIT 1;
        PERFORM ledger_reference_missing(
            TG_TABLE_NAME, 'installation_id', missing, 'saleor_app_installation');
    END IF;
    IF initiatives_found < cardinality(initiatives) THEN
        SELECT m INTO missing FROM unnest(initiatives) m
        WHERE NOT EXISTS (SELECT FROM makers_initiative p WHERE p.id = m) LIMIT 1;
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'initiative_id', missing, 'makers_initiative');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_saleline_references_exist() RETURNS trigger AS $$
DECLARE
    rules bigint[];
    rules_found bigint;
    missing bigint;
BEGIN
    SELECT i.order_id INTO missing FROM inserted i
    WHERE NOT EXISTS (SELECT FROM ledger_saleorder p WHERE p.id = i.order_id OFFSET 0) LIMIT 1;
    IF FOUND THEN
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'order_id', missing, 'ledger_saleorder');
    END IF;
    SELECT array_agg(DISTINCT i.rule_id) FILTER (WHERE i.rule_id IS NOT NULL) INTO rules FROM inserted i;
    SELECT count(*) INTO rules_found
    FROM (SELECT FROM catalog_attributionrule p WHERE p.id = ANY (rules) FOR KEY SHARE) l;
    IF rules_found < cardinality(rules) THEN
        SELECT m INTO missing FROM unnest(rules) m
        WHERE NOT EXISTS (SELECT FROM catalog_attributionrule p WHERE p.id = m) LIMIT 1;
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'rule_id', missing, 'catalog_attributionrule');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_allocation_references_exist() RETURNS trigger AS $$
DECLARE
    makers bigint[];
    lots bigint[];
    rules bigint[];
    resolved bigint[];
    makers_found bigint;
    lots_found bigint;
    rules_found bigint;
    resolved_found bigint;
    missing bigint;
BEGIN
    SELECT i.line_id INTO missing FROM inserted i
    WHERE NOT EXISTS (SELECT FROM ledger_saleline p WHERE p.id = i.line_id OFFSET 0) LIMIT 1;
    IF FOUND THEN
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'line_id', missing, 'ledger_saleline');
    END IF;
    SELECT array_agg(DISTINCT i.maker_id) FILTER (WHERE i.maker_id IS NOT NULL),
           array_agg(DISTINCT i.lot_id) FILTER (WHERE i.lot_id IS NOT NULL),
           array_agg(DISTINCT i.rule_id) FILTER (WHERE i.rule_id IS NOT NULL),
           array_agg(DISTINCT i.resolves_id) FILTER (WHERE i.resolves_id IS NOT NULL)
      INTO makers, lots, rules, resolved FROM inserted i;
    SELECT (SELECT count(*) FROM (SELECT FROM makers_maker p WHERE p.id = ANY (makers) FOR KEY SHARE) l),
           (SELECT count(*) FROM (SELECT FROM catalog_productionlot p WHERE p.id = ANY (lots)
                                  FOR KEY SHARE) l),
           (SELECT count(*) FROM (SELECT FROM catalog_attributionrule p WHERE p.id = ANY (rules)
                                  FOR KEY SHARE) l),
           (SELECT count(*) FROM ledger_allocation p WHERE p.id = ANY (resolved))
      INTO makers_found, lots_found, rules_found, resolved_found;
    IF makers_found < cardinality(makers) THEN
        SELECT m INTO missing FROM unnest(makers) m
        WHERE NOT EXISTS (SELECT FROM makers_maker p WHERE p.id = m) LIMIT 1;
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'maker_id', missing, 'makers_maker');
    END IF;
    IF lots_found < cardinality(lots) THEN
        SELECT m INTO missing FROM unnest(lots) m
        WHERE NOT EXISTS (SELECT FROM catalog_productionlot p WHERE p.id = m) LIMIT 1;
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'lot_id', missing, 'catalog_productionlot');
    END IF;
    IF rules_found < cardinality(rules) THEN
        SELECT m INTO missing FROM unnest(rules) m
        WHERE NOT EXISTS (SELECT FROM catalog_attributionrule p WHERE p.id = m) LIMIT 1;
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'rule_id', missing, 'catalog_attributionrule');
    END IF;
    IF resolved_found < cardinality(resolved) THEN
        SELECT m INTO missing FROM unnest(resolved) m
        WHERE NOT EXISTS (SELECT FROM ledger_allocation p WHERE p.id = m) LIMIT 1;
        PERFORM ledger_reference_missing(TG_TABLE_NAME, 'resolves_id', missing, 'ledger_allocation');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_saleorder_references_exist AFTER INSERT ON ledger_saleorder
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger_saleorder_references_exist();

-- An order's initiative is set when its lines are first attributed (services._orders_save): checked as a
-- foreign key checks an update, for that row only and only when it changed.
CREATE FUNCTION ledger_saleorder_initiative_exists() RETURNS trigger AS $$
BEGIN
    PERFORM FROM makers_initiative p WHERE p.id = NEW.initiative_id FOR KEY SHARE;
    IF NOT FOUND THEN
        PERFORM ledger_reference_missing(
            TG_TABLE_NAME, 'initiative_id', NEW.initiative_id, 'makers_initiative');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_saleorder_initiative_exists AFTER UPDATE OF initiative_id ON ledger_saleorder
    FOR EACH ROW WHEN (NEW.initiative_id IS NOT NULL AND OLD.initiative_id IS DISTINCT FROM NEW.initiative_id)
    EXECUTE FUNCTION ledger_saleorder_initiative_exists();

-- The other references never change (recorded at sale time), nor do ids.
DROP TRIGGER ledger_saleorder_keys_kept ON ledger_saleorder;
CREATE TRIGGER ledger_saleorder_keys_kept BEFORE UPDATE ON ledger_saleorder
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id
                       OR OLD.installation_id IS DISTINCT FROM NEW.installation_id)
    EXECUTE FUNCTION ledger_refuse_key_change('id', 'installation_id');
DROP TRIGGER ledger_saleline_keys_kept ON ledger_saleline;
CREATE TRIGGER ledger_saleline_keys_kept BEFORE UPDATE ON ledger_saleline
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.order_id IS DISTINCT FROM NEW.order_id
                       OR OLD.rule_id IS DISTINCT FROM NEW.rule_id)
    EXECUTE FUNCTION ledger_refuse_key_change('id', 'order_id', 'rule_id');
DROP TRIGGER ledger_allocation_keys_kept ON ledger_allocation;
CREATE TRIGGER ledger_allocation_keys_kept BEFORE UPDATE ON ledger_allocation
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.line_id IS DISTINCT FROM NEW.line_id
                       OR OLD.maker_id IS DISTINCT FROM NEW.maker_id OR OLD.lot_id IS DISTINCT FROM NEW.lot_id
                       OR OLD.rule_id IS DISTINCT FROM NEW.rule_id
                       OR OLD.resolves_id IS DISTINCT FROM NEW.resolves_id)
    EXECUTE FUNCTION ledger_refuse_key_change(
        'id', 'line_id', 'maker_id', 'lot_id', 'rule_id', 'resolves_id');

-- Parents outside the ledger: a DELETE is refused while a sale record references the row.
CREATE FUNCTION ledger_reference_kept(parent text, kept bigint, child text, col text) RETURNS void AS $$
BEGIN
    RAISE EXCEPTION 'DELETE of % row % refused: %.% references it', parent, kept, child, col
        USING ERRCODE = 'foreign_key_violation', TABLE = child, COLUMN = col,
              CONSTRAINT = child || '_' || col || '_exists';
END;
$$ LANGUAGE plpgsql;

-- Called when the checks above found no reference. Under REPEATABLE READ or SERIALIZABLE they read the
-- transaction's snapshot, which misses references committed since it was taken (a foreign key re-checks with
-- the newest snapshot; PL/pgSQL cannot), so there the DELETE is refused.
CREATE FUNCTION ledger_reference_check_sees_commits(parent text, kept bigint) RETURNS void AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'DELETE of % row % refused under %: sale records may reference it (delete under %)',
                parent, kept, upper(current_setting('transaction_isolation')), 'READ COMMITTED'
            USING ERRCODE = 'feature_not_supported', TABLE = parent;
    END IF;
END;
$$ LANGUAGE plpgsql;

-- One EXISTS per child column, through its index (enable_seqscan off): the plan PL/pgSQL keeps is made for
-- an average parent, and for a parent most rows reference (one installation has all the orders) that is a
-- sequential scan expecting an early match, which reads the whole table for a parent nothing references.
CREATE FUNCTION ledger_keeps_installation() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT FROM ledger_saleorder c WHERE c.installation_id = OLD.id) THEN
        PERFORM ledger_reference_kept(TG_TABLE_NAME, OLD.id, 'ledger_saleorder', 'installation_id');
    END IF;
    PERFORM ledger_reference_check_sees_commits(TG_TABLE_NAME, OLD.id);
    RETURN OLD;
END;
$$ LANGUAGE plpgsql SET enable_seqscan = off;

CREATE FUNCTION ledger_keeps_initiative() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT FROM ledger_saleorder c WHERE c.initiative_id = OLD.id) THEN
        PERFORM ledger_reference_kept(TG_TABLE_NAME, OLD.id, 'ledger_saleorder', 'initiative_id');
    END IF;
    PERFORM ledger_reference_check_sees_commits(TG_TABLE_NAME, OLD.id);
    RETURN OLD;
END;
$$ LANGUAGE plpgsql SET enable_seqscan = off;

CREATE FUNCTION ledger_keeps_maker() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT FROM ledger_allocation c WHERE c.maker_id = OLD.id) THEN
        PERFORM ledger_reference_kept(TG_TABLE_NAME, OLD.id, 'ledger_allocation', 'maker_id');
    END IF;
    PERFORM ledger_reference_check_sees_commits(TG_TABLE_NAME, OLD.id);
    RETURN OLD;
END;
$$ LANGUAGE plpgsql SET enable_seqscan = off;

CREATE FUNCTION ledger_keeps_rule() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT FROM ledger_saleline c WHERE c.rule_id = OLD.id) THEN
        PERFORM ledger_reference_kept(TG_TABLE_NAME, OLD.id, 'ledger_saleline', 'rule_id');
    END IF;
    IF EXISTS (SELECT FROM ledger_allocation c WHERE c.rule_id = OLD.id) THEN
        PERFORM ledger_reference_kept(TG_TABLE_NAME, OLD.id, 'ledger_allocation', 'rule_id');
    END IF;
    PERFORM ledger_reference_check_sees_commits(TG_TABLE_NAME, OLD.id);
    RETURN OLD;
END;
$$ LANGUAGE plpgsql SET enable_seqscan = off;

-- Lot consumptions (catalog) reference lots too: their foreign key goes in catalog 0004, which runs after
-- this one.
CREATE FUNCTION ledger_keeps_lot() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT FROM ledger_allocation c WHERE c.lot_id = OLD.id) THEN
        PERFORM ledger_reference_kept(TG_TABLE_NAME, OLD.id, 'ledger_allocation', 'lot_id');
    END IF;
    IF EXISTS (SELECT FROM catalog_lotconsumption c WHERE c.lot_id = OLD.id) THEN
        PERFORM ledger_reference_kept(TG_TABLE_NAME, OLD.id, 'catalog_lotconsumption', 'lot_id');
    END IF;
    PERFORM ledger_reference_check_sees_commits(TG_TABLE_NAME, OLD.id);
    RETURN OLD;
END;
$$ LANGUAGE plpgsql SET enable_seqscan = off;

CREATE TRIGGER ledger_keeps_installation BEFORE DELETE ON saleor_app_installation
    FOR EACH ROW EXECUTE FUNCTION ledger_keeps_installation();
CREATE TRIGGER ledger_keeps_initiative BEFORE DELETE ON makers_initiative
    FOR EACH ROW EXECUTE FUNCTION ledger_keeps_initiative();
CREATE TRIGGER ledger_keeps_maker BEFORE DELETE ON makers_maker
    FOR EACH ROW EXECUTE FUNCTION ledger_keeps_maker();
CREATE TRIGGER ledger_keeps_rule BEFORE DELETE ON catalog_attributionrule
    FOR EACH ROW EXECUTE FUNCTION ledger_keeps_rule();
CREATE TRIGGER ledger_keeps_lot BEFORE DELETE ON catalog_productionlot
    FOR EACH ROW EXECUTE FUNCTION ledger_keeps_lot();

CREATE TRIGGER ledger_keeps_installation_id BEFORE UPDATE ON saleor_app_installation
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION ledger_refuse_key_change('id');
CREATE TRIGGER ledger_keeps_initiative_id BEFORE UPDATE ON makers_initiative
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION ledger_refuse_key_change('id');
CREATE TRIGGER ledger_keeps_maker_id BEFORE UPDATE ON makers_maker
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION ledger_refuse_key_change('id');
CREATE TRIGGER ledger_keeps_rule_id BEFORE UPDATE ON catalog_attributionrule
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION ledger_refuse_key_change('id');
CREATE TRIGGER ledger_keeps_lot_id BEFORE UPDATE ON catalog_productionlot
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION ledger_refuse_key_change('id');
"""

# Migration 0005's checks of lines and allocations and its key triggers, as they were.
BACKWARD = """
DROP TRIGGER ledger_keeps_installation ON saleor_app_installation;
DROP TRIGGER ledger_keeps_initiative ON makers_initiative;
DROP TRIGGER ledger_keeps_maker ON makers_maker;
DROP TRIGGER ledger_keeps_rule ON catalog_attributionrule;
DROP TRIGGER ledger_keeps_lot ON catalog_productionlot;
DROP TRIGGER ledger_keeps_installation_id ON saleor_app_installation;
DROP TRIGGER ledger_keeps_initiative_id ON makers_initiative;
DROP TRIGGER ledger_keeps_maker_id ON makers_maker;
DROP TRIGGER ledger_keeps_rule_id ON catalog_attributionrule;
DROP TRIGGER ledger_keeps_lot_id ON catalog_productionlot;
DROP FUNCTION ledger_keeps_installation();
DROP FUNCTION ledger_keeps_initiative();
DROP FUNCTION ledger_keeps_maker();
DROP FUNCTION ledger_keeps_rule();
DROP FUNCTION ledger_keeps_lot();
DROP FUNCTION ledger_reference_kept(text, bigint, text, text);
DROP FUNCTION ledger_reference_check_sees_commits(text, bigint);

DROP TRIGGER ledger_saleorder_references_exist ON ledger_saleorder;
DROP FUNCTION ledger_saleorder_references_exist();
DROP TRIGGER ledger_saleorder_initiative_exists ON ledger_saleorder;
DROP FUNCTION ledger_saleorder_initiative_exists();

DROP TRIGGER ledger_saleorder_keys_kept ON ledger_saleorder;
CREATE TRIGGER ledger_saleorder_keys_kept BEFORE UPDATE ON ledger_saleorder
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION ledger_refuse_key_change('id');
DROP TRIGGER ledger_saleline_keys_kept ON ledger_saleline;
CREATE TRIGGER ledger_saleline_keys_kept BEFORE UPDATE ON ledger_saleline
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.order_id IS DISTINCT FROM NEW.order_id)
    EXECUTE FUNCTION ledger_refuse_key_change('id', 'order_id');
DROP TRIGGER ledger_allocation_keys_kept ON ledger_allocation;
CREATE TRIGGER ledger_allocation_keys_kept BEFORE UPDATE ON ledger_allocation
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.line_id IS DISTINCT FROM NEW.line_id)
    EXECUTE FUNCTION ledger_refuse_key_change('id', 'line_id');

CREATE OR REPLACE FUNCTION ledger_saleline_references_exist() RETURNS trigger AS $$
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

CREATE OR REPLACE FUNCTION ledger_allocation_references_exist() RETURNS trigger AS $$
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
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_stock_sync_state"),
        ("ledger", "0005_references_checked_by_triggers"),
        ("makers", "0002_initiative_return_refunded_pieces"),
        ("saleor_app", "0001_initial"),
    ]

    operations = [
        # Installed while the foreign keys still stand, so no moment is unguarded (reversed: dropped last).
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AlterField(
            model_name="allocation",
            name="lot",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="catalog.productionlot",
            ),
        ),
        migrations.AlterField(
            model_name="allocation",
            name="maker",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="makers.maker",
            ),
        ),
        migrations.AlterField(
            model_name="allocation",
            name="resolves",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="resolved_by",
                to="ledger.allocation",
            ),
        ),
        migrations.AlterField(
            model_name="allocation",
            name="rule",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="catalog.attributionrule",
            ),
        ),
        migrations.AlterField(
            model_name="saleline",
            name="order",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="ledger.saleorder",
            ),
        ),
        migrations.AlterField(
            model_name="saleline",
            name="rule",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="catalog.attributionrule",
            ),
        ),
        migrations.AlterField(
            model_name="saleorder",
            name="initiative",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="makers.initiative",
            ),
        ),
        migrations.AlterField(
            model_name="saleorder",
            name="installation",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                to="saleor_app.installation",
            ),
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(
                condition=models.Q(("lot__isnull", False)), fields=["lot"], name="allocation_lot_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(
                condition=models.Q(("rule__isnull", False)), fields=["rule"], name="allocation_rule_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(
                condition=models.Q(("resolves__isnull", False)),
                fields=["resolves"],
                name="allocation_resolves_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="saleline",
            index=models.Index(
                condition=models.Q(("rule__isnull", False)), fields=["rule"], name="sale_line_rule_idx"
            ),
        ),
    ]
