"""Document Markdown: rendered by markdown-it-py, sanitized by nh3; no unsanitized HTML
reaches a page, whichever page shows the text."""
import re
from html.parser import HTMLParser

import pytest

from collab.markdown import render
from tests.support import page_csrf_token

ATTACKS = [
    '<script>alert(1)</script>',
    '<SCRIPT SRC=https://evil.example/x.js></SCRIPT>',
    '[click](javascript:alert(1))',
    '[click](JaVaScRiPt:alert(1))',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="java&#x09;script:alert(1)">click</a>',
    '<img src=x onerror=alert(1)>',
    '<p onmouseover="alert(1)">hover</p>',
    '<svg onload=alert(1)><circle r=5></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">styled</div>',
    '<form action="https://evil.example"><input name=x></form>',
    '![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
    '<a href="data:text/html,<script>alert(1)</script>">d</a>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
]


ACTIVE = {'script', 'iframe', 'object', 'embed', 'svg', 'math', 'form', 'input', 'style',
          'link', 'meta', 'base'}


class Elements(HTMLParser):
    """Every start tag of some HTML, with its attributes, as a browser would read them."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def dangerous(html):
    """What in `html` would run script or load an active element, if it reached a page."""
    found = []
    for tag, attrs in Elements(html).tags:
        if tag in ACTIVE:
            found.append(f'<{tag}>')
        for name, value in attrs.items():
            if name.startswith('on') or name == 'style':
                found.append(f'{tag} {name}')
            address = re.sub(r'[\x00-\x20]', '', value or '').lower()
            if name in ('href', 'src', 'xlink:href', 'action') and \
                    not address.startswith(('http:', 'https:', 'mailto:', '/', '#')) and \
                    ':' in address.split('/')[0]:
                found.append(f'{tag} {name}={value}')
    return found


@pytest.mark.parametrize('attack', ATTACKS)
def test_nothing_that_runs_survives_rendering(attack):
    if attack.startswith('<'):
        assert dangerous(attack) != []   # as raw HTML, each one would
    html = str(render(f'Some text\n\n{attack}\n\nmore text'))
    assert dangerous(html) == [], html
    assert 'Some text' in html and 'more text' in html


def test_markdown_renders_with_safe_links():
    html = str(render('# Title\n\n**bold** _it_ ~~gone~~ `code`\n\n'
                      '[site](https://example.com) <mailto:a@example.com>\n\n'
                      '| a | b |\n|---|---|\n| 1 | 2 |\n\n```\n<b>x</b>\n```'))
    assert '<h1>Title</h1>' in html
    assert '<strong>bold</strong>' in html and '<em>it</em>' in html and '<s>gone</s>' in html
    assert '<code>code</code>' in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">site</a>' in html
    assert 'href="mailto:a@example.com"' in html
    assert '<td>1</td>' in html
    assert '<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>' in html


def test_harmless_inline_html_is_kept():
    assert str(render('H<sub>2</sub>O and <b>bold</b>')) == '<p>H<sub>2</sub>O and <b>bold</b></p>\n'


def test_a_link_with_a_script_url_loses_its_address():
    html = str(render('<a href="javascript:alert(1)" onclick="x()">click</a>'))
    assert html == '<p><a rel="noopener noreferrer nofollow">click</a></p>\n'


def page_client(app, email):
    client = app.test_client()
    client.post('/login', data={'email': email, 'password': 'correct horse',
                                'csrf_token': page_csrf_token(client)})
    return client


def rendered_parts(page):
    """The page's rendered Markdown (the article elements): where user HTML is let in."""
    return re.findall(r'<article class="rendered[^"]*"[^>]*>(.*?)</article>', page, re.S)


def test_no_page_shows_unsanitized_html(app, client, team):
    attack = '\n\n'.join(ATTACKS)
    doc = team.document('Attacks', '**safe** part\n\n' + attack)
    client.put(f"/api/documents/{doc['id']}", json={'content': 'plain'}, headers=team.bob)
    bob = page_client(app, 'bob@example.com')
    pages = {
        'version': bob.get(f"/d/{doc['id']}/v/1").data.decode(),
        'preview': bob.post(f"/d/{doc['id']}", data={
            'title': 'Attacks', 'content': attack, 'base_version': '2', 'action': 'preview',
            'csrf_token': page_csrf_token(bob)}).data.decode(),
        'conflict': bob.post(f"/d/{doc['id']}", data={
            'title': 'Attacks', 'content': 'mine', 'base_version': '1',
            'csrf_token': page_csrf_token(bob)}).data.decode(),
    }
    client.put(f"/api/documents/{doc['id']}", json={'content': attack}, headers=team.ann)
    pages['document'] = bob.get(f"/d/{doc['id']}").data.decode()
    for name, page in pages.items():
        parts = rendered_parts(page)
        assert parts, name
        for part in parts:
            assert dangerous(part) == [], (name, part)
        # Outside the rendered parts the text is escaped (the editor, the source views).
        assert '<script>alert(1)</script>' not in page, name
        assert 'onerror=alert(1)>' not in page, name
    assert '<strong>safe</strong>' in pages['version']
    assert '<p>plain</p>' in pages['conflict']   # the current version, beside
