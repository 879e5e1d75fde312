"""``supervisor-rules serve [POLICY...] [--host 127.0.0.1] [--port 8000] [--calendar FILE]``: a local
HTTP service and web page (``supervisor_rules.web``; docs/serve.md).

``POLICY`` is a rule file, a family file or a shipped id; none given: every shipped policy. Binds to
127.0.0.1 unless ``--host`` says otherwise; ``--port 0`` takes a free port. The URL goes to standard
error once the socket is bound. Runs until stopped (Ctrl-C: exit 0). A usage error (a bad policy, two
policies with one id, a port in use, a bad calendar file, the ``serve`` extra missing) exits 2.
"""

from __future__ import annotations

import ipaddress
import socket
import sys

import supervisor_rules as sr
from supervisor_rules.cli.output import unknown_policy
from supervisor_rules.dates.workdays import CalendarFileError, load_calendar

PROG = "supervisor-rules"
EXIT_OK, EXIT_USAGE = 0, 2
_LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"]


def register(commands, options) -> None:
    p = commands.add_parser(
        "serve", help="a local HTTP service and web page: decide cases, browse policies",
        description="Serve the policies (default: every shipped one) over HTTP: a web page to fill a case "
                    "and see its decision, a JSON API with OpenAPI (docs/serve.md). Binds to 127.0.0.1 "
                    "by default. Runs until stopped; exit 2 for a usage error.")
    p.add_argument("policies", nargs="*", metavar="POLICY",
                   help="rule files, family files or shipped ids (default: every shipped policy)")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=8000, help="the port (default 8000; 0: any free port)")
    p.add_argument("--calendar", default=None, metavar="FILE",
                   help="add or replace working-day data: a JSON file of years with their holidays and "
                        "adjusted working days (docs/dates.md)")
    p.set_defaults(handler=run)


def _port(text: str) -> int:
    import argparse

    if not (text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text[:40]!r}")
    return int(text)


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG} serve: error: {message}\n")
    return EXIT_USAGE


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (raises OSError: in use, no such address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def run(args) -> int:
    if getattr(args, "format", None) is not None:
        return _fail("--format does not apply to serve (the service answers JSON and HTML)")
    try:
        from supervisor_rules.web import create_app
        import uvicorn
    except ImportError as exc:
        return _fail(f"serve needs the `serve` extra (pip install 'supervisor-rules[serve]'): {exc}")
    names = args.policies or sr.builtin_policy_ids()
    shipped = sr.builtin_policy_ids()
    calendar = None
    if args.calendar is not None:
        try:
            calendar = load_calendar(args.calendar)
        except CalendarFileError as exc:
            return _fail(f"--calendar: {' '.join(str(exc).split())}")
    loaded: dict = {}
    for name in names:
        if name not in shipped and not name.endswith((".rules", ".family")) and "/" not in name:
            return _fail(unknown_policy(name, shipped))
        try:
            policy = sr.resolve_policy(name)
        except sr.PolicyError as exc:
            return _fail(f"invalid policy {name}: " + "; ".join(d.header() for d in exc.diagnostics))
        except (sr.RulesError, OSError) as exc:
            return _fail(f"cannot load policy {name}: {' '.join(str(exc).split())}")
        if calendar is not None:
            policy = policy.with_calendar(calendar)
        if policy.id in loaded:
            return _fail(f"two policies have the id {policy.id!r} ({name}); serve each id once")
        loaded[policy.id] = policy
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    allowed = _LOOPBACK_NAMES if _loopback(args.host) else None
    app = create_app(loaded, allowed_hosts=allowed)
    port = sock.getsockname()[1]
    shown = f"[{args.host.strip('[]')}]" if ":" in args.host else args.host
    sys.stderr.write(f"{PROG} serve: 正在服务 serving {', '.join(loaded)} at http://{shown}:{port}/ "
                     "(Ctrl-C 停止 to stop)\n")
    sys.stderr.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass
    finally:
        sock.close()
    return EXIT_OK
