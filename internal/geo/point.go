package geo

import (
	"math"

	"github.com/golang/geo/r3"
)

// EarthRadiusMeters is the mean radius of the Earth (IUGG R1), the sphere on
// which this package measures distances and areas.
const EarthRadiusMeters = 6371008.8

// squareMetersPerSquareMile is the area of one square (international) mile.
const squareMetersPerSquareMile = 1609.344 * 1609.344

// Point is a WGS84 position in degrees.
type Point struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Valid reports whether p is a position on Earth: both coordinates finite,
// latitude in [-90, 90] and longitude in [-180, 180].
func (p Point) Valid() bool {
	// Written so that NaN fails every comparison and is refused.
	return p.Lat >= -90 && p.Lat <= 90 && p.Lng >= -180 && p.Lng <= 180
}

// vector returns p as a unit vector (x towards 0°N 0°E, z towards the North Pole).
func (p Point) vector() r3.Vector {
	lat := p.Lat * (math.Pi / 180)
	lng := p.Lng * (math.Pi / 180)
	sinLat, cosLat := math.Sincos(lat)
	sinLng, cosLng := math.Sincos(lng)
	return r3.Vector{X: cosLat * cosLng, Y: cosLat * sinLng, Z: sinLat}
}

// pointOf returns the position of the direction v, which need not be unit length.
func pointOf(v r3.Vector) Point {
	lat := math.Atan2(v.Z, math.Hypot(v.X, v.Y))
	lng := math.Atan2(v.Y, v.X)
	return Point{Lat: lat * (180 / math.Pi), Lng: lng * (180 / math.Pi)}
}
