"""Render bench/results.json as the Markdown tables of docs/performance.md.

    python -m bench.report [bench/results.json] > docs/performance-tables.md
"""
import json
import sys
from pathlib import Path

from bench.common import fmt


def render(results):
    m = results['machine']
    out = [f'Measured {m["date"]} on {m["cpus"]} cores ({m["processor"]}), Python {m["python"]}, '
           f'{m["platform"]}; {results["reps"]} repetitions, variants interleaved'
           f'{" (--quick)" if results.get("quick") else ""}; whole run {results.get("seconds", "?")} s.', '']
    for name, figure in results['figures'].items():
        out.append(f'### {figure["title"]}')
        out.append('')
        for note in figure.get('notes', []):
            out.append(f'_{note}_  ')
        if figure.get('error'):
            out.append(f'**Not measured:** `{figure["error"][:300]}`')
        if figure['rows']:
            out += ['', '| case | metric | median | min–max | ratio | n |', '|---|---|---:|---:|---:|---:|']
            for r in figure['rows']:
                span = f'{fmt(r["min"])}–{fmt(r["max"])}' if r['min'] is not None else ''
                ratio = f'{r["ratio"]:.2f}' if r['ratio'] is not None else ''
                unit = f' ({r["unit"]})' if r['unit'] else ''
                out.append(f'| {r["case"]} | {r["metric"]}{unit} | {fmt(r["median"])} | {span} '
                           f'| {ratio} | {r["n"] or ""} |')
        if figure['checks']:
            out += ['', '| target | value | met |', '|---|---:|:-:|']
            for c in figure['checks']:
                out.append(f'| {c["name"]} {c["target"]} | {fmt(c["value"])} | '
                           f'{"yes" if c["ok"] else "**no**"} |')
        out.append('')
    return '\n'.join(out)


if __name__ == '__main__':
    path = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / 'results.json'
    print(render(json.loads(Path(path).read_text())))
