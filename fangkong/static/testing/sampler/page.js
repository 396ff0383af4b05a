// The station page's elements and settings (from the markup's data attributes).
export const root = document.getElementById("sampler");
export const $ = (id) => document.getElementById(id);

export const cfg = root
  ? {
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
    }
  : null;

export const el = root
  ? {
      tubeInput: $("tube-input"),
      personInput: $("person-input"),
      docType: $("doc-type"),
      message: $("message"),
    }
  : null;

// While a scanned tube is being checked: a promise that resolves true when it opened.
export const scanning = { tubeCheck: null };
