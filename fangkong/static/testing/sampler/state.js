/* The page's state: the queue, the open tube, what was recently scanned and refused.
 *
 * Held in memory and read synchronously; every change is saved whole, encrypted, in the
 * order made (vault.js). Queued items leave the record once the server has answered them,
 * and what is older than the vault's limit is dropped when the record is read.
 */
import { MAX_AGE_MS, openVault, recordKey, takeLegacy } from "./vault.js";

export const RECENT = 12;
let vault = null;
let name = "";
let state = blank();
let saving = Promise.resolve();
let onSaveError = () => {};
let onChange = () => {};

export function blank() {
  return { queue: [], tube: null, tubes: {}, recent: [], rejected: [] };
}

function fresh(entry) {
  return Date.now() - new Date(entry.at).getTime() < MAX_AGE_MS;
}

function tidy(saved) {
  const s = Object.assign(blank(), saved || {});
  s.queue = s.queue.filter(fresh);
  s.recent = s.recent.filter(fresh);
  s.rejected = s.rejected.filter(fresh);
  return s;
}

// Open the record of this user and station; `holder` carries the key the server issued.
export async function open(holder, user, station, hooks) {
  vault = await openVault(holder);
  name = recordKey(user, station);
  onSaveError = hooks.onSaveError;
  onChange = hooks.onChange;
  state = tidy(await vault.read(name));
  const legacy = takeLegacy(user, station);
  if (legacy) {
    const known = new Set(state.queue.map((e) => e.key));
    state.queue.push(...(legacy.queue || []).filter((e) => !known.has(e.key)));
    state = tidy(state);
    save();
  }
}

// Another tab of the same station saved: take its record.
export async function reload() {
  state = tidy(await vault.read(name));
  onChange(state);
}

export function isRecord(key) {
  return key === name;
}

export function load() {
  return state;
}

function save() {
  const snapshot = JSON.parse(JSON.stringify(state));
  saving = saving
    .then(() => vault.write(name, snapshot))
    .catch(() => onSaveError());
  return saving;
}

export function change(edit) {
  const result = edit(state);
  save();
  onChange(state);
  return result;
}

// The counts on a tube: confirmed by the server, and still waiting in the queue.
export function tubeInfo(s, barcode, capacity) {
  return s.tubes[barcode] || { capacity, confirmed: 0, sealed: false };
}

export function pendingFor(s, barcode) {
  return s.queue.filter((e) => e.kind === "sample" && e.item.tube_barcode === barcode).length;
}

// Count the waiting scans of a station's record (for the station picker).
export async function waitingIn(holderVault, user, station) {
  const saved = tidy(await holderVault.read(recordKey(user, station)));
  const legacy = window.localStorage.getItem(`fangkong.sampler.v1.${user}.${station}`);
  let old = 0;
  try {
    old = legacy ? (JSON.parse(legacy).queue || []).filter((e) => e.kind === "sample").length : 0;
  } catch (_e) {
    old = 0;
  }
  return saved.queue.filter((e) => e.kind === "sample").length + old;
}
