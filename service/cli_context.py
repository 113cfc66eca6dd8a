"""The unit of work of one CLI command."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from service import create_app, db
from service.errors import DomainError


@contextmanager
def app_session(**config: object) -> Iterator[Session]:
    """An app context and a session for one CLI command: committed on success, rolled back on error."""
    app = create_app(config or None)
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
