"""URLs as logs may show them: a user name, a password, a path or a query can be a
credential (a Slack webhook's path is its secret, ntfy takes a token as the user)."""
from urllib.parse import urlsplit


def url_for_logs(url):
    """`scheme://host:port`, with `/…` where a path or query was left out. SQLite
    URLs hold only a file name and are kept whole."""
    if not url or url.startswith('sqlite:'):
        return url
    parts = urlsplit(url)
    host = parts.hostname or ''
    if ':' in host:
        host = f'[{host}]'
    try:
        port = f':{parts.port}' if parts.port else ''
    except ValueError:
        port = ''
    hidden = '/…' if parts.path.strip('/') or parts.query or parts.fragment else ''
    return f'{parts.scheme}://{host}{port}{hidden}'
