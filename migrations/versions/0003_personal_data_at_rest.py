"""personal data at rest: volunteers' birth dates encrypted; residents' birth date, gender and ID tail
no longer stored beside their encrypted ID number (read from it instead)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 05:10:00.000000

The field cipher is built here from the running application's DATA_KEY (``flask db upgrade`` runs
inside the application, so it is the key the application reads with: LINKAGE_DATA_KEY, or
instance/data.key). Its format is copied, not imported, so that this script never changes when the
application does: AES-256-GCM under SHA-256("linkage-field-encryption:" + DATA_KEY), a 12-byte
nonce in front of the ciphertext, the value as UTF-8 text (a date as YYYY-MM-DD).

Columns are dropped with ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later, PostgreSQL), never by
copying the table: SQLite runs with foreign keys on, and dropping a copied parent table would
delete the rows that refer to it.
"""
import hashlib
import os
from datetime import date

from alembic import op
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

volunteers = sa.table("volunteers", sa.column("id", sa.Integer), sa.column("birth_date", sa.Date),
                      sa.column("birth_date_encrypted", sa.LargeBinary))
residents = sa.table("residents", sa.column("id", sa.Integer), sa.column("gender", sa.String),
                     sa.column("birth_date", sa.Date), sa.column("id_number_tail", sa.String),
                     sa.column("id_number_encrypted", sa.LargeBinary))


def _cipher():
    key = current_app.config["DATA_KEY"]
    return AESGCM(hashlib.sha256(b"linkage-field-encryption:" + key.encode()).digest())


def _encrypt(cipher, text):
    nonce = os.urandom(12)
    return nonce + cipher.encrypt(nonce, text.encode("utf-8"), None)


def _decrypt(cipher, blob):
    blob = bytes(blob)
    try:
        return cipher.decrypt(blob[:12], blob[12:], None).decode("utf-8")
    except InvalidTag:
        raise RuntimeError("stored personal data does not decrypt with this DATA_KEY: run the migration with "
                           "the key the application uses (LINKAGE_DATA_KEY or instance/data.key)") from None


def _id_facts(number):
    """(birth date, gender, last four characters) of a resident ID number (GB 11643-1999)."""
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return born, "M" if int(number[16]) % 2 else "F", number[-4:]


def _update(connection, table, column, values):
    """Set ``column`` per row id in one executemany (``values``: row id -> value)."""
    if values:
        connection.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                           .values({column: sa.bindparam("value")}),
                           [{"row_id": row_id, "value": value} for row_id, value in values.items()])


def _residents_kept_apart(connection, cipher):
    """Residents whose stored birth date, gender or tail is not what their ID number says (or who have
    them without an ID number): dropping the columns would lose those values."""
    rows = connection.execute(sa.select(residents.c.id, residents.c.gender, residents.c.birth_date,
                                        residents.c.id_number_tail, residents.c.id_number_encrypted)).all()
    apart = []
    for row_id, gender, born, tail, blob in rows:
        stored = (born, gender, tail)
        if blob:
            if stored != (None, None, None) and stored != _id_facts(_decrypt(cipher, blob)):
                apart.append(row_id)
        elif stored != (None, None, None):
            apart.append(row_id)
    return apart


def upgrade():
    connection = op.get_bind()
    cipher = _cipher()
    apart = _residents_kept_apart(connection, cipher)
    if apart:
        raise RuntimeError(f"residents {apart[:20]} hold a birth date, gender or ID tail their encrypted ID "
                           "number does not give: correct them (or run with the DATA_KEY they were "
                           "encrypted with) before upgrading")
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_date_encrypted', sa.LargeBinary(), nullable=True))
    born = connection.execute(sa.select(volunteers.c.id, volunteers.c.birth_date)
                              .where(volunteers.c.birth_date.is_not(None))).all()
    _update(connection, volunteers, "birth_date_encrypted",
            {row_id: _encrypt(cipher, day.isoformat()) for row_id, day in born})
    with op.batch_alter_table('volunteers', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('birth_date')
    with op.batch_alter_table('residents', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('id_number_tail')
        batch_op.drop_column('birth_date')
        batch_op.drop_column('gender')


def downgrade():
    connection = op.get_bind()
    cipher = _cipher()
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gender', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('id_number_tail', sa.String(length=4), nullable=True))
    numbers = connection.execute(sa.select(residents.c.id, residents.c.id_number_encrypted)
                                 .where(residents.c.id_number_encrypted.is_not(None))).all()
    facts = {row_id: _id_facts(_decrypt(cipher, blob)) for row_id, blob in numbers}
    for position, column in enumerate(("birth_date", "gender", "id_number_tail")):
        _update(connection, residents, column, {row_id: fact[position] for row_id, fact in facts.items()})
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))
    encrypted = connection.execute(sa.select(volunteers.c.id, volunteers.c.birth_date_encrypted)
                                   .where(volunteers.c.birth_date_encrypted.is_not(None))).all()
    _update(connection, volunteers, "birth_date",
            {row_id: date.fromisoformat(_decrypt(cipher, blob)) for row_id, blob in encrypted})
    with op.batch_alter_table('volunteers', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('birth_date_encrypted')
