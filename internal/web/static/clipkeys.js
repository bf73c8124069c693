// What the member's browser does with clip keys, shared by the pages that
// share clips (the feed, answers to agencies' requests): unlock the
// member's identity, read a clip's age header, and wrap its file key for
// another recipient without touching the video.
import { Decrypter, Encrypter, identityToRecipient } from "./age.js";

const storageKey = "hearth.identity"; // where vault.js keeps the unlocked identity
const text = new TextEncoder();

// age's base64: standard alphabet, no padding.
function b64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/=+$/, "");
}

export async function api(method, path, csrf, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET") init.headers["X-CSRF-Token"] = csrf;
  const resp = await fetch(path, init);
  if (!resp.ok) {
    let msg = resp.status + " " + resp.statusText;
    try { msg = (await resp.json()).error.message || msg; } catch (_) { /* not JSON */ }
    throw new Error(msg);
  }
  return resp;
}

// memberIdentity returns the member's unlocked identity: the one vault.js
// left in this tab, or the one the passphrase typed here opens.
export async function memberIdentity(recipient, passphrase) {
  try {
    const kept = JSON.parse(sessionStorage.getItem(storageKey) || "null");
    if (kept && kept.recipient === recipient) return kept.identity;
  } catch (_) { /* nothing kept */ }
  if (!passphrase) throw new Error("Type your key passphrase to share a clip.");
  const key = await (await api("GET", "/api/v1/me/key")).json();
  const d = new Decrypter();
  d.addPassphrase(passphrase);
  let file;
  try {
    file = await d.decrypt(Uint8Array.from(atob(key.wrapped_identity), (c) => c.charCodeAt(0)), "text");
  } catch (_) {
    throw new Error("That passphrase does not open your key.");
  }
  const identity = file.split("\n").map((l) => l.trim()).find((l) => l.startsWith("AGE-SECRET-KEY-1"));
  if (!identity || (await identityToRecipient(identity)) !== key.recipient) {
    throw new Error("Your stored key does not match your public key; make a new key.");
  }
  sessionStorage.setItem(storageKey, JSON.stringify({ recipient: key.recipient, identity }));
  return identity;
}

// clipHeader reads the start of the clip's ciphertext until the end of its
// age header (the "---" line), and no further.
export async function clipHeader(clipID) {
  const resp = await api("GET", "/api/v1/clips/" + encodeURIComponent(clipID) + "/content");
  const reader = resp.body.getReader();
  let buf = new Uint8Array(0);
  try {
    for (;;) {
      const end = headerEnd(buf);
      if (end > 0) return buf.subarray(0, end);
      if (buf.length > 64 * 1024) throw new Error("This clip's header is too large to share.");
      const { done, value } = await reader.read();
      if (done) throw new Error("This clip is damaged: it has no complete header.");
      const next = new Uint8Array(buf.length + value.length);
      next.set(buf);
      next.set(value, buf.length);
      buf = next;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

// headerEnd returns the length of the header at the start of buf (through
// the newline after "\n--- MAC"), or 0 if it is not all there yet.
export function headerEnd(buf) {
  for (let i = 0; i + 5 <= buf.length; i++) {
    if (buf[i] === 0x0a && buf[i + 1] === 0x2d && buf[i + 2] === 0x2d && buf[i + 3] === 0x2d && buf[i + 4] === 0x20) {
      const nl = buf.indexOf(0x0a, i + 5);
      return nl < 0 ? 0 : nl + 1;
    }
  }
  return 0;
}

// rewrap makes a new age header that gives `to` the file key `header`
// holds for `identity`: the age-encryption.org/v1 header format, with its
// HMAC-SHA256 under HKDF-SHA256(file key, "header"), as vault.Rewrap does in
// Go. The X25519 stanza comes from the bundled age library's own recipient
// (the one Encrypter.addRecipient makes), so the key agreement is age's.
export async function rewrap(header, identity, to) {
  const d = new Decrypter();
  d.addIdentity(identity);
  let fileKey;
  try {
    fileKey = await d.decryptHeader(header);
  } catch (_) {
    throw new Error("Your key cannot open this clip: it was recorded before your key was made, or for other keys.");
  }
  const e = new Encrypter();
  e.addRecipient(to);
  const recipient = e.recipients && e.recipients[0];
  if (!recipient || typeof recipient.wrapFileKey !== "function") {
    throw new Error("This page's age library cannot share clips; reload the page.");
  }
  const stanzas = await recipient.wrapFileKey(fileKey);
  let out = "age-encryption.org/v1\n";
  for (const s of stanzas) {
    out += "-> " + s.args.join(" ") + "\n";
    const body = b64(s.body);
    let i = 0;
    for (; i + 64 <= body.length; i += 64) out += body.slice(i, i + 64) + "\n";
    out += body.slice(i) + "\n"; // the final short line, empty if need be
  }
  out += "---";
  const ikm = await crypto.subtle.importKey("raw", fileKey, "HKDF", false, ["deriveBits"]);
  const macKey = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: text.encode("header") }, ikm, 256);
  const hmac = await crypto.subtle.importKey("raw", macKey, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, text.encode(out)));
  return text.encode(out + " " + b64(mac) + "\n");
}

// sniff tells what a decrypted clip is from its first bytes.
export function sniff(b) {
  const starts = (...sig) => sig.every((x, i) => b[i] === x);
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x1a, 0x45, 0xdf, 0xa3)) return "video/webm";
  if (starts(0x52, 0x49, 0x46, 0x46)) return "audio/wav";
  if (starts(0x4f, 0x67, 0x67, 0x53)) return "audio/ogg";
  return "video/mp4";
}

