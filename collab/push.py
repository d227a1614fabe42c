"""Push notifications: one JSON POST to PUSH_WEBHOOK_URL (ntfy, Gotify or any webhook)."""
import json
import urllib.request

TIMEOUT = 10


class PushFailed(Exception):
    pass


def send(url, user, title, body, data, idempotency_key):
    """POST {user, title, body, data}; raises PushFailed on a non-2xx answer so the task retries."""
    payload = json.dumps({'user': user, 'title': title, 'body': body, 'data': data or {}},
                         default=str).encode()
    request = urllib.request.Request(url, data=payload, method='POST',
                                     headers={'Content-Type': 'application/json',
                                              'User-Agent': 'collab-push/1',
                                              'Idempotency-Key': idempotency_key})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        raise PushFailed(f'push webhook answered {exc.code}') from None
    except OSError as exc:
        raise PushFailed(f'push webhook unreachable: {exc}') from None
