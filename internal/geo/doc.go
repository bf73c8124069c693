// Package geo answers the two spatial questions Hearth asks: is an area that
// someone drew on a map acceptable and how large is it (Area), and which homes
// lie inside it (Index, the in-memory fan-out index for Requests for
// Assistance).
//
// Positions are WGS84 degrees; distances and areas are computed on a sphere of
// the Earth's mean radius (6371.0088 km), with geodesic (great-circle) edges,
// as S2 does. For a neighbourhood the sphere's areas differ from the
// ellipsoid's by well under 1%, below the precision with which anyone draws
// an area on a map, and they do not depend on the map projection the drawing
// used.
//
// geo is part of the shared kernel: it imports only the standard library,
// apperr, clock and github.com/golang/geo.
package geo
