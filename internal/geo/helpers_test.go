package geo

import "math"

// destination returns the point reached by going dist metres from p along
// the great circle with the given initial bearing (degrees from north).
func destination(p Point, bearing, dist float64) Point {
	lat1, lng1 := p.Lat*math.Pi/180, p.Lng*math.Pi/180
	b := bearing * math.Pi / 180
	d := dist / EarthRadiusMeters
	lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(b))
	lng2 := lng1 + math.Atan2(math.Sin(b)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
	lng := math.Remainder(lng2*180/math.Pi, 360)
	return Point{Lat: lat2 * 180 / math.Pi, Lng: lng}
}

// regularPolygon returns the n corners at distance rho metres from c, first
// at bearing start, anticlockwise as seen from above when ccw.
func regularPolygon(c Point, n int, rho, start float64, ccw bool) []Point {
	pts := make([]Point, n)
	for k := range n {
		b := start + 360*float64(k)/float64(n)
		if ccw {
			b = start - 360*float64(k)/float64(n)
		}
		pts[k] = destination(c, b, rho)
	}
	return pts
}

// squareOfArea returns a regular spherical quadrilateral of the given area.
// Each of its four triangles (centre, corner, next corner) has two sides ρ
// and a right angle between them, so its spherical excess E satisfies
// tan(E/2) = tan²(ρ/2); with E a quarter of the area, ρ follows.
func squareOfArea(c Point, sqmi float64, ccw bool) Area {
	sr := sqmi * squareMetersPerSquareMile / (EarthRadiusMeters * EarthRadiusMeters)
	rho := 2 * math.Atan(math.Sqrt(math.Tan(sr/8)))
	return Area{Polygon: regularPolygon(c, 4, rho*EarthRadiusMeters, 45, ccw)}
}

// circleOfArea returns a circle of the given area: 4πR² sin²(r/2R) = A.
func circleOfArea(c Point, sqmi float64) Area {
	sr := sqmi * squareMetersPerSquareMile / (EarthRadiusMeters * EarthRadiusMeters)
	r := 2 * EarthRadiusMeters * math.Asin(math.Sqrt(sr/(4*math.Pi)))
	return Area{Circle: &Circle{Center: c, RadiusMeters: r}}
}
