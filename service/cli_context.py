"""The unit of work of one CLI command."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from service import create_app, db
from service.errors import DomainError
from service.redis_conn import running_embedded_url


@contextmanager
def app_session(**config: object) -> Iterator[Session]:
    """An app context and a session for one CLI command: committed on success, rolled back on error."""
    app = create_app(config or None)
    if not app.config.get("REDIS_URL"):
        # No REDIS_URL: the embedded Redis of a `minyi run` running on the same var/, if there is one
        # (log-in locks live there; notices queued by the command go to its worker).
        app.config["REDIS_URL"] = running_embedded_url(app.config["VAR_DIR"])
    with app.app_context():
        s = db.session()
        try:
            yield s
            s.commit()
        except DomainError as exc:
            s.rollback()
            click.echo(f"error: {exc.message}", err=True)
            for field, messages in (exc.errors or {}).items():
                for message in messages if isinstance(messages, list) else [messages]:
                    click.echo(f"  {field}: {message}", err=True)
            sys.exit(1)
        except BaseException:
            s.rollback()
            raise
