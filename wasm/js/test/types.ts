// Compiled by test/types.test.js with tsc --noEmit: the declarations are
// valid and describe the API as the tests and demo use it.
import { Portolan, PortolanError, type VesselResult, type Forecast } from '../src/index.js';
import { readSeriesCSV } from '../src/series.js';

export async function use(wasm: Uint8Array, bundle: Uint8Array, td: Uint8Array, csv: string): Promise<number> {
  const pt = await Portolan.create({ wasm, timeoutMs: 5000 });
  const way = await pt.open(bundle);
  const vessels: VesselResult[] = await way.destinations({ topK: 3 }).predict('!AIVDM...');
  const top = vessels[0]?.prediction?.destinations[0];
  const p: number = top?.prob ?? 0;
  const s = await way.destinations().openStream(211969162, { shipType: 70 });
  const r = await s.push({ mmsi: 211969162, lat: 54, lon: 7, time: '2026-01-01T00:00:00Z' });
  const eta: number | undefined = r.prediction?.eta_hours;
  const model = await pt.open(td);
  const set = readSeriesCSV(csv).match(model.features);
  const ac = new AbortController();
  const fs: Forecast[] = await model.forecaster({ samples: 20, seed: 1n }).forecast(set.all(), { signal: ac.signal });
  try {
    await pt.open(new Uint8Array(3));
  } catch (e) {
    if (e instanceof PortolanError && e.status === 'bad_bundle') pt.terminate();
  }
  pt.close();
  return p + (eta ?? 0) + fs[0].mean + fs[0].epistemic;
}
