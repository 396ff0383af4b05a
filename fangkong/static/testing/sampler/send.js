/* Sending the queue: in batches, whenever the network allows. An item leaves the queue
 * once the server has answered it: accepted items count as confirmed, refused ones are
 * shown to the sampler. A lost answer is harmless, because the server answers a key it
 * already knows with its first answer and writes nothing. */
import { $, cfg, el } from "./page.js";
import { change, load, tubeInfo } from "./state.js";
import { fmt, gettext, ngettext } from "./text.js";
import { beep } from "./util.js";
import { render, renderNet, say, setNet } from "./view.js";

const BATCH = 100; // the API takes up to 500; smaller batches answer sooner on a weak link
const TIMEOUT_MS = 20000;
const MAX_BACKOFF_MS = 15000;

class Retry extends Error {}
class Blocked extends Error {}

export const sender = { sending: false, attempt: 0, retryTimer: null, blocked: false };

// The cookie first: after a new login (say, in another tab) it holds the new token while
// the one printed into this page is stale.
function csrfToken() {
  const name = cfg.csrfCookie.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(document.cookie);
  return m ? decodeURIComponent(m[1]) : cfg.csrf;
}

async function post(url, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let res;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
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

function reject(s, entry, text, code) {
  s.rejected.unshift({
    key: entry.key,
    label: entry.label,
    tube: entry.item.tube_barcode,
    status: "rejected",
    message: text,
    code: code || "",
    at: entry.at,
  });
  settleRecent(s, entry.key, "rejected", { message: text });
}

function refusal(answer) {
  // A reused key: this person was not recorded, whatever the first sample with the key was.
  if (answer.code === "reused") {
    return gettext("Not recorded: this scan's key was used for another sample. Scan this person again.");
  }
  return answer.message || gettext("Refused by the server.");
}

// Every item answered (200, or 409 when some keys were reused): apply each answer.
function applyAnswers(batch, data) {
  // The server answers every item, in the order sent (`index`).
  const answers = new Map();
  for (const o of data.items || []) if (batch[o.index]) answers.set(batch[o.index].key, o);
  const keys = new Set(batch.map((e) => e.key));
  const current = load().tube;
  let refused = 0;
  change((s) => {
    s.queue = s.queue.filter((e) => {
      if (!keys.has(e.key)) return true;
      const answer = answers.get(e.key);
      if (!answer) return true; // not answered: keep and send again
      const info = tubeInfo(s, e.item.tube_barcode, cfg.capacity);
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
        reject(s, e, refusal(answer), answer.code);
      }
      return false; // answered: its clear fields leave the device
    });
    if (s.tube && tubeInfo(s, s.tube.barcode, cfg.capacity).sealed) s.tube = null;
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
    el.tubeInput.focus();
  }
}

// A 4xx for the whole batch: either some items are malformed (the answer names them) or
// the batch can never be taken (the round closed, the station is gone). Both are final.
function refuseBatch(batch, data) {
  const keys = new Set(batch.map((e) => e.key));
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

async function sendSamples(batch) {
  const { status, data } = await post(cfg.samplesUrl, {
    station: cfg.station,
    items: batch.map((e) => e.item),
  });
  if (status === 200 || (status === 409 && Array.isArray(data.items))) applyAnswers(batch, data);
  else refuseBatch(batch, data);
}

async function sendSeal(entry) {
  const { status, data } = await post(cfg.sealUrl.replace(cfg.slot, encodeURIComponent(entry.tube)));
  const err = (data.errors || [])[0] || {};
  change((s) => {
    s.queue = s.queue.filter((e) => e.key !== entry.key);
    // 409: no longer open, e.g. it sealed itself when full, or an earlier try went through.
    if (status === 200 || status === 409) {
      settleRecent(s, `seal-${entry.tube}`, "sealed");
      return;
    }
    settleRecent(s, `seal-${entry.tube}`, "rejected", { message: err.message });
    s.rejected.unshift({
      key: entry.key,
      label: gettext("Seal tube"),
      tube: entry.tube,
      status: "rejected",
      message: err.message || gettext("Refused by the server."),
      at: entry.at,
    });
    const info = tubeInfo(s, entry.tube, cfg.capacity);
    info.sealed = false;
    s.tubes[entry.tube] = info;
  });
}

async function sendHead(queue) {
  if (queue[0].kind === "seal") return sendSeal(queue[0]);
  // Samples up to the next seal: a tube is sealed only after its people are in.
  const batch = [];
  for (const e of queue) {
    if (e.kind !== "sample" || batch.length >= BATCH) break;
    batch.push(e);
  }
  return sendSamples(batch);
}

function showLogin() {
  if (document.getElementById("relogin")) return;
  const a = document.createElement("a");
  a.id = "relogin";
  a.href = cfg.loginUrl; // the queue is on the device: leaving the page loses nothing
  a.className = "bigbutton";
  a.textContent = gettext("Log in again");
  el.message.after(a);
}

function failed(e) {
  if (e instanceof Blocked) {
    sender.blocked = true;
    setNet("blocked");
    say(`${e.message} ${gettext("Nothing is lost: the scans wait on this device.")}`, "error");
    showLogin();
  } else if (e instanceof Retry || e instanceof TypeError) {
    sender.attempt += 1;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(sender.attempt - 1, 4));
    const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
    if (navigator.onLine) setNet("retrying", fmt(gettext("(in %(s)s s)"), { s: Math.ceil(wait / 1000) }));
    else setNet("offline");
    sender.retryTimer = setTimeout(flush, wait);
  } else {
    throw e;
  }
}

export async function flush() {
  if (sender.sending || sender.blocked) return;
  clearTimeout(sender.retryTimer);
  sender.retryTimer = null;
  if (!navigator.onLine) {
    setNet("offline");
    return;
  }
  sender.sending = true;
  try {
    for (;;) {
      const queue = load().queue.slice();
      if (!queue.length) break;
      const head = queue[0].key;
      await sendHead(queue);
      const left = load().queue;
      if (left.length && left[0].key === head && left.length >= queue.length) {
        throw new Retry("no progress"); // answered nothing we asked: wait, then ask again
      }
      sender.attempt = 0;
      setNet("online");
    }
    setNet("online");
  } catch (e) {
    failed(e);
  } finally {
    sender.sending = false;
    render();
  }
}

export function flushSoon() {
  setTimeout(flush, 0);
}

export function sendNow() {
  sender.blocked = false;
  sender.attempt = 0;
  const relogin = $("relogin");
  if (relogin) relogin.remove();
  flush();
}

export { renderNet };
