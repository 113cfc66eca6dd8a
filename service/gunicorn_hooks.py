"""gunicorn's server hooks for `minyi web` (`--config python:service.gunicorn_hooks`)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Any


def worker_exit(server: Any, worker: Any) -> None:
    """A web worker that stops as asked (Ctrl-C, a deploy's SIGTERM) leaves at once.

    Its requests are done by now; what is left is the interpreter's tear-down of the whole app (the
    ORM, openpyxl, scikit-learn once a model was used...), seconds of CPU per worker. On a busy
    machine five workers tearing down at once outlast gunicorn's graceful timeout, and the master
    kills them, logging an ERROR ("was sent SIGKILL! Perhaps out of memory?") for every one at each
    Ctrl-C of `minyi run`. So the worker closes its database connections and flushes its logs, then
    exits without the tear-down.
    A worker that failed (to boot, say) exits as usual, with the code gunicorn reads.
    """
    exc = sys.exc_info()[1]
    if not (isinstance(exc, SystemExit) and exc.code in (0, None)):
        return
    app = getattr(worker, "wsgi", None)
    engine = getattr(app, "extensions", {}).get("minyi.engine")
    if engine is not None:
        engine.dispose()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(0)
