package household

import "math"

// The public grid. Rows are publicRowDegrees of latitude tall (≈556 m
// everywhere). Each row is split into a whole number of equal cells, as
// many as fit while every cell stays at least publicRowDegrees of arc wide
// along the row's pole-side edge, where the row is narrowest; so every cell
// is at least ≈556 m (well over 500 m) on each side at every latitude, and
// the cells of a row meet exactly at the antimeridian. Near a pole the rows
// hold fewer, wider cells, down to one cell for the cap around the pole.
const (
	publicRowsPerDegree = 200 // 0.005° rows
	publicRowDegrees    = 1.0 / publicRowsPerDegree
	publicRows          = 180 * publicRowsPerDegree
)

// cell is one cell of the public grid, in degrees. maxLng may be 180.
type cell struct {
	minLat, maxLat, minLng, maxLng float64
}

// centre is the point every home in the cell is shown at.
func (c cell) centre() Location {
	return Location{Lat: (c.minLat + c.maxLat) / 2, Lng: (c.minLng + c.maxLng) / 2}
}

// PublicLocation returns the point at which a home at l may be shown to
// anyone outside its household: the centre of the public grid cell that
// holds l. Cells are at least 500 m on each side at every latitude, so the
// public point says only which half-kilometre square the home is in. It is
// a pure function of l, so asking again, or asking about a neighbour in the
// same cell, reveals nothing more. A non-finite l gives a NaN location.
func PublicLocation(l Location) Location {
	if !finite(l.Lat) || !finite(l.Lng) {
		return Location{Lat: math.NaN(), Lng: math.NaN()}
	}
	return publicCell(l).centre()
}

// publicCell returns the grid cell that holds l: the one with
// minLat ≤ Lat < maxLat and minLng ≤ Lng < maxLng, where longitude 180 is
// taken as -180 and the top row also holds the north pole. Latitudes
// outside [-90, 90] fall in the polar rows; longitudes wrap around.
func publicCell(l Location) cell {
	// Multiplying by an integer, rather than dividing by 0.005 (which has
	// no exact binary form), puts row edges close to where the docs say; the
	// nudges then make the choice agree exactly with the edges reported,
	// which are computed another way and may differ in the last bit.
	rowMin := func(r int) float64 { return float64(r)/publicRowsPerDegree - 90 }
	row := min(max(int(math.Floor((l.Lat+90)*publicRowsPerDegree)), 0), publicRows-1)
	if row > 0 && l.Lat < rowMin(row) {
		row--
	} else if row < publicRows-1 && l.Lat >= rowMin(row+1) {
		row++
	}
	c := cell{minLat: rowMin(row), maxLat: rowMin(row + 1)}

	n := cellsInRow(c.minLat, c.maxLat)
	step := 360 / float64(n)
	colMin := func(i int) float64 { return float64(i)*step - 180 }
	lng := math.Mod(l.Lng+180, 360) - 180 // in (-540, 180)
	if lng < -180 {
		lng += 360
	}
	col := min(max(int(math.Floor((lng+180)/step)), 0), n-1)
	if col > 0 && lng < colMin(col) {
		col--
	} else if col < n-1 && lng >= colMin(col+1) {
		col++
	}
	c.minLng, c.maxLng = colMin(col), colMin(col+1)
	return c
}

// cellsInRow is how many cells the row between the two latitudes holds:
// as many as keep each at least publicRowDegrees of arc wide on the
// row's pole-side edge, and at least one.
func cellsInRow(minLat, maxLat float64) int {
	edge := max(math.Abs(minLat), math.Abs(maxLat)) * math.Pi / 180
	n := int(math.Floor(360 * publicRowsPerDegree * math.Cos(edge)))
	return max(n, 1)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
