// Drawing the state: the open tube's counts, the recent and refused lists, the network.
import { $, cfg, el, root, scanning } from "./page.js";
import { load, pendingFor, tubeInfo } from "./state.js";
import { gettext } from "./text.js";
import { clock, tail } from "./util.js";

export const net = { state: navigator.onLine ? "online" : "offline", detail: "" };

export function setNet(state, detail = "") {
  net.state = state;
  net.detail = detail;
  renderNet();
}

export function renderNet() {
  const node = $("net");
  const labels = {
    online: gettext("Online"),
    offline: gettext("Offline: scans are kept"),
    retrying: gettext("Cannot reach the server: retrying"),
    blocked: gettext("Not sending: log in again"),
  };
  node.textContent = net.detail ? `${labels[net.state]} ${net.detail}` : labels[net.state];
  node.className = `pill ${net.state}`;
  node.dataset.state = net.state;
}

export function say(text, kind = "info") {
  el.message.textContent = text;
  el.message.className = `message ${kind}`;
}

function entryItem(e, withReason) {
  const li = document.createElement("li");
  const time = document.createElement("span");
  time.className = "muted";
  time.textContent = clock(e.at);
  const what = document.createElement("span");
  what.className = "what";
  what.textContent = `${e.label} · ${gettext("tube")} ${tail(e.tube)}`;
  const extra = withReason ? e.message : e.notes && e.notes.length && e.notes.join(" · ");
  if (extra) {
    const span = document.createElement("span");
    span.className = withReason ? "why" : "note";
    span.textContent = extra;
    what.append(span);
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
  if (e.code) li.dataset.code = e.code;
  return li;
}

function renderTube(state) {
  const tube = state.tube;
  const box = $("tube-box");
  if (!tube) {
    box.classList.add("hidden");
    $("tube-row").classList.remove("hidden");
    el.tubeInput.disabled = Boolean(scanning.tubeCheck);
    el.personInput.disabled = !scanning.tubeCheck;
    $("no-document").disabled = true;
    return;
  }
  const info = tubeInfo(state, tube.barcode, cfg.capacity);
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
  el.tubeInput.value = "";
  el.tubeInput.disabled = true;
  $("tube-row").classList.add("hidden");
  el.personInput.disabled = false;
  $("no-document").disabled = false;
}

export function render(state = load()) {
  renderTube(state);
  root.querySelector("[data-testid=queue-total]").textContent = String(
    state.queue.filter((e) => e.kind === "sample").length,
  );
  $("recent").replaceChildren(...state.recent.map((e) => entryItem(e, false)));
  $("rejected-panel").classList.toggle("hidden", state.rejected.length === 0);
  $("rejected-list").replaceChildren(...state.rejected.map((e) => entryItem(e, true)));
  renderNet();
}

export function focusField() {
  const field = load().tube || scanning.tubeCheck ? el.personInput : el.tubeInput;
  if (document.activeElement !== field && !document.querySelector("dialog[open]")) field.focus();
}
