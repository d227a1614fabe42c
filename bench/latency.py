"""Figures 2 and 3: enqueue → start latency when idle, and enqueue → finish under load.

Idle: every variant runs in its own process at once (own Redis database), each
sending one task every `gap` seconds, the processes staggered so that only one
is busy at a time; a repetition is a consecutive block of samples.
Under load: open-loop arrivals at 50% of raw Huey's measured throughput (figure 1),
latency counted from the planned arrival, so a stall is never hidden.
"""
import time

from bench.common import (check, finish_variant, percentile, row, run_variant,
                          start_variant, summary)

VARIANTS = ('raw', 'full', 'full-outbox')
LOAD_VARIANTS = ('raw', 'full-outbox')


def idle_run(ctx):
    gaps = [(0.5, ctx.size(full=100, quick=20)), (5.0, ctx.size(full=12, quick=5))]
    if ctx.quick:
        gaps = [(0.2, 20), (1.0, 5)]
    rows, checks, raw = [], [], {}
    for gap, samples in gaps:
        ctx.progress(f'idle latency: one task every {gap}s, {samples} samples per variant')
        combos = [(b, v) for b in ctx.backends for v in VARIANTS]
        start_at = time.time() + 6.0   # past every process's start-up
        processes = []
        for k, (backend, variant) in enumerate(combos):
            offset = gap * k / len(combos)
            processes.append(start_variant(ctx.variant_config(
                variant, backend, mode='idle', gap=gap, samples=samples,
                start_at=start_at + offset, queue_db=k + 1)))
        results = [finish_variant(p, timeout=120 + gap * samples) for p in processes]
        for (backend, variant), result in zip(combos, results):
            lat = result['latencies_ms']
            raw[(gap, backend, variant)] = lat
            reps = min(ctx.reps, len(lat))
            blocks = [lat[i * len(lat) // reps:(i + 1) * len(lat) // reps] for i in range(reps)]
            p50 = summary([percentile(b, 50) for b in blocks])
            p50['median'] = percentile(lat, 50)
            case = f'{backend} {variant}, gap {gap:g}s'
            rows.append(row(case, 'p50', p50, 'ms'))
            rows.append(row(case, 'p99', {'median': percentile(lat, 99), 'n': len(lat)}, 'ms'))
            rows.append(row(case, 'max', {'median': max(lat), 'n': len(lat)}, 'ms'))
            if variant != 'raw':
                checks.append(check(f'{case} p50', percentile(lat, 50), '≤ 5 ms',
                                    percentile(lat, 50) <= 5))
                checks.append(check(f'{case} p99', percentile(lat, 99), '≤ 50 ms',
                                    percentile(lat, 99) <= 50))
    for r in rows:
        key = r['case'].replace(' full-outbox', ' raw').replace(' full,', ' raw,')
        base = next((b for b in rows if b['case'] == key and b['metric'] == r['metric']), None)
        if base is not r and base and base['median']:
            r['ratio'], r['baseline'] = r['median'] / base['median'], base['case']
    return {'title': '2. Idle latency, enqueue → start',
            'notes': ['p50 min–max: per-repetition p50 over consecutive blocks of samples; '
                      'p99/max over all samples. SQLite consumers are embedded '
                      '(producer in the same process).'],
            'rows': rows, 'checks': checks, 'samples_ms': {
                f'{gap}|{b}|{v}': [round(x, 3) for x in lat] for (gap, b, v), lat in raw.items()}}


def load_run(ctx):
    seconds = 1.5 if ctx.quick else 3.0
    results = {}
    for rep in range(ctx.reps):
        for backend in ctx.backends:
            rate = round(0.5 * ctx.max_rate.get(backend, 400), 1)
            for variant in LOAD_VARIANTS:
                ctx.progress(f'latency under load {backend} {variant} @ {rate}/s '
                             f'rep {rep + 1}/{ctx.reps}')
                result = run_variant(ctx.variant_config(variant, backend, mode='load',
                                                        rate=rate, seconds=seconds))
                results.setdefault((backend, variant), []).append(result)
    rows, checks = [], []
    for backend in ctx.backends:
        for variant in LOAD_VARIANTS:
            runs = results[(backend, variant)]
            for metric in ('p50_ms', 'p99_ms'):
                stats = summary([r[metric] for r in runs])
                base = summary([r[metric] for r in results[(backend, 'raw')]])
                ratio = stats['median'] / base['median'] if variant != 'raw' else None
                rows.append(row(f'{backend} {variant} @ {runs[0]["rate"]:g}/s',
                                metric[:3], stats, 'ms', ratio=ratio, baseline='raw'))
    return {'title': '3. Latency under load, enqueue → finish (open loop, 50% of raw max)',
            'notes': [f'{seconds:g} s of arrivals per repetition; rate = half of raw Huey\'s '
                      'median throughput on that backend in figure 1'],
            'rows': rows, 'checks': checks}
