"""response targets per sector and urgency; needs flagged overdue and escalated

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:20:00.000000
"""
from alembic import op
import sqlalchemy as sa

import linkage.models.types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('needs', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('overdue_at', linkage.models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', linkage.models.types.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_needs_overdue_at'), ['overdue_at'], unique=False)
    op.create_table('response_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.SmallInteger(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', linkage.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'],
                            name=op.f('fk_response_targets_category_id_categories')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_response_targets_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_targets')),
    sa.UniqueConstraint('category_id', 'urgency', name=op.f('uq_response_targets_category_id_urgency')),
    )
    with op.batch_alter_table('response_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_targets_category_id'), ['category_id'], unique=False)


def downgrade():
    with op.batch_alter_table('response_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_targets_category_id'))
    op.drop_table('response_targets')
    with op.batch_alter_table('needs', schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_overdue_at'))
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('overdue_at')
