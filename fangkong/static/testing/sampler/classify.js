// What a scan in the person field is: a sampling code, an ID number, or a stray tube label.
import { gettext } from "./text.js";
import { residentIdCheckOk, tail } from "./util.js";

function residentId(text) {
  const id = text.toUpperCase().replace(/\s+/g, "");
  if (/^\d{17}[\dX]$/.test(id)) {
    if (!residentIdCheckOk(id)) {
      return {
        error: gettext("The check digit (last character) is wrong: scan or type the number again."),
      };
    }
    return { item: { document_type: "resident_id", document_number: id }, label: `${gettext("ID")} ${tail(id)}` };
  }
  if (/^\d{15}$/.test(id)) {
    return { item: { document_type: "resident_id", document_number: id }, label: `${gettext("ID")} ${tail(id)}` };
  }
  if (/^\d{12}$/.test(id)) return { tube: id };
  return {
    error: gettext(
      "Not an ID number or a sampling code. For another document, pick its type first; without a document, tap “No document”.",
    ),
  };
}

export function classify(raw, docType) {
  const text = raw.trim();
  const type = docType.value;
  if (/^FKSC\./i.test(text)) {
    return { item: { sampling_code: "FKSC" + text.slice(4) }, label: gettext("Sampling code") };
  }
  if (type === "resident_id") return residentId(text);
  const number = text.toUpperCase().replace(/\s+/g, "");
  if (!/^[0-9A-Z()-]{5,24}$/.test(number)) {
    return { error: gettext("This document number looks wrong: check it and scan or type it again.") };
  }
  const label = docType.options[docType.selectedIndex].text;
  return { item: { document_type: type, document_number: number }, label: `${label} ${tail(number)}` };
}
