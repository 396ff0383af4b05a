/* The device's queue at rest: encrypted, expiring, gone at logout.
 *
 * A record per user and station is kept in localStorage as AES-GCM ciphertext. The key is
 * not stored beside it, nor anywhere on the device: the server derives it for the logged-in
 * user and prints it into the page, and it is imported here as a non-extractable CryptoKey
 * and removed from the page. Without a login, what is on the disk cannot be read.
 *
 * WebCrypto exists only in a secure context (HTTPS, or localhost). Elsewhere the record is
 * kept in sessionStorage instead: it lives as long as the tab, not on after it.
 */
export const PREFIX = "fangkong.sampler.";
const VERSION = "v2";
export const MAX_AGE_MS = 48 * 3600 * 1000; // the server takes no sample older than this either

export const recordKey = (user, station) => `${PREFIX}${VERSION}.${user}.${station}`;
const legacyKey = (user, station) => `${PREFIX}v1.${user}.${station}`;

const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export async function openVault(holder) {
  const secret = holder.dataset.queueKey || "";
  delete holder.dataset.queueKey; // the key leaves the page's markup once imported
  const subtle = window.isSecureContext && window.crypto && window.crypto.subtle;
  if (!subtle || !secret) return new SessionVault();
  const key = await subtle.importKey("raw", unb64(secret), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return new CryptoVault(subtle, key);
}

class CryptoVault {
  constructor(subtle, key) {
    this.subtle = subtle;
    this.key = key;
  }

  async read(name) {
    const raw = window.localStorage.getItem(name);
    if (!raw) return null;
    try {
      const box = JSON.parse(raw);
      if (!box.at || Date.now() - box.at > MAX_AGE_MS) throw new Error("expired");
      const plain = await this.subtle.decrypt(
        { name: "AES-GCM", iv: unb64(box.iv), additionalData: new TextEncoder().encode(name) },
        this.key,
        unb64(box.data),
      );
      return JSON.parse(new TextDecoder().decode(plain));
    } catch (_e) {
      window.localStorage.removeItem(name); // expired, or not readable with this key
      return null;
    }
  }

  async write(name, value) {
    const iv = window.crypto.getRandomValues(new Uint8Array(12));
    const data = await this.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(name) },
      this.key,
      new TextEncoder().encode(JSON.stringify(value)),
    );
    // throws when storage is full
    window.localStorage.setItem(name, JSON.stringify({ at: Date.now(), iv: b64(iv), data: b64(data) }));
  }
}

class SessionVault {
  async read(name) {
    try {
      const box = JSON.parse(window.sessionStorage.getItem(name) || "null");
      if (!box || Date.now() - box.at > MAX_AGE_MS) return null;
      return box.value;
    } catch (_e) {
      return null;
    }
  }

  async write(name, value) {
    window.sessionStorage.setItem(name, JSON.stringify({ at: Date.now(), value }));
  }
}

// Scans queued in clear by an earlier version of this page: taken into the encrypted record
// once, then removed, so nothing queued before the upgrade is lost.
export function takeLegacy(user, station) {
  const name = legacyKey(user, station);
  const raw = window.localStorage.getItem(name);
  window.localStorage.removeItem(name);
  try {
    return raw ? JSON.parse(raw) : null;
  } catch (_e) {
    return null;
  }
}
