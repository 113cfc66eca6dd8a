"""`minyi jobs retry`: an administrator trying again what failed for good."""

from __future__ import annotations


def test_retrying_a_worker_job_that_is_not_there_says_so(command_line, monkeypatch):
    import service.cli_context
    import service.notices.cli

    # The fixture puts the command on the test's connection; this module took app_session by name.
    monkeypatch.setattr(service.notices.cli, "app_session", service.cli_context.app_session)

    result = command_line("jobs", "retry", "no-such-job")

    assert result.exit_code == 1 and result.exception.__class__ is SystemExit  # no traceback
    assert "No failed notice or worker job no-such-job (see minyi jobs failed)." in result.output
