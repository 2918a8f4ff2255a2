from django.db import migrations

# Issued statements never change: the database refuses UPDATE and DELETE on them, whoever asks. Shares,
# runs and deliveries (which must change) live in their own tables.
FORWARD = """
CREATE OR REPLACE FUNCTION statements_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'issued statements are immutable: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER statements_statement_immutable
    BEFORE UPDATE OR DELETE ON statements_statement
    FOR EACH ROW EXECUTE FUNCTION statements_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS statements_statement_immutable ON statements_statement;
DROP FUNCTION IF EXISTS statements_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("statements", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
