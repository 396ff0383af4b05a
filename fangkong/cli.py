"""The `fangkong` command: Django's management commands, with a database that is always ready.

`fangkong import …` and `fangkong export …` map to the `import_data` / `export_data`
commands (`import` is a Python keyword). Every command except the ones that build the schema
first creates and migrates its database when it is new or behind.
"""

from __future__ import annotations

import os
import sys

ALIASES = {"import": "import_data", "export": "export_data"}
NO_AUTO_MIGRATE = {
    "migrate",
    "makemigrations",
    "sqlmigrate",
    "showmigrations",
    "help",
    "version",
    "--help",
    "-h",
    "--version",
    "check",
    "compilemessages",
    "makemessages",
    "shell",
    "test",
    "collectstatic",
}


def ensure_database() -> None:
    """Apply pending migrations; a new SQLite file is created by connecting to it."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


def main(argv: list[str] | None = None, prog: str = "fangkong") -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ALIASES:
        argv[0] = ALIASES[argv[0]]
    if argv and argv[0] == "demo":
        # The demo shows what users see: the project's own error pages, not Django's
        # debug pages with settings and tracebacks. FANGKONG_DEBUG=1 still turns them on.
        os.environ.setdefault("FANGKONG_DEBUG", "0")
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    if argv and argv[0] not in NO_AUTO_MIGRATE:
        ensure_database()
    execute_from_command_line([prog, *argv])
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
