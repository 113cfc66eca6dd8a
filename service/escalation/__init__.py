"""Escalation by the worker queue: alarms at an appeal's deadlines, the sweeps that fire them, and
the urgent-appeal alert. The decisions are pure, in `dispatch.escalation`."""
