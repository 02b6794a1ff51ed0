// An offline SVG map in Web Mercator: land from a GeoJSON (Natural Earth
// via world-atlas), a graticule, the ports a model knows, each vessel's
// track (earlier track thin, voyage in progress bold), its position and
// dashed lines to its candidate destinations weighted by probability.
// Wheel or buttons zoom, dragging pans; clicking a vessel selects it.

const NS = 'http://www.w3.org/2000/svg';
const RAD = Math.PI / 180;
const MAX_LAT = 85;

export function el(tag, attrs = {}, parent = null) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// Mercator on the unit sphere: x east, y north, in radians.
const mx = (lon) => lon * RAD;
const my = (lat) => Math.log(Math.tan(Math.PI / 4 + (Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * RAD) / 2));
const lonOf = (x) => x / RAD;
const latOf = (y) => (2 * Math.atan(Math.exp(y)) - Math.PI / 2) / RAD;

export class MapView {
  #svg;
  #land;
  #grat;
  #gratLabels;
  #over;
  #w = 800;
  #h = 600;
  #cx = 0;
  #cy = 0;
  #k = 100; // pixels per radian
  #ports = [];
  #vessels = [];
  #selected = null;
  #onSelect = () => {};
  #frame = 0;

  constructor(container) {
    this.#svg = el('svg', { role: 'img', 'aria-label': 'Map of the vessels and their predicted destinations' }, container);
    el('rect', { x: 0, y: 0, width: '100%', height: '100%', fill: 'var(--sea)' }, this.#svg);
    this.#grat = el('g', { class: 'grat' }, this.#svg);
    this.#land = el('g', { class: 'land' }, this.#svg);
    this.#gratLabels = el('g', { class: 'grat' }, this.#svg);
    this.#over = el('g', { class: 'overlay' }, this.#svg);
    new ResizeObserver(() => this.#resize(container)).observe(container);
    this.#resize(container);
    this.#interact(container);
  }

  #resize(c) {
    const r = c.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return;
    this.#w = r.width;
    this.#h = r.height;
    this.draw();
  }

  /** Sets the land (a GeoJSON Feature or FeatureCollection of polygons). */
  setLand(geo) {
    this.#land.replaceChildren();
    const feats = geo.type === 'FeatureCollection' ? geo.features : [geo];
    let d = '';
    for (const f of feats) {
      const g = f.geometry;
      const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
      for (const poly of polys) {
        for (const ring of poly) {
          d += ring.map(([lon, lat], i) => `${i ? 'L' : 'M'}${mx(lon).toFixed(5)} ${(-my(lat)).toFixed(5)}`).join('') + 'Z';
        }
      }
    }
    el('path', { d, 'fill-rule': 'evenodd' }, this.#land);
    this.draw();
  }

  /**
   * Sets the ports ({locode, name, lat, lon}) and the vessels
   * ({mmsi, name, color, track: [{lat, lon, t}], voyageFrom (ms or null),
   * prediction}).
   */
  setData(ports, vessels) {
    this.#ports = ports;
    this.#vessels = vessels;
    if (this.#selected != null && !vessels.some((v) => v.mmsi === this.#selected)) this.#selected = null;
    this.draw();
  }

  onSelect(fn) {
    this.#onSelect = fn;
  }

  select(mmsi) {
    this.#selected = mmsi;
    this.draw();
  }

  /** Fits the view to the vessels' tracks and candidate ports (or the ports when there are none). */
  fit() {
    const pts = [];
    for (const v of this.#vessels) {
      for (const p of v.track) pts.push(p);
      for (const d of v.prediction?.destinations ?? []) if (d.prob >= 0.05) pts.push(d);
    }
    if (pts.length === 0) pts.push(...this.#ports);
    if (pts.length === 0) return;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const p of pts) {
      const x = mx(p.lon);
      const y = my(p.lat);
      x0 = Math.min(x0, x); x1 = Math.max(x1, x);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    // room for labels around, and for the legend strip at the bottom
    const pad = { x: 56, top: 36, bottom: 64 };
    this.#k = Math.min((this.#w - 2 * pad.x) / Math.max(x1 - x0, 0.002), (this.#h - pad.top - pad.bottom) / Math.max(y1 - y0, 0.002), 2e5);
    this.#cx = (x0 + x1) / 2;
    this.#cy = (y0 + y1) / 2 - (pad.bottom - pad.top) / 2 / this.#k;
    this.draw();
  }

  zoom(f, sx = this.#w / 2, sy = this.#h / 2) {
    const k = Math.max(20, Math.min(this.#k * f, 2e5));
    // keep the point under (sx, sy) in place
    const x = this.#cx + (sx - this.#w / 2) / this.#k;
    const y = this.#cy - (sy - this.#h / 2) / this.#k;
    this.#cx = x - (sx - this.#w / 2) / k;
    this.#cy = y + (sy - this.#h / 2) / k;
    this.#k = k;
    this.draw();
  }

  #interact(c) {
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      this.zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    let drag = null;
    c.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || e.target.closest('[data-mmsi]')) return;
      drag = { x: e.clientX, y: e.clientY, cx: this.#cx, cy: this.#cy, moved: false };
      c.setPointerCapture(e.pointerId);
      c.classList.add('dragging');
    });
    c.addEventListener('pointermove', (e) => {
      if (!drag) return;
      drag.moved = true;
      this.#cx = drag.cx - (e.clientX - drag.x) / this.#k;
      this.#cy = drag.cy + (e.clientY - drag.y) / this.#k;
      this.draw();
    });
    const end = () => {
      drag = null;
      c.classList.remove('dragging');
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('dblclick', (e) => {
      const r = c.getBoundingClientRect();
      this.zoom(2, e.clientX - r.left, e.clientY - r.top);
    });
    c.addEventListener('click', (e) => {
      const t = e.target.closest('[data-mmsi]');
      if (t) this.#onSelect(Number(t.dataset.mmsi));
    });
  }

  #sx(lon) {
    return (mx(lon) - this.#cx) * this.#k + this.#w / 2;
  }

  #sy(lat) {
    return (this.#cy - my(lat)) * this.#k + this.#h / 2;
  }

  /** Redraws on the next animation frame. */
  draw() {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#render();
    });
  }

  #render() {
    const k = this.#k;
    this.#land.setAttribute('transform', `matrix(${k} 0 0 ${k} ${this.#w / 2 - this.#cx * k} ${this.#h / 2 + this.#cy * k})`);
    this.#graticule();
    const o = this.#over;
    o.replaceChildren();
    o.classList.toggle('dim', this.#selected != null);

    const sel = this.#vessels.find((v) => v.mmsi === this.#selected);
    // candidate probabilities per port: the selected vessel's, else each port's best
    const cand = new Map();
    for (const v of sel ? [sel] : this.#vessels) {
      for (const d of v.prediction?.destinations ?? []) {
        if (d.prob < 0.05) continue;
        if (!cand.has(d.locode) || cand.get(d.locode).prob < d.prob) cand.set(d.locode, d);
      }
    }

    const lines = el('g', {}, o);
    const tracks = el('g', {}, o);
    const ships = el('g', {}, o);
    const ports = el('g', {}, o);
    for (const v of this.#vessels) {
      const on = v.mmsi === this.#selected ? 'on' : '';
      const gl = el('g', { class: on }, lines);
      const gt = el('g', { class: on, 'data-mmsi': v.mmsi }, tracks);
      const gs = el('g', { class: on, 'data-mmsi': v.mmsi }, ships);
      const split = v.voyageFrom == null ? 0 : v.track.findIndex((p) => p.t >= v.voyageFrom);
      const past = split < 0 ? v.track : v.track.slice(0, Math.max(split, 0) + 1);
      const voyage = split < 0 ? [] : v.track.slice(Math.max(split, 0));
      const path = (pts) => pts.map((p, i) => `${i ? 'L' : 'M'}${this.#sx(p.lon).toFixed(1)} ${this.#sy(p.lat).toFixed(1)}`).join('');
      if (past.length > 1 && v.voyageFrom != null) el('path', { class: 'track past', d: path(past), stroke: v.color }, gt);
      if (voyage.length > 1) el('path', { class: 'track voyage', d: path(voyage), stroke: v.color }, gt);
      else if (v.voyageFrom == null && v.track.length > 1) el('path', { class: 'track past', d: path(v.track), stroke: v.color }, gt);
      const last = v.track.at(-1);
      if (!last) continue;
      const x = this.#sx(last.lon);
      const y = this.#sy(last.lat);
      for (const d of v.prediction?.destinations ?? []) {
        if (d.prob < 0.05 || (sel && sel !== v) || (!sel && d !== v.prediction.destinations[0])) continue;
        el('path', {
          class: 'dline', d: `M${x.toFixed(1)} ${y.toFixed(1)}L${this.#sx(d.lon).toFixed(1)} ${this.#sy(d.lat).toFixed(1)}`,
          stroke: v.color, 'stroke-width': (0.8 + 4 * d.prob).toFixed(2), 'stroke-opacity': (0.35 + 0.65 * d.prob).toFixed(2),
        }, gl);
      }
      // the vessel: an arrow along its course, or a dot without one
      const cog = last.cog;
      if (cog != null && cog < 360) {
        el('path', { class: 'ship', d: 'M0 -8 L5.5 6 L0 3 L-5.5 6 Z', fill: v.color, transform: `translate(${x.toFixed(1)} ${y.toFixed(1)}) rotate(${cog})` }, gs);
      } else {
        el('circle', { class: 'ship', cx: x.toFixed(1), cy: y.toFixed(1), r: 5, fill: v.color }, gs);
      }
      if (on || this.#vessels.length <= 12) {
        const t = el('text', { class: 'vlabel', x: (x + 9).toFixed(1), y: (y - 7).toFixed(1), fill: v.color }, gs);
        t.textContent = v.name || String(v.mmsi);
      }
    }
    for (const p of this.#ports) {
      const x = this.#sx(p.lon);
      const y = this.#sy(p.lat);
      if (x < -50 || y < -50 || x > this.#w + 50 || y > this.#h + 50) continue;
      const c = cand.get(p.locode);
      const g = el('g', { class: c ? 'port cand' : 'port' }, ports);
      el('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: c ? 5 : 3.2 }, g);
      const t = el('text', { x: (x + 8).toFixed(1), y: (y + 4).toFixed(1) }, g);
      t.textContent = p.name;
      if (c) {
        const pct = el('tspan', { class: 'pct', dx: 5 }, t);
        pct.textContent = `${(c.prob * 100).toFixed(0)}%`;
      }
    }
  }

  // graticule draws meridians and parallels at a spacing that suits the
  // zoom, labelled on the left and bottom edges.
  #graticule() {
    const g = this.#grat;
    const gl = this.#gratLabels;
    g.replaceChildren();
    gl.replaceChildren();
    const lon0 = lonOf(this.#cx - this.#w / 2 / this.#k);
    const lon1 = lonOf(this.#cx + this.#w / 2 / this.#k);
    const lat0 = latOf(this.#cy - this.#h / 2 / this.#k);
    const lat1 = latOf(this.#cy + this.#h / 2 / this.#k);
    const span = Math.max(lon1 - lon0, 1e-6);
    const step = [0.25, 0.5, 1, 2, 5, 10, 15, 30, 45].find((s) => span / s <= 10) ?? 90;
    const fmt = (v, pos, neg) => `${Math.abs(+v.toFixed(2))}°${v >= 0 ? pos : neg}`;
    for (let lon = Math.ceil(lon0 / step) * step; lon <= lon1; lon += step) {
      const x = this.#sx(lon).toFixed(1);
      el('line', { x1: x, x2: x, y1: 0, y2: this.#h }, g);
      el('text', { x: +x + 3, y: 13 }, gl).textContent = fmt(lon, 'E', 'W');
    }
    for (let lat = Math.ceil(Math.max(lat0, -80) / step) * step; lat <= Math.min(lat1, 80); lat += step) {
      const y = this.#sy(lat).toFixed(1);
      el('line', { x1: 0, x2: this.#w, y1: y, y2: y }, g);
      el('text', { x: 4, y: +y - 3 }, gl).textContent = fmt(lat, 'N', 'S');
    }
  }
}
