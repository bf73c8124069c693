// The agency pages' part in the browser: making the agency's age key (the
// secret half never leaves this tab), drawing a request's area on the map
// with its size shown live, turning the window's local times into RFC 3339,
// and showing a request's area.
import { describeSize, circleSquareMiles, drawCircle, showArea } from "./map.js";

// ---- The agency's key ----

// The same layout as age-keygen's output, so the saved file works with
// "age -d -i".
function identityFile(recipient, identity) {
  return "# public key: " + recipient + "\n" + identity + "\n";
}

function setUpKeyPage(root) {
  const make = document.getElementById("make-key");
  const made = document.getElementById("key-made");
  const save = document.getElementById("save-identity");
  const saved = document.getElementById("saved-check");
  const input = document.getElementById("recipient-input");
  const publish = document.getElementById("publish-key");
  const status = document.getElementById("key-status");
  const say = (text, isError) => {
    status.textContent = text;
    status.className = isError ? "error" : (text ? "notice" : "");
  };
  make.hidden = false;
  make.addEventListener("click", async () => {
    make.disabled = true;
    try {
      // The age bundle is large and only this page needs it.
      const { generateX25519Identity, identityToRecipient } = await import("./age.js");
      // X25519, as residents' browsers and the age tool expect.
      const identity = await generateX25519Identity();
      const recipient = await identityToRecipient(identity);
      const blob = new Blob([identityFile(recipient, identity)], { type: "text/plain" });
      save.href = URL.createObjectURL(blob);
      save.download = "hearth-agency-" + root.dataset.agency + "-identity.txt";
      input.value = recipient;
      input.readOnly = true;
      made.hidden = false;
      make.hidden = true;
      // Publishing waits until the identity file was saved and the officer
      // says it is kept safe: without it, submitted footage cannot be opened.
      saved.checked = false;
      saved.disabled = true;
      publish.disabled = true;
      say("The key is made in this tab. Save the identity file, then publish the public key.");
    } catch (e) {
      make.disabled = false;
      say("The key could not be made: " + e.message, true);
    }
  });
  save.addEventListener("click", () => { saved.disabled = false; });
  saved.addEventListener("change", () => { publish.disabled = !saved.checked; });
}

// ---- A new request ----

const pad = (n) => String(n).padStart(2, "0");

// localToRFC3339 reads a datetime-local value as this browser's local time.
function localToRFC3339(value) {
  if (!value) return "";
  const d = new Date(value); // "YYYY-MM-DDTHH:MM[:SS]" without zone: local time
  if (Number.isNaN(d.getTime())) return "";
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

// rfc3339ToLocal is the inverse, for a form shown again after a refusal.
function rfc3339ToLocal(value) {
  const d = new Date(value);
  if (!value || Number.isNaN(d.getTime())) return "";
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
}

function setUpRequestForm(form) {
  const el = (id) => document.getElementById(id);
  const hidden = { lat: el("center-lat"), lng: el("center-lng"), radius: el("radius-m") };
  const typed = { lat: el("typed-lat"), lng: el("typed-lng"), radius: el("typed-radius") };
  const size = el("area-size");
  const mapEl = el("area-map");

  const showSize = (radius) => {
    if (!(radius > 0)) {
      size.textContent = "Click the map for the centre, then for the edge.";
      size.className = "area-size";
      return;
    }
    const d = describeSize(circleSquareMiles(radius));
    size.textContent = d.text;
    size.className = "area-size " + (d.inBounds ? "in-bounds" : "out-of-bounds");
    size.dataset.squareMiles = String(d.squareMiles);
  };
  const write = (c) => {
    hidden.lat.value = String(c.center.lat);
    hidden.lng.value = String(c.center.lng);
    hidden.radius.value = String(c.radius_m);
    typed.lat.value = c.center.lat.toFixed(6);
    typed.lng.value = c.center.lng.toFixed(6);
    typed.radius.value = c.radius_m.toFixed(1);
    showSize(c.radius_m);
  };

  const num = (input) => (input.value.trim() === "" ? NaN : Number(input.value));
  const initial = { lat: num(hidden.lat), lng: num(hidden.lng), radius: num(hidden.radius) };
  const drawn = Number.isFinite(initial.lat) && Number.isFinite(initial.lng) && initial.radius > 0;
  const start = { lat: Number(mapEl.dataset.lat) || 0, lng: Number(mapEl.dataset.lng) || 0 };
  const drawing = drawCircle(mapEl, {
    center: drawn ? { lat: initial.lat, lng: initial.lng } : start,
    circle: drawn ? { center: { lat: initial.lat, lng: initial.lng }, radius_m: initial.radius } : null,
    onChange: write,
    onPreview: (c) => showSize(c ? c.radius_m : NaN),
  });
  showSize(drawn ? initial.radius : NaN);

  // Typed values are taken as they are, and drawn.
  const typedChanged = () => {
    const c = { center: { lat: num(typed.lat), lng: num(typed.lng) }, radius_m: num(typed.radius) };
    hidden.lat.value = typed.lat.value.trim();
    hidden.lng.value = typed.lng.value.trim();
    hidden.radius.value = typed.radius.value.trim();
    showSize(c.radius_m);
    if (Number.isFinite(c.center.lat) && Number.isFinite(c.center.lng) && c.radius_m > 0) drawing.set(c);
    else if (Number.isFinite(c.center.lat) && Number.isFinite(c.center.lng)) drawing.map.panTo([c.center.lat, c.center.lng]);
  };
  for (const input of Object.values(typed)) input.addEventListener("change", typedChanged);

  // The window: local times shown, RFC 3339 sent.
  const windows = [["window-start-local", "window-start"], ["window-end-local", "window-end"]];
  for (const [localID, hiddenID] of windows) {
    const local = el(localID), out = el(hiddenID);
    if (!local.value && out.value) local.value = rfc3339ToLocal(out.value);
    const sync = () => { out.value = localToRFC3339(local.value); };
    local.addEventListener("change", sync);
    local.addEventListener("input", sync);
  }
  el("time-zone-note").textContent = "Times are in this browser's time zone (" +
    (Intl.DateTimeFormat().resolvedOptions().timeZone || "local time") + ").";
  form.addEventListener("submit", () => {
    for (const [localID, hiddenID] of windows) el(hiddenID).value = localToRFC3339(el(localID).value);
  });
  form.dataset.ready = "true";
}

// ---- A request's page ----

function setUpRequestMap(element) {
  const options = {};
  const lat = Number(element.dataset.homeLat), lng = Number(element.dataset.homeLng);
  if (element.dataset.homeLat && element.dataset.homeLng && Number.isFinite(lat) && Number.isFinite(lng)) {
    options.home = { lat, lng };
  }
  showArea(element, element.dataset.area, options);
  element.dataset.ready = "true";
}

const keyRoot = document.getElementById("agency-key");
if (keyRoot) setUpKeyPage(keyRoot);
const requestForm = document.getElementById("rfa-form");
if (requestForm) setUpRequestForm(requestForm);
for (const element of document.querySelectorAll(".hearth-map[data-area]")) setUpRequestMap(element);
