"""The ``safeguarding`` command: database, server, demo council, users, tokens, audit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from safeguarding.core import audit_checkpoint
from safeguarding.core.accounts import create_user, issue_api_token
from safeguarding.core.audit import Actor, ChainBreak, record, search_index_mismatches, verify_chain
from safeguarding.core.db import Database, get_database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.local_settings import apply_changes, rows, validate
from safeguarding.core.serving import unsafe_settings
from safeguarding.core.settings import get_settings
from safeguarding.core.sign_in import is_locked
from safeguarding.core.users import ApiToken, PartnerAgency, Role, Team, User

if TYPE_CHECKING:  # alembic is imported when a command needs it, not on every start-up
    from alembic.config import Config

app = typer.Typer(help="Safeguarding: children's services case management.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for partner systems.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
settings_app = typer.Typer(help="Local settings (the council's own standards).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")
app.add_typer(settings_app, name="settings")
from safeguarding.returns.cli import cin_app, returns_app  # noqa: E402
from safeguarding.returns.ssda903.cli import ssda903_app  # noqa: E402

app.add_typer(returns_app, name="returns")
from safeguarding.timescales.cli import timescales_app  # noqa: E402

app.add_typer(timescales_app, name="timescales")
from safeguarding.people.cli import people_app  # noqa: E402
from safeguarding.people.duplicates.cli import duplicates_app  # noqa: E402

people_app.add_typer(duplicates_app, name="duplicates")
app.add_typer(people_app, name="people")
console = Console()
err = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"safeguarding {version('safeguarding')}")
        raise typer.Exit()


def _every_capability() -> None:
    """Every capability's tables, and the clock events each supplies to timescales (``timescales recompute`` reads
    them all): loaded before any command that touches the database. The validators of a return's files need none of
    it, and are spared its second of start-up (a return is validated in seconds: issue 15's target)."""
    import safeguarding.schema  # noqa: F401


@app.callback()
def _options(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the installed version and exit"),
    ] = False,
) -> None:
    """Safeguarding: children's services case management."""
    if ctx.invoked_subcommand != "returns":
        _every_capability()


@returns_app.callback()
def _returns(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand not in ("cin-census", "ssda903"):
        _every_capability()


@cin_app.callback()
@ssda903_app.callback()
def _a_return(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand != "validate":
        _every_capability()


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    # The migrations ship inside the package, so an installed wheel upgrades a database outside the source tree.
    migrations = Path(__file__).resolve().parent / "migrations"
    config = Config(str(migrations / "alembic.ini"))
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return config


def upgrade_database(url: str | None = None) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database (SAFEGUARDING_DATABASE_URL)."""
    upgrade_database()
    console.print("[green]Database is up to date.[/green]")


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("-m", "--message", help="What the schema change is, in a few words")],
    empty: Annotated[
        bool, typer.Option("--empty", help="An empty revision to write by hand (a data migration)")
    ] = False,
) -> None:
    """Write the next migration: what the models have that the configured database (at head) does not."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    config = alembic_config()
    numbers = [int(r.revision) for r in ScriptDirectory.from_config(config).walk_revisions() if r.revision.isdigit()]
    try:
        script = command.revision(
            config, message=message, autogenerate=not empty, rev_id=f"{max(numbers, default=0) + 1:04d}"
        )
    except CommandError as exc:
        err.print(f"[red]{exc}[/red] (run `safeguarding db upgrade` on the database first)")
        raise typer.Exit(1) from None
    for written in script if isinstance(script, list) else [script]:
        if written is not None:
            console.print(f"Wrote {written.path}: review it, then run the migration tests on SQLite and PostgreSQL.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (about one per CPU core in production)")] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            help="Log every request line (off by default: the audit log records who saw what, and a line per "
            "request costs time under load)"
        ),
    ] = False,
) -> None:
    """Start the web server (uvloop and httptools when installed, as pinned)."""

    problems = unsafe_settings(get_settings(), host)
    if problems:
        # Plain lines (no wrapping), so the commands in them can be copied whole.
        typer.echo(
            f"Not starting: the server would listen on {host or 'every address'}, beyond this machine, with "
            "settings that are only safe for development:",
            err=True,
        )
        for problem in problems:
            typer.echo(f"- {problem}", err=True)
        raise typer.Exit(1)
    import uvicorn

    uvicorn.run(
        "safeguarding.app.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
        proxy_headers=False,
    )


@app.command()
def demo(
    size: Annotated[str, typer.Option(help="small, medium or large")] = "small",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same council")] = 1,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Load only into an empty database")] = False,
) -> None:
    """Build a synthetic demo council (deterministic from its seed)."""
    from safeguarding.demo.council import SIZES, build_council, database_is_empty

    if size not in SIZES:
        err.print(f"[red]--size must be one of {', '.join(SIZES)}[/red]")
        raise typer.Exit(2)
    database = get_database()
    if if_empty and not database_is_empty(database):
        console.print("Database already holds data; demo council not loaded.")
        _remind_demo_sign_ins(database)
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        summary = build_council(database, size=size, seed=seed, progress=progress)
    console.print(summary.describe())


def _remind_demo_sign_ins(database: object) -> None:
    """`make run` on a database loaded earlier: print the demo sign-ins again, if the demo accounts are there."""
    from safeguarding.demo.council import ADMIN_TOTP_SECRET, DEMO_PASSWORD, DEMO_SIGN_INS

    assert isinstance(database, Database)
    with database.transaction() as session:
        present = set(
            session.scalars(
                select(User.username).where(User.username.in_([username for username, _role, _name in DEMO_SIGN_INS]))
            )
        )
    if not present:
        return
    console.print("[bold]Demo sign-ins[/bold] (synthetic data only):")
    for username, role, full_name in DEMO_SIGN_INS:
        if username in present:
            console.print(f"  {username:<16} {role.label:<26} {full_name}")
    console.print(f"  Password: [bold]{DEMO_PASSWORD}[/bold]   admin TOTP secret: [bold]{ADMIN_TOTP_SECRET}[/bold]")


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[str, typer.Option(help="Role, e.g. mash_worker, partner_practitioner")],
    full_name: Annotated[str | None, typer.Option(help="Full name")] = None,
    team: Annotated[str | None, typer.Option(help="Team name (staff)")] = None,
    agency: Annotated[str | None, typer.Option(help="Partner agency name (partner practitioners)")] = None,
) -> None:
    """Create a user. The password is read from standard input."""

    try:
        role_value = Role(role)
    except ValueError:
        err.print(f"[red]role must be one of: {', '.join(r.value for r in Role)}[/red]")
        raise typer.Exit(2) from None
    password = sys.stdin.readline().rstrip("\n")
    database = get_database()
    try:
        with database.transaction() as session:
            team_id = agency_id = None
            if team:
                team_id = session.scalar(select(Team.id).where(Team.name == team))
                if team_id is None:
                    raise ValidationFailed({"team": f"No team named {team!r}"})
            if agency:
                agency_id = session.scalar(select(PartnerAgency.id).where(PartnerAgency.name == agency))
                if agency_id is None:
                    raise ValidationFailed({"agency": f"No partner agency named {agency!r}"})
            user = create_user(
                session,
                username=username,
                full_name=full_name or username,
                role=role_value,
                password=password,
                team_id=team_id,
                agency_id=agency_id,
            )
            record(
                session,
                Actor.system("cli"),
                "create",
                "user_account",
                user.id,
                detail={"username": username, "role": role_value.value},
            )
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            err.print(f"[red]{field}: {message}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Created {username} ({role_value.label}).")


@users_app.command("list")
def users_list(
    inactive: Annotated[bool, typer.Option("--inactive/--active-only", help="Include inactive accounts")] = True,
) -> None:
    """List user accounts with role, team or agency, and whether they are locked."""
    from rich.table import Table

    database = get_database()
    table = Table("Username", "Name", "Role", "Team or agency", "Status")
    with database.transaction() as session:
        query = select(User).order_by(User.username)
        if not inactive:
            query = query.where(User.active.is_(True))
        users = list(session.scalars(query).unique())
        for user in users:
            status = "inactive" if not user.active else "locked" if is_locked(user) else "active"
            if user.must_change_password:
                status += ", temporary password"
            where = user.team.name if user.team else user.agency.name if user.agency else ""
            table.add_row(user.username, user.full_name, user.role, where, status)
        record(session, Actor.system("cli"), "list", "user_account", detail={"count": len(users)})
    console.print(table)


@settings_app.command("show")
def settings_show() -> None:
    """Show every local setting: current value, default, and the source of the standard."""
    from rich.table import Table

    database = get_database()
    table = Table("Setting", "Value", "Default", "Source")
    with database.transaction() as session:
        for row in rows(session):
            d = row.definition
            table.add_row(
                d.key, f"{row.value}{' (changed)' if row.changed_from_default else ''}", str(d.default), d.source
            )
    console.print(table)


@tokens_app.command("create")
def tokens_create(username: str, label: Annotated[str, typer.Option(help="What the token is for")] = "") -> None:
    """Create an API token for USERNAME and print it (it is shown only once)."""

    database = get_database()
    try:
        with database.transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise ValidationFailed({"username": f"No user named {username!r}"})
            _row, token = issue_api_token(session, user, label, Actor.system("cli"))
    except ValidationFailed as exc:
        for message in exc.errors.values():
            err.print(f"[red]{message}[/red]")
        raise typer.Exit(1) from None
    print(token)


@tokens_app.command("list")
def tokens_list(username: str) -> None:
    """List USERNAME's API tokens: label, created, last used, revoked."""
    from rich.table import Table

    database = get_database()
    with database.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            err.print(f"[red]No user named {username!r}[/red]")
            raise typer.Exit(1)
        table = Table("Id", "Label", "Created", "Last used", "Revoked")
        for row in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)):
            table.add_row(
                str(row.id),
                row.label,
                f"{row.created_at:%Y-%m-%d %H:%M}",
                f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never",
                f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "",
            )
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Revoke the API token with this id (see `tokens list`); systems using it are refused from now on."""

    database = get_database()
    with database.transaction() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            err.print(f"[red]No API token with id {token_id}[/red]")
            raise typer.Exit(1)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            record(session, Actor.system("cli"), "revoke", "api_token", row.id, detail={"user_id": row.user_id})
    console.print(f"Token {token_id} is revoked.")


@settings_app.command("set")
def settings_set(key: str, value: str) -> None:
    """Change one local setting (validated as on the settings page; audited with old and new value)."""

    database = get_database()
    try:
        with database.transaction() as session:
            changes = apply_changes(session, validate(session, {key: value}), Actor.system("cli"), None)
    except ValidationFailed as exc:
        for message in exc.errors.values():
            err.print(f"[red]{message}[/red]")
        raise typer.Exit(1) from None
    console.print(f"{key}: {changes[key]['old']} -> {changes[key]['new']}" if changes else f"{key} unchanged.")


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="A file of checkpoints (JSON lines from `audit checkpoint --out`) to check against; "
            "may be given more than once",
        ),
    ] = None,
) -> None:
    """Check the hash chain, then the log against the latest stored checkpoint and every checkpoint in the files
    given. Exit 0 when whole; otherwise say which rows are broken, missing or re-written, and exit 1."""

    database = get_database()
    count = 0
    file_heads: list[audit_checkpoint.Head] = []
    problems: list[str] = []
    for path in checkpoint or ():
        heads, unreadable = audit_checkpoint.read_file(path)
        file_heads.extend(heads)
        problems.extend(unreadable)
    with database.transaction() as session:
        for item in verify_chain(session):
            if isinstance(item, ChainBreak):
                err.print(
                    f"[red]Audit chain broken at row {item.row_id}: {item.problem}. "
                    f"{count} rows before it verified.[/red]"
                )
                raise typer.Exit(1)
            count += 1
        mismatched = next(search_index_mismatches(session), None)
        if mismatched is not None:
            err.print(
                f"[red]Audit chain whole ({count} rows), but the index of people found by searches "
                f"disagrees with row {mismatched}: a person's history page would be wrong.[/red]"
            )
            raise typer.Exit(1)
        has_stored = bool(audit_checkpoint.stored(session))
        checked = 0
        if has_stored or file_heads:
            try:
                key = audit_checkpoint.checkpoint_key()
            except audit_checkpoint.CheckpointKeyMissing as exc:
                err.print(f"[red]Audit chain whole ({count} rows), but the checkpoints cannot be checked. {exc}[/red]")
                raise typer.Exit(1) from None
            report = audit_checkpoint.check(session, key, file_heads)
            problems.extend(report.problems)
            checked = report.checked
    if problems:
        err.print(
            f"[red]Audit chain whole ({count} rows) by its own hashes, but it does not match its checkpoints:[/red]"
        )
        for problem in problems:
            err.print(f"[red]- {problem}[/red]", soft_wrap=True)
        raise typer.Exit(1)
    against = (
        f", and it matches {checked} signed checkpoint{'s' if checked != 1 else ''}"
        if checked
        else " (no checkpoint to check it against: see `safeguarding audit checkpoint`)"
    )
    console.print(f"[green]Audit chain whole: {count} rows verified{against}.[/green]")


@audit_app.command("checkpoint")
def audit_checkpoint_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Append the checkpoint as one JSON line to this file (keep it off the database server)"
        ),
    ] = None,
    to_syslog: Annotated[
        bool,
        typer.Option(
            "--syslog", help="Also send the checkpoint line to syslog (facility authpriv), for a remote log host"
        ),
    ] = False,
) -> None:
    """Sign the audit chain's head (row count, last row, its hash, the time) with the checkpoint key, store it,
    and print it. Run it on a schedule (see README) and whenever you want a fixed point to verify against."""

    try:
        key = audit_checkpoint.checkpoint_key()
    except audit_checkpoint.CheckpointKeyMissing as exc:
        err.print(f"[red]No checkpoint written. {exc}[/red]")
        raise typer.Exit(2) from None
    database = get_database()
    try:
        with database.transaction() as session:
            head = audit_checkpoint.write(session, key)
            line = head.line()
            # Written out before the transaction commits: a checkpoint the file never received is not stored either.
            if out is not None:
                with out.open("a", encoding="utf-8") as file:
                    file.write(line + "\n")
            if to_syslog:
                import syslog

                syslog.openlog("safeguarding-audit", 0, syslog.LOG_AUTHPRIV)
                syslog.syslog(syslog.LOG_NOTICE, line)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    except OSError as exc:
        err.print(f"[red]No checkpoint written: the file {out} cannot be written ({exc.strerror}).[/red]")
        raise typer.Exit(1) from None
    err.print(
        f"Checkpoint: {head.row_count} rows up to row {head.last_id}, head {head.head_hash[:16]}..., "
        f"at {head.at:%Y-%m-%d %H:%M:%S} UTC."
    )
    print(line)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
