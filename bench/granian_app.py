"""specdouble's own app under granian instead of uvicorn (issue 14: server choice).

``python -m bench.granian_app serve --port 8123 --specs specs`` takes the same
arguments as ``specdouble serve`` (one worker), builds the very same app
(``build_worker_app``) and hands it to granian's ASGI interface with uvloop,
so the two servers can be compared on equal terms: target ``granian`` of the
bench (``--targets specdouble,granian``). granian is not a dependency of
specdouble: ``.venv/bin/pip install granian``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from specdouble.cli import build_parser, settings_from

_ARGV = "BENCH_GRANIAN_ARGV"


def app() -> Any:
    """granian's factory: the app the CLI would build from the arguments passed on."""
    from specdouble.http.server import build_worker_app

    args = build_parser(os.environ).parse_args(json.loads(os.environ[_ARGV]))
    return build_worker_app(settings_from(args, os.environ))


def main(argv: list[str]) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    args = build_parser(os.environ).parse_args(argv)
    os.environ[_ARGV] = json.dumps(argv)
    Granian("bench.granian_app:app", address=args.host, port=args.port,
            interface=Interfaces.ASGI, workers=1, loop=Loops.uvloop, websockets=False,
            factory=True, log_level=LogLevels.warning, log_access=False).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
