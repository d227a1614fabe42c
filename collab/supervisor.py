"""`python run.py`: the web server and the consumer as two child processes, watched.

The children are `python run.py web` and `python run.py worker` with this
process's environment, so CPU-bound jobs never share the web server's
interpreter (its GIL, its event loop). A consumer that dies is started again
after a short backoff, which grows while it keeps dying young. The web server
(gunicorn's master, itself a supervisor of its worker) is not restarted: when
it exits, everything stops with its exit code.

The children stay in this process group: a terminal's Ctrl-C reaches each of
them, and each stops gracefully on its own, running jobs getting
SHUTDOWN_GRACE. SIGINT or SIGTERM sent to this process alone is passed on as
SIGTERM, which both children also take as a graceful stop (a second,
different signal never cuts a child's grace short). This module imports no Flask.
"""
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger('collab.supervisor')

RUN_PY = Path(__file__).resolve().parent.parent / 'run.py'
BACKOFF = (0.5, 1, 2, 5, 10)   # seconds before restart number 1, 2, ...; then the last
STABLE_AFTER = 30              # a consumer that lived this long resets the backoff
POLL = 0.1


class Child:
    def __init__(self, name, command, restart):
        self.name, self.restart = name, restart
        self.argv = [sys.executable, str(RUN_PY), command]
        self.process, self.started_at, self.restarts, self.due = None, 0.0, 0, None

    def spawn(self):
        self.process = subprocess.Popen(self.argv, env=os.environ.copy())
        self.started_at, self.due = time.monotonic(), None
        log.info('%s process %s started', self.name, self.process.pid)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def signal(self, sig):
        if self.alive():
            try:
                os.kill(self.process.pid, sig)
            except ProcessLookupError:
                pass


class Supervisor:
    def __init__(self, settings):
        self.settings = settings
        self.web = Child('web', 'web', restart=False)
        self.consumer = Child('consumer', 'worker', restart=True)
        self.stopping = False

    def run(self):
        """Start both, watch until a stop signal or the web server's exit; the exit code."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        self.consumer.spawn()
        self.web.spawn()
        while not self.stopping:
            if not self.web.alive():
                log.info('web server exited with %s; stopping', self.web.process.returncode)
                self.stopping = True
                self.consumer.signal(signal.SIGTERM)
                break
            self._watch_consumer()
            time.sleep(POLL)
        return self._wait_for_children()

    def _on_signal(self, signum, frame):
        if not self.stopping:
            log.info('stopping (%s): the web server, then the consumer within %ss',
                     signal.Signals(signum).name, self.settings.shutdown_grace)
        self.stopping = True
        for child in (self.web, self.consumer):
            child.signal(signal.SIGTERM)

    def _watch_consumer(self):
        child = self.consumer
        if child.alive():
            return
        now = time.monotonic()
        if child.due is None:
            if now - child.started_at >= STABLE_AFTER:
                child.restarts = 0
            delay = BACKOFF[min(child.restarts, len(BACKOFF) - 1)]
            # A terminal's Ctrl-C reaches the consumer and this process at once: the
            # delay also gives this process's handler time to say "stopping".
            log.warning('consumer process %s exited with %s; restarting in %ss',
                        child.process.pid, child.process.returncode, delay)
            child.due = now + delay
        elif now >= child.due:
            child.restarts += 1
            child.spawn()

    def _wait_for_children(self):
        deadline = time.monotonic() + self.settings.shutdown_grace + 15
        codes = {}
        for child in (self.web, self.consumer):
            if child.process is None:
                continue
            try:
                codes[child.name] = child.process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log.warning('%s process did not stop in time; killing it', child.name)
                child.process.kill()
                codes[child.name] = child.process.wait()
        web_code = codes.get('web', 0)
        if web_code not in (0, None):
            return web_code
        # A consumer stopped by our signal exits 0; anything else is worth saying.
        return 0 if codes.get('consumer', 0) in (0, -signal.SIGTERM, -signal.SIGINT) else 1
