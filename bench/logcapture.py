"""Figure 1d: what keeping per-job logs costs the job path.

The throughput run of figure 1 (bench/variant.py: jobs enqueued by a call, 4
worker threads of an embedded consumer, the clock until every job ran and the
ledger wrote it), with a task that logs LOG_LINES INFO lines per job
(bench.tasks.noop_that_logs), in blocks with capture on (the default
JOB_LOG_BYTES) and off (its handler taken off the root logger) in turn, in one
process (variant mode `alternating`). Separate runs for on and off, as this
figure was first made, differed by ±15 % with the same settings on a shared
machine: more than the effect. Blocks a second apart share the machine's speed.
The process logs as `run.py` does (INFO and up, to a file here), so the records
are made either way and the difference is the capture: the handler, the
buffers and the ledger's log rows.
"""
from bench.common import check, row, run_variant, summary
from bench.tasks import LOG_LINES

TARGET_PCT = 5.0


def run(ctx):
    block, pairs = (100, 2) if ctx.quick else (500, 20)
    rates, cpu, costs, index = {}, {}, {}, {}
    for rep in range(ctx.reps):
        for backend in ctx.backends:
            ctx.progress(f'logcapture {backend} rep {rep + 1}/{ctx.reps}')
            # Periodic tasks off: the log index's catch-up is timed apart, after the blocks.
            config = ctx.variant_config('full', backend, mode='alternating', block=block,
                                        pairs=pairs, task='noop_that_logs', log_file=True,
                                        periodic=False)
            result = run_variant(config)
            _check_capture(result)
            seconds = {True: 0.0, False: 0.0}
            for b in result['blocks']:
                seconds[b['capture']] += block / b['rate']
                rates.setdefault((backend, b['capture']), []).append(b['rate'])
                cpu.setdefault((backend, b['capture']), []).append(b['cpu_us_per_task'])
            # Throughput lost: 1 − (on's jobs/s) / (off's jobs/s), over the run's blocks.
            costs.setdefault(backend, []).append((1 - seconds[False] / seconds[True]) * 100)
            index.setdefault(backend, []).append(result['log_index_us_per_task'])
    rows, checks = [], []
    for backend in ctx.backends:
        off, on = summary(rates[(backend, False)]), summary(rates[(backend, True)])
        rows.append(row(f'{backend} capture off', 'throughput per block', off, 'jobs/s'))
        rows.append(row(f'{backend} capture on', 'throughput per block', on, 'jobs/s',
                        ratio=on['median'] / off['median'], baseline='capture off'))
        cost = summary(costs[backend])
        rows.append(row(f'{backend} capture cost', 'throughput lost', cost, '%'))
        for name, on_ in (('capture on', True), ('capture off', False)):
            rows.append(row(f'{backend} {name}', 'CPU per job', summary(cpu[(backend, on_)]),
                            'µs'))
        rows.append(row(f'{backend} log index catch-up', 'time per job', summary(index[backend]),
                        'µs'))
        checks.append(check(f'{backend} log capture cost', cost['median'], f'≤ {TARGET_PCT:g} %',
                            cost['median'] <= TARGET_PCT))
    return {'title': f'1d. Per-job log capture: {LOG_LINES} INFO lines a job, 4 worker threads, '
                     f'{pairs} pairs of {block:,}-job blocks a run',
            'notes': ['capture on = default JOB_LOG_BYTES (records kept with the attempt, '
                      'written with the ledger\'s batches); capture off = the same process '
                      'with the per-job log handler off the root logger',
                      'both log as run.py does (INFO and up, to a file); a block\'s throughput: '
                      'its first enqueue until every job of it ran and the ledger recorded it',
                      'blocks on, off, off, on, … after one warm-up block; cost = 1 − on/off '
                      'over a run\'s blocks, median over runs (each a fresh process)',
                      'periodic tasks off; log index catch-up: the search index\'s periodic '
                      'catch-up over the run\'s records, timed after the blocks (work the '
                      'housekeeping does in the background, for search)'],
            'rows': rows, 'checks': checks}


def _check_capture(result):
    """The jobs of capture-on blocks have logs, the others none: else the figure
    compares nothing."""
    if result['jobs_with_logs'] != result['jobs_with_capture']:
        raise RuntimeError(f'{result["jobs_with_capture"]} jobs ran with capture on, but '
                           f'{result["jobs_with_logs"]} have log rows')
