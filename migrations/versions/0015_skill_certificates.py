"""skill certificates: proof of skills that need it, training sessions that grant them, supervision notes

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 11:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('validity_months', sa.SmallInteger(), server_default='24', nullable=False))
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trains_skill_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_shifts_trains_skill_id_skills'), 'skills', ['trains_skill_id'], ['id'])

    op.create_table('skill_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('upload', 'training', name='proofsource', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='proofstatus', native_enum=False, length=16), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('extension', sa.String(length=16), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_skill_certificates_decided_by_id_users')),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_skill_certificates_shift_id_shifts')),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_skill_certificates_skill_id_skills')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_skill_certificates_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_certificates')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_skill_certificates_stored_name'))
    )
    with op.batch_alter_table('skill_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skill_certificates_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_skill_certificates_skill_id'), ['skill_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_skill_certificates_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_skill_certificates_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('supervision_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_supervision_notes_author_id_users')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_supervision_notes_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_notes'))
    )
    with op.batch_alter_table('supervision_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_notes_volunteer_id'), ['volunteer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('supervision_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_notes_volunteer_id'))
    op.drop_table('supervision_notes')
    with op.batch_alter_table('skill_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skill_certificates_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_skill_certificates_status'))
        batch_op.drop_index(batch_op.f('ix_skill_certificates_skill_id'))
        batch_op.drop_index(batch_op.f('ix_skill_certificates_shift_id'))
    op.drop_table('skill_certificates')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shifts_trains_skill_id_skills'), type_='foreignkey')
        batch_op.drop_column('trains_skill_id')
    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.drop_column('validity_months')
