"""APScheduler wiring: one job, refresh-then-build, at start and every interval."""

from __future__ import annotations

from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler

from aggregator.app import App

JOB_ID = "refresh-and-build"


def start_scheduler(app: App, first_run: datetime | None = None) -> BackgroundScheduler:
    """Start the background scheduler; runs never overlap and missed runs collapse into one."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        app.cycle,
        "interval",
        minutes=app.settings.schedule.interval_minutes,
        id=JOB_ID,
        next_run_time=first_run or app.clock(),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    scheduler.start()
    return scheduler
