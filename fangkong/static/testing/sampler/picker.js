// The station picker: scans still waiting on this device are sent only from their own
// station's page, so say where they are.
import { waitingIn } from "./state.js";
import { fmt, ngettext } from "./text.js";
import { openVault } from "./vault.js";

async function markWaiting(picker) {
  const vault = await openVault(picker);
  for (const link of picker.querySelectorAll("a[data-station]")) {
    const waiting = await waitingIn(vault, picker.dataset.user, link.dataset.station);
    if (!waiting) continue;
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
  picker.dataset.ready = "true";
}

const picker = document.getElementById("station-picker");
if (picker) markWaiting(picker);
