"""What every process does first: bind the database, create or migrate the
schema, create the first admin if asked. The web app, `run.py worker` and
`huey_consumer tasks.huey` all start here."""
import logging

from collab.db import database, open_database
from collab.fulltext import create_index as create_search_index
from collab.schema import create_schema
from collab.users import bootstrap_admin

log = logging.getLogger(__name__)


def prepare(settings):
    log.debug('database: %s', settings.database_url)
    open_database(settings.database_url)
    create_schema()
    create_search_index()
    with database.connection_context():
        bootstrap_admin(settings)
