"""Describing a new version (lines added/removed) takes linear time, whatever the content."""
import random
import time

from collab.documents import _line_changes
from collab.validation import MAX_CONTENT
from tests.support import wait_until


def test_counts_are_the_lines_whose_number_rose_or_fell():
    assert _line_changes([], ['a', 'b']) == (2, 0)
    assert _line_changes(['a', 'b', 'c'], ['a', 'c']) == (0, 1)
    assert _line_changes(['a', 'b', 'c'], ['a', 'B', 'c']) == (1, 1)
    assert _line_changes(['a', '', 'b'], ['a', '', '', 'b', '']) == (2, 0)   # repeats count
    assert _line_changes(['a', 'b', 'c'], ['c', 'a', 'b']) == (0, 0)          # a move is no change


def pathological_versions(seed=7):
    """A document of every line distinct and as long as a document may be; the
    next version has those lines fully reordered and 300 of them edited; the
    one after reorders them again and edits every line (a line diff's worst case)."""
    rng = random.Random(seed)
    lines, size = [], 0
    while True:
        line = f'{len(lines):06d} ' + ''.join(rng.choice('ab ') for _ in range(34))
        if size + len(line) + 1 > MAX_CONTENT:
            break
        lines.append(line)
        size += len(line) + 1
    after = lines[:]
    rng.shuffle(after)
    edited = rng.sample(range(len(after)), 300)
    for i in edited:
        after[i] = after[i][:-1] + '!'
    last = [line[:-1] + '?' for line in after]
    rng.shuffle(last)
    return lines, after, last


def test_a_full_size_fully_reordered_version_is_described_exactly(client, team, consumer):
    before, after, last = pathological_versions()
    assert len(set(before)) == len(before) and len('\n'.join(before)) > 195_000
    doc = team.document('Big', '\n'.join(before))

    def described():
        rows = client.get(f"/api/documents/{doc['id']}/versions", headers=team.ann).json
        counts = {v['version']: (v['lines_added'], v['lines_removed']) for v in rows['versions']}
        return counts if None not in {a for a, _ in counts.values()} else None

    assert wait_until(described, timeout=15, message='version 1 described') == {
        1: (len(before), 0)}
    started = time.monotonic()
    for content in (after, last):
        saved = client.put(f"/api/documents/{doc['id']}", json={'content': '\n'.join(content)},
                           headers=team.ann)
        assert saved.status_code == 200, saved.json
    counts = wait_until(lambda: (c := described()) and 3 in c and c, timeout=15,
                        message='versions 2 and 3 described')
    assert time.monotonic() - started < 10   # generous: `python run.py bench` has the figure
    n = len(before)
    assert counts == {1: (n, 0), 2: (300, 300), 3: (n, n)}
