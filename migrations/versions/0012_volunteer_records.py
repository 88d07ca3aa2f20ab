"""volunteer records: volunteer numbers, corrections of approved hours, service certificates, complaints

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:20:00

Volunteers registered before this revision get their number here: the six-digit division code of their
community's district, a sequence in the order they registered, and the check character
(linkage/records/numbers.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_CHECK = "10X98765432"
_WEIGHTS = [pow(2, 14 - i, 11) for i in range(14)]


def _number(division, sequence):
    body = f"{division}{sequence:08d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS)) % 11]


def _create_tables():
    op.create_table('volunteer_numbers',
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('division', sa.String(length=6), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_volunteer_numbers_volunteer_id_volunteers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volunteer_id', name=op.f('pk_volunteer_numbers')),
    sa.UniqueConstraint('number', name=op.f('uq_volunteer_numbers_number'))
    )
    op.create_index(op.f('ix_volunteer_numbers_division'), 'volunteer_numbers', ['division'], unique=False)
    op.create_table('hours_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sign_up_id', sa.Integer(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('minutes_before', sa.Integer(), nullable=False),
    sa.Column('minutes_requested', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='correctionstatus', native_enum=False, length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_hours_corrections_decided_by_id_users')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_hours_corrections_filed_by_id_users')),
    sa.ForeignKeyConstraint(['sign_up_id'], ['sign_ups.id'], name=op.f('fk_hours_corrections_sign_up_id_sign_ups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_corrections'))
    )
    op.create_index(op.f('ix_hours_corrections_sign_up_id'), 'hours_corrections', ['sign_up_id'], unique=False)
    op.create_index(op.f('ix_hours_corrections_status'), 'hours_corrections', ['status'], unique=False)
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('notice', 'issued', name='certificatestatus', native_enum=False, length=16), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('period_from', sa.DateTime(), nullable=True),
    sa.Column('period_to', sa.DateTime(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('notice_until', sa.DateTime(), nullable=False),
    sa.Column('issuer_name', sa.String(length=200), nullable=False),
    sa.Column('person_in_charge', sa.String(length=100), nullable=False),
    sa.Column('handler_name', sa.String(length=100), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('code_encrypted', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_certificates_issued_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_certificates_region_id_regions')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_certificates_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('number', name=op.f('uq_certificates_number'))
    )
    op.create_index(op.f('ix_certificates_region_id'), 'certificates', ['region_id'], unique=False)
    op.create_index(op.f('ix_certificates_status'), 'certificates', ['status'], unique=False)
    op.create_index(op.f('ix_certificates_volunteer_id'), 'certificates', ['volunteer_id'], unique=False)
    op.create_table('volunteer_complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_volunteer_complaints_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_volunteer_complaints_region_id_regions')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'], name=op.f('fk_volunteer_complaints_volunteer_id_volunteers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_complaints'))
    )
    op.create_index(op.f('ix_volunteer_complaints_region_id'), 'volunteer_complaints', ['region_id'], unique=False)
    op.create_index(op.f('ix_volunteer_complaints_volunteer_id'), 'volunteer_complaints', ['volunteer_id'], unique=False)


def _number_existing_volunteers():
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT v.id, r.code, v.created_at FROM volunteers v JOIN regions r ON r.id = v.region_id "
        "ORDER BY v.created_at, v.id").columns(sa.column("id", sa.Integer), sa.column("code", sa.String),
                                               sa.column("created_at", sa.DateTime))).all()
    sequences = {}
    table = sa.table('volunteer_numbers', sa.column('volunteer_id', sa.Integer), sa.column('number', sa.String),
                     sa.column('division', sa.String), sa.column('sequence', sa.Integer),
                     sa.column('assigned_at', sa.DateTime))
    values = []
    for volunteer_id, code, created_at in rows:
        code = code or ""
        division = code[:6] if len(code) >= 6 and code[:6].isdigit() else "000000"
        sequences[division] = sequences.get(division, 0) + 1
        values.append({"volunteer_id": volunteer_id, "number": _number(division, sequences[division]),
                       "division": division, "sequence": sequences[division], "assigned_at": created_at})
    if values:
        op.bulk_insert(table, values)


def upgrade():
    _create_tables()
    _number_existing_volunteers()


def downgrade():
    op.drop_index(op.f('ix_volunteer_complaints_volunteer_id'), table_name='volunteer_complaints')
    op.drop_index(op.f('ix_volunteer_complaints_region_id'), table_name='volunteer_complaints')
    op.drop_table('volunteer_complaints')
    op.drop_index(op.f('ix_certificates_volunteer_id'), table_name='certificates')
    op.drop_index(op.f('ix_certificates_status'), table_name='certificates')
    op.drop_index(op.f('ix_certificates_region_id'), table_name='certificates')
    op.drop_table('certificates')
    op.drop_index(op.f('ix_hours_corrections_status'), table_name='hours_corrections')
    op.drop_index(op.f('ix_hours_corrections_sign_up_id'), table_name='hours_corrections')
    op.drop_table('hours_corrections')
    op.drop_index(op.f('ix_volunteer_numbers_division'), table_name='volunteer_numbers')
    op.drop_table('volunteer_numbers')
