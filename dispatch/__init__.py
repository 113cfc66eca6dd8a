"""Routing and escalation: the pure decision logic of the dispatch desk (统一分拨).

- `dispatch.calendar`: working days (national holidays, 调休 make-up workdays, local overrides);
- `dispatch.deadlines`: sign-for and reply deadlines, extensions, warning levels;
- `dispatch.routing`: a `Router` compiled from a responsibility list, deciding lead and co-units.

No I/O, no database, no Flask in this package's decision modules.
"""
