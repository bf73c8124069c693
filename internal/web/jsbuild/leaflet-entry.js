// Leaflet as an ES module for hearth's pages: static/map.js imports it as
// ./leaflet.js. Leaflet's own ES build is bundled whole (its modules register
// their handlers as side effects), with no global L.
export * from "leaflet/dist/leaflet-src.esm.js";
