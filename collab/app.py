"""The Flask app factory: `create_app(settings)`."""
from datetime import timedelta
from pathlib import Path

from flask import Flask

from collab.db import close_connection, database
from collab.settings import Settings
from collab.startup import prepare

TEMPLATES = Path(__file__).resolve().parent.parent / 'templates'
MAX_REQUEST_BYTES = 32 * 1024 * 1024


def create_app(settings=None):
    """Build the app for these settings: database bound, schema ready, queue configured."""
    # Imported here, as in Flask's tutorial: the blueprints import task names,
    # and the tasks import collab's services.
    import tasks
    from collab import (account_pages, admin, api, auth, errors, health, notification_settings,
                        realtime, security, validation, workspace_pages)
    from collab import member_pages
    from collab.enqueue import wake_dispatcher
    from collab.host_check import refuse_foreign_host
    from collab.jobs.outbox import dispatcher
    from collab.jobs.queue_alerts import checker as queue_alerts

    settings = settings or Settings.from_env()
    prepare(settings)
    tasks.configure(settings)
    dispatcher.start()   # also sends what an earlier run accepted but could not queue
    queue_alerts.start(settings)   # here too: only a web process sees that no consumer is alive

    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.request_class = validation.Request   # a body limit per kind of request
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        SESSION_COOKIE_NAME='collab_session',
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE='Lax',
        PERMANENT_SESSION_LIFETIME=timedelta(days=14),
        JSON_SORT_KEYS=False,
    )
    app.session_interface = security.SessionInterface()
    app.after_request(security.add_security_headers)
    app.before_request(refuse_foreign_host)   # first: nothing else runs for another Host
    app.before_request(security.refuse_nul_in_url)
    app.before_request(_open_connection)
    app.before_request(auth.load_user)
    app.before_request(auth.check_csrf)
    app.teardown_request(wake_dispatcher)
    app.teardown_request(lambda exc: close_connection())
    errors.init_app(app)
    realtime.init_app(app)   # flask-sock: the /ws route
    app.url_map.converters['id'] = api.IdConverter   # the API's ids, before its rules
    for blueprint in [*api.BLUEPRINTS, *admin.BLUEPRINTS, health.bp, account_pages.bp,
                      workspace_pages.bp, notification_settings.bp, member_pages.bp]:
        app.register_blueprint(blueprint)
    # Browsers ask for /favicon.ico on any page (a JSON one too): the SVG icon.
    app.add_url_rule('/favicon.ico', 'favicon', lambda: app.send_static_file('favicon.svg'))
    return app


def _open_connection():
    database.connect(reuse_if_open=True)
