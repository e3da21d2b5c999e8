"""APScheduler wiring: one job, refresh-then-build, at start and every interval."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from aggregator.app import App

JOB_ID = "refresh-and-build"
#: Retries pings to WebSub hubs that failed after a build.
PINGS_JOB_ID = "websub-pings"
PINGS_EVERY = timedelta(seconds=15)
#: First retry after a cycle the database failed in; it doubles up to the normal interval.
DATABASE_RETRY = timedelta(seconds=5)


def database_retry_delay(failures: int, interval: timedelta) -> timedelta:
    """When to try again after ``failures`` cycles in a row lost the database (pure)."""
    delay: timedelta = min(DATABASE_RETRY * 2 ** max(failures - 1, 0), interval)
    return delay


def start_scheduler(app: App, first_run: datetime | None = None) -> BackgroundScheduler:
    """Start the background scheduler; runs never overlap and missed runs collapse into one.

    A cycle that lost the database is tried again sooner, with a growing delay,
    rather than a whole interval later.
    """
    scheduler = BackgroundScheduler(timezone="UTC")
    interval = timedelta(minutes=app.settings.schedule.interval_minutes)

    def cycle() -> None:
        app.cycle()
        if app.database_failures and not app.stop.is_set():
            delay = database_retry_delay(app.database_failures, interval)
            scheduler.modify_job(JOB_ID, next_run_time=app.clock() + delay)

    scheduler.add_job(
        cycle,
        "interval",
        minutes=app.settings.schedule.interval_minutes,
        id=JOB_ID,
        next_run_time=first_run or app.clock(),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    if app.hub_pings.hubs:
        scheduler.add_job(
            app.hub_pings.send_due,
            "interval",
            seconds=PINGS_EVERY.total_seconds(),
            id=PINGS_JOB_ID,
            coalesce=True,
            max_instances=1,
        )
    scheduler.start()
    return scheduler
