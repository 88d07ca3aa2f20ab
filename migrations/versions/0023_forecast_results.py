"""forecast results: the stored forecast and back-test of each series of monthly needs

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 15:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('forecast_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_results')),
    sa.UniqueConstraint('key', name=op.f('uq_forecast_results_key'))
    )
    with op.batch_alter_table('forecast_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forecast_results_computed_at'), ['computed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('forecast_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forecast_results_computed_at'))
    op.drop_table('forecast_results')
