"""Where CollabHuey differs from stock Huey on purpose, by test id
('test_api.py::TestQueue_sqlite::test_revoke'; `*` matches any part: `_*` both
backends). Each listed test must fail (xfail, strict): one that passes fails
the run until it is taken off the list."""

DIFFERENCES = {
}

# Tests of stock Huey classes only: they build no CollabHuey and no claiming storage.
NOT_RUN = {
}
