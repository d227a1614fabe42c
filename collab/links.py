"""Links people are given to open later (invites): always from BASE_URL.

The request's Host says whatever the client sent, and a link built from it
could send an invitee's token to another site."""
from flask import current_app, url_for


def external_url(endpoint, **values):
    """The absolute URL of one of the app's routes, under BASE_URL."""
    return current_app.config['SETTINGS'].base_url + url_for(endpoint, **values)
