"""Running Collab's consumer from code: embedded in the web process, or on its own
(`python run.py worker`). Huey's `huey_consumer` builds the same consumer
through `huey.create_consumer()`."""
from collab.jobs.instance import huey


class ConsumerRunner:
    """One consumer for these settings: `start()`/`stop()` embedded, `run()` in the foreground."""

    def __init__(self, settings, embedded=False, workers=None, periodic=True):
        self.settings = settings
        self.consumer = huey.create_consumer(embedded=embedded,
                                             workers=workers or settings.huey_workers,
                                             periodic=periodic)

    @property
    def id(self):
        return self.consumer.id

    def start(self):
        """Start workers, scheduler and heartbeat in threads (embedded use)."""
        self.consumer.start()

    def run(self):
        """Run in the foreground until SIGINT/SIGTERM (the `worker` command)."""
        self.consumer.run()

    def stop(self):
        """Stop taking work; let running tasks finish within the grace period."""
        self.consumer.shutdown()

    def start_pruning(self):
        return self.consumer.heartbeat.start_pruning()
