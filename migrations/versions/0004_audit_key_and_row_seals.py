"""audit events name the key that sealed them; row seals of business tables

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 05:10:00.000000

Events already in the chain keep their plain SHA-256 (key_version NULL) and still verify: the
first keyed event links to the last of them, so none can change without breaking it. Rows already in
the business tables have no seal until an operator runs ``flask audit seal-existing`` once.
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('row_seals',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.BigInteger(), nullable=False),
    sa.Column('seal', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'row_id', name=op.f('pk_row_seals'))
    )
    # Not in batch mode: on SQLite a batch would rebuild audit_events and lose its append-only triggers.
    op.add_column('audit_events', sa.Column('key_version', sa.SmallInteger(), nullable=True))


def downgrade():
    op.drop_column('audit_events', 'key_version')
    op.drop_table('row_seals')
