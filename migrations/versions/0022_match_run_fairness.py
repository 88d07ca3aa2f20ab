"""match run fairness: the fairness options staff chose for a volunteer run

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 15:30:00

Runs made before this revision had no options: the column stays empty for them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fairness', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.drop_column('fairness')
