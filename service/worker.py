"""The RQ worker of `minyi worker` through a Redis outage: its periodic jobs, its scheduler, its log.

While Redis is unreachable nothing is lost: intake goes on, notices wait in the outbox, and the
worker, its loop queueing the periodic jobs (`cron_loop`) and its scheduler (the process rq forks to
queue the jobs planned for later: a notice's next attempt) keep trying, with a pause that grows
from `RETRY_FIRST_SECONDS` to `RETRY_MAX_SECONDS`. The log says so once when Redis goes away and
once when it is back (`RedisOutage`), not at every try: rq's own "could not connect" lines, one per
try of the worker and one every 2 s of its command listener, are folded into that one line.

rq's scheduler (rq 3.0) dies at the first Redis error, with a traceback, and the worker starts it
again only at its next maintenance, up to 10 minutes later: jobs planned for later waited that long
after Redis was back. `Scheduler` keeps running instead, and takes its queues' locks again once
Redis is back (a Redis restarted empty has lost them).

Written against rq 3.0.0's internals (`tests/service/escalation/test_worker_outage.py` fails on
another version): re-check every override here when rq is upgraded.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from redis import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker
from rq.connections import parse_connection
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.scheduler import RQScheduler

from service.redis_conn import SOCKET_TIMEOUT

if TYPE_CHECKING:
    import redis
    from rq.cron import CronJob
    from rq.job import Job
    from rq.queue import Queue

log = logging.getLogger(__name__)

#: The pause after the first failed try while Redis is unreachable; it doubles at each try after,
#: up to the longest.
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 15.0

#: How long the scheduler waits for Redis to answer: none of its commands blocks, so a Redis host
#: gone without a word (no reset) shows as an outage after this, not as a scheduler hung for good.
SCHEDULER_SOCKET_TIMEOUT = SOCKET_TIMEOUT


class RedisOutage:
    """Tells the log once that Redis is unreachable for `what` (what waits meanwhile), and once that
    it is back, however many tries fail in between. Thread-safe: the worker's loop, its command
    listener and the periodic jobs' loop report to one."""

    def __init__(self, what: str, waiting: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.waiting = waiting
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, error: object) -> None:
        with self._lock:
            if self._since is not None:
                return
            self._since = self._clock()
        log.warning(
            "%s: Redis unreachable (%s); %s. Retrying by itself, every %g s at first, then less often "
            "(every %g s at most)",
            self.what,
            error,
            self.waiting,
            RETRY_FIRST_SECONDS,
            RETRY_MAX_SECONDS,
        )

    def back(self) -> None:
        with self._lock:
            if self._since is None:
                return
            down_for, self._since = self._clock() - self._since, None
        log.info("%s: Redis reachable again after %.0f s; going on", self.what, down_for)


class Backoff:
    """The pauses between tries: doubling from `first` to `longest`."""

    def __init__(self, first: float = RETRY_FIRST_SECONDS, longest: float = RETRY_MAX_SECONDS) -> None:
        self.first, self.longest = first, longest
        self._next = first

    def next(self) -> float:
        pause, self._next = self._next, min(self._next * 2, self.longest)
        return pause

    def reset(self) -> None:
        self._next = self.first


#: A Redis gone away (refused, reset, timed out), as redis-py reports it.
_LOST = (RedisConnectionError, RedisTimeoutError, OSError)

#: The worker process's outage: its job loop, its command listener and its periodic jobs' loop.
WORKER_OUTAGE = RedisOutage(
    "worker", "queued jobs, the escalation sweeps and the relay of notices wait (notices stay in the outbox)"
)


class _RqConnectionErrors(logging.Filter):
    """rq's worker logs "could not connect to Redis instance ... retrying" at every try of its job
    loop (backing off to 60 s) and every 2 s of its command listener: one `RedisOutage` line instead."""

    def __init__(self, outage: RedisOutage) -> None:
        super().__init__()
        self.outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        if "could not connect to Redis instance" not in str(record.msg):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        self.outage.failed(args[1] if len(args) > 1 else record.getMessage())
        return False


class Scheduler(RQScheduler):
    """rq's scheduler, kept running through a Redis outage (see the module's docstring)."""

    retry_first = RETRY_FIRST_SECONDS
    retry_max = RETRY_MAX_SECONDS

    def work(self) -> None:
        self._install_signal_handlers()
        outage = RedisOutage("scheduler", "jobs planned for later (a notice's next attempt) wait")
        backoff = Backoff(self.retry_first, self.retry_max)
        registered = False
        while not self._stop_requested:
            try:
                if outage.down:
                    # Redis may have restarted empty: take the locks again (ours are refreshed).
                    self._acquired_locks = set()
                    self.lock_acquisition_time = None
                    self._scheduled_job_registries = []
                if not registered or outage.down:
                    self.register_birth()
                    registered = True
                if self.should_reacquire_locks:
                    self.acquire_locks()
                self.heartbeat()
                self.enqueue_scheduled_jobs()
            except _LOST as exc:
                outage.failed(exc)
                self._status = self.Status.STARTED
                self._pause(backoff.next())
                continue
            outage.back()
            backoff.reset()
            self._pause(self.interval)
        # Redis gone: the locks and the scheduler's key expire by themselves.
        with contextlib.suppress(RedisError, OSError):
            self.stop()

    def _pause(self, seconds: float) -> None:
        """Sleep, but stop soon when asked to (SIGTERM from the worker stopping)."""
        deadline = time.monotonic() + seconds
        while not self._stop_requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))


class Worker(SimpleWorker):
    """The service's worker: rq's SimpleWorker with `Scheduler`, and one log line per Redis outage."""

    outage = WORKER_OUTAGE
    # rq's job loop waits for a lost Redis backing off up to 60 s: as the rest of the worker, 15 s.
    max_connection_wait_time = RETRY_MAX_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rq_log = logging.getLogger("rq.worker")
        if not any(isinstance(f, _RqConnectionErrors) for f in rq_log.filters):
            rq_log.addFilter(_RqConnectionErrors(self.outage))
        self._job_began = False
        #: Jobs taken from their queue that did not run (Redis went away first), to queue again.
        self._not_run: list[tuple[Job, Queue, list[Any]]] = []

    # rq's job loop retries a lost Redis only while it waits for a job; at the end of a job and
    # between two jobs (the suspension check, the maintenance every 10 minutes, the heartbeat) a
    # Redis error ended the worker ("found an unhandled exception, quitting"). There it is an outage
    # too: the step is skipped, and the wait for the next job retries.

    def heartbeat(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().heartbeat(*args, **kwargs)
        except _LOST as exc:
            self.outage.failed(exc)
            return
        if kwargs.get("pipeline") is None:
            self.outage.back()  # it reached Redis

    def check_for_suspension(self, burst: bool) -> None:
        try:
            super().check_for_suspension(burst)
        except _LOST as exc:
            self.outage.failed(exc)

    def run_maintenance_tasks(self) -> None:
        try:
            super().run_maintenance_tasks()
        except _LOST as exc:
            self.outage.failed(exc)  # not marked done: tried again at the next turn

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        backoff = Backoff()
        while True:
            try:
                self._queue_again()
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except _LOST as exc:  # before rq's own retry begins (its worker's state, say)
                self.outage.failed(exc)
                time.sleep(backoff.next())

    def execute_job(self, job: Job, queue: Queue) -> None:
        """A job taken from its queue is run later if Redis went away before it ran: the worker
        puts it back on its queue as soon as Redis answers again, before taking the next job. (rq
        would leave it in the queue's "intermediate" list, and mark it failed a minute later, "stuck
        in intermediate queue", without running it.) If the worker is stopped before Redis is back,
        that job is not run: rq marks it failed, and the work it would have done waits for the next
        periodic sweep, which finds it again (a notice's delivery, an overdue appeal).

        A job that ran but whose end could not be recorded is left as it is: every job is harmless
        to run twice, and rq's registry clean-up sees to one left started. If Redis comes back within
        the instant between a failed start and its record, rq records that job failed (with the
        connection error): the same sweeps redo its work.
        """
        self._job_began = False
        try:
            super().execute_job(job, queue)
        except _LOST as exc:
            self.outage.failed(exc)
            if not self._job_began:
                executions = [e for e in self.executions.values() if e.job_id == job.id]
                self._not_run.append((job, queue, executions))

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        super().prepare_job_execution(job, remove_from_intermediate_queue)
        self._job_began = True  # recorded as started: rq's job code runs next

    def _queue_again(self) -> None:
        """Put back on their queues the jobs that did not run (see `execute_job`)."""
        while self._not_run:
            job, queue, executions = self._not_run[0]
            job.started_at = job.worker_name = None
            try:
                with self.connection.pipeline() as pipe:  # one transaction
                    queue.enqueue_job(job, pipeline=pipe, at_front=True)  # (first: it starts it)
                    pipe.lrem(queue.intermediate_queue_key, 1, job.id)
                    for execution in executions:  # what rq recorded of the start, if it got that far
                        execution.delete(job=job, pipeline=pipe)
                    pipe.execute()
            except _LOST:
                raise  # still gone: tried again at the next try
            except Exception:
                log.exception(
                    "worker: job %s (%s) did not run and could not be queued again", job.id, job.func_name
                )
            else:
                log.info(
                    "worker: job %s (%s) did not run before Redis went away; queued again",
                    job.id,
                    job.func_name,
                )
            for execution in executions:
                self.executions.pop(execution.id, None)
            self._not_run.pop(0)

    def register_death(self) -> None:
        # Stopping while Redis is gone: the worker's key expires by itself.
        with contextlib.suppress(*_LOST):
            super().register_death()

    def unsubscribe(self) -> None:
        """Stopping while Redis is gone: the channel went with the connection; the command listener
        is stopped all the same."""
        try:
            super().unsubscribe()
        except _LOST:
            if self.pubsub_thread:
                self.pubsub_thread.stop()
                self.pubsub_thread.join(timeout=1)
            with contextlib.suppress(*_LOST):
                self.pubsub.close()

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        """rq 3.0's, with `Scheduler` for RQScheduler, and a connection giving up after
        `SCHEDULER_SOCKET_TIMEOUT` (the worker's own waits for its blocking dequeue: minutes)."""
        redis_class, connection_class, settings = parse_connection(self.connection)
        pool = ConnectionPool(
            connection_class=connection_class, **{**settings, "socket_timeout": SCHEDULER_SOCKET_TIMEOUT}
        )
        self.scheduler = Scheduler(
            self.queues,
            connection=redis_class(connection_pool=pool),
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()


def cron_loop(
    conn: redis.Redis,
    jobs: Sequence[CronJob],
    stop: threading.Event,
    outage: RedisOutage = WORKER_OUTAGE,
    backoff: Backoff | None = None,
) -> None:
    """Queue the periodic jobs when due (rq's CronJob, driven from a thread of the worker), until
    `stop`. Several workers each queue them; the jobs hold locks, so the extra runs do nothing.
    While Redis is unreachable the loop keeps trying, less and less often, and says so once."""
    backoff = backoff or Backoff()
    while not stop.is_set():
        try:
            reached = False
            for job in jobs:
                if job.should_run():
                    job.enqueue(conn)
                    job.set_enqueue_time(datetime.now(UTC))
                    reached = True
            if outage.down and not reached:
                conn.ping()  # nothing was due: is Redis back?
        except (RedisError, OSError) as exc:
            outage.failed(exc)
            stop.wait(backoff.next())
            continue
        outage.back()
        backoff.reset()
        stop.wait(1.0)
