"""waiting-list offers: a freed place is offered to the next person, who answers before a deadline

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 11:30:00

The offer's deadline (``sign_ups.offer_expires_at``) exists since the initial schema; this revision adds
when the offer's e-mail and the reminder before the deadline were sent, so each is sent once. The new sign-up status "offered"
needs no change: the status is stored as text.
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sign_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_emailed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('offer_reminded_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('sign_ups', schema=None) as batch_op:
        batch_op.drop_column('offer_reminded_at')
        batch_op.drop_column('offer_emailed_at')
