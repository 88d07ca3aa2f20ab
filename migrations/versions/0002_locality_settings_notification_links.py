"""locality settings saved by an administrator; notification links kept as endpoint plus arguments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 02:20:00.000000

"""
import json
import re

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# The pages notifications linked to when links were stored as paths (kept here, not imported,
# so that this script never changes when the application does): (path pattern, endpoint, argument).
LINKS = (
    (r"/", "main.home", None),
    (r"/community/needs/(\d+)", "community.need_detail", "need_id"),
    (r"/needs/(\d+)", "needs.detail", "need_id"),
    (r"/organizations/mine", "organizations.mine", None),
    (r"/organizations/(\d+)", "organizations.detail", "org_id"),
    (r"/projects/(\d+)", "projects.detail", "project_id"),
    (r"/shifts/(\d+)", "shifts.detail", "shift_id"),
    (r"/volunteers/hours", "volunteers.hours", None),
    (r"/volunteers/shifts", "volunteers.my_shifts", None),
    (r"/matching/(\d+)", "matching.detail", "run_id"),
)

notifications = sa.table("notifications", sa.column("id", sa.Integer), sa.column("link", sa.String),
                         sa.column("link_endpoint", sa.String), sa.column("link_args", sa.JSON))


def _endpoint(path):
    for pattern, endpoint, argument in LINKS:
        match = re.fullmatch(pattern, path or "")
        if match:
            return endpoint, ({argument: int(match.group(1))} if argument else {})
    return "", {}


def _path(endpoint, args):
    for pattern, name, argument in LINKS:
        if name == endpoint:
            return re.sub(r"\(\\d\+\)", str((args or {}).get(argument, "")), pattern) if argument else pattern
    return ""


def upgrade():
    op.create_table('setting_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_setting_values_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setting_values')),
    sa.UniqueConstraint('name', name=op.f('uq_setting_values_name'))
    )

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_endpoint', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('link_args', sa.JSON(), nullable=True))
    connection = op.get_bind()
    for row_id, path in connection.execute(sa.select(notifications.c.id, notifications.c.link)).all():
        endpoint, args = _endpoint(path)
        connection.execute(notifications.update().where(notifications.c.id == row_id)
                           .values(link_endpoint=endpoint, link_args=args))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('link_endpoint', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('link_args', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('link')


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.String(length=255), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(notifications.c.id, notifications.c.link_endpoint,
                                        notifications.c.link_args)).all()
    for row_id, endpoint, args in rows:
        if isinstance(args, str):
            args = json.loads(args)
        connection.execute(notifications.update().where(notifications.c.id == row_id)
                           .values(link=_path(endpoint, args)))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('link', existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column('link_args')
        batch_op.drop_column('link_endpoint')

    op.drop_table('setting_values')
