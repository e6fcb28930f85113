"""The audit trail (records, checkpoints, anchors, chain head) and customer features.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Text columns keep each value exactly as hashed: created_at in the service's fixed-width UTC format,
# body as its canonical JSON (jsonb would reorder keys and renormalise numbers).
_UPGRADE = """
CREATE TABLE audit_records (
    seq bigint PRIMARY KEY, id text NOT NULL UNIQUE, kind text NOT NULL, created_at text NOT NULL,
    prev_id text, prev_hash text NOT NULL, hash text NOT NULL, body text NOT NULL);
CREATE INDEX audit_records_by_hash ON audit_records (hash);
CREATE INDEX audit_records_by_time ON audit_records (created_at);
CREATE TABLE audit_checkpoints (
    seq bigint PRIMARY KEY, record_id text NOT NULL, head_hash text NOT NULL, created_at text NOT NULL);
CREATE TABLE audit_anchors (
    last_seq bigint PRIMARY KEY, head_id text NOT NULL, head_hash text NOT NULL, file text NOT NULL,
    file_sha256 text NOT NULL, count integer NOT NULL, archived_at text NOT NULL);
CREATE TABLE audit_head (
    id smallint PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, record_id text, hash text NOT NULL);
INSERT INTO audit_head VALUES (1, 0, NULL, repeat('0', 64));

CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit table % is append-only', TG_TABLE_NAME;
END $$;
CREATE FUNCTION audit_keep_live() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF OLD.seq > (SELECT COALESCE(MAX(last_seq), 0) FROM audit_anchors) THEN
        RAISE EXCEPTION 'audit records are append-only; only archived ones may leave';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER audit_records_append_only BEFORE UPDATE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_records_keep_live BEFORE DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_keep_live();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE ON audit_anchors
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_head_kept BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_anchors_no_truncate BEFORE TRUNCATE ON audit_anchors
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();

CREATE TABLE customer_features (
    customer_id text PRIMARY KEY, features jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
"""

_DOWNGRADE = """
DROP TABLE customer_features;
DROP TABLE audit_head, audit_anchors, audit_checkpoints, audit_records;
DROP FUNCTION audit_keep_live();
DROP FUNCTION audit_refuse();
"""


def upgrade() -> None:
    """Create the tables, the append-only triggers and the chain head at the genesis."""
    op.execute(_UPGRADE)


def downgrade() -> None:
    """Drop everything (only for a trail that is not needed any more: the records go too)."""
    op.execute(_DOWNGRADE)
