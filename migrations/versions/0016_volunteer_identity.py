"""volunteer identity: real-name ID number, guardian consents recorded by staff, availability exceptions

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 11:30:00

A volunteer's birth date now comes from their ID number (encrypted, with a blind index, as residents'),
so the separate encrypted birth date goes; volunteers registered before enter their ID number on their
profile. The box a volunteer ticked for a guardian's consent goes too: consent counts only when staff
record it with the guardian's details and the signed document.
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # Altered in place (never copied and dropped on SQLite, which would empty the tables that cascade).
    with op.batch_alter_table('volunteers', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('id_number_encrypted', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('id_number_index', sa.String(length=64), nullable=True))
        batch_op.drop_column('birth_date_encrypted')
        batch_op.drop_column('guardian_consent')
    op.create_index(op.f('ix_volunteers_id_number_index'), 'volunteers', ['id_number_index'], unique=True)
    op.create_table('availability_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('away', 'extra', name='exceptionkind', native_enum=False, length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('end_time', sa.Time(), nullable=True),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_availability_exceptions_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_exceptions'))
    )
    op.create_index(op.f('ix_availability_exceptions_volunteer_id'), 'availability_exceptions', ['volunteer_id'], unique=False)
    op.create_table('guardian_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('guardian_name', sa.String(length=100), nullable=False),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('extension', sa.String(length=16), nullable=False),
    sa.Column('stored_name', sa.String(length=32), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_guardian_consents_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_guardian_consents_volunteer_id_volunteers')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_guardian_consents_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardian_consents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_guardian_consents_stored_name'))
    )
    op.create_index(op.f('ix_guardian_consents_volunteer_id'), 'guardian_consents', ['volunteer_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_guardian_consents_volunteer_id'), table_name='guardian_consents')
    op.drop_table('guardian_consents')
    op.drop_index(op.f('ix_availability_exceptions_volunteer_id'), table_name='availability_exceptions')
    op.drop_table('availability_exceptions')
    op.drop_index(op.f('ix_volunteers_id_number_index'), table_name='volunteers')
    with op.batch_alter_table('volunteers', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('guardian_consent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('birth_date_encrypted', sa.LargeBinary(), nullable=True))
        batch_op.drop_column('id_number_index')
        batch_op.drop_column('id_number_encrypted')
