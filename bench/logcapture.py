"""Figure 1d: what keeping per-job logs costs the job path.

The throughput run of figure 1 (bench/variant.py, mode throughput: n jobs
enqueued by a call, 4 worker threads of an embedded consumer, the clock until
every job ran and the ledger wrote it), with a task that logs LOG_LINES INFO
lines per job (bench.tasks.noop_that_logs). Once with capture on (the default
JOB_LOG_BYTES) and once with JOB_LOG_BYTES=0 (no handler attached); the two
alternate within each repetition, so drift in the machine hits both. The
process logs as `run.py` does (INFO and up, to a file here), so the records
are made either way and the difference is the capture: the handler, the
buffers and the ledger's log rows.
"""
from bench.common import check, row, run_variant, summary
from bench.tasks import LOG_LINES

VARIANTS = (('capture on', {}), ('capture off', {'JOB_LOG_BYTES': '0'}))
TARGET_PCT = 5.0


def run(ctx):
    # Runs of 5,000 jobs (4 s) differed by ±7 % between two with the same settings:
    # longer runs, so that a cost of a few percent shows through.
    n = ctx.tasks or ctx.size(full=20000, quick=500)
    rates, cpu, index = {}, {}, {}
    for rep in range(ctx.reps):
        for backend in ctx.backends:
            # Which variant goes first alternates too: neither always gets the warmer machine.
            order = VARIANTS if rep % 2 == 0 else VARIANTS[::-1]
            for name, env in order:
                ctx.progress(f'logcapture {backend} {name} rep {rep + 1}/{ctx.reps}')
                # Periodic tasks off in both: the log index's catch-up is timed apart.
                config = ctx.variant_config('full', backend, mode='throughput', tasks=n,
                                            task='noop_that_logs', env=env, log_file=True,
                                            periodic=False, index_logs=name == 'capture on')
                result = run_variant(config)
                _check_capture(name, result)
                if name == 'capture on':
                    index.setdefault(backend, []).append(result['log_index_us_per_task'])
                rates.setdefault((backend, name), []).append(result['rate'])
                cpu.setdefault((backend, name), []).append(result['cpu_us_per_task'])
    rows, checks = [], []
    for backend in ctx.backends:
        off = summary(rates[(backend, 'capture off')])
        on = summary(rates[(backend, 'capture on')])
        rows.append(row(f'{backend} capture off', 'throughput', off, 'jobs/s'))
        rows.append(row(f'{backend} capture on', 'throughput', on, 'jobs/s',
                        ratio=on['median'] / off['median'], baseline='capture off'))
        # The cost per repetition: each on-run against the off-run of the same repetition.
        costs = [(1 - r_on / r_off) * 100 for r_on, r_off in
                 zip(rates[(backend, 'capture on')], rates[(backend, 'capture off')])]
        cost = summary(costs)
        rows.append(row(f'{backend} capture cost', 'throughput lost', cost, '%'))
        for name, _ in VARIANTS:   # steadier than the rate on a busy machine: shown beside it
            rows.append(row(f'{backend} {name}', 'CPU per job', summary(cpu[(backend, name)]),
                            'µs'))
        rows.append(row(f'{backend} log index catch-up', 'time per job', summary(index[backend]),
                        'µs'))
        checks.append(check(f'{backend} log capture cost', cost['median'], f'≤ {TARGET_PCT:g} %',
                            cost['median'] <= TARGET_PCT))
    return {'title': f'1d. Per-job log capture: {n:,} jobs logging {LOG_LINES} INFO lines each, '
                     f'4 worker threads',
            'notes': ['capture on = default JOB_LOG_BYTES (records kept with the attempt, '
                      'written with the ledger\'s batches); capture off = JOB_LOG_BYTES=0',
                      'both log as run.py does (INFO and up, to a file); throughput: first '
                      'enqueue until every job ran and the ledger recorded it',
                      'cost = 1 − on/off per repetition (on and off alternate, '
                      'each in a fresh process), median over repetitions; CPU per job: '
                      'the process\'s user + system time over the timed part',
                      'periodic tasks off in both; log index catch-up: the search index\'s '
                      'periodic catch-up over the on-run\'s records, timed after it (work the '
                      'housekeeping does in the background, for search)'],
            'rows': rows, 'checks': checks}


def _check_capture(name, result):
    """Capture on must have kept logs, off none: else the figure compares nothing."""
    if (result['log_rows'] > 0) != (name == 'capture on'):
        raise RuntimeError(f'{name}: the ledger holds {result["log_rows"]} log rows')
