"""weekly shift series: a pattern of weekdays, time and dates whose occurrences are ordinary shifts

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 11:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shift_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.String(length=20), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('first_date', sa.Date(), nullable=False),
    sa.Column('last_date', sa.Date(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_shift_series_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_series'))
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_shifts_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_shifts_series_id_shift_series'), 'shift_series',
                                    ['series_id'], ['id'])


def downgrade():
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shifts_series_id_shift_series'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_shifts_series_id'))
        batch_op.drop_column('series_id')
    op.drop_table('shift_series')
