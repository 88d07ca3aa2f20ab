"""residents' consents: what each consent covers, when, by whom and through which channel, and its withdrawal

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 15:10:00

Residents registered before this revision with a consent time get one consent on file to the keeping and
use of their personal data, recorded by whoever registered them, at that time; needs filed before it, the
consent to share them (and their photos, if any) that filing them implied, through their channel.
"""
from alembic import op
import sqlalchemy as sa

import linkage.models.types


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_PURPOSE = sa.Enum('personal_data', 'sharing', 'photos', name='consentpurpose', native_enum=False, length=16)
_CHANNELS = ('resident_self', 'staff_in_person', 'grid_worker', 'by_phone', 'spreadsheet')


def upgrade():
    op.create_table('resident_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('purpose', _PURPOSE, nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum(*_CHANNELS, name='consentchannel', native_enum=False, length=16), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('given_at', linkage.models.types.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_at', linkage.models.types.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawal_channel', sa.Enum(*_CHANNELS, name='consentchannel', native_enum=False, length=16),
              nullable=True),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_resident_consents_need_id_needs')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_resident_consents_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_resident_consents_resident_id_residents')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_resident_consents_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_consents'))
    )
    op.create_index(op.f('ix_resident_consents_need_id'), 'resident_consents', ['need_id'], unique=False)
    op.create_index(op.f('ix_resident_consents_resident_id'), 'resident_consents', ['resident_id'], unique=False)
    op.execute("INSERT INTO resident_consents (resident_id, purpose, channel, recorded_by_id, given_at) "
               "SELECT id, 'personal_data', 'staff_in_person', created_by_id, consent_at FROM residents "
               "WHERE consent_at IS NOT NULL")
    channel = ("CASE needs.channel WHEN 'resident_self' THEN 'resident_self' WHEN 'grid_worker' THEN 'grid_worker' "
               "WHEN 'hotline' THEN 'by_phone' ELSE 'staff_in_person' END")
    op.execute("INSERT INTO resident_consents (resident_id, purpose, need_id, channel, recorded_by_id, given_at) "
               f"SELECT resident_id, 'sharing', id, {channel}, created_by_id, created_at FROM needs")
    op.execute("INSERT INTO resident_consents (resident_id, purpose, need_id, channel, recorded_by_id, given_at) "
               f"SELECT resident_id, 'photos', id, {channel}, created_by_id, created_at FROM needs "
               "WHERE id IN (SELECT need_id FROM need_photos)")


def downgrade():
    op.drop_index(op.f('ix_resident_consents_resident_id'), table_name='resident_consents')
    op.drop_index(op.f('ix_resident_consents_need_id'), table_name='resident_consents')
    op.drop_table('resident_consents')
