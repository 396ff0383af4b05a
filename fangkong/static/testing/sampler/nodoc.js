// A person without a document: name, and a phone or a guardian, typed in a dialog.
import { $, el } from "./page.js";
import { addPerson } from "./scan.js";
import { gettext } from "./text.js";
import { maskName } from "./util.js";
import { focusField, say } from "./view.js";

export function wireNoDocument() {
  const dialog = $("nodoc-dialog");
  const form = $("nodoc-form");
  $("no-document").addEventListener("click", () => {
    form.reset();
    dialog.showModal();
    form.elements.name.focus();
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = form.elements.name.value.trim();
    const phone = form.elements.phone.value.trim();
    const guardian = form.elements.guardian.value.trim();
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
      dialog.close();
      el.personInput.focus();
    }
  });
  $("nodoc-cancel").addEventListener("click", () => {
    dialog.close();
    focusField();
  });
}
