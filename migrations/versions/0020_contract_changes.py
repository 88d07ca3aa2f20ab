"""contract changes: the contract's team, and what a change request asks for (a team, a new end)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 11:45:00

Contracts drawn up before this revision get their team here: the winning bid's team.
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_team',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('social_worker_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_team_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['social_worker_id'], ['social_workers.id'], name=op.f('fk_contract_team_social_worker_id_social_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contract_id', 'social_worker_id', name=op.f('pk_contract_team'))
    )
    op.create_table('change_request_team',
    sa.Column('change_request_id', sa.Integer(), nullable=False),
    sa.Column('social_worker_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['change_request_id'], ['change_requests.id'], name=op.f('fk_change_request_team_change_request_id_change_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['social_worker_id'], ['social_workers.id'], name=op.f('fk_change_request_team_social_worker_id_social_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('change_request_id', 'social_worker_id', name=op.f('pk_change_request_team'))
    )
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('new_end', sa.Date(), nullable=True))
    op.execute("INSERT INTO contract_team (contract_id, social_worker_id) "
               "SELECT contracts.id, bid_team.social_worker_id FROM contracts "
               "JOIN bid_team ON bid_team.bid_id = contracts.bid_id")


def downgrade():
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.drop_column('new_end')
    op.drop_table('change_request_team')
    op.drop_table('contract_team')
