"""The database's own guard on the ledger (PostgreSQL): ledger entries can be inserted, never
updated or deleted, whatever client talks to the database. The ORM refuses too
(loyalty.models.ledger); this catches raw SQL and other programs.

TRUNCATE is left alone (it fires no row trigger): the test database is emptied that way.

For a migration:

    migrations.RunPython(ledger_guard_install, ledger_guard_uninstall)

or RunSQL with LEDGER_GUARD_INSTALL / LEDGER_GUARD_UNINSTALL, applied on PostgreSQL only.
"""

LEDGER_TABLE = "loyalty_ledgerentry"

LEDGER_GUARD_INSTALL = f"""
CREATE OR REPLACE FUNCTION loyalty_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS loyalty_ledger_append_only ON {LEDGER_TABLE};
CREATE TRIGGER loyalty_ledger_append_only
    BEFORE UPDATE OR DELETE ON {LEDGER_TABLE}
    FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_append_only();
"""

LEDGER_GUARD_UNINSTALL = f"""
DROP TRIGGER IF EXISTS loyalty_ledger_append_only ON {LEDGER_TABLE};
DROP FUNCTION IF EXISTS loyalty_ledger_append_only();
"""


def ledger_guard_install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LEDGER_GUARD_INSTALL, params=None)


def ledger_guard_uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LEDGER_GUARD_UNINSTALL, params=None)
