// The camera as a scanner (HTTPS only), with the vendored ZXing decoder loaded on demand.
import { $, cfg } from "./page.js";
import { scanPerson, scanTube } from "./scan.js";
import { gettext } from "./text.js";
import { focusField, say } from "./view.js";

let reader = null;
let cameraTarget = null;
const dialog = () => $("camera-dialog");

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

function decoderHints(ZXing) {
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
  return hints;
}

export async function openCamera(target) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say(
      gettext("The camera works only over HTTPS on this device: use the scanner or type the number."),
      "error",
    );
    return;
  }
  cameraTarget = target;
  $("camera-hint").textContent =
    target === "tube"
      ? gettext("Point the camera at the tube label.")
      : gettext("Point the camera at the sampling code.");
  dialog().showModal();
  try {
    const ZXing = await loadDecoder();
    reader = new ZXing.BrowserMultiFormatReader(decoderHints(ZXing));
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

export function closeCamera() {
  if (reader) {
    try {
      reader.reset();
    } catch (_e) {
      /* already stopped */
    }
    reader = null;
  }
  if (dialog().open) dialog().close();
  focusField();
}
