// The forecast chart: per series, the 90% predictive interval, the mean
// with ±1σ bands of the total variance and of its epistemic part (model
// uncertainty; the rest is aleatoric, noise in the data), the Monte Carlo
// sample means, the target when known, and a bar of the epistemic share of
// the variance.

import { el } from './map.js';

const W = 900;
const H = 360;
const M = { left: 58, right: 14, top: 40, bottom: 72 };

// ticks returns about n round values covering [lo, hi].
function ticks(lo, hi, n = 6) {
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(+v.toFixed(10));
  return out;
}

/**
 * Draws rows ({id, mean, lo90, hi90, epistemic, aleatoric, total,
 * samples, target}) into container; onHover(i) is called with the series
 * under the pointer (or -1).
 */
export function drawForecast(container, rows, onHover = () => {}) {
  container.replaceChildren();
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Forecasts with uncertainty per series' }, container);
  if (rows.length === 0) return;
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    const s = Math.sqrt(r.total);
    for (const v of [r.lo90, r.hi90, r.mean - s, r.mean + s, ...r.samples, r.target]) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  const pad = (hi - lo) * 0.06 || 1;
  lo -= pad;
  hi += pad;
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const y = (v) => M.top + ih * (1 - (v - lo) / (hi - lo));
  const slot = iw / rows.length;
  const x = (i) => M.left + slot * (i + 0.5);
  const bw = Math.min(30, slot * 0.55);

  const axis = el('g', { class: 'axis' }, svg);
  for (const t of ticks(lo, hi)) {
    el('line', { class: 'gridline', x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }, axis);
    const label = el('text', { x: M.left - 8, y: y(t) + 4, 'text-anchor': 'end' }, axis);
    label.textContent = t.toLocaleString('en-US');
  }
  el('line', { x1: M.left, x2: W - M.right, y1: M.top + ih, y2: M.top + ih }, axis);
  const yl = el('text', { x: 14, y: M.top + ih / 2, transform: `rotate(-90 14 ${M.top + ih / 2})`, 'text-anchor': 'middle' }, axis);
  yl.textContent = 'forecast';

  rows.forEach((r, i) => {
    const g = el('g', { class: 'series', 'data-id': r.id }, svg);
    const cx = x(i);
    const se = Math.sqrt(r.epistemic);
    const st = Math.sqrt(r.total);
    el('rect', { class: 'band90', x: cx - bw / 2, width: bw, y: y(r.hi90), height: Math.max(1, y(r.lo90) - y(r.hi90)), rx: 2 }, g);
    el('rect', { class: 'band-total', x: cx - bw * 0.3, width: bw * 0.6, y: y(r.mean + st), height: Math.max(1, y(r.mean - st) - y(r.mean + st)) }, g);
    el('rect', { class: 'band-epi', x: cx - bw * 0.3, width: bw * 0.6, y: y(r.mean + se), height: Math.max(1, y(r.mean - se) - y(r.mean + se)) }, g);
    r.samples.forEach((s, k) => {
      // spread the sample means over the slot, deterministically
      const jitter = ((k * 0.618034) % 1 - 0.5) * bw * 0.9;
      el('circle', { class: 'sample', cx: cx + bw * 0.75 + jitter * 0.35, cy: y(s), r: 1.7 }, g);
    });
    el('rect', { class: 'mean', x: cx - bw * 0.42, width: bw * 0.84, y: y(r.mean) - 1.3, height: 2.6 }, g);
    if (Number.isFinite(r.target)) {
      const ty = y(r.target);
      el('path', { class: 'target', d: `M${cx - 5} ${ty - 5}L${cx + 5} ${ty + 5}M${cx - 5} ${ty + 5}L${cx + 5} ${ty - 5}` }, g);
    }
    const label = el('text', { x: cx, y: M.top + ih + 16, 'text-anchor': 'middle', class: 'axis' }, g);
    label.textContent = r.id;
    label.setAttribute('style', 'fill:#5d6b7a;font-size:11px');
    // epistemic share of the variance
    const share = r.total > 0 ? r.epistemic / r.total : 0;
    const by = M.top + ih + 26;
    el('rect', { class: 'share-a', x: cx - bw / 2, y: by, width: bw, height: 7, rx: 1.5 }, g);
    el('rect', { class: 'share-e', x: cx - bw / 2, y: by, width: bw * share, height: 7, rx: 1.5 }, g);
    const pct = el('text', { x: cx, y: by + 19, 'text-anchor': 'middle', style: 'fill:#5d6b7a;font-size:10px' }, g);
    pct.textContent = `${(share * 100).toFixed(0)}%`;
    const hit = el('rect', { x: cx - slot / 2, width: slot, y: M.top, height: ih + 50, fill: 'transparent' }, g);
    const title = el('title', {}, hit);
    title.textContent = `${r.id}: mean ${r.mean.toFixed(2)}, 90% [${r.lo90.toFixed(2)}, ${r.hi90.toFixed(2)}], ` +
      `epistemic σ ${se.toFixed(2)}, aleatoric σ ${Math.sqrt(r.aleatoric).toFixed(2)}` +
      (Number.isFinite(r.target) ? `, target ${r.target}` : '');
    hit.addEventListener('pointerenter', () => onHover(i));
    hit.addEventListener('pointerleave', () => onHover(-1));
  });
  const note = el('text', { x: M.left - 8, y: M.top + ih + 32, 'text-anchor': 'end', style: 'fill:#5d6b7a;font-size:10px' }, svg);
  note.textContent = 'epistemic';
  const note2 = el('text', { x: M.left - 8, y: M.top + ih + 44, 'text-anchor': 'end', style: 'fill:#5d6b7a;font-size:10px' }, svg);
  note2.textContent = 'share';

  // legend
  const lg = el('g', { class: 'legend' }, svg);
  const items = [
    ['band90', 'rect', '90% interval'],
    ['band-total', 'rect', '±1σ total'],
    ['band-epi', 'rect', '±1σ epistemic (model)'],
    ['mean', 'bar', 'mean'],
    ['sample', 'dot', 'Monte Carlo sample means'],
    ['target', 'x', 'target'],
  ];
  let lx = M.left;
  for (const [cls, shape, text] of items) {
    if (shape === 'rect') el('rect', { class: cls, x: lx, y: 12, width: 14, height: 12, rx: 2 }, lg);
    if (shape === 'bar') el('rect', { class: cls, x: lx, y: 16.7, width: 14, height: 2.6 }, lg);
    if (shape === 'dot') el('circle', { class: cls, cx: lx + 7, cy: 18, r: 2.4, style: 'fill-opacity:.6' }, lg);
    if (shape === 'x') el('path', { class: cls, d: `M${lx + 2} 13L${lx + 12} 23M${lx + 2} 23L${lx + 12} 13` }, lg);
    const t = el('text', { x: lx + 19, y: 22 }, lg);
    t.textContent = text;
    lx += 19 + text.length * 6.4 + 18;
  }
}
