from __future__ import annotations

import getpass

import click


@click.group("suggest")
def suggest_group() -> None:
    """Category suggestions for operators."""


@suggest_group.command("train")
def train_command() -> None:
    """Train the text classifier on dispatched history and report its held-out accuracy."""
    from service.cli_context import app_session
    from service.suggestions.operations import train_from_history

    with app_session() as s:
        try:
            result = train_from_history(s, by=getpass.getuser())
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"trained on {result.n_train} appeals in {result.n_classes} categories; "
            f"held-out {result.n_test}: accuracy {result.accuracy:.1%}, top-3 {result.top3_accuracy:.1%}"
        )
