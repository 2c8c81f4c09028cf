"""The `customer360` command: serve the API, run the demo council, mint development tokens, print the schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from customer360.domain.requests import RequestStatus
from customer360.settings import Settings, SettingsError

if TYPE_CHECKING:  # the command imports its machinery lazily, so `--help` stays instant
    from customer360.identity.arrivals import ArrivalSummary
    from customer360.runtime import Runtime

EXIT_REFUSED = 2
log = logging.getLogger("customer360.cli")


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        parser.exit(EXIT_REFUSED, f"customer360: {error}\n")
    from customer360.production import demo_refusal, production_refusal

    refusal = {"demo": demo_refusal, "gateway": production_refusal}.get(args.kind, lambda _settings: None)(settings)
    if refusal:
        parser.exit(EXIT_REFUSED, f"customer360: {refusal}\n")
    from customer360.logging_config import configure_logging

    # One format for every line of every command (`C360_LOG_FORMAT`), redacted, with the chatty libraries
    # (alembic's migration notes among them) held at WARNING; `serve` re-configures for uvicorn.
    configure_logging(settings.log_level, format=settings.log_format)
    sys.exit(args.handler(settings, args) or 0)


# The settings (environment variables, see README's Settings) each kind of command reads, for its --help.
LOGS = "C360_LOG_FORMAT, C360_LOG_LEVEL"
STORE = "C360_DATA_DIR, C360_DATABASE_URL"
GATEWAY = (
    f"every setting in README.md's Settings table; chiefly C360_ENV, {STORE}, C360_REDIS_URL, C360_SOURCES "
    f"(unset: the demo council), C360_OIDC_*, C360_STAFF_OIDC_*, C360_PUBLIC_URL, C360_SESSION_SECRET, {LOGS}"
)


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default in its help, except where there is none to state (unset, or a flag)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, "") or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def _command(commands: Any, name: str, summary: str, reads: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=summary, epilog=f"Settings read: {reads}.", formatter_class=_Help
    )
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="customer360",
        description=__doc__,
        epilog="Settings are environment variables (README.md, Settings); each command's --help names those it reads.",
    )
    # What a command needs of its settings: `gateway` ones refuse an unsafe production configuration,
    # `demo` ones a production data dir; `offline` ones (files in, files out) neither.
    parser.set_defaults(kind="gateway")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = _command(commands, "serve", "run the API (the demo council unless C360_SOURCES is set)", GATEWAY)
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="the port to listen on")
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument(
        "--backoffice-port",
        type=int,
        metavar="P",
        help="the demo back offices' loopback port: used if they already answer there (started by hand with "
        "`customer360 demo backoffices --port P`, shared by several replicas), else started there "
        "(default: a free port; ignored with C360_SOURCES)",
    )
    serve.set_defaults(handler=_serve)

    demo = commands.add_parser("demo", help="the demo council's back offices").add_subparsers(
        required=True, metavar="ACTION"
    )
    demo_reads = f"{STORE}, C360_ENV (refused in production, and on a data dir production has used), {LOGS}"
    seed = _command(demo, "seed", "seed (or reseed) the demo back offices and link their people", demo_reads)
    seed.add_argument("--residents", type=int, default=2000, help="how many residents")
    seed.add_argument("--seed", type=int, default=42, help="the random seed (the same seed, the same council)")
    seed.add_argument("--reset", action="store_true", help="drop what is there first")
    seed.set_defaults(handler=_demo_seed, kind="demo")
    residents = _command(demo, "residents", "demo residents who can sign in, one JSON object a line", demo_reads)
    residents.add_argument("--limit", type=int, default=20, help="at most this many")
    residents.set_defaults(handler=_demo_residents, kind="demo")
    backoffices = _command(
        demo,
        "backoffices",
        "serve the demo's HTTP back offices (Open311, payments) until stopped",
        f"{demo_reads}, C360_PUBLIC_URL, C360_PAYMENTS_WEBHOOK_SECRET, C360_DEMO_WEBHOOK_COPIES",
    )
    backoffices.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    backoffices.add_argument("--port", type=int, default=8001, help="the port to listen on (0 picks a free port)")
    # `serve` passes its own pid: the back offices stop when it is gone, however it ended.
    backoffices.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    backoffices.set_defaults(handler=_demo_backoffices, kind="demo")
    progress = demo.add_parser(
        "progress", help="move a request on in its back office's own system (customer360 learns it from the feed)"
    )
    progress.add_argument("--reference", required=True, help="the C360- reference, or the back office's own")
    progress.add_argument("--status", required=True, choices=[status.value for status in RequestStatus])
    progress.add_argument("--note", help="what the officer says")
    progress.set_defaults(handler=_demo_progress, kind="demo")

    token = _command(
        commands,
        "token",
        "print a development bearer token (demo mode only)",
        f"{demo_reads}, C360_OIDC_ISSUER (a real identity provider turns the development issuer off)",
    )
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--resident", metavar="EMAIL", help="a resident's verified email (refused if no resident has it)")
    who.add_argument("--staff", metavar="NAME", help="a member of staff's name")
    token.add_argument("--role", default="", help="staff roles, comma-separated (needed with --staff)")
    token.set_defaults(handler=_token, kind="demo")

    outbox = commands.add_parser("outbox", help="writes waiting for a back office").add_subparsers(
        required=True, metavar="ACTION"
    )
    outbox_run = _command(outbox, "run", "deliver everything pending now, then exit", GATEWAY)
    outbox_run.set_defaults(handler=_outbox_run)

    payments = commands.add_parser("payments", help="card payments").add_subparsers(required=True, metavar="ACTION")
    reconcile = _command(payments, "reconcile", "settle payments whose outcome never arrived, then exit", GATEWAY)
    reconcile.set_defaults(handler=_payments_reconcile)

    link = _command(commands, "link", "cluster a records.csv into people (the golden-record batch)", LOGS)
    link.add_argument("--input", required=True, type=Path, help="records.csv (README.md, Golden-record batch files)")
    link.add_argument("--output", required=True, type=Path, help="clusters.csv to write")
    link.add_argument("--threshold", type=float, default=None, help="match probability that links (default 0.99)")
    link.add_argument("--review", type=Path, help="also write the pairs between the thresholds, with evidence")
    link.add_argument("--save-model", type=Path, help="also write the trained model (JSON)")
    link.add_argument(
        "--no-relative-guards",
        action="store_true",
        help="never apply the guards that keep twins and parents apart (by default they apply wherever the "
        "records show households, see docs/linkage.md)",
    )
    link.add_argument("--quiet", action="store_true", help="no progress bar")
    link.set_defaults(handler=_link, kind="offline")

    arrivals = _command(
        commands,
        "arrivals",
        "the full reconciliation: list every person in every back office, match the new and changed ones, "
        "then exit (slow; `serve` takes arrivals from the change feeds)",
        GATEWAY,
    )
    arrivals.set_defaults(handler=_arrivals)

    report = _command(
        commands, "report", "the six-monthly report on demand and access (HTML)", f"C360_ENV, {STORE}, {LOGS}"
    )
    report.add_argument(
        "--from", dest="from_", required=True, type=date.fromisoformat, metavar="DATE", help="first day"
    )
    report.add_argument("--to", required=True, type=date.fromisoformat, metavar="DATE", help="last day")
    report.add_argument("--output", required=True, type=Path, help="the HTML file to write")
    report.set_defaults(handler=_report)

    store = commands.add_parser("store", help="the gateway store itself").add_subparsers(
        required=True, metavar="ACTION"
    )
    renew_id = _command(
        store,
        "renew-id",
        "give the store a new identity, after restoring it from a backup: nothing Redis kept for it is read "
        "again once the gateways restart (docs/operations.md)",
        f"{STORE}, {LOGS}",
    )
    renew_id.set_defaults(handler=_store_renew_id)

    schema = _command(commands, "schema", "print the GraphQL schema (SDL)", "none")
    schema.add_argument("--federation", action="store_true", help="print the Apollo Federation v2 subgraph SDL instead")
    schema.set_defaults(handler=_schema, kind="offline")
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from customer360.demo import council
    from customer360.production import mark_production

    if settings.production:
        mark_production(settings.data_dir)  # the demo commands refuse this data dir from now on

    if not settings.sources_file and not council.is_seeded(settings):
        why = "its demo data is from an older version" if council.seeded_marker(settings) else "first start"
        log.info("%s on %s: seeding the demo council (%d residents)", why, settings.data_dir, council.DEFAULT_RESIDENTS)
        asyncio.run(_seed(settings, council.DEFAULT_RESIDENTS, council.DEFAULT_SEED, reset=True, say=log.info))
    os.environ.setdefault("C360_PUBLIC_URL", f"http://{args.host}:{args.port}")
    if args.workers > 1 and not settings.redis_url:
        # Kept answers live in each worker's memory: one worker could not forget another's after a change.
        os.environ["C360_CACHE_VIEWS"] = "off"
        log.warning("several workers without C360_REDIS_URL: whole answers are not kept")
    # Structured, redacted logs (customer360/logging_config.py) for us and for uvicorn: `log_config=None`
    # keeps uvicorn from installing its own handlers; each worker configures itself in the app factory.
    from customer360.logging_config import configure_logging

    logging.getLogger().handlers.clear()
    configure_logging(settings.log_level, format=settings.log_format)
    with contextlib.ExitStack() as stack:
        if not settings.sources_file:
            from customer360.demo.backoffice_process import (
                BACKOFFICE_URL_ENV,
                BackofficesDidNotStart,
                backoffices_answering,
                running_backoffice_process,
                tell_public_url,
            )

            shared = f"http://127.0.0.1:{args.backoffice_port}" if args.backoffice_port else None
            if shared and backoffices_answering(shared):
                os.environ[BACKOFFICE_URL_ENV] = shared  # replicas share one set; this one starts none
                # Started by hand or by another replica, they may not know where the gateway is: tell them,
                # or payment webhooks would go to whatever C360_PUBLIC_URL they were started with.
                if not tell_public_url(shared, os.environ["C360_PUBLIC_URL"], council.api_key(settings)):
                    print(f"customer360: the back offices at {shared} did not take our public URL", file=sys.stderr)
            elif _backoffices_in_own_process(settings) or shared:
                # Started before uvicorn starts its workers, so they all call this one; stopped when serving ends.
                try:
                    os.environ[BACKOFFICE_URL_ENV] = stack.enter_context(
                        running_backoffice_process(args.backoffice_port)
                    )
                except BackofficesDidNotStart as error:
                    print(f"customer360: {error}", file=sys.stderr)
                    return 1
        uvicorn.run(
            "customer360.app:create_served_app",  # its heap frozen once started (customer360/heap.py)
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=settings.log_level.lower(),
            log_config=None,
            access_log=False,  # access logs would carry query strings; requests are counted in /metrics
            # The client's address (the per-address rate limit) from X-Forwarded-For, but only when the peer
            # is a proxy listed in FORWARDED_ALLOW_IPS (uvicorn reads it; 127.0.0.1 unless set): a gateway's
            # or HAProxy's. Anyone else's X-Forwarded-For is ignored.
            proxy_headers=True,
            # SIGTERM: after draining (customer360/http/draining.py), requests in flight get as long as
            # any request may take before the lifespan stops the background loops.
            timeout_graceful_shutdown=int(settings.request_timeout_seconds) + 1,
        )
    return 0


def _backoffices_in_own_process(settings: Settings) -> bool:
    """The demo council's HTTP back offices, unless they already run somewhere or run inside each worker."""
    return settings.demo_backoffices == "process" and not settings.demo_backoffice_url


def _demo_backoffices(settings: Settings, args: argparse.Namespace) -> int:
    from customer360.demo import council
    from customer360.demo.backoffice_process import serve_backoffices
    from customer360.logging_config import configure_logging

    if not council.is_seeded(settings):
        print("customer360: the demo council is not seeded yet: run `customer360 demo seed`", file=sys.stderr)
        return 1
    logging.getLogger().handlers.clear()
    configure_logging(settings.log_level, format=settings.log_format)  # as `serve`, whose output it shares
    try:
        asyncio.run(serve_backoffices(settings, host=args.host, port=args.port, parent_pid=args.parent_pid))
    except OSError as error:
        print(f"customer360: cannot serve the demo back offices on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


def _demo_progress(settings: Settings, args: argparse.Namespace) -> int:
    from customer360.demo.progress import NotFound, progress

    try:
        system, record = asyncio.run(progress(settings, args.reference, RequestStatus(args.status), args.note))
    except NotFound:
        print(f"customer360: no demo back office holds a request {args.reference}", file=sys.stderr)
        return 1
    print(f"{args.reference}: {args.status} in {system} ({record})")
    return 0


def _demo_seed(settings: Settings, args: argparse.Namespace) -> int:
    from customer360.demo.seed import SeedError

    try:
        asyncio.run(_seed(settings, args.residents, args.seed, reset=args.reset))
    except SeedError as error:
        print(f"customer360: {error} (use --reset to replace what is there)", file=sys.stderr)
        return EXIT_REFUSED
    return 0


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def _seed(
    settings: Settings, residents: int, seed: int, *, reset: bool, say: Callable[[str], object] = _to_stderr
) -> None:
    """Seeds the demo council, saying how it goes: on stderr for `demo seed`, as log lines for `serve`."""
    import time

    from customer360.demo import council
    from customer360.identity.linking import IdentityHub
    from customer360.store.database import create_engine, migrate

    started = time.perf_counter()
    engine = create_engine(settings.gateway_database_url)
    try:
        await migrate(engine)

        def progress(line: str) -> None:
            say(f"  [{time.perf_counter() - started:5.1f} s] {line}")

        summary = await council.seed_demo(
            settings, IdentityHub.on(engine), residents=residents, seed=seed, reset=reset, progress=progress
        )
    finally:
        await engine.dispose()
    say(
        f"customer360: seeded {residents} residents: {summary.records} back-office records linked into "
        f"{summary.customers} customers ({summary.linked_to_all_systems} in every back office) "
        f"in {time.perf_counter() - started:.1f} s"
    )


def _demo_residents(settings: Settings, args: argparse.Namespace) -> int:
    from customer360.demo import council

    if not council.is_seeded(settings):
        print("customer360: the demo council is not seeded yet: run `customer360 demo seed`", file=sys.stderr)
        return 1
    for line in asyncio.run(_residents(settings, args.limit)):
        print(line)
    return 0


async def _residents(settings: Settings, limit: int) -> list[str]:
    from customer360.schema.node import to_global_id
    from customer360.store.customers import CustomerStore
    from customer360.store.database import create_engine

    engine = create_engine(settings.gateway_database_url)
    try:
        found = await CustomerStore(engine).residents(limit)
    finally:
        await engine.dispose()
    return [
        json.dumps(
            {"customer_id": to_global_id("Customer", record.customer_id), "email": record.email, "name": record.name}
        )
        for record, _links in found
    ]


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from customer360.auth.keys import load_or_create_signing_key
    from customer360.auth.principal import Role
    from customer360.auth.tokens import DemoIssuer

    if not settings.demo_issuer_enabled:
        print(
            "customer360: the development token issuer is off (C360_ENV=production or a real "
            "identity provider is configured); sign in through the identity provider instead",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    issuer = DemoIssuer(load_or_create_signing_key(settings.data_dir))
    if args.resident:
        if not asyncio.run(_is_resident(settings, args.resident)):
            print(
                "customer360: no resident has that verified email address in this data dir "
                "(`customer360 demo residents` lists some)",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        print(issuer.resident_token(args.resident))
        return 0
    names = [name.strip() for name in args.role.split(",") if name.strip()]
    unknown = [name for name in names if name not in {role.value for role in Role}]
    if not names or unknown:
        print(
            f"customer360: --staff needs --role with known roles ({', '.join(r.value for r in Role)}); "
            f"unknown: {', '.join(unknown) or 'none given'}",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    print(issuer.staff_token(args.staff, [Role(name) for name in names]))
    return 0


async def _is_resident(settings: Settings, email: str) -> bool:
    """Whether a token for `email` would name a golden record, exactly as the API ties one to it."""
    from customer360.domain.people import normalise_email
    from customer360.store.customers import CustomerStore
    from customer360.store.database import create_engine, migrate

    normalised = normalise_email(email)
    if not normalised:
        return False
    engine = create_engine(settings.gateway_database_url)
    try:
        await migrate(engine)
        return await CustomerStore(engine).customer_id_for_verified_email(normalised) is not None
    finally:
        await engine.dispose()


def _outbox_run(settings: Settings, args: argparse.Namespace) -> int:
    pending = asyncio.run(_drain_outbox(settings))
    print(f"customer360: outbox run done; {pending} deliveries still pending", file=sys.stderr)
    return 0


async def _drain_outbox(settings: Settings) -> int:
    from customer360.commands.relay import drain

    async with _one_shot_runtime(settings) as runtime:
        await drain(runtime.services.writes.deliverer)
        return await runtime.outbox.pending_count()


def _payments_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    settled = asyncio.run(_reconcile(settings))
    print(f"customer360: payments reconcile done; {settled} payments settled", file=sys.stderr)
    return 0


async def _reconcile(settings: Settings) -> int:
    async with _one_shot_runtime(settings) as runtime:
        return await runtime.services.payments.reconcile()


def _link(settings: Settings, args: argparse.Namespace) -> int:
    from customer360.identity.batch import BatchInputError, link_file
    from customer360.identity.matcher import AUTO_LINK

    threshold = AUTO_LINK if args.threshold is None else args.threshold
    if not 0 < threshold <= 1:
        print("customer360: --threshold must be a probability in (0, 1]", file=sys.stderr)
        return EXIT_REFUSED
    try:
        summary = link_file(
            args.input,
            args.output,
            link_threshold=threshold,
            relative_guards=not args.no_relative_guards,
            review_path=args.review,
            model_path=args.save_model,
            progress=not args.quiet,
        )
    except FileNotFoundError as error:
        print(f"customer360: cannot read {error.filename}", file=sys.stderr)
        return EXIT_REFUSED
    except BatchInputError as error:
        print(f"customer360: {error}", file=sys.stderr)
        return EXIT_REFUSED
    print(
        f"customer360: linked {summary.records} records into {summary.clusters} clusters "
        f"({summary.candidate_pairs} pairs compared, {summary.review_pairs} for review) in {summary.seconds:.1f} s",
        file=sys.stderr,
    )
    return 0


def _arrivals(settings: Settings, args: argparse.Namespace) -> int:
    summary = asyncio.run(_match_arrivals(settings))
    print(
        f"customer360: {summary.arrived} records arrived: {summary.linked} joined a customer, "
        f"{summary.new_customers} new customers, {summary.queued} pairs for review; {summary.changed} changed",
        file=sys.stderr,
    )
    return 0


async def _match_arrivals(settings: Settings) -> ArrivalSummary:
    from customer360.identity.arrivals import match_arrivals

    async with _one_shot_runtime(settings) as runtime:
        return await match_arrivals(
            runtime.services.sources.by_system(),
            runtime.identity,
            settings.match_model_path,
            by="customer360 arrivals",
            priority=settings.survivorship_priority,
            cache=runtime.services.cache,
            locks=runtime.services.writes.locks,
        )


@contextlib.asynccontextmanager
async def _one_shot_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The runtime for a command that does one thing and exits: none of `serve`'s background loops
    (outbox relay, payments reconciliation, change feeds and the arrivals they bring) start behind it."""
    from customer360.runtime import start_runtime

    quiet = replace(settings, outbox_interval_seconds=0, reconcile_interval_seconds=0, changes_interval_seconds=0)
    async with contextlib.AsyncExitStack() as stack:
        yield await start_runtime(quiet, stack, wait_for_store=False)  # a one-shot command fails, not waits


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from customer360.reporting.command import main_report

    return main_report(settings, args.from_, args.to, args.output)


def _store_renew_id(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(_renew_store_id(settings))
    print("customer360: the store has a new identity; restart every gateway on it", file=sys.stderr)
    return 0


async def _renew_store_id(settings: Settings) -> str:
    from customer360.store.database import create_engine, migrate
    from customer360.store.store_identity import StoreIdentity

    engine = create_engine(settings.gateway_database_url)
    try:
        await migrate(engine)
        return await StoreIdentity(engine).renew()
    finally:
        await engine.dispose()


def _schema(settings: Settings, args: argparse.Namespace) -> int:
    from customer360.schema.schema import build_schema

    print(build_schema(federation=args.federation).as_str())
    return 0
