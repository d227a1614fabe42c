"""Server-drawn SVG for the dashboard: the workflow graph and the charts.

Every text that comes from data goes through `escape`; the result is Markup,
inserted into the page as it is (no script, no external resource).
"""
from markupsafe import Markup, escape

# Fill and text colour of a node per job state: readable in light and dark mode.
STATE_COLOURS = {
    'succeeded': ('#d9f2e3', '#1d5e3a'), 'failed': ('#f8d7d3', '#8e2a1f'),
    'running': ('#d6e6fa', '#1f4f8a'), 'retrying': ('#fbecc9', '#7a4f0c'),
    'interrupted': ('#fbecc9', '#7a4f0c'), 'queued': ('#eceef1', '#3c4350'),
    'scheduled': ('#eceef1', '#3c4350'), 'revoked': ('#e4e4e4', '#555555'),
    'expired': ('#e4e4e4', '#555555'),
}
OTHER_STATE = ('#eceef1', '#3c4350')

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 220, 46, 60, 16, 8
TASK_CHARS = 27   # about 7.5 px a character at 12 px bold


def _short(text, limit):
    return text if len(text) <= limit else '…' + text[-(limit - 1):]


def _node(node, x, y, href, current):
    fill, ink = STATE_COLOURS.get(node['state'], OTHER_STATE)
    stroke = 3 if current else 1
    return (
        f'<a href="{escape(href)}" data-node="{escape(node["id"])}" '
        f'data-state="{escape(node["state"])}">'
        f'<title>{escape(node["task"])} · {escape(node["state"])} · {escape(node["id"])}</title>'
        f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" '
        f'stroke="{ink}" stroke-width="{stroke}"/>'
        f'<text x="{x + 8}" y="{y + 18}" fill="{ink}" font-size="12" font-weight="600">'
        f'{escape(_short(node["task"], TASK_CHARS))}</text>'
        f'<text x="{x + 8}" y="{y + 36}" fill="{ink}" font-size="11">{escape(node["state"])}</text>'
        '</a>')


def workflow_svg(layered, edges, href_of, current_id=None):
    """The graph drawn left to right, one column per layer (workflow.layers)."""
    places = {}
    for column, layer in enumerate(layered):
        for row, node in enumerate(layer):
            places[node['id']] = (PAD + column * (NODE_W + GAP_X), PAD + row * (NODE_H + GAP_Y))
    width = PAD * 2 + len(layered) * NODE_W + max(0, len(layered) - 1) * GAP_X
    height = PAD * 2 + max((len(layer) for layer in layered), default=0) * (NODE_H + GAP_Y) - GAP_Y
    parts = [f'<svg class="workflow" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
             f'{height}" width="{width}" height="{height}" role="img" aria-label="workflow graph">',
             '<defs><marker id="wf-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>']
    for source, target in edges:
        if source in places and target in places:
            (x1, y1), (x2, y2) = places[source], places[target]
            parts.append(f'<line class="edge" x1="{x1 + NODE_W}" y1="{y1 + NODE_H // 2}" '
                         f'x2="{x2}" y2="{y2 + NODE_H // 2}" stroke="#888" stroke-width="1.5" '
                         'marker-end="url(#wf-arrow)"/>')
    for layer in layered:
        for node in layer:
            x, y = places[node['id']]
            parts.append(_node(node, x, y, href_of(node['id']), node['id'] == current_id))
    parts.append('</svg>')
    return Markup(''.join(parts))


# ------------------------------------------------------------------ charts

CHART_W, CHART_H = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 22, 30   # room for the axes' labels and the legend
X_TICKS = 4


def _nice_peak(peak):
    """The y axis' top: the peak rounded up to 1, 2 or 5 × a power of ten."""
    if peak <= 0:
        return 1
    scale = 1
    while scale * 10 <= peak:
        scale *= 10
    for step in (1, 2, 5, 10):
        if peak <= step * scale:
            return step * scale
    return 10 * scale


def _format_value(value):
    return f'{value:g}' if value < 10_000 else f'{value / 1000:.0f}k'


def _axes(peak, x_labels, y_label, plot_w, plot_h):
    parts = [f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#888"/>',
             f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" '
             f'y2="{TOP + plot_h}" stroke="#888"/>']
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h - fraction * plot_h
        parts.append(f'<text class="tick" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="10" fill="currentColor">{escape(_format_value(peak * fraction))}</text>')
    if x_labels:
        last = len(x_labels) - 1
        picks = sorted({round(i * last / X_TICKS) for i in range(X_TICKS + 1)}) if last else [0]
        for i in picks:
            x = LEFT + (i / last * plot_w if last else 0)
            anchor = 'start' if i == 0 else 'end' if i == last else 'middle'
            parts.append(f'<text class="tick" x="{x:.1f}" y="{TOP + plot_h + 14}" text-anchor="{anchor}" '
                         f'font-size="10" fill="currentColor">{escape(x_labels[i])}</text>')
    parts.append(f'<text class="axis-label" x="{LEFT + plot_w}" y="{CHART_H - 2}" text-anchor="end" '
                 f'font-size="10" fill="currentColor">time (UTC)</text>')
    parts.append(f'<text class="axis-label" x="2" y="12" font-size="10" fill="currentColor">'
                 f'{escape(y_label)}</text>')
    return parts


def _legend(series):
    parts, x = [], CHART_W - RIGHT
    for label, colour, _ in reversed(series):
        x -= 8 + 6 * len(label) + 16
        parts.append(f'<g class="legend-item"><rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="13" font-size="10" fill="currentColor">{escape(label)}</text></g>')
    return parts


def line_chart(title, series, x_labels, y_label):
    """A chart with both axes, their labels and a legend. `series`: [(label,
    colour, [value or None, …])], one value per x label; None leaves a gap."""
    plot_w, plot_h = CHART_W - LEFT - RIGHT, CHART_H - TOP - BOTTOM
    values = [v for _, _, points in series for v in points if v is not None]
    peak = _nice_peak(max(values, default=0))
    count = max(1, len(x_labels) - 1)
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_W} {CHART_H}" '
             f'width="100%" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    parts += _axes(peak, x_labels, y_label, plot_w, plot_h)
    for label, colour, points in series:
        for run in _runs(points):
            coords = ' '.join(f'{LEFT + i / count * plot_w:.1f},{TOP + plot_h - v / peak * plot_h:.1f}'
                              for i, v in run)
            parts.append(f'<polyline class="series" data-series="{escape(label)}" fill="none" '
                         f'stroke="{colour}" stroke-width="1.5" points="{coords}"/>')
            if len(run) == 1:   # a lone value draws no line: mark it
                x, y = coords.split(',')
                parts.append(f'<circle cx="{x}" cy="{y}" r="2" fill="{colour}"/>')
    parts += _legend(series)
    parts.append('</svg>')
    return Markup(''.join(parts))


def _runs(points):
    """Consecutive [(index, value)] stretches without a None."""
    runs, current = [], []
    for i, value in enumerate(points):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((i, value))
    if current:
        runs.append(current)
    return runs
