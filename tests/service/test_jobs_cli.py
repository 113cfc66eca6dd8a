"""`minyi jobs retry`: an administrator trying again what failed for good."""

from __future__ import annotations

import pytest

from service.notices import models as nm
from tests.service.factories import failed_notice


@pytest.fixture(params=["redis://127.0.0.1:1/0", None], ids=["unreachable", "not configured"])
def redis_down(app, request):
    """The service's Redis refusing connections, or no REDIS_URL and no `minyi run` running."""
    app.config["REDIS_URL"] = request.param
    app.extensions.pop("minyi.redis", None)  # the connection made for the old URL


def test_retrying_a_worker_job_that_is_not_there_says_so(command_line):
    result = command_line("jobs", "retry", "no-such-job")

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit  # no traceback
    assert "No failed notice or worker job no-such-job (see minyi jobs failed)." in result.output


def test_retrying_a_failed_notice_makes_it_pending_again(command_line, db_session):
    delivery = failed_notice(db_session)

    result = command_line("jobs", "retry", f" {delivery.id} ")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"notice {delivery.id} queued again"
    db_session.refresh(delivery)
    assert delivery.status == nm.PENDING and delivery.attempts == 0


@pytest.mark.parametrize("ident", ["99999999999999999999999", "9223372036854775808", "0"])
def test_a_notice_number_past_any_id_is_no_notice(command_line, ident):
    result = command_line("jobs", "retry", ident)

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert f"No failed notice {ident} (see minyi jobs failed)." in result.output


@pytest.mark.parametrize("ident", ["²", "١٢", "１２"])
def test_digits_other_than_ascii_ones_are_no_notice_number(command_line, ident):
    result = command_line("jobs", "retry", ident)

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert f"No failed notice or worker job {ident} (see minyi jobs failed)." in result.output


def test_the_failed_notices_are_listed_and_the_redis_out_of_reach_named(command_line, db_session, redis_down):
    delivery = failed_notice(db_session)

    result = command_line("jobs", "failed")

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit  # no traceback
    assert "failed notices: 1" in result.output and "gateway said 400" in result.output
    assert f"{delivery.id}" in result.output and "13907975002" not in result.output
    assert "failed worker jobs not shown: the service's Redis cannot be reached" in result.output
    assert "REDIS_URL" in result.output


def test_retrying_a_worker_job_without_redis_names_it(command_line, redis_down):
    result = command_line("jobs", "retry", "3f1c9a52-no-redis")

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert "worker job 3f1c9a52-no-redis not retried: the service's Redis cannot be reached" in result.output
    assert "REDIS_URL" in result.output


def test_retrying_a_notice_without_redis_says_the_relay_sweep_sends_it(command_line, db_session, redis_down):
    """Not "queued again": the notice is stored pending, and no worker has it until the worker's relay
    sweep finds it, once it reaches Redis."""
    delivery = failed_notice(db_session)

    result = command_line("jobs", "retry", str(delivery.id))

    assert result.exit_code == 0 and result.exception is None, result.output
    assert "queued again" not in result.output
    assert result.stderr.startswith(
        f"notice {delivery.id} is marked for sending again, but not queued: "
        "the service's Redis cannot be reached ("
    )
    assert "check REDIS_URL" in result.stderr
    assert "the worker's relay sweep sends it once the worker reaches Redis" in result.stderr
    db_session.refresh(delivery)
    assert delivery.status == nm.PENDING and delivery.attempts == 0
