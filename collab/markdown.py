"""Document Markdown as HTML that is safe to put in a page.

markdown-it-py renders CommonMark (with tables and strikethrough); raw HTML in the
source is let through to the renderer so that people can use simple tags, and nh3
(the Ammonia sanitizer) then keeps only harmless tags and attributes: no scripts,
no event handlers, no style, and links only to http, https and mailto addresses.
Every rendering goes through `render`, so no page shows unsanitized HTML.
"""
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_PARSER = MarkdownIt('commonmark', {'html': True}).enable(['table', 'strikethrough'])

URL_SCHEMES = {'http', 'https', 'mailto'}


def sanitize(html):
    """HTML with only nh3's default safe tags and attributes left. Links get
    rel="noopener noreferrer nofollow": they point outside and are user content."""
    return nh3.clean(html, url_schemes=URL_SCHEMES,
                     link_rel='noopener noreferrer nofollow')


def render(text):
    """The Markdown `text` as sanitized HTML, marked safe for Jinja."""
    return Markup(sanitize(_PARSER.render(text or '')))
