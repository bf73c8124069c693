package transparency

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"hearth/internal/apperr"
)

// Period is a half-year in UTC: Half 1 is January to June, Half 2 July to
// December.
type Period struct {
	Year int
	Half int
}

// Years a period may name: before 2000 is a typing mistake.
const (
	minYear = 2000
	maxYear = 9999
)

// msgBadPeriod says how a period is written.
const msgBadPeriod = "Give the period as a year and a half: 2026-H1 (January to June) or 2026-H2 (July to December)."

// ParsePeriod reads a period written as "2026-H1" or "2026-H2" (the H in
// either case). Invalid for anything else.
func ParsePeriod(s string) (Period, error) {
	const op = "transparency.ParsePeriod"
	year, half, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok || len(year) != 4 || len(half) != 2 || (half[0] != 'H' && half[0] != 'h') || (half[1] != '1' && half[1] != '2') {
		return Period{}, apperr.E(op, apperr.Invalid, msgBadPeriod)
	}
	y, err := strconv.Atoi(year)
	if err != nil || strings.Trim(year, "0123456789") != "" || y < minYear || y > maxYear {
		return Period{}, apperr.E(op, apperr.Invalid, msgBadPeriod)
	}
	return Period{Year: y, Half: int(half[1] - '0')}, nil
}

// PeriodOf returns the period t falls in.
func PeriodOf(t time.Time) Period {
	t = t.UTC()
	if t.Month() <= time.June {
		return Period{Year: t.Year(), Half: 1}
	}
	return Period{Year: t.Year(), Half: 2}
}

// String writes the period as ParsePeriod reads it.
func (p Period) String() string { return fmt.Sprintf("%04d-H%d", p.Year, p.Half) }

// Label names the period for people, e.g. "January–June 2026".
func (p Period) Label() string {
	if p.Half == 1 {
		return fmt.Sprintf("January–June %d", p.Year)
	}
	return fmt.Sprintf("July–December %d", p.Year)
}

// Start is the period's first instant.
func (p Period) Start() time.Time {
	return time.Date(p.Year, time.Month(1+6*(p.Half-1)), 1, 0, 0, 0, 0, time.UTC)
}

// End is the instant after the period: the next period's Start.
func (p Period) End() time.Time { return p.Start().AddDate(0, 6, 0) }

// Next is the period after p.
func (p Period) Next() Period {
	if p.Half == 1 {
		return Period{Year: p.Year, Half: 2}
	}
	return Period{Year: p.Year + 1, Half: 1}
}

// Before reports whether p comes before q.
func (p Period) Before(q Period) bool {
	return p.Year < q.Year || p.Year == q.Year && p.Half < q.Half
}
