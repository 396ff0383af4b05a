/* Fangkong sampler page: scan a tube, scan people, seal; online or not.
 *
 * Every scan becomes an item with its own idempotency key and the device's time, and is
 * kept on the device, encrypted (vault.js), before anything is sent (send.js). No framework,
 * no build step: plain ES modules.
 */
import { closeCamera, openCamera } from "./camera.js";
import { wireNoDocument } from "./nodoc.js";
import { $, cfg, el, root } from "./page.js";
import { changeTube, scanPerson, scanTube, sealTube, storageFull } from "./scan.js";
import { flush, sendNow, sender } from "./send.js";
import { change, isRecord, load, open, reload } from "./state.js";
import { focusField, render, setNet } from "./view.js";

function onEnter(input, scan) {
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      scan(input.value);
    }
  });
}

// A wedge scanner types wherever the focus is: after a tap on a button, send it home.
function typedAnywhere(ev) {
  const node = document.activeElement;
  const typing =
    node && (node.tagName === "INPUT" || node.tagName === "SELECT" || node.tagName === "TEXTAREA");
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
}

function wire() {
  onEnter(el.tubeInput, scanTube);
  onEnter(el.personInput, scanPerson);
  document.addEventListener("keydown", typedAnywhere);
  el.docType.addEventListener("change", () => el.personInput.focus());
  $("seal").addEventListener("click", sealTube);
  $("change-tube").addEventListener("click", changeTube);
  wireNoDocument();
  $("clear-rejected").addEventListener("click", () => {
    change((s) => {
      s.rejected = [];
    });
    focusField();
  });
  $("send-now").addEventListener("click", () => {
    sendNow();
    focusField();
  });
  root
    .querySelectorAll(".camera-button")
    .forEach((b) => b.addEventListener("click", () => openCamera(b.dataset.target)));
  $("camera-close").addEventListener("click", closeCamera);
  $("camera-dialog").addEventListener("cancel", closeCamera);
  window.addEventListener("online", () => {
    sender.attempt = 0;
    setNet("online");
    flush();
  });
  window.addEventListener("offline", () => setNet("offline"));
  window.addEventListener("storage", (ev) => {
    if (isRecord(ev.key)) reload();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  // A safety net: whatever was missed, the queue is looked at again every 20 seconds.
  setInterval(() => {
    if (!sender.retryTimer && load().queue.length) flush();
  }, 20000);
}

async function start() {
  await open(root, cfg.user, cfg.station, { onSaveError: storageFull, onChange: render });
  wire();
  render();
  focusField();
  root.dataset.ready = "true";
  flush();
}

if (root) start();
