"""joint meetings of the four forces: meetings, their participants, agenda items drafted from the data, decisions

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 11:57:59.285813

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('place', sa.String(length=255), nullable=False),
    sa.Column('status', sa.Enum('planned', 'held', 'cancelled', name='meetingstatus', native_enum=False, length=20), nullable=False),
    sa.Column('minutes_text', sa.Text(), nullable=False),
    sa.Column('convened_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('held_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['convened_by_id'], ['users.id'], name=op.f('fk_meetings_convened_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_meetings_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_starts_at'), ['starts_at'], unique=False)

    op.create_table('meeting_agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('kind', sa.Enum('overdue_need', 'unserved_need', 'short_shift', 'project_behind', 'low_rating', 'follow_up', 'other', name='agendakind', native_enum=False, length=20), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_agenda_items_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_agenda_items'))
    )
    with op.batch_alter_table('meeting_agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_agenda_items_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', name='decisionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('done_note', sa.Text(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_decisions_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['responsible_id'], ['users.id'], name=op.f('fk_meeting_decisions_responsible_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_decisions'))
    )
    with op.batch_alter_table('meeting_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_decisions_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_decisions_responsible_id'), ['responsible_id'], unique=False)

    op.create_table('meeting_participants',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_participants_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_participants_user_id_users')),
    sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_meeting_participants'))
    )


def downgrade():
    op.drop_table('meeting_participants')
    with op.batch_alter_table('meeting_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_decisions_responsible_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_decisions_meeting_id'))

    op.drop_table('meeting_decisions')
    with op.batch_alter_table('meeting_agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_agenda_items_meeting_id'))

    op.drop_table('meeting_agenda_items')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_starts_at'))
        batch_op.drop_index(batch_op.f('ix_meetings_region_id'))

    op.drop_table('meetings')
