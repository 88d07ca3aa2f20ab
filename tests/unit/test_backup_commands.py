"""flask backup's choices: where pg_dump connects, what it refuses, who may read a backup."""
import pytest

from linkage.backup import BackupError, backup, libpq_environment


def test_pg_dump_connects_through_the_environment_so_no_password_is_on_the_command_line():
    assert libpq_environment("postgresql+psycopg://linkage:s3cret@db.example:5433/linkage") == {
        "PGHOST": "db.example", "PGPORT": "5433", "PGUSER": "linkage", "PGPASSWORD": "s3cret",
        "PGDATABASE": "linkage"}
    assert libpq_environment("postgresql+psycopg://postgres@127.0.0.1/linkage_x") == {
        "PGHOST": "127.0.0.1", "PGUSER": "postgres", "PGDATABASE": "linkage_x"}


def test_backup_refuses_an_existing_file_a_database_in_memory_and_a_missing_database(tmp_path):
    existing = tmp_path / "taken.backup"
    existing.write_text("an earlier backup")
    with pytest.raises(BackupError, match="exists"):
        backup(f"sqlite:///{tmp_path / 'linkage.sqlite3'}", str(existing))
    assert existing.read_text() == "an earlier backup"
    with pytest.raises(BackupError, match="memory"):
        backup("sqlite://", str(tmp_path / "new.backup"))
    with pytest.raises(BackupError, match="no database"):
        backup(f"sqlite:///{tmp_path / 'missing.sqlite3'}", str(tmp_path / "new.backup"))
    assert not (tmp_path / "new.backup").exists()
    with pytest.raises(BackupError, match="mysql"):
        backup("mysql://root@localhost/linkage", str(tmp_path / "new.backup"))


def test_a_backup_is_readable_by_its_owner_only(tmp_path):
    import sqlite3
    import stat

    database = tmp_path / "linkage.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE needs (id INTEGER PRIMARY KEY, title TEXT)")
        connection.execute("INSERT INTO needs (title) VALUES ('Weekly companionship visit')")
    connection.close()
    target = tmp_path / "linkage.backup"
    assert backup(f"sqlite:///{database}", str(target)) == "SQLite online backup"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT title FROM needs").fetchall() == [("Weekly companionship visit",)]
    copy.close()
