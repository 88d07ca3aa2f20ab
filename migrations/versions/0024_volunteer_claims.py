"""volunteer claims: a self-registered volunteer's account claims the record staff keep under the same ID number

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 19:10:00
"""
from alembic import op
import sqlalchemy as sa

import linkage.models.types


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('volunteer_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'rejected', name='claimstatus', native_enum=False, length=16),
              nullable=False),
    sa.Column('created_at', linkage.models.types.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', linkage.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_volunteer_claims_decided_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_volunteer_claims_user_id_users')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'],
                            name=op.f('fk_volunteer_claims_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_claims')),
    sa.UniqueConstraint('user_id', name=op.f('uq_volunteer_claims_user_id')),
    )
    op.create_index(op.f('ix_volunteer_claims_volunteer_id'), 'volunteer_claims', ['volunteer_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_volunteer_claims_volunteer_id'), table_name='volunteer_claims')
    op.drop_table('volunteer_claims')
