/* Fangkong sampler page: scan a tube, scan people, seal; online or not.
 *
 * Every scan becomes an item with its own idempotency key and the device's time, and is
 * written to localStorage before anything is sent. A sender posts the queue in batches
 * whenever the network allows and forgets an item only once the server has answered it:
 * accepted items count as confirmed, refused ones are shown to the sampler and kept off the
 * queue. A lost answer is harmless, because the server answers a key it already knows with
 * its first answer and writes nothing.
 *
 * No framework, no build step: plain ES2020. Text goes through Django's JavaScript catalogue
 * (gettext, from /jsi18n/, domain djangojs).
 */
(() => {
  "use strict";

  const gettext = typeof window.gettext === "function" ? window.gettext : (s) => s;
  const ngettext =
    typeof window.ngettext === "function"
      ? window.ngettext
      : (one, many, n) => (n === 1 ? one : many);
  const interpolate =
    typeof window.interpolate === "function"
      ? window.interpolate
      : (fmt, obj) => fmt.replace(/%\((\w+)\)s/g, (_m, k) => String(obj[k]));
  // Literal gettext("…") calls only, so that makemessages -d djangojs finds every string.
  const fmt = (text, values) => interpolate(text, values, true);
  const storageKey = (user, station) => `fangkong.sampler.v1.${user}.${station}`;

  // The station picker: scans still waiting on this device are sent only from their own
  // station's page, so say where they are.
  const picker = document.getElementById("station-picker");
  if (picker) {
    picker.querySelectorAll("a[data-station]").forEach((link) => {
      let waiting = 0;
      try {
        const saved = JSON.parse(
          localStorage.getItem(storageKey(picker.dataset.user, link.dataset.station)) || "{}",
        );
        waiting = (saved.queue || []).filter((e) => e.kind === "sample").length;
      } catch (_e) {
        /* nothing readable: nothing to say */
      }
      if (waiting) {
        const badge = document.createElement("span");
        badge.className = "status queued";
        badge.dataset.testid = "waiting";
        badge.textContent = fmt(
          ngettext(
            "%(n)s scan waiting to be sent: open this station",
            "%(n)s scans waiting to be sent: open this station",
            waiting,
          ),
          { n: waiting },
        );
        link.append(badge);
      }
    });
  }

  const root = document.getElementById("sampler");
  if (!root) return;

  const cfg = {
    station: Number(root.dataset.station),
    user: root.dataset.user,
    capacity: Number(root.dataset.capacity) || 20,
    samplesUrl: root.dataset.samplesUrl,
    sealUrl: root.dataset.sealUrl,
    tubeUrl: root.dataset.tubeUrl,
    slot: root.dataset.slot,
    csrf: root.dataset.csrf,
    csrfCookie: root.dataset.csrfCookie || "csrftoken",
    loginUrl: root.dataset.loginUrl,
    decoderSrc: root.dataset.decoderSrc,
  };
  const BATCH = 100; // the API takes up to 500; smaller batches answer sooner on a weak link
  const TIMEOUT_MS = 20000;
  const MAX_BACKOFF_MS = 15000;
  const RECENT = 12;
  let tubeCheck = null; // while a scanned tube is being checked: resolves true when it opened

  // ---------------------------------------------------------------- storage
  // One record per user and station, read and written whole: every change loads, edits and
  // saves in one go, so a second tab of the same station cannot silently undo this one.
  const KEY = storageKey(cfg.user, cfg.station);

  function blank() {
    return { queue: [], tube: null, tubes: {}, recent: [], rejected: [] };
  }

  function load() {
    try {
      const raw = window.localStorage.getItem(KEY);
      return raw ? Object.assign(blank(), JSON.parse(raw)) : blank();
    } catch (_e) {
      return blank();
    }
  }

  function save(state) {
    window.localStorage.setItem(KEY, JSON.stringify(state)); // throws when storage is full
  }

  function change(edit) {
    const state = load();
    const result = edit(state);
    save(state);
    render(state);
    return result;
  }

  // ---------------------------------------------------------------- helpers
  const $ = (id) => document.getElementById(id);
  const tubeInput = $("tube-input");
  const personInput = $("person-input");
  const docType = $("doc-type");
  const message = $("message");

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // randomUUID needs a secure context; a tablet on plain http still has getRandomValues.
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function isoWithOffset(d) {
    const pad = (n, w = 2) => String(n).padStart(w, "0");
    const off = -d.getTimezoneOffset();
    const abs = Math.abs(off);
    return (
      `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
      `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
      `${off >= 0 ? "+" : "-"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
    );
  }

  function clock(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? "" : d.toTimeString().slice(0, 5);
  }

  function luhnValid(digits) {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let n = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) {
        n *= 2;
        if (n > 9) n -= 9;
      }
      sum += n;
    }
    return sum % 10 === 0;
  }

  // GB 11643: ISO 7064 MOD 11-2 check character of an 18-character resident ID number.
  function residentIdCheckOk(id) {
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum = 0;
    for (let i = 0; i < 17; i++) sum += Number(id[i]) * weights[i];
    return "10X98765432"[sum % 11] === id[17];
  }

  function maskName(name) {
    const s = Array.from(name.trim());
    if (s.length <= 1) return s.join("");
    if (s.length === 2) return `${s[0]}*`;
    return s[0] + "*".repeat(s.length - 2) + s[s.length - 1];
  }

  function tail(text) {
    return `…${text.slice(-4)}`;
  }

  // Short sounds so the sampler need not look at the screen for every scan.
  let audio = null;
  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = ok ? 1320 : 220;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + (ok ? 0.08 : 0.35));
    } catch (_e) {
      /* no sound on this device */
    }
    if (!ok && navigator.vibrate) navigator.vibrate(300);
  }

  function say(text, kind = "info") {
    message.textContent = text;
    message.className = `message ${kind}`;
  }

  // ---------------------------------------------------------------- counts
  function pendingFor(state, barcode) {
    return state.queue.filter((e) => e.kind === "sample" && e.item.tube_barcode === barcode).length;
  }

  function tubeInfo(state, barcode) {
    return state.tubes[barcode] || { capacity: cfg.capacity, confirmed: 0, sealed: false };
  }

  function onTube(state, barcode) {
    const info = tubeInfo(state, barcode);
    return info.confirmed + pendingFor(state, barcode);
  }

  // ---------------------------------------------------------------- rendering
  let netState = navigator.onLine ? "online" : "offline";
  let netDetail = "";

  function renderNet() {
    const el = $("net");
    const labels = {
      online: gettext("Online"),
      offline: gettext("Offline: scans are kept"),
      retrying: gettext("Cannot reach the server: retrying"),
      blocked: gettext("Not sending: log in again"),
    };
    el.textContent = netDetail ? `${labels[netState]} ${netDetail}` : labels[netState];
    el.className = `pill ${netState}`;
    el.dataset.state = netState;
  }

  function renderList(list, entries, withReason) {
    list.replaceChildren(
      ...entries.map((e) => {
        const li = document.createElement("li");
        const time = document.createElement("span");
        time.className = "muted";
        time.textContent = clock(e.at);
        const what = document.createElement("span");
        what.className = "what";
        what.textContent = `${e.label} · ${gettext("tube")} ${tail(e.tube)}`;
        if (withReason && e.message) {
          const why = document.createElement("span");
          why.className = "why";
          why.textContent = e.message;
          what.append(why);
        }
        if (!withReason && e.notes && e.notes.length) {
          const note = document.createElement("span");
          note.className = "note";
          note.textContent = e.notes.join(" · ");
          what.append(note);
        }
        const status = document.createElement("span");
        status.className = `status ${e.status}`;
        status.textContent = {
          queued: gettext("waiting"),
          confirmed: gettext("confirmed"),
          rejected: gettext("refused"),
          sealed: gettext("sealed"),
        }[e.status];
        li.append(time, what, status);
        return li;
      }),
    );
  }

  function render(state = load()) {
    const tube = state.tube;
    const box = $("tube-box");
    if (tube) {
      const info = tubeInfo(state, tube.barcode);
      const pending = pendingFor(state, tube.barcode);
      const n = info.confirmed + pending;
      box.classList.remove("hidden");
      box.querySelector("[data-testid=tube-barcode]").textContent = tube.barcode;
      const count = box.querySelector("[data-testid=tube-count]");
      count.textContent = `${n}/${info.capacity}`;
      count.classList.toggle("full", n >= info.capacity);
      box.querySelector("[data-testid=confirmed-count]").textContent = String(info.confirmed);
      box.querySelector("[data-testid=queued-count]").textContent = String(pending);
      $("seal").disabled = n === 0;
      tubeInput.value = "";
      tubeInput.disabled = true;
      $("tube-row").classList.add("hidden");
      personInput.disabled = false;
      $("no-document").disabled = false;
    } else {
      box.classList.add("hidden");
      $("tube-row").classList.remove("hidden");
      tubeInput.disabled = Boolean(tubeCheck);
      personInput.disabled = !tubeCheck;
      $("no-document").disabled = true;
    }
    root.querySelector("[data-testid=queue-total]").textContent = String(
      state.queue.filter((e) => e.kind === "sample").length,
    );
    renderList($("recent"), state.recent, false);
    $("rejected-panel").classList.toggle("hidden", state.rejected.length === 0);
    renderList($("rejected-list"), state.rejected, true);
    renderNet();
  }

  function focusField() {
    const field = load().tube || tubeCheck ? personInput : tubeInput;
    if (document.activeElement !== field && !document.querySelector("dialog[open]")) field.focus();
  }

  // ---------------------------------------------------------------- scanning
  const TUBE_RE = /^[0-9A-Za-z-]{6,32}$/;

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

  async function scanTube(raw) {
    const barcode = raw.trim();
    if (!barcode) return;
    if (/^FKSC\./i.test(barcode) || /^\d{15}$|^\d{17}[\dXx]$/.test(barcode)) {
      beep(false);
      say(gettext("That is a person. Scan the tube first."), "error");
      return;
    }
    if (!TUBE_RE.test(barcode) || (/^\d{12}$/.test(barcode) && !luhnValid(barcode))) {
      beep(false);
      say(gettext("This is not a tube barcode: scan it again."), "error");
      tubeInput.select();
      return;
    }
    const known = load().tubes[barcode];
    if (known && known.sealed) {
      beep(false);
      say(gettext("This tube is sealed: take a new tube."), "error");
      tubeInput.select();
      return;
    }
    // The person field opens at once: a wedge scanner's next code may arrive before the
    // server has answered about the tube. Scans made meanwhile wait for that answer.
    tubeInput.value = "";
    tubeInput.disabled = true;
    personInput.disabled = false;
    personInput.focus();
    say(fmt(gettext("Checking tube %(barcode)s…"), { barcode }), "info");
    tubeCheck = lookUpTube(barcode).then((found) => openTube(barcode, found));
    const opened = await tubeCheck;
    tubeCheck = null;
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
    try {
      change((s) => {
        const info = tubeInfo(s, barcode);
        if (found.capacity) info.capacity = found.capacity;
        if (typeof found.count === "number") info.confirmed = Math.max(info.confirmed, found.count);
        s.tubes[barcode] = info;
        s.tube = { barcode };
      });
    } catch (_e) {
      storageFull();
      return false;
    }
    beep(true);
    say(fmt(gettext("Tube %(barcode)s open. Scan the people."), { barcode }), "ok");
    return true;
  }

  // What a scan in the person field is: a sampling code, an ID number, or a stray tube label.
  function classify(raw) {
    const text = raw.trim();
    const type = docType.value;
    if (/^FKSC\./i.test(text)) {
      return { item: { sampling_code: "FKSC" + text.slice(4) }, label: gettext("Sampling code") };
    }
    if (type === "resident_id") {
      const id = text.toUpperCase().replace(/\s+/g, "");
      if (/^\d{17}[\dX]$/.test(id)) {
        if (!residentIdCheckOk(id)) {
          return {
            error: gettext(
              "The check digit (last character) is wrong: scan or type the number again.",
            ),
          };
        }
        return {
          item: { document_type: type, document_number: id },
          label: `${gettext("ID")} ${tail(id)}`,
        };
      }
      if (/^\d{15}$/.test(id)) {
        return {
          item: { document_type: type, document_number: id },
          label: `${gettext("ID")} ${tail(id)}`,
        };
      }
      if (/^\d{12}$/.test(id)) {
        return { tube: id };
      }
      return {
        error: gettext(
          "Not an ID number or a sampling code. For another document, pick its type first; without a document, tap “No document”.",
        ),
      };
    }
    const number = text.toUpperCase().replace(/\s+/g, "");
    if (!/^[0-9A-Z()-]{5,24}$/.test(number)) {
      return {
        error: gettext("This document number looks wrong: check it and scan or type it again."),
      };
    }
    const label = docType.options[docType.selectedIndex].text;
    return {
      item: { document_type: type, document_number: number },
      label: `${label} ${tail(number)}`,
    };
  }

  function storageFull() {
    beep(false);
    say(
      gettext("This device cannot store more scans. Stop, get online and let the queue send."),
      "error",
    );
  }

  // Queue one person on the open tube; true when the scan was kept.
  function addPerson(fields, label) {
    let outcome;
    try {
      outcome = change((s) => {
        if (!s.tube) return { error: gettext("Scan the tube first.") };
        const barcode = s.tube.barcode;
        const info = tubeInfo(s, barcode);
        if (onTube(s, barcode) >= info.capacity) {
          return { error: gettext("This tube is full: seal it and take a new tube.") };
        }
        const same = (e) =>
          e.kind === "sample" &&
          e.item.tube_barcode === barcode &&
          ((fields.sampling_code && e.item.sampling_code === fields.sampling_code) ||
            (fields.document_number &&
              e.item.document_number === fields.document_number &&
              e.item.document_type === fields.document_type));
        if (s.queue.some(same)) {
          return { error: gettext("This person is already in this tube.") };
        }
        const key = newKey();
        const at = new Date();
        const item = Object.assign(
          { idempotency_key: key, tube_barcode: barcode, taken_at: isoWithOffset(at) },
          fields,
        );
        s.queue.push({ kind: "sample", key, item, label, at: at.toISOString() });
        s.recent.unshift({ key, label, tube: barcode, status: "queued", at: at.toISOString() });
        s.recent = s.recent.slice(0, RECENT);
        return { n: onTube(s, barcode), capacity: info.capacity };
      });
    } catch (_e) {
      storageFull();
      return false;
    }
    if (outcome.error) {
      beep(false);
      say(outcome.error, "error");
      return false;
    }
    beep(true);
    say(
      outcome.n >= outcome.capacity
        ? fmt(
            gettext(
              "%(n)s/%(capacity)s: the tube is full. It seals itself when sent; take a new tube.",
            ),
            outcome,
          )
        : fmt(gettext("%(label)s added: %(n)s/%(capacity)s"), Object.assign({ label }, outcome)),
      outcome.n >= outcome.capacity ? "info" : "ok",
    );
    flushSoon();
    return true;
  }

  async function scanPerson(raw) {
    if (!raw.trim()) return;
    if (tubeCheck) {
      personInput.value = "";
      if (!(await tubeCheck)) {
        beep(false);
        say(
          gettext(
            "The tube was refused, so this person was not added: scan a tube, then the person again.",
          ),
          "error",
        );
        return;
      }
    }
    const what = classify(raw);
    if (what.tube) {
      // The next tube, scanned straight after a full one (which seals itself), is welcome;
      // while the open tube still has room it is more likely a slip.
      const state = load();
      if (
        state.tube &&
        onTube(state, state.tube.barcode) >= tubeInfo(state, state.tube.barcode).capacity
      ) {
        personInput.value = "";
        change((s) => {
          s.tube = null;
        });
        scanTube(what.tube);
      } else {
        beep(false);
        say(gettext("That is a tube label. Seal or change the open tube first."), "error");
        personInput.select();
      }
      return;
    }
    if (what.error) {
      beep(false);
      say(what.error, "error");
      personInput.select();
      return;
    }
    if (addPerson(what.item, what.label)) {
      personInput.value = "";
      docType.value = "resident_id"; // a chosen document type never carries over to the next person
    } else {
      personInput.select();
    }
  }

  // ---------------------------------------------------------------- sealing
  let sealArmed = null;

  function sealTube() {
    const button = $("seal");
    if (!sealArmed) {
      // Sealing cannot be undone: the first tap arms the button, the second seals.
      button.classList.add("armed");
      button.textContent = gettext("Tap again to seal");
      sealArmed = setTimeout(disarmSeal, 4000);
      return;
    }
    disarmSeal();
    let barcode;
    try {
      barcode = change((s) => {
        if (!s.tube) return null;
        const code = s.tube.barcode;
        s.queue.push({ kind: "seal", key: newKey(), tube: code, at: new Date().toISOString() });
        const info = tubeInfo(s, code);
        info.sealed = true;
        s.tubes[code] = info;
        s.tube = null;
        s.recent.unshift({
          key: `seal-${code}`,
          label: gettext("Seal tube"),
          tube: code,
          status: "queued",
          at: new Date().toISOString(),
        });
        s.recent = s.recent.slice(0, RECENT);
        return code;
      });
    } catch (_e) {
      storageFull();
      return;
    }
    if (barcode) {
      beep(true);
      say(fmt(gettext("Tube %(barcode)s sealed. Scan the next tube."), { barcode }), "ok");
      flushSoon();
    }
    tubeInput.focus();
  }

  function disarmSeal() {
    clearTimeout(sealArmed);
    sealArmed = null;
    const button = $("seal");
    button.classList.remove("armed");
    button.textContent = gettext("Seal tube");
  }

  function changeTube() {
    // Leave the tube open (its queued people still go out) and scan another one.
    change((s) => {
      s.tube = null;
    });
    say(gettext("Scan the next tube."), "info");
    tubeInput.focus();
  }

  // ---------------------------------------------------------------- sending
  class Retry extends Error {}
  class Blocked extends Error {}

  let sending = false;
  let attempt = 0;
  let retryTimer = null;
  let blocked = false;

  // The cookie first: after a new login (say, in another tab) it holds the new token while
  // the one printed into this page is stale.
  function csrfToken() {
    const name = cfg.csrfCookie.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const m = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(document.cookie);
    return m ? decodeURIComponent(m[1]) : cfg.csrf;
  }

  function headers() {
    return {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": csrfToken(),
    };
  }

  async function post(url, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let res;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: headers(),
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        signal: controller.signal,
      });
    } catch (_e) {
      throw new Retry("network");
    } finally {
      clearTimeout(timer);
    }
    if (res.status >= 500 || res.status === 408 || res.status === 429)
      throw new Retry(String(res.status));
    const data = await res.json().catch(() => ({}));
    if (res.status === 401 || res.status === 403) {
      const err = (data.errors || [])[0] || {};
      throw new Blocked(err.message || gettext("Your session has ended: log in again."));
    }
    return { status: res.status, data };
  }

  function noteFor(flag) {
    return {
      visitor: gettext("not in the registry: registered as a visitor"),
      no_document: gettext("no document: the grid worker follows up"),
      clock_skew: gettext("this device's clock is fast"),
      repeat_in_round: gettext("already sampled in this round"),
      name_mismatch: gettext("name differs from the registry"),
    }[flag];
  }

  function settleRecent(s, key, status, extra) {
    const entry = s.recent.find((r) => r.key === key);
    if (entry) Object.assign(entry, { status }, extra || {});
  }

  function reject(s, entry, text) {
    s.rejected.unshift({
      key: entry.key,
      label: entry.label,
      tube: entry.item.tube_barcode,
      status: "rejected",
      message: text,
      at: entry.at,
    });
    settleRecent(s, entry.key, "rejected", { message: text });
  }

  async function sendSamples(batch) {
    const { status, data } = await post(cfg.samplesUrl, {
      station: cfg.station,
      items: batch.map((e) => e.item),
    });
    const keys = new Set(batch.map((e) => e.key));
    let refused = 0;
    if (status === 200) {
      const answers = new Map((data.items || []).map((o) => [o.idempotency_key, o]));
      const current = load().tube;
      change((s) => {
        s.queue = s.queue.filter((e) => {
          if (!keys.has(e.key)) return true;
          const answer = answers.get(e.key);
          if (!answer) return true; // not answered: keep and send again
          const info = tubeInfo(s, e.item.tube_barcode);
          if (answer.status === "accepted") {
            if (typeof answer.tube_samples === "number") {
              info.confirmed = Math.max(info.confirmed, answer.tube_samples);
            }
            if (answer.tube_sealed) info.sealed = true;
            s.tubes[e.item.tube_barcode] = info;
            settleRecent(s, e.key, "confirmed", {
              notes: (answer.flags || []).map(noteFor).filter(Boolean),
            });
          } else {
            refused += 1;
            reject(s, e, answer.message || gettext("Refused by the server."));
          }
          return false;
        });
        if (s.tube && tubeInfo(s, s.tube.barcode).sealed) s.tube = null;
      });
      if (refused) {
        beep(false);
        say(
          fmt(
            ngettext(
              "The server refused %(n)s scan: see the red list and take it again.",
              "The server refused %(n)s scans: see the red list and take them again.",
              refused,
            ),
            { n: refused },
          ),
          "error",
        );
      } else if (current && !load().tube) {
        say(gettext("The tube is full and sealed. Scan the next tube."), "info");
        tubeInput.focus();
      }
      return;
    }
    // A 4xx for the whole batch: either some items are malformed (the answer names them) or
    // the batch can never be taken (the round closed, the station is gone). Both are final.
    const errors = data.errors || [];
    const named = new Map();
    for (const err of errors) {
      const m = /items\.(\d+)/.exec(err.field || "");
      if (m && batch[Number(m[1])]) named.set(batch[Number(m[1])].key, err.message || err.code);
    }
    const general =
      errors
        .map((e) => e.message)
        .filter(Boolean)
        .join(" ") || gettext("Refused by the server.");
    change((s) => {
      s.queue = s.queue.filter((e) => {
        if (!keys.has(e.key)) return true;
        if (named.size && !named.has(e.key)) return true; // not at fault: send again
        reject(s, e, named.get(e.key) || general);
        return false;
      });
    });
    beep(false);
    say(gettext("The server refused some scans: see the red list and take them again."), "error");
  }

  async function sendSeal(entry) {
    const { status, data } = await post(
      cfg.sealUrl.replace(cfg.slot, encodeURIComponent(entry.tube)),
    );
    const err = (data.errors || [])[0] || {};
    change((s) => {
      s.queue = s.queue.filter((e) => e.key !== entry.key);
      // 409: no longer open, e.g. it sealed itself when full, or an earlier try went through.
      if (status === 200 || status === 409) {
        settleRecent(s, `seal-${entry.tube}`, "sealed");
      } else {
        settleRecent(s, `seal-${entry.tube}`, "rejected", { message: err.message });
        s.rejected.unshift({
          key: entry.key,
          label: gettext("Seal tube"),
          tube: entry.tube,
          status: "rejected",
          message: err.message || gettext("Refused by the server."),
          at: entry.at,
        });
        const info = tubeInfo(s, entry.tube);
        info.sealed = false;
        s.tubes[entry.tube] = info;
      }
    });
  }

  async function flush() {
    if (sending || blocked) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    if (!navigator.onLine) {
      netState = "offline";
      netDetail = "";
      renderNet();
      return;
    }
    sending = true;
    try {
      for (;;) {
        const queue = load().queue;
        if (!queue.length) break;
        const head = queue[0].key;
        if (queue[0].kind === "seal") {
          await sendSeal(queue[0]);
        } else {
          // Samples up to the next seal: a tube is sealed only after its people are in.
          const batch = [];
          for (const e of queue) {
            if (e.kind !== "sample" || batch.length >= BATCH) break;
            batch.push(e);
          }
          await sendSamples(batch);
        }
        const left = load().queue;
        if (left.length && left[0].key === head && left.length >= queue.length) {
          throw new Retry("no progress"); // answered nothing we asked: wait, then ask again
        }
        attempt = 0;
        netState = "online";
        netDetail = "";
        renderNet();
      }
      netState = "online";
      netDetail = "";
    } catch (e) {
      if (e instanceof Blocked) {
        blocked = true;
        netState = "blocked";
        netDetail = "";
        say(`${e.message} ${gettext("Nothing is lost: the scans wait on this device.")}`, "error");
        showLogin();
      } else if (e instanceof Retry || e instanceof TypeError) {
        attempt += 1;
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempt - 1, 4));
        const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
        netState = navigator.onLine ? "retrying" : "offline";
        netDetail = navigator.onLine
          ? fmt(gettext("(in %(s)s s)"), { s: Math.ceil(wait / 1000) })
          : "";
        retryTimer = setTimeout(flush, wait);
      } else {
        throw e;
      }
    } finally {
      sending = false;
      render();
    }
  }

  function flushSoon() {
    setTimeout(flush, 0);
  }

  function showLogin() {
    if (document.getElementById("relogin")) return;
    const a = document.createElement("a");
    a.id = "relogin";
    a.href = cfg.loginUrl; // the queue is in storage: leaving the page loses nothing
    a.className = "bigbutton";
    a.textContent = gettext("Log in again");
    message.after(a);
  }

  // ---------------------------------------------------------------- no document
  const nodocDialog = $("nodoc-dialog");
  const nodocForm = $("nodoc-form");

  function openNoDocument() {
    nodocForm.reset();
    nodocDialog.showModal();
    nodocForm.elements.name.focus();
  }

  nodocForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = nodocForm.elements.name.value.trim();
    const phone = nodocForm.elements.phone.value.trim();
    const guardian = nodocForm.elements.guardian.value.trim();
    if (!name) {
      say(gettext("Without a document, the person's name is required."), "error");
      return;
    }
    if (!phone && !guardian) {
      say(gettext("Without a document, give a phone number or a guardian."), "error");
      return;
    }
    const fields = { name };
    if (phone) fields.phone = phone;
    if (guardian) fields.guardian = guardian;
    if (addPerson(fields, `${gettext("No document")} ${maskName(name)}`)) {
      nodocDialog.close();
      personInput.focus();
    }
  });
  $("nodoc-cancel").addEventListener("click", () => {
    nodocDialog.close();
    focusField();
  });

  // ---------------------------------------------------------------- camera
  let reader = null;
  let cameraTarget = null;
  const cameraDialog = $("camera-dialog");

  function loadDecoder() {
    if (window.ZXing) return Promise.resolve(window.ZXing);
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = cfg.decoderSrc;
      s.onload = () => resolve(window.ZXing);
      s.onerror = () => reject(new Error("decoder"));
      document.head.append(s);
    });
  }

  async function openCamera(target) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(
        gettext(
          "The camera works only over HTTPS on this device: use the scanner or type the number.",
        ),
        "error",
      );
      return;
    }
    cameraTarget = target;
    $("camera-hint").textContent =
      target === "tube"
        ? gettext("Point the camera at the tube label.")
        : gettext("Point the camera at the sampling code.");
    cameraDialog.showModal();
    try {
      const ZXing = await loadDecoder();
      const hints = new Map();
      const F = ZXing.BarcodeFormat;
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, [
        F.QR_CODE,
        F.CODE_128,
        F.CODE_39,
        F.EAN_13,
        F.ITF,
        F.CODABAR,
      ]);
      reader = new ZXing.BrowserMultiFormatReader(hints);
      await reader.decodeFromConstraints(
        { video: { facingMode: { ideal: "environment" } } },
        $("camera-video"),
        (result) => {
          if (!result) return;
          const text = result.getText();
          closeCamera();
          if (cameraTarget === "tube") scanTube(text);
          else scanPerson(text);
        },
      );
    } catch (_e) {
      closeCamera();
      say(gettext("The camera could not start: use the scanner or type the number."), "error");
    }
  }

  function closeCamera() {
    if (reader) {
      try {
        reader.reset();
      } catch (_e) {
        /* already stopped */
      }
      reader = null;
    }
    if (cameraDialog.open) cameraDialog.close();
    focusField();
  }

  // ---------------------------------------------------------------- wiring
  tubeInput.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      scanTube(tubeInput.value);
    }
  });
  personInput.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      scanPerson(personInput.value);
    }
  });
  // A wedge scanner types wherever the focus is: after a tap on a button, send it home.
  document.addEventListener("keydown", (ev) => {
    const el = document.activeElement;
    const typing =
      el && (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA");
    if (
      !typing &&
      !document.querySelector("dialog[open]") &&
      ev.key.length === 1 &&
      !ev.ctrlKey &&
      !ev.metaKey &&
      !ev.altKey
    ) {
      focusField();
    }
  });
  docType.addEventListener("change", () => personInput.focus());
  $("seal").addEventListener("click", sealTube);
  $("change-tube").addEventListener("click", changeTube);
  $("no-document").addEventListener("click", openNoDocument);
  $("clear-rejected").addEventListener("click", () => {
    change((s) => {
      s.rejected = [];
    });
    focusField();
  });
  $("send-now").addEventListener("click", () => {
    blocked = false;
    attempt = 0;
    const relogin = document.getElementById("relogin");
    if (relogin) relogin.remove();
    flush();
    focusField();
  });
  root
    .querySelectorAll(".camera-button")
    .forEach((b) => b.addEventListener("click", () => openCamera(b.dataset.target)));
  $("camera-close").addEventListener("click", closeCamera);
  cameraDialog.addEventListener("cancel", closeCamera);

  window.addEventListener("online", () => {
    attempt = 0;
    netState = "online";
    netDetail = "";
    renderNet();
    flush();
  });
  window.addEventListener("offline", () => {
    netState = "offline";
    netDetail = "";
    renderNet();
  });
  window.addEventListener("storage", (ev) => {
    if (ev.key === KEY) render();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  // A safety net: whatever was missed, the queue is looked at again every 20 seconds.
  setInterval(() => {
    if (!retryTimer && load().queue.length) flush();
  }, 20000);

  render();
  focusField();
  flush();
})();
