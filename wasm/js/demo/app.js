// The demo page: AIS in, destinations and ETAs on a map; series in,
// forecasts with uncertainty in a chart. Everything is computed here by the
// WebAssembly module (../src), in a Worker; nothing is sent anywhere.

import { feature } from 'topojson-client';
import { Portolan, PortolanError } from '../src/index.js';
import { readSeriesCSV } from '../src/series.js';
import { MapView } from './map.js';
import { drawForecast } from './chart.js';

const $ = (id) => document.getElementById(id);
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22',
  '#393b79', '#ad494a', '#637939', '#7b4173', '#3182bd', '#e6550d'];
const TOP_K = 3;

let pt;
let way;
let td;
let map;
let seriesText = null;
const timings = {};
const etaFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
});

/** Probabilities as the page shows them (the browser test formats the CLI's the same way). */
const percent = (p) => `${(p * 100).toFixed(1)}%`;

function setStatus(text, error = false) {
  $('status').textContent = text;
  if (error) document.body.dataset.state = 'error';
}

function showTimings() {
  $('timings').textContent = Object.entries(timings).map(([k, v]) => `${k} ${v < 1000 ? `${v.toFixed(0)} ms` : `${(v / 1000).toFixed(2)} s`}`).join(' · ');
}

// busy runs a computation with the Stop button enabled.
async function busy(label, fn) {
  setStatus(`${label}…`);
  $('stop').disabled = false;
  try {
    return await fn();
  } finally {
    $('stop').disabled = true;
  }
}

async function timed(name, fn) {
  const t = performance.now();
  const out = await fn();
  timings[name] = performance.now() - t;
  showTimings();
  return out;
}

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

function describe(e) {
  if (e instanceof PortolanError && ['terminated', 'aborted', 'timeout'].includes(e.status)) {
    return 'Stopped. The module starts again on the next computation.';
  }
  return e?.message ?? String(e);
}

// ---- destinations ----

async function runAIS(bytes, name) {
  $('ais-name').textContent = name;
  $('ais-summary').textContent = '';
  document.body.dataset.ais = 'running';
  try {
    const positions = await busy(`Decoding ${name}`, () => timed('decode', () => pt.decodeAIS(bytes)));
    const results = await busy(`Predicting destinations of ${new Set(positions.map((p) => p.mmsi)).size} vessels`,
      () => timed('predict', () => way.destinations({ topK: TOP_K }).predict(positions)));
    const tracks = new Map();
    for (const p of positions) {
      if (!tracks.has(p.mmsi)) tracks.set(p.mmsi, []);
      tracks.get(p.mmsi).push({ lat: p.lat, lon: p.lon, t: Date.parse(p.time), cog: p.cog });
    }
    for (const tr of tracks.values()) tr.sort((a, b) => a.t - b.t);
    const ordered = [...results].sort((a, b) => (b.prediction ? 1 : 0) - (a.prediction ? 1 : 0) || a.mmsi - b.mmsi);
    const vessels = ordered.map((r, i) => ({
      mmsi: r.mmsi,
      name: r.name?.trim() || '',
      color: PALETTE[i % PALETTE.length],
      track: tracks.get(r.mmsi) ?? [],
      voyageFrom: r.prediction ? Date.parse(r.prediction.departed) : null,
      prediction: r.prediction ?? null,
      status: r.status,
      error: r.error,
    }));
    renderVessels(vessels);
    map.setData(way.ports, vessels);
    map.fit();
    const n = vessels.filter((v) => v.prediction).length;
    $('ais-summary').textContent = `${positions.length.toLocaleString('en-US')} positions · ${vessels.length} vessels · ${n} under way`;
    setStatus(`${name}: ${n} of ${vessels.length} vessels have a voyage in progress.`);
    document.body.dataset.ais = 'done';
  } catch (e) {
    document.body.dataset.ais = 'error';
    setStatus(`${name}: ${describe(e)}`, !(e instanceof PortolanError && e.status === 'terminated'));
  }
}

function renderVessels(vessels) {
  const list = $('vessels');
  list.replaceChildren();
  for (const v of vessels) {
    const item = document.createElement('div');
    item.className = 'vessel';
    item.setAttribute('role', 'listitem');
    item.dataset.mmsi = v.mmsi;
    const head = document.createElement('div');
    head.className = 'v-head';
    head.innerHTML = '<span class="swatch"></span><span class="v-name"></span><span class="v-mmsi"></span>';
    head.querySelector('.swatch').style.background = v.color;
    head.querySelector('.v-name').textContent = v.name || 'unnamed vessel';
    head.querySelector('.v-mmsi').textContent = `MMSI ${v.mmsi}`;
    item.append(head);
    const p = v.prediction;
    if (p) {
      const meta = document.createElement('div');
      meta.className = 'v-meta';
      const eta = etaFormat.format(new Date(p.eta));
      meta.innerHTML = `from <b></b> · ETA <b class="eta"></b> <span class="in"></span>`;
      meta.querySelector('b').textContent = p.departure || 'unknown port';
      meta.querySelector('.eta').textContent = `${eta} UTC`;
      meta.querySelector('.eta').dataset.etaHours = p.eta_hours;
      meta.querySelector('.in').textContent = p.eta_hours >= 0.05 ? `(in ${p.eta_hours.toFixed(1)} h)` : '(arriving)';
      item.append(meta);
      const dests = document.createElement('div');
      dests.className = 'dests';
      p.destinations.forEach((d, rank) => {
        const row = document.createElement('div');
        row.className = 'dest';
        row.dataset.rank = rank;
        row.dataset.locode = d.locode;
        row.dataset.prob = d.prob;
        row.innerHTML = '<span class="port-name"></span><span class="bar"><i></i></span><span class="prob"></span>';
        const name = row.querySelector('.port-name');
        name.textContent = `${d.name} `;
        const loc = document.createElement('span');
        loc.className = 'loc';
        loc.textContent = d.locode;
        name.append(loc);
        row.querySelector('.bar i').style.width = `${(d.prob * 100).toFixed(1)}%`;
        row.querySelector('.prob').textContent = percent(d.prob);
        dests.append(row);
      });
      item.append(dests);
    } else {
      const none = document.createElement('div');
      none.className = 'v-none';
      none.textContent = v.status === 'no_voyage' ? 'No voyage in progress (in port, or too few positions)' : `No prediction: ${v.error ?? ''}`;
      item.append(none);
    }
    item.addEventListener('click', () => select(v.mmsi));
    list.append(item);
  }
}

let selected = null;
function select(mmsi) {
  selected = selected === mmsi ? null : mmsi;
  for (const e of document.querySelectorAll('.vessel')) e.classList.toggle('selected', Number(e.dataset.mmsi) === selected);
  document.querySelector('.vessel.selected')?.scrollIntoView({ block: 'nearest' });
  map.select(selected);
}

// ---- forecasts ----

async function runForecast() {
  document.body.dataset.forecast = 'running';
  try {
    const set = readSeriesCSV(seriesText).match(td.features);
    const samples = Number($('fc-samples').value);
    const seedText = $('fc-seed').value.trim() || '1';
    const seed = Number.isSafeInteger(Number(seedText)) ? Number(seedText) : BigInt(seedText);
    const f = td.forecaster({ samples, seed });
    const out = await busy(`Forecasting ${set.ids.length} series × ${samples} samples`, () => timed('forecast', () => f.forecast(set.all(), { keys: set.keys() })));
    const rows = out.map((fc, i) => ({ id: set.ids[i], ...fc, target: set.target[i] }));
    const tbody = $('fc-table').querySelector('tbody');
    const hover = (i) => {
      [...tbody.rows].forEach((tr, k) => tr.classList.toggle('hl', k === i));
    };
    drawForecast($('chart'), rows, hover);
    tbody.replaceChildren();
    for (const r of rows) {
      const tr = tbody.insertRow();
      tr.dataset.id = r.id;
      tr.dataset.mean = r.mean;
      const cells = [r.id, r.mean.toFixed(2), `${r.lo90.toFixed(1)} – ${r.hi90.toFixed(1)}`, Math.sqrt(r.epistemic).toFixed(2),
        Math.sqrt(r.aleatoric).toFixed(2), Number.isFinite(r.target) ? r.target.toFixed(1) : '–'];
      cells.forEach((c, k) => {
        const td = tr.insertCell();
        td.textContent = c;
        if (k === 1) td.className = 'mean';
      });
    }
    setStatus(`Forecast: ${rows.length} series, ${samples} Monte Carlo samples, seed ${seed}.`);
    document.body.dataset.forecast = 'done';
  } catch (e) {
    document.body.dataset.forecast = 'error';
    setStatus(`Forecast: ${describe(e)}`, !(e instanceof PortolanError && e.status === 'terminated'));
  }
}

// ---- inputs ----

function wireInputs() {
  $('stop').addEventListener('click', () => pt.terminate());
  $('ais-file').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    if (f) await runAIS(new Uint8Array(await f.arrayBuffer()), f.name);
  });
  $('series-file').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    if (!f) return;
    seriesText = await f.text();
    $('series-name').textContent = f.name;
    await runForecast();
  });
  $('fc-form').addEventListener('submit', (e) => {
    e.preventDefault();
    runForecast();
  });
  const drop = $('drop');
  window.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  window.addEventListener('dragleave', (e) => {
    if (e.relatedTarget == null) drop.classList.remove('over');
  });
  window.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) await runAIS(new Uint8Array(await f.arrayBuffer()), f.name);
  });
}

async function main() {
  wireInputs();
  map = new MapView($('map'));
  map.onSelect(select);
  $('zoom-in').addEventListener('click', () => map.zoom(1.6));
  $('zoom-out').addEventListener('click', () => map.zoom(1 / 1.6));
  $('zoom-fit').addEventListener('click', () => map.fit());
  try {
    const [client, wayBytes, tdBytes, land, nmea, csv] = await timed('load', () => Promise.all([
      Portolan.create({ wasm: new URL('portolan.wasm', location.href) }),
      fetchBytes('data/way-demo.portolan'),
      fetchBytes('data/td-demo.portolan'),
      fetch('data/land-50m.json').then((r) => r.json()),
      fetchBytes('data/sample.nmea'),
      fetch('data/sample.csv').then((r) => r.text()),
    ]));
    pt = client;
    map.setLand(feature(land, land.objects.land));
    [way, td] = await busy('Starting the module and loading the demo models', () => timed('open', async () => [await pt.open(wayBytes), await pt.open(tdBytes)]));
    $('engine').textContent = 'WebAssembly in a Worker';
    seriesText = csv;
    await runAIS(nmea, 'sample.nmea');
    await runForecast();
    if (document.body.dataset.state !== 'error') document.body.dataset.state = 'done';
  } catch (e) {
    setStatus(`Could not start: ${describe(e)}`, true);
  }
}

main();
