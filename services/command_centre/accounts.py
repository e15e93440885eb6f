"""Staff accounts from the command line, for the bureau's operators (README, "Staff accounts"):

    python -m services.command_centre.accounts add NAME --role ROLE --office OFFICE
    python -m services.command_centre.accounts reset NAME
    python -m services.command_centre.accounts disable NAME | enable NAME
    python -m services.command_centre.accounts list

It uses the command centre's settings (`DATABASE_URL`, `SPS_POLICY_DIR`). A password is asked for
twice on the terminal, or read from standard input with `--password-stdin` (for scripts). A reset
or a disabling ends the account's sessions at once.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from services.command_centre.adapters.accounts import AccountStore
from services.command_centre.domain.passwords import password_problem
from services.command_centre.domain.staff import COUNTY, StaffUser
from services.command_centre.main import MIGRATIONS, CommandCentreSettings
from shared.authority import load_authority
from shared.db.engine import make_engine
from shared.db.migrate import prepare_database
from shared.geography import load_geography
from shared.secrets import hash_secret_async
from shared.throttle import PasswordPolicy, load_security


class Refused(Exception):
    pass


def read_password(from_stdin: bool, username: str, policy: PasswordPolicy) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise Refused("the two passwords differ")
    if (problem := password_problem(password, username, policy)) is not None:
        raise Refused(problem)
    return password


async def run(args: argparse.Namespace, settings: CommandCentreSettings) -> str:
    engine = make_engine(settings.service_database_url, pool_size=1)
    try:
        await prepare_database(settings, MIGRATIONS, engine)
        store = AccountStore(engine)
        passwords = load_security(settings.policy_dir).passwords
        if args.command == "list":
            rows = await store.all()
            lines = [
                f"{u.username}\t{u.role}\t{u.jurisdiction}\t{'disabled' if u.disabled else 'active'}" for u in rows
            ]
            return "\n".join(lines) or "(no accounts)"
        if args.command == "add":
            roles = set(load_authority(settings.policy_dir).roles)
            offices = set(load_geography(settings.policy_dir).offices) | {COUNTY}
            if args.role not in roles:
                raise Refused(f"role must be one of {', '.join(sorted(roles))}")
            if args.office not in offices:
                raise Refused(f"office must be a Jiangyin justice office or {COUNTY!r}")
            password = await hash_secret_async(read_password(args.password_stdin, args.name, passwords))
            if not await store.add(StaffUser(args.name, args.role, args.office, password)):
                raise Refused(f"{args.name} exists already (reset or enable it instead)")
            return f"added {args.name} ({args.role}, {args.office})"
        if args.command == "reset":
            password = await hash_secret_async(read_password(args.password_stdin, args.name, passwords))
            done = await store.update(args.name, password_hash=password)
            verb = "reset the password of"
        else:
            done = await store.update(args.name, disabled=args.command == "disable")
            verb = f"{args.command}d"
        if not done:
            raise Refused(f"no account {args.name}")
        return f"{verb} {args.name}; its sessions have ended"
    finally:
        await engine.dispose()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m services.command_centre.accounts", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="a new account")
    add.add_argument("name")
    add.add_argument("--role", required=True)
    add.add_argument("--office", required=True, help=f"a justice office, or {COUNTY!r} for county staff")
    add.add_argument("--password-stdin", action="store_true")
    reset = sub.add_parser("reset", help="a new password (ends the account's sessions)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true")
    for name in ("disable", "enable"):
        sub.add_parser(name, help=f"{name} an account").add_argument("name")
    sub.add_parser("list", help="every account, its role, office and state")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(asyncio.run(run(args, CommandCentreSettings())))
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
