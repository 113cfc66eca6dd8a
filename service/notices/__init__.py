"""Notices to citizens, units and the centre, written to an outbox in the same transaction as the
change that causes them; a relay hands them to the worker queue after the commit."""
