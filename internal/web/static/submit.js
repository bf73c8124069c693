// A resident's answer to an agency's request, in the browser: for each
// chosen clip, open its header with the member's own identity and wrap the
// clip's file key for the agency's public key (PUT /api/v1/clips/{id}/wraps),
// then submit. The video is not uploaded again and the server never sees a
// key that opens it.
import { api, clipHeader, memberIdentity, rewrap } from "./clipkeys.js";

function base64(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function setUp(form) {
  const status = form.querySelector(".submit-status");
  const say = (msg, isError) => {
    status.textContent = msg;
    status.className = "submit-status " + (isError ? "error" : (msg ? "notice" : ""));
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const clips = [...form.querySelectorAll('input[name="clip"]:checked')].map((c) => c.value);
    if (clips.length === 0) {
      say("Choose at least one clip to share.", true);
      return;
    }
    const button = form.querySelector("button.share-clips");
    button.disabled = true;
    const { csrf, request, household, agencyRecipient, memberRecipient } = form.dataset;
    try {
      const pass = form.querySelector('input[name="passphrase"]');
      const identity = await memberIdentity(memberRecipient, pass.value);
      pass.value = "";
      for (const [i, clip] of clips.entries()) {
        say("Wrapping clip " + (i + 1) + " of " + clips.length + " for the agency's key…");
        const header = await rewrap(await clipHeader(clip), identity, agencyRecipient);
        await api("PUT", "/api/v1/clips/" + encodeURIComponent(clip) + "/wraps", csrf,
          { recipient: agencyRecipient, header: base64(header) });
      }
      say("Submitting…");
      await api("POST", "/api/v1/requests/" + encodeURIComponent(request) + "/submissions", csrf,
        { household_id: household, clips, note: form.querySelector('textarea[name="note"]').value });
      location.assign(location.pathname + "?answered=" + Date.now() + "#shared"); // a fresh page shows what was shared
    } catch (err) {
      say(err.message, true);
      button.disabled = false;
    }
  });
}

for (const form of document.querySelectorAll("form.submit-form")) setUp(form);
