"""The app's one Huey instance: the catalogue's tasks (package `tasks`) register on it.

Built as a Huey user builds theirs, with the extensions installed by explicit
calls: the ledger (every job's life in the app database), the dashboards'
change events, the log lines and alerts for failures, exactly-once effects, and
the progress jobs report. (The consumer captures each job's logs: collab.jobs.job_logs.)
"""
from collab.jobs import alerts, effects, ledger, progress
from collab.jobs.consumer import CollabConsumer
from collab.jobs.dashboard_events import JobChangeNotifier
from collab.jobs.engine import CollabHuey

huey = CollabHuey('collab', consumer_class=CollabConsumer)
ledger.install(huey, on_written=JobChangeNotifier(huey).changed)
alerts.install(huey)
effects.install(huey)
progress.install(huey)
