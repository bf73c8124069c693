package geo_test

import (
	"math"
	"testing"

	"hearth/internal/geo"
)

func TestAreaDistance(t *testing.T) {
	t.Parallel()
	centre := geo.Point{Lat: 48.8566, Lng: 2.3522}
	// One degree of latitude on the mean-radius sphere.
	degree := geo.EarthRadiusMeters * math.Pi / 180
	north := func(m float64) geo.Point { return geo.Point{Lat: centre.Lat + m/degree, Lng: centre.Lng} }
	circle := geo.Area{Circle: &geo.Circle{Center: centre, RadiusMeters: 300}}
	square := geo.Area{Polygon: []geo.Point{
		{Lat: centre.Lat - 0.001, Lng: centre.Lng - 0.001}, {Lat: centre.Lat - 0.001, Lng: centre.Lng + 0.001},
		{Lat: centre.Lat + 0.001, Lng: centre.Lng + 0.001}, {Lat: centre.Lat + 0.001, Lng: centre.Lng - 0.001},
	}}
	for _, tc := range []struct {
		name string
		area geo.Area
		p    geo.Point
		want float64
	}{
		{"circle centre", circle, centre, 0},
		{"inside circle", circle, north(299), 0},
		{"outside circle", circle, north(1300), 1000},
		{"inside polygon", square, centre, 0},
		{"north of polygon", square, north(0.002 * degree), 0.001 * degree},
		{"invalid point", circle, geo.Point{Lat: 91}, math.Inf(1)},
	} {
		got := tc.area.DistanceMeters(tc.p)
		if math.IsInf(tc.want, 1) != math.IsInf(got, 1) || !math.IsInf(got, 1) && math.Abs(got-tc.want) > 0.5 {
			t.Errorf("%s: DistanceMeters = %v, want %v", tc.name, got, tc.want)
		}
	}
}
