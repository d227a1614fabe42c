"""What every process does first: make DATA_DIR private, bind the database,
create or migrate the schema, create the first admin if asked. The web app,
`run.py worker` and `huey_consumer tasks.huey` all start here."""
import logging

from collab.db import database, open_database
from collab.file_modes import secure_data_dir
from collab.fulltext import create_index as create_search_index
from collab.redaction import url_for_logs
from collab.schema import create_schema
from collab.users import bootstrap_admin

log = logging.getLogger(__name__)


def prepare(settings):
    secure_data_dir(settings.data_dir)
    log.debug('database: %s', url_for_logs(settings.database_url))
    open_database(settings.database_url)
    create_schema()
    create_search_index()
    with database.connection_context():
        bootstrap_admin(settings)
