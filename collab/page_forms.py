"""What the server-rendered page blueprints share: reading a form field, and a
validation error shown as a message on the page the form came from."""
import functools

from flask import flash, redirect, request, url_for

from collab.errors import ApiError
from collab.validation import no_nul


def form_action(view):
    """POST handlers: a validation error becomes a message on the page it came from."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            flash(exc.message, 'error')
            return redirect(request.referrer or url_for('workspace_pages.index'))
    return wrapped


def field(name, max_length, required=True, strip=True):
    value = request.form.get(name, '')
    value = value.strip() if strip else value
    if required and not value:
        raise ApiError(400, f'{name} is required', name)
    if len(value) > max_length:
        raise ApiError(400, f'{name} must be at most {max_length} characters', name)
    return no_nul(value, name)
