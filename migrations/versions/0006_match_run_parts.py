"""parts of a district's volunteer match run, each solved as its own job

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('match_run_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('problem', sa.JSON(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('baseline', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['match_runs.id'], name=op.f('fk_match_run_parts_run_id_match_runs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_run_parts')),
    sa.UniqueConstraint('run_id', 'number', name=op.f('uq_match_run_parts_run_id_number'))
    )
    op.create_index(op.f('ix_match_run_parts_run_id'), 'match_run_parts', ['run_id'], unique=False)
    op.create_index(op.f('ix_match_run_parts_status'), 'match_run_parts', ['status'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_match_run_parts_status'), table_name='match_run_parts')
    op.drop_index(op.f('ix_match_run_parts_run_id'), table_name='match_run_parts')
    op.drop_table('match_run_parts')
