"""The no-op task on Collab's Huey (loaded through TASK_MODULES=bench.tasks)."""
from bench.noop import noop as noop_body
from collab.jobs.instance import huey

noop = huey.task(name='bench.noop')(noop_body)
