// Text through Django's JavaScript catalogue (gettext, from /jsi18n/, domain djangojs).
// Literal gettext("…") calls only elsewhere, so that makemessages -d djangojs finds them.
export const gettext = typeof window.gettext === "function" ? window.gettext : (s) => s;
export const ngettext =
  typeof window.ngettext === "function"
    ? window.ngettext
    : (one, many, n) => (n === 1 ? one : many);
const interpolate =
  typeof window.interpolate === "function"
    ? window.interpolate
    : (fmt, obj) => fmt.replace(/%\((\w+)\)s/g, (_m, k) => String(obj[k]));
export const fmt = (text, values) => interpolate(text, values, true);
