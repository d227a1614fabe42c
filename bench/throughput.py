"""Figure 1: throughput of no-op tasks (one Redis INCR each), 4 worker threads.

Each repetition is a fresh process per variant (producer and consumer threads
in it), variants interleaved; the time runs from the first enqueue until every
task ran and, for Collab, its ledger records are written.
"""
from bench.common import row, run_variant, summary, check

VARIANTS = ('raw', 'full', 'full-outbox')
TARGET = 0.9


def run(ctx):
    n = ctx.tasks or ctx.size(full=5000, quick=500)
    rates = {}
    for rep in range(ctx.reps):
        for backend in ctx.backends:
            for variant in VARIANTS:
                ctx.progress(f'throughput {backend} {variant} rep {rep + 1}/{ctx.reps}')
                result = run_variant(ctx.variant_config(variant, backend, mode='throughput',
                                                        tasks=n))
                rates.setdefault((backend, variant), []).append(result['rate'])
    rows, checks = [], []
    for backend in ctx.backends:
        base = summary(rates[(backend, 'raw')])
        ctx.max_rate[backend] = base['median']
        for variant in VARIANTS:
            stats = summary(rates[(backend, variant)])
            ratio = stats['median'] / base['median']
            rows.append(row(f'{backend} {variant}', 'throughput', stats, 'tasks/s',
                            ratio=None if variant == 'raw' else ratio, baseline='raw'))
            if variant != 'raw':
                checks.append(check(f'{backend} {variant} / raw throughput', ratio,
                                    f'≥ {TARGET}', ratio >= TARGET))
    return {'title': f'1. Throughput: {n:,} no-op tasks, {4} worker threads',
            'notes': ['raw = stock RedisHuey/SqliteHuey, same consumer settings; '
                      'full = CollabHuey + ledger + claims + signing; '
                      'full-outbox = full, enqueued through the outbox as web requests do'],
            'rows': rows, 'checks': checks}
