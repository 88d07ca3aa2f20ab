"""Command-line tasks: ``flask check``, ``flask seed-demo``, ``flask reminders send``, ``flask needs escalate``, ``flask waitlist expire``, ``flask residents anonymize-expired``, ``flask audit verify|checkpoint|seal-existing`` (``flask verify-audit``
is kept as another name for ``flask audit verify``), ``flask create-admin``."""
import os

import click
from flask import Flask

from linkage.extensions import db


def _verify_audit(limit: int) -> None:
    from linkage.audit import verify

    verdict = verify()
    events = f"{verdict.events} event{'' if verdict.events == 1 else 's'}"
    if not verdict.intact:
        for problem in verdict.problems[:limit]:
            click.echo(problem, err=True)
        if len(verdict.problems) > limit:
            click.echo(f"... and {len(verdict.problems) - limit} more.", err=True)
        click.echo(f"Audit trail NOT intact: {len(verdict.problems)} problem"
                   f"{'' if len(verdict.problems) == 1 else 's'} ({events} checked).", err=True)
        raise SystemExit(1)
    click.echo(f"Audit trail intact: {events}, their checkpoints and every sealed row.")


def register(app: Flask) -> None:
    _register_site_commands(app)
    _register_scheduled_commands(app)
    _register_audit_commands(app)
    _register_backup_command(app)
    _register_check_command(app)


def _register_check_command(app: Flask) -> None:
    @app.cli.command("check")
    def check_command():
        """Report the configuration's health, one line per item; exit 1 if any fails."""
        from flask import current_app

        from linkage.operations.checks import configuration

        results = configuration(current_app._get_current_object())
        for result in results:
            click.echo(f"{'ok  ' if result.ok else 'FAIL'}  {result.name}: {result.detail}")
        if not all(result.ok for result in results):
            raise SystemExit(1)


def _register_site_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 100),
                  help="Multiply the demo district's people and needs.")
    @click.option("--seed", "random_seed", default=2026, show_default=True, help="Random seed.")
    def seed_demo_command(scale, random_seed):
        """Fill an empty database with a believable demo district (does nothing if already seeded)."""
        from linkage.seed import DEMO_PASSWORD, seed_demo

        created, logins = seed_demo(scale=scale, random_seed=random_seed)
        db.session.commit()
        click.echo("Demo data created." if created else "Demo data already present; nothing added.")
        click.echo(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
        for role, username in logins:
            click.echo(f"  {role:<16} {username}")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker_command(burst):
        """Run queued match runs (needs REDIS_URL) and, on a schedule, the reaper of stopped runs, shift
        reminders and overdue needs (``--burst``: the reaper only)."""
        from flask import current_app

        from linkage.jobs import run_worker

        if not current_app.config.get("REDIS_URL"):
            raise click.UsageError("REDIS_URL is not set; without Redis, runs execute inside the web process.")
        run_worker(current_app._get_current_object(), burst=burst)  # with linkage.jobs.SCHEDULE beside the queue

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.password_option()
    def create_admin_command(username, password):
        """Create a system administrator account."""
        from linkage.auth.services import AccountError, create_user
        from linkage.models import Role

        try:
            create_user(username=username, password=password, display_name=username, role=Role.admin,
                        region=None, actor=None)
        except AccountError as refusal:  # a taken name or a password the policy refuses
            db.session.rollback()
            raise click.ClickException(str(refusal.message)) from None
        db.session.commit()
        click.echo(f"Administrator {username} created.")


def _register_scheduled_commands(app: Flask) -> None:
    """By hand or from cron, what the scheduled jobs do (``linkage.jobs.SCHEDULE``)."""
    @app.cli.group("reminders")
    def reminders_group():
        """Shift reminders (the worker sends them on a schedule)."""

    @reminders_group.command("send")
    def reminders_send_command():
        """Send the shift reminders due now (each once; safe to run again or from cron)."""
        from linkage.shifts.reminders import send_due

        count = send_due()
        click.echo(f"{count} reminder{'' if count == 1 else 's'} sent.")

    @app.cli.group("waitlist")
    def waitlist_group():
        """Waiting-list offers (the worker checks them on a schedule)."""

    @waitlist_group.command("expire")
    def waitlist_expire_command():
        """Pass on the waiting-list offers past their deadline and remind of those about to expire (each
        once; safe to run again or from cron)."""
        from linkage.shifts.offers import process

        expired, reminded = process()
        click.echo(f"{expired} offer{'' if expired == 1 else 's'} expired, {reminded} reminded.")

    @app.cli.group("needs")
    def needs_group():
        """Residents' needs (the worker checks overdue ones on a schedule)."""

    @needs_group.command("escalate")
    def needs_escalate_command():
        """Flag needs past their response target, escalate those still unanswered a period later, and expire
        those nobody took up (each once; safe to run again or from cron)."""
        from linkage.needs.escalation import run

        click.echo(f"Needs: {run()}.")

    @app.cli.group("residents")
    def residents_group():
        """Residents' data (the worker applies the retention period on a schedule)."""

    @residents_group.command("anonymize-expired")
    @click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10000),
                  help="Needs per batch; each batch is one transaction and one audit event.")
    def residents_anonymize_expired_command(batch_size):
        """Remove the personal details of needs closed longer ago than RETENTION_MONTHS, in batches, in the
        database (safe to run again or from cron)."""
        from linkage.community.rights import run

        click.echo(f"Retention: {run(size=batch_size)}.")


def _register_audit_commands(app: Flask) -> None:
    @app.cli.group("audit")
    def audit_group():
        """The audit trail: verify it, anchor it outside the database."""

    @audit_group.command("verify")
    @click.option("--limit", default=50, show_default=True, help="Problems to list at most.")
    def audit_verify_command(limit):
        """Check the keyed chain, the anchor file's checkpoints and the row seals; exit 1 on any problem."""
        _verify_audit(limit)

    @app.cli.command("verify-audit")
    def verify_audit_command():
        """Another name for ``flask audit verify``."""
        _verify_audit(50)

    @audit_group.command("checkpoint")
    def audit_checkpoint_command():
        """Append a signed checkpoint of the chain's newest event to the anchor file (creating it)."""
        from flask import current_app

        from linkage.audit import checkpoint

        anchored = checkpoint()
        path = current_app.config["AUDIT_ANCHOR_PATH"]
        if anchored is None:
            click.echo("The audit chain is empty; nothing to anchor.")
        else:
            click.echo(f"Checkpoint at event {anchored[0]} appended to {path}.")

    @audit_group.command("seal-existing")
    def audit_seal_existing_command():
        """Seal the rows written before row seals existed (once, after upgrading; check the data first)."""
        from linkage.seals import seal_unsealed

        count = seal_unsealed()
        db.session.commit()
        click.echo(f"{count} rows sealed.")


def _register_backup_command(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("target", type=click.Path(dir_okay=False, writable=True))
    def backup_command(target):
        """Back up the database to the new file TARGET while the site runs (SQLite: the online backup
        API; PostgreSQL: pg_dump -Fc). Restore as docs/operations.md says; keep the keys apart."""
        from flask import current_app

        from linkage.backup import BackupError, backup

        try:
            how = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target,
                         current_app.config.get("AUDIT_ANCHOR_PATH"))
        except BackupError as failure:
            raise click.ClickException(str(failure)) from None
        click.echo(f"Database backed up to {target} ({how}).")
        if os.path.exists(target + ".anchor"):
            click.echo(f"Audit anchor file copied to {target}.anchor (restore it with the database).")
        click.echo("Keep with it, stored apart: SECRET_KEY, the data key (LINKAGE_DATA_KEY) and the audit key "
                   f"(LINKAGE_AUDIT_KEY), or the instance folder {current_app.instance_path} (secret.key, "
                   "data.key, audit.key, settings.toml).")
