// Checks the "who accessed my data" page in the browser: the checkpoint's
// Ed25519 signature (C2SP signed note) and, for each entry, its RFC 9162
// inclusion proof against the checkpoint's root, and that the entry's
// subject is the commitment shown for you.
(function () {
  "use strict";
  const page = document.getElementById("history");
  if (!page) return;
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const text = new TextEncoder();

  async function sha256(...parts) {
    const buf = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) { buf.set(p, off); off += p.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  }
  const leafHash = (data) => sha256(Uint8Array.of(0), data);
  const nodeHash = (l, r) => sha256(Uint8Array.of(1), l, r);
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  // RFC 9162 section 2.1.3.2, with BigInt so any tree size works.
  async function rootFromProof(index, size, leaf, proof) {
    if (index >= size) throw new Error("entry is beyond the tree");
    let fn = index, sn = size - 1n, r = leaf;
    for (const p of proof) {
      if (sn === 0n) throw new Error("proof is too long");
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1n) === 0n) {
          while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n; sn >>= 1n;
    }
    if (sn !== 0n) throw new Error("proof is too short");
    return r;
  }

  // Parses a checkpoint note and checks its signature with the verifier key
  // "<name>+<hash>+<base64(0x01 || key)>". Returns the tree size and root.
  async function checkCheckpoint(note, vkey) {
    const sep = note.indexOf("\n\n");
    if (sep < 0) throw new Error("checkpoint has no signature");
    const body = note.slice(0, sep + 1);
    const lines = body.split("\n");
    // The key's base64 may itself contain "+": split at the first two only.
    const first = vkey.indexOf("+"), second = vkey.indexOf("+", first + 1);
    if (first < 0 || second < 0) throw new Error("malformed verifier key");
    const name = vkey.slice(0, first), keyHash = vkey.slice(first + 1, second), keyB64 = vkey.slice(second + 1);
    if (lines[0] !== name) throw new Error("checkpoint origin " + lines[0] + " is not " + name);
    const size = BigInt(lines[1]);
    const root = b64(lines[2]);
    const keyBytes = b64(keyB64);
    if (keyBytes[0] !== 1) throw new Error("verifier key is not Ed25519");
    let checked = false;
    for (const line of note.slice(sep + 2).split("\n")) {
      const m = line.match(/^\u2014 (\S+) (\S+)$/);
      if (!m || m[1] !== name) continue;
      const sig = b64(m[2]);
      const hash = Array.from(sig.slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
      if (hash !== keyHash) continue;
      const key = await crypto.subtle.importKey("raw", keyBytes.slice(1), { name: "Ed25519" }, false, ["verify"]);
      if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, sig.slice(4), text.encode(body)))) {
        throw new Error("checkpoint signature does not verify");
      }
      checked = true;
    }
    if (!checked) throw new Error("checkpoint is not signed by the log's key");
    return { size, root };
  }

  function show(el, ok, msg) {
    el.textContent = (ok ? "\u2713 " : "\u2717 ") + msg;
    el.classList.add(ok ? "verified" : "failed");
  }

  async function run() {
    const cpStatus = document.getElementById("checkpoint-status");
    let cp;
    try {
      cp = await checkCheckpoint(new TextDecoder().decode(b64(page.dataset.checkpoint)), page.dataset.key);
      show(cpStatus, true, "The checkpoint's signature verifies.");
    } catch (e) {
      show(cpStatus, false, "Checkpoint: " + e.message);
      return;
    }
    for (const li of document.querySelectorAll(".access-entry")) {
      const status = li.querySelector(".proof-status");
      if (li.dataset.inCheckpoint !== "true") continue;
      try {
        const entry = b64(li.dataset.entry);
        const body = JSON.parse(new TextDecoder().decode(entry)).body;
        if (body.subject !== page.dataset.commitment) throw new Error("this entry names someone else");
        const proof = li.dataset.proof ? li.dataset.proof.split(",").map(b64) : [];
        const root = await rootFromProof(BigInt(li.dataset.index), cp.size, await leafHash(entry), proof);
        if (!equal(root, cp.root)) throw new Error("the inclusion proof does not lead to the checkpoint's root");
        show(status, true, "In the public log: inclusion proof checked here.");
      } catch (e) {
        show(status, false, e.message);
      }
    }
  }
  run();
})();
