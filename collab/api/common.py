"""Pieces the domain blueprints share."""
from collab.errors import ApiError

# Ids in URLs: a number the database can hold, so a huge one is a 404, not a 500.
ID = 'int(max=9223372036854775807)'
MAX_CONTENT = 200_000


def content(data, name='content', required=True, max_length=MAX_CONTENT):
    """A text body kept exactly as sent (not stripped); may be empty."""
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(400, f'{name} is required', name)
        return None
    if not isinstance(value, str):
        raise ApiError(400, f'{name} must be a string', name)
    if len(value) > max_length:
        raise ApiError(413, f'{name} must be at most {max_length} characters', name)
    from collab.validation import no_nul
    return no_nul(value, name)


def before_id():
    """?before=<id> for paging newest-first lists, or None."""
    from collab.validation import int_arg
    return int_arg('before', None, 1, 2**63 - 1)
