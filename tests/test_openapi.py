"""The API description (collab/api/openapi.py) is kept in step with the app: every JSON
route of the URL map is described, with the same methods and path parameters, and
nothing is described that the app does not have."""
import re

from collab.api.openapi import document

METHODS = {'GET', 'POST', 'PUT', 'PATCH', 'DELETE'}


def app_operations(app):
    """{(method, path)} of every /api/ rule, the path in OpenAPI's {name} form."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith('/api/'):
            path = re.sub(r'<(?:[^:>]+:)?(\w+)>', r'{\1}', rule.rule)
            found |= {(method.lower(), path) for method in rule.methods & METHODS}
    return found


def described_operations(description):
    return {(method, path) for path, item in description['paths'].items() for method in item}


def test_every_json_route_is_described_and_nothing_else(app):
    in_app, described = app_operations(app), described_operations(document())
    assert in_app - described == set(), 'routes missing from collab/api/openapi.py'
    assert described - in_app == set(), 'described routes the app does not have'


def test_path_parameters_are_declared_as_the_rule_names_them(app):
    for path, item in document()['paths'].items():
        names = set(re.findall(r'{(\w+)}', path))
        for method, operation in item.items():
            declared = {p['name'] for p in operation.get('parameters', []) if p['in'] == 'path'}
            assert declared == names, f'{method} {path}'


def test_links_name_operations_and_parameters_that_exist():
    description = document()
    operations = {op['operationId']: op for item in description['paths'].values()
                  for op in item.values()}
    assert len(operations) == len(described_operations(description)), 'operationIds are unique'
    links = [link for op in operations.values() for response in op['responses'].values()
             for link in response.get('links', {}).values()]
    assert len(links) >= 10
    for link in links:
        target = operations[link['operationId']]
        names = {p['name'] for p in target.get('parameters', [])}
        assert set(link['parameters']) <= names, link


def test_every_reference_resolves():
    description = document()
    refs = re.findall(r"'\$ref': '#/components/(\w+)/(\w+)'", repr(description))
    assert refs
    for section, name in refs:
        assert name in description['components'][section], (section, name)


def test_the_description_is_public_and_cacheable(client):
    response = client.get('/api/openapi.json')
    assert response.status_code == 200
    assert response.get_json()['openapi'] == '3.1.0'
    assert response.get_json()['paths'].keys() == document()['paths'].keys()
    assert 'max-age' in response.headers['Cache-Control']
    assert 'public' in response.headers['Cache-Control']


# ------------------------------------------------------------------ what the fuzzing found

def test_an_id_too_large_for_the_database_is_a_404_for_every_method(client, team):
    """It was a 405 for a method whose path has a GET rule too (werkzeug checked int(max=)
    only after the method), which the description does not say."""
    too_large = 2**63
    for method, path in [('POST', f'/api/channels/{too_large}/messages'),
                         ('PUT', f'/api/documents/{too_large}'),
                         ('DELETE', f'/api/documents/{too_large}'),
                         ('GET', f'/api/documents/{too_large}')]:
        response = client.open(path, method=method, json={'body': 'x', 'content': 'x'},
                               headers=team.ann)
        assert response.status_code == 404, (method, path, response.status_code)
        assert 'error' in response.get_json()
    assert client.get(f'/api/documents/{2**63 - 1}', headers=team.ann).status_code == 404
    document = team.document()
    assert client.get(f"/api/documents/{document['id']}", headers=team.ann).status_code == 200


def test_a_name_that_lower_case_makes_too_long_is_a_400(client, team):
    """'İ' lower-cased is two characters: 80 of them made a channel name of 160, past
    the column's 80 (a 500 on PostgreSQL, which enforces it)."""
    response = client.post(f'/api/workspaces/{team.ws_id}/channels', json={'name': 'İ' * 80},
                           headers=team.ann)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()['field'] == 'name'
    assert client.post(f'/api/workspaces/{team.ws_id}/channels', json={'name': 'İ' * 40},
                       headers=team.ann).status_code == 201


def test_an_email_that_lower_case_makes_too_long_is_a_400(client):
    email = 'ann@' + 'İ' * 240 + '.org'   # 248 characters; 488 in lower case
    response = client.post('/api/auth/register', json={'email': email, 'name': 'Ann',
                                                       'password': 'correct horse'})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()['field'] == 'email'
