"""visit ratings and the follow-ups of low ratings; retired skills and regions

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 11:40:00
"""
from alembic import op
import sqlalchemy as sa

import linkage.models.types


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('on_behalf', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', linkage.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_visit_ratings_created_by_id_users')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_visit_ratings_need_id_needs')),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_visit_ratings_shift_id_shifts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_ratings')),
    sa.UniqueConstraint('shift_id', 'need_id', name=op.f('uq_visit_ratings_shift_id_need_id'))
    )
    op.create_index(op.f('ix_visit_ratings_need_id'), 'visit_ratings', ['need_id'], unique=False)
    op.create_index(op.f('ix_visit_ratings_shift_id'), 'visit_ratings', ['shift_id'], unique=False)
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', name='followupstatus', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', linkage.models.types.UTCDateTime(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', linkage.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_follow_ups_closed_by_id_users')),
    sa.ForeignKeyConstraint(['rating_id'], ['visit_ratings.id'], name=op.f('fk_follow_ups_rating_id_visit_ratings')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_follow_ups_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('rating_id', name=op.f('uq_follow_ups_rating_id'))
    )
    op.create_index(op.f('ix_follow_ups_region_id'), 'follow_ups', ['region_id'], unique=False)
    op.create_index(op.f('ix_follow_ups_status'), 'follow_ups', ['status'], unique=False)
    # A constant default ('1' reads as true in both databases), so SQLite adds the column in place rather
    # than copying the tables that so many others point at.
    op.add_column('skills', sa.Column('active', sa.Boolean(), nullable=False, server_default='1'))
    op.add_column('regions', sa.Column('active', sa.Boolean(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('regions', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('active')
    with op.batch_alter_table('skills', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('active')
    op.drop_index(op.f('ix_follow_ups_status'), table_name='follow_ups')
    op.drop_index(op.f('ix_follow_ups_region_id'), table_name='follow_ups')
    op.drop_table('follow_ups')
    op.drop_index(op.f('ix_visit_ratings_shift_id'), table_name='visit_ratings')
    op.drop_index(op.f('ix_visit_ratings_need_id'), table_name='visit_ratings')
    op.drop_table('visit_ratings')
