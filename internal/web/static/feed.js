// The neighbours feed, in the browser: share a clip with a post, and watch
// the clips others shared.
//
// Sharing never uploads the video again. The browser makes a fresh age
// identity for the post, opens the clip's header with the member's own
// identity (unlocked here, or earlier in this tab: see vault.js), wraps the
// clip's file key for the post's public key, and stores that new header
// next to the clip (PUT /api/v1/clips/{id}/wraps). The post then carries
// the post's identity, so every reader, and the server, can open the clip.
// Without a clip the form is an ordinary form and needs none of this.
import { Decrypter, generateX25519Identity, identityToRecipient } from "./age.js";
import { api, clipHeader, memberIdentity, rewrap, sniff } from "./clipkeys.js";

const share = document.getElementById("clip-share");
const form = document.getElementById("post-form");
const status = document.getElementById("feed-status");
const storageKey = "hearth.identity"; // where vault.js keeps the unlocked identity

function say(msg, isError) {
  if (!status) return;
  status.textContent = msg;
  status.className = isError ? "error" : (msg ? "notice" : "");
}

function setUpSharing() {
  const select = document.getElementById("post-clip");
  const unlock = document.getElementById("clip-unlock");
  const pass = document.getElementById("clip-pass");
  const postKey = document.getElementById("post-key");
  share.hidden = false;
  if (!select) return; // no vault key yet: the fieldset says how to make one
  select.disabled = false;
  const unlocked = () => {
    try {
      const kept = JSON.parse(sessionStorage.getItem(storageKey) || "null");
      return kept && kept.recipient === share.dataset.recipient;
    } catch (_) { return false; }
  };
  select.addEventListener("change", () => { unlock.hidden = !select.value || unlocked(); });

  form.addEventListener("submit", async (ev) => {
    if (!select.value) return; // no clip: the form posts as it is
    ev.preventDefault();
    const button = document.getElementById("post-submit");
    button.disabled = true;
    say("Sharing the clip with the post's key…");
    try {
      const identity = await memberIdentity(share.dataset.recipient, pass.value);
      pass.value = "";
      const postIdentity = await generateX25519Identity();
      const postRecipient = await identityToRecipient(postIdentity);
      const header = await rewrap(await clipHeader(select.value), identity, postRecipient);
      let bin = "";
      for (const b of header) bin += String.fromCharCode(b);
      await api("PUT", "/api/v1/clips/" + encodeURIComponent(select.value) + "/wraps", share.dataset.csrf,
        { recipient: postRecipient, header: btoa(bin) });
      postKey.value = postIdentity;
      postKey.disabled = false;
      say("Posting…");
      form.submit(); // an ordinary form post from here: the server checks the wrap and logs the sharing
    } catch (err) {
      say(err.message, true);
      button.disabled = false;
    }
  });
}

// showClip downloads a post's clip and decrypts it with the post's key,
// which the page shows to every reader.
async function showClip(box) {
  const button = box.querySelector("button.show-clip");
  const player = box.querySelector(".player");
  button.disabled = true;
  player.textContent = "Downloading and decrypting…";
  try {
    const resp = await api("GET", "/api/v1/posts/" + encodeURIComponent(box.dataset.post) + "/clip");
    const d = new Decrypter();
    d.addIdentity(box.dataset.postKey);
    let plain;
    try {
      plain = await new Response(await d.decrypt(resp.body)).blob();
    } catch (_) {
      throw new Error("The post's key does not open this clip: it is damaged.");
    }
    const type = sniff(new Uint8Array(await plain.slice(0, 16).arrayBuffer()));
    const el = document.createElement(type.startsWith("image/") ? "img" : type.startsWith("audio/") ? "audio" : "video");
    if (el.tagName === "IMG") el.alt = "The shared clip";
    else el.controls = true;
    el.className = "clip-media";
    el.src = URL.createObjectURL(new Blob([plain], { type }));
    player.replaceChildren(el);
    box.dataset.shown = "true";
  } catch (err) {
    player.textContent = err.message;
    player.className = "player error";
  } finally {
    button.disabled = false;
  }
}



if (share && form) setUpSharing();
for (const box of document.querySelectorAll(".shared-clip")) {
  box.querySelector("button.show-clip").addEventListener("click", () => showClip(box));
  box.dataset.ready = "true"; // the button works from now on
}
