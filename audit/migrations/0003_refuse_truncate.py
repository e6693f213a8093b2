"""Refuse TRUNCATE of the audit tables inside PostgreSQL.

Row triggers (0002) do not fire on TRUNCATE, so ``TRUNCATE audit_auditevent, audit_audithead``
once emptied the chain and ``verify-audit`` then reported "intact: 0 events". A statement
trigger refuses it. Django's test runner empties every table with TRUNCATE between
transactional tests, so the trigger lets a session through that has set
``cuakhau.allow_audit_truncate`` (only the test settings do). An owner can still disable the
trigger: what catches that is the checkpoint kept outside the database
(``cuakhau audit-checkpoint``, ``verify-audit --checkpoint``).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('cuakhau.allow_audit_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'audit tables cannot be truncated (' || TG_TABLE_NAME || ')';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
CREATE TRIGGER audit_head_no_truncate
    BEFORE TRUNCATE ON audit_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_audithead;
DROP FUNCTION IF EXISTS audit_no_truncate();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
