"""expert panels (criteria, members, ties, scores), complaints against an award, re-published projects

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 08:05:55.018981

Projects created before this revision have no criteria rows; they get the default criteria when an
expert is first put on their panel.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('expert_ties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['users.id'], name=op.f('fk_expert_ties_expert_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_expert_ties_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_ties')),
    sa.UniqueConstraint('expert_id', 'organization_id', name=op.f('uq_expert_ties_expert_id_organization_id'))
    )
    with op.batch_alter_table('expert_ties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_ties_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_ties_organization_id'), ['organization_id'], unique=False)

    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'upheld', 'dismissed', name='complaintstatus', native_enum=False, length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_complaints_answered_by_id_users')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_complaints_filed_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_complaints_organization_id_organizations')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_complaints_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_status'), ['status'], unique=False)

    op.create_table('panel_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('assigned', 'joined', 'recused', 'removed', name='panelstatus', native_enum=False, length=16), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=True),
    sa.Column('declaration', sa.Text(), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_panel_members_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['expert_id'], ['users.id'], name=op.f('fk_panel_members_expert_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_panel_members_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_members')),
    sa.UniqueConstraint('project_id', 'expert_id', name=op.f('uq_panel_members_project_id_expert_id'))
    )
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_members_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_members_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_members_status'), ['status'], unique=False)

    op.create_table('project_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('weight', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_criteria_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_criteria'))
    )
    with op.batch_alter_table('project_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_criteria_project_id'), ['project_id'], unique=False)

    op.create_table('panel_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('scored_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_panel_scores_bid_id_bids')),
    sa.ForeignKeyConstraint(['criterion_id'], ['project_criteria.id'], name=op.f('fk_panel_scores_criterion_id_project_criteria'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['panel_members.id'], name=op.f('fk_panel_scores_member_id_panel_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_scores')),
    sa.UniqueConstraint('member_id', 'bid_id', 'criterion_id', name=op.f('uq_panel_scores_member_id_bid_id_criterion_id'))
    )
    with op.batch_alter_table('panel_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_scores_bid_id'), ['bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_scores_criterion_id'), ['criterion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_scores_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('republished_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_projects_republished_from_id_projects'), 'projects', ['republished_from_id'], ['id'])



def downgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_projects_republished_from_id_projects'), type_='foreignkey')
        batch_op.drop_column('republished_from_id')

    with op.batch_alter_table('panel_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_scores_member_id'))
        batch_op.drop_index(batch_op.f('ix_panel_scores_criterion_id'))
        batch_op.drop_index(batch_op.f('ix_panel_scores_bid_id'))

    op.drop_table('panel_scores')
    with op.batch_alter_table('project_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_criteria_project_id'))

    op.drop_table('project_criteria')
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_members_status'))
        batch_op.drop_index(batch_op.f('ix_panel_members_project_id'))
        batch_op.drop_index(batch_op.f('ix_panel_members_expert_id'))

    op.drop_table('panel_members')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_status'))
        batch_op.drop_index(batch_op.f('ix_complaints_project_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_organization_id'))

    op.drop_table('complaints')
    with op.batch_alter_table('expert_ties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_ties_organization_id'))
        batch_op.drop_index(batch_op.f('ix_expert_ties_expert_id'))

    op.drop_table('expert_ties')
