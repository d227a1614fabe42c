"""Pieces the domain blueprints share."""
from werkzeug.routing import BaseConverter

from collab.validation import MAX_ID, int_arg


def _at_most(limit):
    """A regex (no groups) for the whole numbers 1 to `limit`, without leading zeros."""
    digits = str(limit)
    alternatives = [r'[1-9]\d{0,%d}' % (len(digits) - 2)] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        lowest = 1 if i == 0 else 0
        if int(digit) > lowest:
            rest = len(digits) - i - 1
            alternatives.append(digits[:i] + f'[{lowest}-{int(digit) - 1}]'
                                + (r'\d{%d}' % rest if rest else ''))
    alternatives.append(digits)
    return '(?:' + '|'.join(alternatives) + ')'


class IdConverter(BaseConverter):
    """An id in a URL: a number a database integer column can hold (1 to MAX_ID), so a
    huge one is a 404, not a 500. The regex alone decides: werkzeug's int(max=...)
    refuses a larger number only after the method check, so a POST to a path
    whose GET rule exists was a 405 instead."""
    regex = _at_most(MAX_ID)
    part_isolating = True

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(int(value))


ID = 'id'   # the converter's name in the URL rules (collab/app.py registers it)


def before_id():
    """?before=<id> for paging newest-first lists, or None."""
    return int_arg('before', None, 1, 2**63 - 1)
