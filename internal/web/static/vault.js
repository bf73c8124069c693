// The member's side of the vault, in the browser: make the age key, unlock
// it with the passphrase, and decrypt and play clips. The passphrase and the
// unlocked identity never leave this tab; the server sees the public
// recipient, the passphrase-encrypted identity and ciphertext only.
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from "./age.js";

const root = document.getElementById("vault");
const csrf = root ? root.dataset.csrf : "";
const status = document.getElementById("vault-status");
// The unlocked identity lives in sessionStorage: the tab forgets it when it
// closes, and it is filed under its recipient so that another account
// signing in on this tab never picks it up.
const storageKey = "hearth.identity";
const minPassphrase = root && root.dataset.min ? Number(root.dataset.min) : 12;

function say(text, isError) {
  if (!status) return;
  status.textContent = text;
  status.className = isError ? "error" : (text ? "notice" : "");
}

function b64encode(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function b64decode(s) {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

async function api(method, path, body) {
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
    const err = new Error(msg);
    err.status = resp.status;
    throw err;
  }
  return resp;
}

function stored() {
  try { return JSON.parse(sessionStorage.getItem(storageKey) || "null"); } catch (_) { return null; }
}

function remember(recipient, identity) {
  sessionStorage.setItem(storageKey, JSON.stringify({ recipient, identity }));
}

// The same layout as age-keygen's output, so the saved file works with
// "age -d -i" and "hearth vault get".
function identityFile(recipient, identity) {
  return "# public key: " + recipient + "\n" + identity + "\n";
}

async function wrap(recipient, identity, passphrase) {
  const e = new Encrypter();
  e.setScryptWorkFactor(18); // what the server expects at least, and unlocks in about a second
  e.setPassphrase(passphrase);
  return e.encrypt(identityFile(recipient, identity));
}

// unlock fetches the member's wrapped identity and opens it with the
// passphrase, here; it checks that the identity matches the public key the
// server hands to devices.
async function unlock(passphrase) {
  const key = await (await api("GET", "/api/v1/me/key")).json();
  const d = new Decrypter();
  d.addPassphrase(passphrase);
  let text;
  try {
    text = await d.decrypt(b64decode(key.wrapped_identity), "text");
  } catch (_) {
    throw new Error("That passphrase does not open your key.");
  }
  const identity = text.split("\n").map((l) => l.trim()).find((l) => l.startsWith("AGE-SECRET-KEY-1"));
  if (!identity || (await identityToRecipient(identity)) !== key.recipient) {
    throw new Error("Your stored key does not match your public key; make a new key.");
  }
  remember(key.recipient, identity);
  return { recipient: key.recipient, identity };
}

function currentIdentity() {
  const s = stored();
  const want = root ? root.dataset.recipient : "";
  if (!s || (want && s.recipient !== want)) return null;
  return s;
}

function showUnlocked(unlocked) {
  const form = document.getElementById("unlock-form");
  const section = document.getElementById("unlock-section") || form;
  const done = document.getElementById("unlocked-section");
  if (section) section.hidden = !!unlocked;
  if (done) done.hidden = !unlocked;
  const link = document.getElementById("download-identity");
  if (link && unlocked) {
    const blob = new Blob([identityFile(unlocked.recipient, unlocked.identity)], { type: "text/plain" });
    link.href = URL.createObjectURL(blob);
  }
}

function checkNewPassphrase(a, b) {
  if (a.length < minPassphrase) throw new Error("Use a passphrase of at least " + minPassphrase + " characters.");
  if (a !== b) throw new Error("The two passphrases differ.");
}

async function createKey(passphrase) {
  const identity = await generateX25519Identity(); // members' keys are X25519 (the server and age CLI expect it)
  const recipient = await identityToRecipient(identity);
  const wrapped = await wrap(recipient, identity, passphrase);
  await api("PUT", "/api/v1/me/key", { recipient, wrapped_identity: b64encode(wrapped) });
  remember(recipient, identity);
  return { recipient, identity };
}

// sniff tells what a decrypted clip is from its first bytes: devices send
// no content type, and the server cannot see one.
function sniff(bytes, kind) {
  const starts = (...sig) => sig.every((b, i) => bytes[i] === b);
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x1a, 0x45, 0xdf, 0xa3)) return kind === "audio" ? "audio/webm" : "video/webm";
  if (bytes.length > 8 && starts(0, 0, 0) && String.fromCharCode(...bytes.subarray(4, 8)) === "ftyp") return kind === "audio" ? "audio/mp4" : "video/mp4";
  if (starts(0x52, 0x49, 0x46, 0x46)) return "audio/wav";
  if (starts(0x4f, 0x67, 0x67, 0x53)) return kind === "audio" ? "audio/ogg" : "video/ogg";
  return kind === "audio" ? "audio/mpeg" : "video/mp4";
}

async function play(li) {
  const player = li.querySelector(".player");
  const button = li.querySelector("button.play");
  const me = currentIdentity();
  if (!me) {
    say("Unlock your key first.", true);
    return;
  }
  button.disabled = true;
  player.textContent = "Downloading and decrypting…";
  try {
    const resp = await api("GET", "/api/v1/clips/" + encodeURIComponent(li.dataset.clip) + "/content");
    const d = new Decrypter();
    d.addIdentity(me.identity);
    // Decrypt as the ciphertext streams in, 64 KiB at a time, so a long
    // clip is never held twice; every chunk is authenticated before use.
    let plain;
    try {
      plain = await new Response(await d.decrypt(resp.body)).blob();
    } catch (_) {
      throw new Error("Your key cannot open this clip: it was recorded for other keys, or it is damaged.");
    }
    const type = sniff(new Uint8Array(await plain.slice(0, 16).arrayBuffer()), li.dataset.kind);
    const url = URL.createObjectURL(new Blob([plain], { type }));
    let el;
    if (type.startsWith("image/")) {
      el = document.createElement("img");
      el.alt = li.dataset.kind + " clip";
    } else {
      el = document.createElement(type.startsWith("audio/") ? "audio" : "video");
      el.controls = true;
      el.autoplay = true;
    }
    el.className = "clip-media";
    el.src = url;
    player.replaceChildren(el);
    li.dataset.played = "true";
  } catch (err) {
    player.textContent = "";
    say(err.message, true);
  } finally {
    button.disabled = false;
  }
}

function onSubmit(id, handler) {
  const form = document.getElementById(id);
  if (!form) return;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say("Working… (protecting a key with a passphrase takes a moment)");
    try {
      await handler(form);
    } catch (err) {
      say(err.message, true);
    } finally {
      button.disabled = false;
    }
  });
  form.dataset.ready = "true"; // submitting works from now on
}

onSubmit("unlock-form", async (form) => {
  const pass = document.getElementById("unlock-pass");
  const unlocked = await unlock(pass.value);
  pass.value = "";
  if (root) root.dataset.recipient = unlocked.recipient;
  showUnlocked(unlocked);
  say("Unlocked.");
});

onSubmit("create-form", async () => {
  const a = document.getElementById("create-pass").value;
  checkNewPassphrase(a, document.getElementById("create-confirm").value);
  await createKey(a);
  location.reload(); // the page now shows the key, unlocked
});

onSubmit("repass-form", async (form) => {
  const me = currentIdentity();
  if (!me) throw new Error("Unlock your key first.");
  const a = document.getElementById("repass-new").value;
  checkNewPassphrase(a, document.getElementById("repass-confirm").value);
  const wrapped = await wrap(me.recipient, me.identity, a);
  await api("PUT", "/api/v1/me/key", { recipient: me.recipient, wrapped_identity: b64encode(wrapped) });
  form.reset();
  say("Your passphrase is changed. Your key and clips are the same.");
});

const lock = document.getElementById("lock");
if (lock) {
  lock.addEventListener("click", () => {
    sessionStorage.removeItem(storageKey);
    showUnlocked(null);
    say("Locked.");
  });
}

for (const li of document.querySelectorAll("li.clip")) {
  li.querySelector("button.play").addEventListener("click", () => play(li));
}

showUnlocked(currentIdentity());
