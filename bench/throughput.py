"""Figure 1: throughput of no-op tasks (one Redis INCR each), 4 worker threads.

Each repetition is a fresh process per variant (producer and consumer threads
in it), variants interleaved; the time runs from the first enqueue until every
task ran and, for Collab, its ledger records are written.
"""
from bench.common import row, run_variant, summary, check

VARIANTS = ('raw', 'full', 'full-outbox')
TARGET = 0.9
# CPU per task, by the threads' part in the run.
ROLES = (('all threads', lambda name: True), ('producer', lambda name: name == 'MainThread'),
         ('workers', lambda name: name.startswith('Worker-')),
         ('ledger writer', lambda name: name == 'ledger-writer'))


def cpu_by_role(result):
    """{role: CPU µs per task} of one run (threads' CPU from /proc; all: the process's)."""
    threads = result['thread_cpu_us_per_task']
    found = {role: sum(us for name, us in threads.items() if belongs(name))
             for role, belongs in ROLES[1:]}
    found['all threads'] = result['cpu_us_per_task']
    return {role: us for role, us in found.items() if us}


def run(ctx):
    n = ctx.tasks or ctx.size(full=5000, quick=500)
    rates, cpu = {}, {}
    for rep in range(ctx.reps):
        for backend in ctx.backends:
            for variant in VARIANTS:
                ctx.progress(f'throughput {backend} {variant} rep {rep + 1}/{ctx.reps}')
                result = run_variant(ctx.variant_config(variant, backend, mode='throughput',
                                                        tasks=n))
                rates.setdefault((backend, variant), []).append(result['rate'])
                for role, us in cpu_by_role(result).items():
                    cpu.setdefault((backend, variant, role), []).append(us)
    rows, checks = [], []
    for backend in ctx.backends:
        base = summary(rates[(backend, 'raw')])
        ctx.max_rate[backend] = base['median']
        for variant in VARIANTS:
            stats = summary(rates[(backend, variant)])
            ratio = stats['median'] / base['median']
            rows.append(row(f'{backend} {variant}', 'throughput', stats, 'tasks/s',
                            ratio=None if variant == 'raw' else ratio, baseline='raw'))
            for role, _ in ROLES:
                if (backend, variant, role) in cpu:
                    rows.append(row(f'{backend} {variant}', f'CPU per task, {role}',
                                    summary(cpu[(backend, variant, role)]), 'µs'))
            if variant != 'raw':
                checks.append(check(f'{backend} {variant} / raw throughput', ratio,
                                    f'≥ {TARGET}', ratio >= TARGET))
    return {'title': f'1. Throughput: {n:,} no-op tasks, {4} worker threads',
            'notes': ['raw = stock RedisHuey/SqliteHuey, same consumer settings; '
                      'full = CollabHuey + ledger + claims + signing; '
                      'full-outbox = full, enqueued through the outbox as web requests do',
                      'CPU per task: user + system time over the timed part, per thread '
                      'from /proc (workers: the four together)'],
            'rows': rows, 'checks': checks}
