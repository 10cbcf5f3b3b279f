"""`haven keys create COMMUNITY [--scope ...]`: a new API key, printed once."""

from __future__ import annotations

import argparse
import sys

from haven.cli.service_commands import embedded_database
from haven.cli.settings_loading import check_schema, load_settings
from haven.store.records import SCOPES

DEFAULT_SCOPES = ("ingest", "read")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="manage API keys")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create an API key for a community")
    create.add_argument("community", help="the community the key may read and write")
    create.add_argument(
        "--scope",
        action="append",
        choices=SCOPES,
        dest="scopes",
        help="repeat for several (default: ingest and read; admin grants every scope)",
    )
    create.set_defaults(handler=run_create)
    revoke = actions.add_parser("revoke", help="revoke a key (in effect within 30 seconds)")
    revoke.add_argument("prefix", help="the key, or its first 12 characters (hvn_…) as printed at creation")
    revoke.set_defaults(handler=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    from haven.store.migrate import upgrade
    from haven.store.sql import SqlStore

    settings = load_settings()
    if settings.database.url is not None:
        check_schema(settings)
    store = SqlStore.from_settings(settings.database)
    try:
        if settings.database.url is None:
            upgrade(store.engine)
        secret, key = store.create_api_key(args.community, args.scopes or DEFAULT_SCOPES)
    finally:
        store.dispose()
    print(secret)
    print(
        f"haven: key {key.prefix}… for community {key.community!r} with scopes "
        f"{', '.join(key.scopes)} in the {embedded_database(settings)}; it is shown only this once",
        file=sys.stderr,
    )
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from haven.store.sql import SqlStore

    settings = load_settings()
    if settings.database.url is not None:
        check_schema(settings)
    store = SqlStore.from_settings(settings.database)
    try:
        revoked = store.revoke_api_key(args.prefix)
    finally:
        store.dispose()
    if not revoked:
        print(f"haven: no active key starts with {args.prefix[:12]!r}", file=sys.stderr)
        return 1
    print(f"haven: revoked {revoked} key(s) starting with {args.prefix[:12]!r}", file=sys.stderr)
    return 0
