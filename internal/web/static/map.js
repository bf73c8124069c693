// Hearth's map component: shows the area of a Request for Assistance, and
// lets an officer draw one as a circle. It loads nothing from elsewhere: by
// default there are no map tiles, so no tile server learns where residents
// live or where officers look; the map is a plain background with a
// graticule and a scale. An operator may set a tile server (the element's
// data-tiles attribute carries its URL template, and the pages' policy then
// allows images from it).
//
// Sizes are measured as the server measures them (internal/geo): on a sphere
// of the mean Earth radius, a circle being a spherical cap. The page's figure
// is a guide; the server's is what counts.
import * as L from "./leaflet.js";

// EARTH_RADIUS_M is the mean radius of the Earth (IUGG R1), geo.EarthRadiusMeters.
export const EARTH_RADIUS_M = 6371008.8;
const SQUARE_METRES_PER_SQUARE_MILE = 1609.344 * 1609.344;
// The bounds on a request's area, in square miles (neighbors.MinAreaSquareMiles
// and MaxAreaSquareMiles).
export const MIN_SQUARE_MILES = 0.025;
export const MAX_SQUARE_MILES = 0.5;

const toRadians = (deg) => (deg * Math.PI) / 180;

// distanceMeters is the great-circle distance between two {lat, lng}.
export function distanceMeters(a, b) {
  const dLat = toRadians(b.lat - a.lat);
  const dLng = toRadians(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRadians(a.lat)) * Math.cos(toRadians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

// circleSquareMiles is the size of a circle of the given geodesic radius: a
// spherical cap, 4πR² sin²(r/2R), written so small circles stay precise.
export function circleSquareMiles(radiusMeters) {
  const s = Math.sin(radiusMeters / EARTH_RADIUS_M / 2);
  return (4 * Math.PI * s * s * EARTH_RADIUS_M * EARTH_RADIUS_M) / SQUARE_METRES_PER_SQUARE_MILE;
}

// describeSize says how large an area is and whether a request may cover it:
// { squareMiles, inBounds, text }.
export function describeSize(squareMiles) {
  // Rounded as the server compares: to a millionth of a square mile.
  const units = (v) => Math.round(v / 1e-6);
  const inBounds = units(squareMiles) >= units(MIN_SQUARE_MILES) && units(squareMiles) <= units(MAX_SQUARE_MILES);
  let text = squareMiles.toFixed(4) + " sq mi: ";
  if (inBounds) text += "within the allowed " + MIN_SQUARE_MILES + "–" + MAX_SQUARE_MILES + " sq mi.";
  else if (units(squareMiles) < units(MIN_SQUARE_MILES)) text += "too small; a request covers at least " + MIN_SQUARE_MILES + " sq mi.";
  else text += "too large; a request covers at most " + MAX_SQUARE_MILES + " sq mi.";
  return { squareMiles, inBounds, text };
}

// The graticule's spacing: 1, 2 or 5 times a power of ten degrees, about six
// lines across the view.
function graticuleStep(span) {
  const raw = span / 6;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

// addGraticule draws lines of latitude and longitude across the view, redrawn
// whenever it moves, so that a map without tiles still shows where it is.
function addGraticule(map) {
  const layer = L.layerGroup().addTo(map);
  const draw = () => {
    layer.clearLayers();
    const b = map.getBounds().pad(0.5);
    const step = graticuleStep(Math.max(b.getNorth() - b.getSouth(), 1e-9));
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    const south = Math.max(-90, b.getSouth()), north = Math.min(90, b.getNorth());
    const style = { className: "hearth-graticule", interactive: false };
    for (let lat = Math.ceil(south / step) * step; lat <= north; lat += step) {
      L.polyline([[lat, b.getWest()], [lat, b.getEast()]], style).addTo(layer);
    }
    for (let lng = Math.ceil(b.getWest() / step) * step; lng <= b.getEast(); lng += step) {
      L.polyline([[south, lng], [north, lng]], style).addTo(layer);
    }
    const view = map.getBounds();
    const label = (text, at) =>
      L.tooltip({ permanent: true, direction: "right", className: "hearth-graticule-label", interactive: false })
        .setLatLng(at).setContent(text).addTo(layer);
    for (let lat = Math.ceil(view.getSouth() / step) * step; lat <= view.getNorth(); lat += step) {
      label(lat.toFixed(decimals) + "°", [lat, view.getWest()]);
    }
  };
  map.on("moveend", draw);
  map.whenReady(draw);
  return layer;
}

// createMap makes a Leaflet map in element, with a scale and a graticule and,
// when the operator set one (options.tiles, or the element's data-tiles), a
// tile layer. The element gets the class "hearth-map".
export function createMap(element, options = {}) {
  element.classList.add("hearth-map");
  const tiles = options.tiles ?? element.dataset.tiles ?? "";
  const map = L.map(element, {
    attributionControl: !!tiles,
    doubleClickZoom: options.doubleClickZoom ?? true,
    maxZoom: 19,
    minZoom: 2,
    worldCopyJump: true,
  });
  if (tiles) {
    let host = tiles;
    try { host = new URL(tiles.replace(/\{[a-z]\}/g, "0")).host; } catch (_) { /* shown as given */ }
    map.attributionControl.setPrefix(false);
    L.tileLayer(tiles, { maxZoom: 19, attribution: "Map tiles: " + host }).addTo(map);
  }
  L.control.scale({ metric: true, imperial: true }).addTo(map);
  map.setView(options.center ?? [0, 0], options.zoom ?? 15);
  addGraticule(map);
  return map;
}

// unwrap returns the corners' longitudes made continuous (no step of more
// than 180°), so a polygon across the antimeridian is drawn there, as the
// server reads it, rather than round the world.
function unwrap(points) {
  const out = [];
  let prev = null;
  for (const p of points) {
    let lng = p.lng;
    if (prev !== null) {
      while (lng - prev > 180) lng -= 360;
      while (lng - prev < -180) lng += 360;
    }
    out.push([p.lat, lng]);
    prev = lng;
  }
  return out;
}

// areaLayer is the Leaflet layer of a geo.Area: a circle or a polygon.
function areaLayer(area) {
  const style = { className: "hearth-area", interactive: false };
  if (area && area.circle) {
    const c = area.circle;
    return L.circle([c.center.lat, c.center.lng], { ...style, radius: c.radius_m });
  }
  if (area && Array.isArray(area.polygon) && area.polygon.length >= 3) {
    return L.polygon(unwrap(area.polygon), style);
  }
  throw new Error("The area is neither a circle nor a polygon.");
}

// showArea shows a geo.Area (its JSON text or the parsed object:
// {"circle":{"center":{"lat","lng"},"radius_m"}} or {"polygon":[{"lat","lng"},…]})
// in element, fitted to the view. options: { home: {lat, lng} } marks a
// point (a resident's home) and fits it in too; { tiles } overrides the
// element's data-tiles. Returns { map, layer }.
export function showArea(element, area, options = {}) {
  if (typeof area === "string") area = JSON.parse(area);
  const map = createMap(element, { tiles: options.tiles });
  const layer = areaLayer(area).addTo(map);
  let bounds = layer.getBounds();
  if (options.home && Number.isFinite(options.home.lat) && Number.isFinite(options.home.lng)) {
    L.circleMarker([options.home.lat, options.home.lng], { className: "hearth-home", radius: 7, interactive: false }).addTo(map);
    bounds = bounds.extend([options.home.lat, options.home.lng]);
  }
  map.fitBounds(bounds, { padding: [16, 16], maxZoom: 18 });
  return { map, layer };
}

// drawCircle lets an officer draw a circle in element: the first click puts
// the centre, the second the edge (the map can be dragged and zoomed between
// them); a third click starts again. options:
//   center: {lat, lng} the map opens on (default 0, 0); zoom (default 15);
//   circle: {center: {lat, lng}, radius_m}, one drawn already (as after a
//     refused form);
//   onChange({center: {lat, lng}, radius_m}): a circle was drawn;
//   onPreview({center, radius_m} or null): while the edge follows the
//     pointer, and null when a new centre is put;
//   tiles: overrides the element's data-tiles.
// Returns { map, set(circle), clear() }: set draws a circle typed elsewhere
// (it does not call onChange) and shows it.
export function drawCircle(element, options = {}) {
  const map = createMap(element, { center: options.center, zoom: options.zoom, tiles: options.tiles, doubleClickZoom: false });
  element.classList.add("drawing");
  const centre = L.circleMarker([0, 0], { className: "hearth-centre", radius: 4, interactive: false });
  const shape = L.circle([0, 0], { className: "hearth-area", radius: 1, interactive: false });
  let state = "empty"; // "empty", "centre" (waiting for the edge) or "done"
  let at = null;

  const show = (c) => {
    centre.setLatLng([c.center.lat, c.center.lng]).addTo(map);
    shape.setLatLng([c.center.lat, c.center.lng]).setRadius(c.radius_m).addTo(map);
  };
  const clear = () => {
    centre.remove();
    shape.remove();
    state = "empty";
    at = null;
  };
  const set = (c) => {
    if (!c || !c.center || !Number.isFinite(c.center.lat) || !Number.isFinite(c.center.lng) || !(c.radius_m > 0)) return;
    at = { lat: c.center.lat, lng: c.center.lng };
    show({ center: at, radius_m: c.radius_m });
    state = "done";
    map.fitBounds(shape.getBounds(), { padding: [16, 16], maxZoom: 18 });
  };

  map.on("click", (e) => {
    const p = e.latlng.wrap();
    if (state !== "centre") {
      at = { lat: p.lat, lng: p.lng };
      shape.remove();
      centre.setLatLng(p).addTo(map);
      state = "centre";
      if (options.onPreview) options.onPreview(null);
      return;
    }
    const c = { center: at, radius_m: distanceMeters(at, p) };
    if (!(c.radius_m > 0)) return;
    show(c);
    state = "done";
    if (options.onChange) options.onChange(c);
  });
  map.on("mousemove", (e) => {
    if (state !== "centre") return;
    const c = { center: at, radius_m: distanceMeters(at, e.latlng.wrap()) };
    if (!(c.radius_m > 0)) return;
    shape.setLatLng([at.lat, at.lng]).setRadius(c.radius_m).addTo(map);
    if (options.onPreview) options.onPreview(c);
  });
  if (options.circle) set(options.circle);
  return { map, set, clear };
}
