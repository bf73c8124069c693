// The agency's side: its officer loads the agency's key file in this tab
// (it never reaches Hearth), and each clip residents shared is downloaded
// as ciphertext and decrypted here.
import { Decrypter } from "./age.js";
import { api, sniff } from "./clipkeys.js";

const status = document.getElementById("received-status");
const input = document.getElementById("agency-key-file");
let identity = "";

function say(msg, isError) {
  status.textContent = msg;
  status.className = isError ? "error" : (msg ? "notice" : "");
}

input.addEventListener("change", async () => {
  const file = input.files && input.files[0];
  if (!file) return;
  const text = await file.text();
  const line = text.split("\n").map((l) => l.trim()).find((l) => l.startsWith("AGE-SECRET-KEY-1"));
  if (!line) {
    say("That file holds no age secret key (a line starting AGE-SECRET-KEY-1).", true);
    return;
  }
  identity = line;
  for (const b of document.querySelectorAll("button.open-clip")) b.disabled = false;
  say("Key loaded in this tab.");
});

async function open(li, button) {
  const player = li.querySelector(".player");
  const submission = li.closest("li.received").dataset.submission;
  button.disabled = true;
  player.textContent = "Downloading and decrypting…";
  player.className = "player";
  try {
    const resp = await api("GET", "/api/v1/submissions/" + encodeURIComponent(submission) + "/clips/" +
      encodeURIComponent(li.dataset.clip) + "/content");
    const d = new Decrypter();
    d.addIdentity(identity);
    let plain;
    try {
      plain = await new Response(await d.decrypt(resp.body)).blob();
    } catch (_) {
      throw new Error("This key does not open the clip: load the key the agency published.");
    }
    const type = sniff(new Uint8Array(await plain.slice(0, 16).arrayBuffer()));
    const el = document.createElement(type.startsWith("image/") ? "img" : type.startsWith("audio/") ? "audio" : "video");
    if (el.tagName === "IMG") el.alt = "Footage shared by a resident";
    else el.controls = true;
    el.className = "clip-media";
    el.src = URL.createObjectURL(new Blob([plain], { type }));
    const save = document.createElement("a");
    save.href = el.src;
    save.download = li.dataset.clip + (type === "image/gif" ? ".gif" : "");
    save.textContent = "Save the decrypted file";
    player.replaceChildren(el, save);
    li.dataset.shown = "true";
  } catch (err) {
    player.textContent = err.message;
    player.className = "player error";
  } finally {
    button.disabled = false;
  }
}

for (const li of document.querySelectorAll("li.received-clip")) {
  const button = li.querySelector("button.open-clip");
  if (button) button.addEventListener("click", () => open(li, button));
}
