"""GET /healthz: is the database up, is the queue up, is there space in DATA_DIR,
how many consumers are alive."""
import logging

from flask import Blueprint, current_app, jsonify

from collab import disk
from collab.db import database
from collab.jobs.models import live_consumers
from collab.jobs.instance import huey

log = logging.getLogger('collab.web')
bp = Blueprint('health', __name__)


@bp.get('/healthz')
def healthz():
    report, ok = {}, True
    try:
        database.execute_sql('SELECT 1')
        report['db'] = 'ok'
        report['consumers'] = live_consumers().count()
    except Exception as exc:
        log.warning('healthz: database down: %s', exc)
        report['db'], report['consumers'], ok = 'down', 0, False
    try:
        huey.storage.queue_size()
        report['queue'] = 'ok'
    except Exception as exc:
        log.warning('healthz: queue down: %s', exc)
        report['queue'], ok = 'down', False
    # Full: writes answer 507 (and lose nothing) until space is freed.
    report['disk'] = disk.state(current_app.config['SETTINGS'].data_dir)
    ok = ok and report['disk'] == 'ok'
    return jsonify(report), 200 if ok else 503
