"""shift codes used for check-in and check-out, personal calendar feed secrets, shift reminders sent

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:20:00.000000
"""
from alembic import op
import sqlalchemy as sa

import linkage.models.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Columns added in place (never a copy of the table: SQLite would cascade the drop of the old one).
    with op.batch_alter_table('sign_ups', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('check_in_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('check_out_code', sa.String(length=32), nullable=True))
    with op.batch_alter_table('volunteers', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('calendar_token_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('calendar_token_encrypted', sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f('ix_volunteers_calendar_token_index'), ['calendar_token_index'],
                              unique=True)
    op.create_table('shift_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sign_up_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('first', 'second', name='reminderkind', native_enum=False, length=16),
              nullable=False),
    sa.Column('shift_start', linkage.models.types.UTCDateTime(), nullable=False),
    sa.Column('sent_at', linkage.models.types.UTCDateTime(), nullable=False),
    sa.Column('emailed_at', linkage.models.types.UTCDateTime(), nullable=True),
    sa.Column('email_error', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['sign_up_id'], ['sign_ups.id'], name=op.f('fk_shift_reminders_sign_up_id_sign_ups'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_reminders')),
    sa.UniqueConstraint('sign_up_id', 'kind', 'shift_start', name=op.f('uq_shift_reminders_sign_up_id_kind_shift_start')),
    )
    with op.batch_alter_table('shift_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_reminders_sign_up_id'), ['sign_up_id'], unique=False)


def downgrade():
    with op.batch_alter_table('shift_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_reminders_sign_up_id'))
    op.drop_table('shift_reminders')
    with op.batch_alter_table('volunteers', schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteers_calendar_token_index'))
        batch_op.drop_column('calendar_token_encrypted')
        batch_op.drop_column('calendar_token_index')
    with op.batch_alter_table('sign_ups', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('check_out_code')
        batch_op.drop_column('check_in_code')
