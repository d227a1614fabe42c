"""Pieces the domain blueprints share."""
from collab.validation import int_arg

# Ids in URLs: a number the database can hold, so a huge one is a 404, not a 500.
ID = 'int(max=9223372036854775807)'


def before_id():
    """?before=<id> for paging newest-first lists, or None."""
    return int_arg('before', None, 1, 2**63 - 1)
