"""social workers' cases: stages, supervisors' approvals, notes (encrypted), services, referrals, transfers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 08:03:34.201173
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('stage', sa.Enum('intake', 'assessment', 'plan', 'services', 'review', 'closure', name='casestage', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='casestatus', native_enum=False, length=16), nullable=False),
    sa.Column('match_run_id', sa.Integer(), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('assessment_due', sa.DateTime(), nullable=True),
    sa.Column('plan_due', sa.DateTime(), nullable=True),
    sa.Column('review_due', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['match_run_id'], ['match_runs.id'], name=op.f('fk_cases_match_run_id_match_runs')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_cases_opened_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_cases_organization_id_organizations')),
    sa.ForeignKeyConstraint(['owner_id'], ['social_workers.id'], name=op.f('fk_cases_owner_id_social_workers')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_cases_region_id_regions')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_cases_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)

    op.create_table('case_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('intake', 'assessment', 'plan', 'services', 'review', 'closure', name='casestage', native_enum=False, length=16), nullable=False),
    sa.Column('summary_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decision', sa.Enum('pending', 'approved', 'rejected', name='decision', native_enum=False, length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_approvals_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_case_approvals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_case_approvals_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_approvals'))
    )
    with op.batch_alter_table('case_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_approvals_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_approvals_decision'), ['decision'], unique=False)

    op.create_table('case_needs',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_needs_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_case_needs_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'need_id', name=op.f('pk_case_needs'))
    )
    op.create_table('case_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('note', 'visit', 'call', name='notekind', native_enum=False, length=16), nullable=False),
    sa.Column('happened_at', sa.DateTime(), nullable=False),
    sa.Column('text_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_notes_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_notes_case_id'), ['case_id'], unique=False)

    op.create_table('case_referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'revoked', name='handover', native_enum=False, length=16), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_referrals_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_case_referrals_requested_by_id_users')),
    sa.ForeignKeyConstraint(['worker_id'], ['social_workers.id'], name=op.f('fk_case_referrals_worker_id_social_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_referrals'))
    )
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_referrals_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_referrals_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_referrals_worker_id'), ['worker_id'], unique=False)

    op.create_table('case_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_services_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_case_services_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_case_services_shift_id_shifts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_services'))
    )
    with op.batch_alter_table('case_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_services_case_id'), ['case_id'], unique=False)

    op.create_table('case_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_worker_id', sa.Integer(), nullable=False),
    sa.Column('to_worker_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', 'revoked', name='handover', native_enum=False, length=16), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_transfers_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_worker_id'], ['social_workers.id'], name=op.f('fk_case_transfers_from_worker_id_social_workers')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_case_transfers_requested_by_id_users')),
    sa.ForeignKeyConstraint(['to_worker_id'], ['social_workers.id'], name=op.f('fk_case_transfers_to_worker_id_social_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transfers'))
    )
    with op.batch_alter_table('case_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_transfers_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_transfers_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_transfers_to_worker_id'), ['to_worker_id'], unique=False)



def downgrade():
    with op.batch_alter_table('case_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_transfers_to_worker_id'))
        batch_op.drop_index(batch_op.f('ix_case_transfers_status'))
        batch_op.drop_index(batch_op.f('ix_case_transfers_case_id'))

    op.drop_table('case_transfers')
    with op.batch_alter_table('case_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_services_case_id'))

    op.drop_table('case_services')
    with op.batch_alter_table('case_referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_referrals_worker_id'))
        batch_op.drop_index(batch_op.f('ix_case_referrals_status'))
        batch_op.drop_index(batch_op.f('ix_case_referrals_case_id'))

    op.drop_table('case_referrals')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_notes_case_id'))

    op.drop_table('case_notes')
    op.drop_table('case_needs')
    with op.batch_alter_table('case_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_approvals_decision'))
        batch_op.drop_index(batch_op.f('ix_case_approvals_case_id'))

    op.drop_table('case_approvals')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_status'))
        batch_op.drop_index(batch_op.f('ix_cases_resident_id'))
        batch_op.drop_index(batch_op.f('ix_cases_region_id'))
        batch_op.drop_index(batch_op.f('ix_cases_owner_id'))
        batch_op.drop_index(batch_op.f('ix_cases_organization_id'))

    op.drop_table('cases')
