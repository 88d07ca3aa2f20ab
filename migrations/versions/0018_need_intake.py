"""need intake: the channel a need came through, a caller's number, photos, followers, merged duplicates;
residents' and needs' anonymization; self-registered residents' claims on the records staff keep

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 11:40:00

Needs registered before this revision get the channel their creator's role implies: a resident's own
request, a grid worker's, or community staff's for the resident (calls were not told apart before).
"""
from alembic import op
import sqlalchemy as sa

import linkage.models.types


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

_CHANNEL = sa.Enum('staff_on_behalf', 'resident_self', 'grid_worker', 'hotline', name='needchannel',
                   native_enum=False, length=24)


def upgrade():
    op.add_column('needs', sa.Column('channel', _CHANNEL, server_default='staff_on_behalf', nullable=False))
    op.add_column('needs', sa.Column('caller_phone', sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place (no table rebuild).
        op.execute("ALTER TABLE needs ADD COLUMN duplicate_of_id INTEGER "
                   "CONSTRAINT fk_needs_duplicate_of_id_needs REFERENCES needs (id)")
    else:
        op.add_column('needs', sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_needs_duplicate_of_id_needs'), 'needs', 'needs', ['duplicate_of_id'], ['id'])
    op.add_column('needs', sa.Column('anonymized_at', linkage.models.types.UTCDateTime(), nullable=True))
    op.add_column('residents', sa.Column('anonymized_at', linkage.models.types.UTCDateTime(), nullable=True))
    op.create_index(op.f('ix_needs_anonymized_at'), 'needs', ['anonymized_at'], unique=False)
    op.create_index(op.f('ix_needs_channel'), 'needs', ['channel'], unique=False)
    op.create_index(op.f('ix_needs_duplicate_of_id'), 'needs', ['duplicate_of_id'], unique=False)
    for role, channel in (('resident', 'resident_self'), ('grid_worker', 'grid_worker')):
        op.execute(sa.text("UPDATE needs SET channel = :channel WHERE created_by_id IN "
                           "(SELECT id FROM users WHERE role = :role)").bindparams(channel=channel, role=role))
    op.create_table('need_followers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('merged_need_id', sa.Integer(), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', linkage.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_need_followers_added_by_id_users')),
    sa.ForeignKeyConstraint(['merged_need_id'], ['needs.id'], name=op.f('fk_need_followers_merged_need_id_needs')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_followers_need_id_needs'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_need_followers_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_followers')),
    sa.UniqueConstraint('need_id', 'resident_id', name=op.f('uq_need_followers_need_id_resident_id')),
    )
    op.create_index(op.f('ix_need_followers_need_id'), 'need_followers', ['need_id'], unique=False)
    op.create_index(op.f('ix_need_followers_resident_id'), 'need_followers', ['resident_id'], unique=False)
    op.create_table('need_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=32), nullable=False),
    sa.Column('extension', sa.String(length=8), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', linkage.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_photos_need_id_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_need_photos_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_photos')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_need_photos_stored_name')),
    )
    op.create_index(op.f('ix_need_photos_need_id'), 'need_photos', ['need_id'], unique=False)
    op.create_table('resident_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'rejected', name='claimstatus', native_enum=False, length=16),
              nullable=False),
    sa.Column('created_at', linkage.models.types.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', linkage.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_resident_claims_decided_by_id_users')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_resident_claims_resident_id_residents')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_resident_claims_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_claims')),
    sa.UniqueConstraint('user_id', name=op.f('uq_resident_claims_user_id')),
    )
    op.create_index(op.f('ix_resident_claims_resident_id'), 'resident_claims', ['resident_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_resident_claims_resident_id'), table_name='resident_claims')
    op.drop_table('resident_claims')
    op.drop_index(op.f('ix_need_photos_need_id'), table_name='need_photos')
    op.drop_table('need_photos')
    op.drop_index(op.f('ix_need_followers_resident_id'), table_name='need_followers')
    op.drop_index(op.f('ix_need_followers_need_id'), table_name='need_followers')
    op.drop_table('need_followers')
    op.drop_index(op.f('ix_needs_duplicate_of_id'), table_name='needs')
    op.drop_index(op.f('ix_needs_channel'), table_name='needs')
    op.drop_index(op.f('ix_needs_anonymized_at'), table_name='needs')
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('anonymized_at')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_column('anonymized_at')
        batch_op.drop_column('duplicate_of_id')
        batch_op.drop_column('caller_phone')
        batch_op.drop_column('channel')
