// Scanning: a tube, then people onto it; sealing and changing tubes.
import { $, cfg, el, scanning } from "./page.js";
import { RECENT, change, load, pendingFor, tubeInfo } from "./state.js";
import { classify } from "./classify.js";
import { flushSoon } from "./send.js";
import { fmt, gettext } from "./text.js";
import { beep, isoWithOffset, luhnValid, newKey } from "./util.js";
import { focusField, render, say } from "./view.js";

const TUBE_RE = /^[0-9A-Za-z-]{6,32}$/;
const info = (s, barcode) => tubeInfo(s, barcode, cfg.capacity);
const onTube = (s, barcode) => info(s, barcode).confirmed + pendingFor(s, barcode);

export function storageFull() {
  beep(false);
  say(gettext("This device cannot store more scans. Stop, get online and let the queue send."), "error");
}

async function lookUpTube(barcode) {
  // Online, ask the server about the tube now; offline, or if it does not answer in time,
  // take it on trust: the sample API checks it again when the queue is sent.
  if (!navigator.onLine) return { ok: true };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 4000);
  try {
    const res = await fetch(cfg.tubeUrl.replace(cfg.slot, encodeURIComponent(barcode)), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller.signal,
    });
    const body = await res.json().catch(() => ({}));
    if (res.ok) return { ok: true, capacity: body.capacity, count: body.sample_count };
    if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403) {
      const err = (body.errors || [])[0] || {};
      return { ok: false, message: err.message || gettext("This tube cannot be used here.") };
    }
    return { ok: true };
  } catch (_e) {
    return { ok: true };
  } finally {
    clearTimeout(timer);
  }
}

function refuseTube(text) {
  beep(false);
  say(text, "error");
  el.tubeInput.select();
}

export async function scanTube(raw) {
  const barcode = raw.trim();
  if (!barcode) return;
  if (/^FKSC\./i.test(barcode) || /^\d{15}$|^\d{17}[\dXx]$/.test(barcode)) {
    beep(false);
    say(gettext("That is a person. Scan the tube first."), "error");
    return;
  }
  if (!TUBE_RE.test(barcode) || (/^\d{12}$/.test(barcode) && !luhnValid(barcode))) {
    refuseTube(gettext("This is not a tube barcode: scan it again."));
    return;
  }
  const known = load().tubes[barcode];
  if (known && known.sealed) {
    refuseTube(gettext("This tube is sealed: take a new tube."));
    return;
  }
  // The person field opens at once: a wedge scanner's next code may arrive before the
  // server has answered about the tube. Scans made meanwhile wait for that answer.
  el.tubeInput.value = "";
  el.tubeInput.disabled = true;
  el.personInput.disabled = false;
  el.personInput.focus();
  say(fmt(gettext("Checking tube %(barcode)s…"), { barcode }), "info");
  scanning.tubeCheck = lookUpTube(barcode).then((found) => openTube(barcode, found));
  const opened = await scanning.tubeCheck;
  scanning.tubeCheck = null;
  if (!opened) render();
  focusField();
}

// Apply the server's answer about a scanned tube; true when it is now the open tube.
function openTube(barcode, found) {
  if (!found.ok) {
    beep(false);
    say(found.message, "error");
    return false;
  }
  change((s) => {
    const tube = info(s, barcode);
    if (found.capacity) tube.capacity = found.capacity;
    if (typeof found.count === "number") tube.confirmed = Math.max(tube.confirmed, found.count);
    s.tubes[barcode] = tube;
    s.tube = { barcode };
  });
  beep(true);
  say(fmt(gettext("Tube %(barcode)s open. Scan the people."), { barcode }), "ok");
  return true;
}

function queuePerson(s, fields, label) {
  if (!s.tube) return { error: gettext("Scan the tube first.") };
  const barcode = s.tube.barcode;
  const tube = info(s, barcode);
  if (onTube(s, barcode) >= tube.capacity) {
    return { error: gettext("This tube is full: seal it and take a new tube.") };
  }
  const same = (e) =>
    e.kind === "sample" &&
    e.item.tube_barcode === barcode &&
    ((fields.sampling_code && e.item.sampling_code === fields.sampling_code) ||
      (fields.document_number &&
        e.item.document_number === fields.document_number &&
        e.item.document_type === fields.document_type));
  if (s.queue.some(same)) return { error: gettext("This person is already in this tube.") };
  const key = newKey();
  const at = new Date();
  const item = Object.assign(
    { idempotency_key: key, tube_barcode: barcode, taken_at: isoWithOffset(at) },
    fields,
  );
  s.queue.push({ kind: "sample", key, item, label, at: at.toISOString() });
  s.recent.unshift({ key, label, tube: barcode, status: "queued", at: at.toISOString() });
  s.recent = s.recent.slice(0, RECENT);
  return { n: onTube(s, barcode), capacity: tube.capacity };
}

// Queue one person on the open tube; true when the scan was kept.
export function addPerson(fields, label) {
  const outcome = change((s) => queuePerson(s, fields, label));
  if (outcome.error) {
    beep(false);
    say(outcome.error, "error");
    return false;
  }
  beep(true);
  const full = outcome.n >= outcome.capacity;
  say(
    full
      ? fmt(
          gettext("%(n)s/%(capacity)s: the tube is full. It seals itself when sent; take a new tube."),
          outcome,
        )
      : fmt(gettext("%(label)s added: %(n)s/%(capacity)s"), Object.assign({ label }, outcome)),
    full ? "info" : "ok",
  );
  flushSoon();
  return true;
}

function nextTube(barcode) {
  // The next tube, scanned straight after a full one (which seals itself), is welcome;
  // while the open tube still has room it is more likely a slip.
  const state = load();
  if (state.tube && onTube(state, state.tube.barcode) >= info(state, state.tube.barcode).capacity) {
    el.personInput.value = "";
    change((s) => {
      s.tube = null;
    });
    scanTube(barcode);
  } else {
    beep(false);
    say(gettext("That is a tube label. Seal or change the open tube first."), "error");
    el.personInput.select();
  }
}

export async function scanPerson(raw) {
  if (!raw.trim()) return;
  // While the tube is being checked the field is cleared at once, and the scanner may type the
  // next person into it during the wait: after the wait this scan must not touch the field.
  let waited = false;
  if (scanning.tubeCheck) {
    el.personInput.value = "";
    waited = true;
    if (!(await scanning.tubeCheck)) {
      beep(false);
      say(
        gettext("The tube was refused, so this person was not added: scan a tube, then the person again."),
        "error",
      );
      return;
    }
  }
  const what = classify(raw, el.docType);
  if (what.tube) {
    nextTube(what.tube);
    return;
  }
  if (what.error) {
    beep(false);
    say(what.error, "error");
    if (!waited) el.personInput.select();
    return;
  }
  if (addPerson(what.item, what.label)) {
    if (!waited) el.personInput.value = "";
    el.docType.value = "resident_id"; // a chosen document type never carries over to the next person
  } else if (!waited) {
    el.personInput.select();
  }
}

let sealArmed = null;

function disarmSeal() {
  clearTimeout(sealArmed);
  sealArmed = null;
  const button = $("seal");
  button.classList.remove("armed");
  button.textContent = gettext("Seal tube");
}

function queueSeal(s) {
  if (!s.tube) return null;
  const code = s.tube.barcode;
  const at = new Date().toISOString();
  s.queue.push({ kind: "seal", key: newKey(), tube: code, at });
  const tube = info(s, code);
  tube.sealed = true;
  s.tubes[code] = tube;
  s.tube = null;
  s.recent.unshift({ key: `seal-${code}`, label: gettext("Seal tube"), tube: code, status: "queued", at });
  s.recent = s.recent.slice(0, RECENT);
  return code;
}

export function sealTube() {
  const button = $("seal");
  if (!sealArmed) {
    // Sealing cannot be undone: the first tap arms the button, the second seals.
    button.classList.add("armed");
    button.textContent = gettext("Tap again to seal");
    sealArmed = setTimeout(disarmSeal, 4000);
    return;
  }
  disarmSeal();
  const barcode = change(queueSeal);
  if (barcode) {
    beep(true);
    say(fmt(gettext("Tube %(barcode)s sealed. Scan the next tube."), { barcode }), "ok");
    flushSoon();
  }
  el.tubeInput.focus();
}

export function changeTube() {
  // Leave the tube open (its queued people still go out) and scan another one.
  change((s) => {
    s.tube = null;
  });
  say(gettext("Scan the next tube."), "info");
  el.tubeInput.focus();
}
