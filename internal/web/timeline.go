package web

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/vault"
)

// maxPerDay bounds the events and the clips one timeline day shows; a day
// with more says so instead of silently dropping the oldest.
const maxPerDay = 1000

// timelineItem is one line of a device's day: an event or a clip.
type timelineItem struct {
	At    time.Time
	Event *device.Event
	Clip  *vault.Clip
}

// deviceDay is one device's part of a timeline day, newest first.
type deviceDay struct {
	Device *device.Device
	Items  []timelineItem
}

// handleTimeline shows a household's events and clips of one day (in the
// household's time zone), by device. Clips play in the browser after the
// member unlocks their key (static/vault.js); the page itself carries only
// metadata.
func (s *Server) handleTimeline(w http.ResponseWriter, r *http.Request) error {
	const op = "web.handleTimeline"
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := household.ID(r.PathValue("id"))
	h, err := s.households.Get(ctx, a.user.ID, id)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil {
		loc = time.UTC // a zone the server's tz database lacks; the page says which it used
	}
	now := s.clock.Now().In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	if v := r.URL.Query().Get("day"); v != "" {
		if day, err = time.ParseInLocation("2006-01-02", v, loc); err != nil {
			return apperr.E(op, apperr.Invalid, "Give the day as YYYY-MM-DD, like 2026-03-01.")
		}
	}
	from, to := day, day.AddDate(0, 0, 1)

	devices, err := s.devices.List(ctx, a.user.ID, id)
	if err != nil {
		return err
	}
	only := device.ID(r.URL.Query().Get("device"))
	days := map[device.ID]*deviceDay{}
	var order []*deviceDay
	for _, d := range devices {
		if only != "" && d.ID != only {
			continue
		}
		dd := &deviceDay{Device: d}
		days[d.ID] = dd
		order = append(order, dd)
	}
	if only != "" && len(order) == 0 {
		return apperr.E(op, apperr.NotFound, "There is no such device in this household.")
	}

	events, err := s.devices.Events(ctx, a.user.ID, id, from, to, maxPerDay)
	if err != nil {
		return err
	}
	for _, e := range events {
		if dd := days[e.Device]; dd != nil {
			dd.Items = append(dd.Items, timelineItem{At: e.At, Event: e})
		}
	}
	clips, err := s.vault.List(ctx, a.user.ID, id, from, to, maxPerDay)
	if err != nil {
		return err
	}
	for _, c := range clips {
		if dd := days[c.Device]; dd != nil {
			dd.Items = append(dd.Items, timelineItem{At: c.Start, Clip: c})
		}
	}
	for _, dd := range order {
		sort.SliceStable(dd.Items, func(i, j int) bool { return dd.Items[i].At.After(dd.Items[j].At) })
	}
	recipient, _, keyErr := s.vault.Key(ctx, a.user.ID)
	if keyErr != nil && !apperr.Is(keyErr, apperr.NotFound) {
		return keyErr
	}

	data := &timelinePage{
		pageBase:  pageBase{Title: "Timeline · " + h.Name},
		Household: h,
		Day:       day,
		DayParam:  day.Format("2006-01-02"),
		Prev:      day.AddDate(0, 0, -1).Format("2006-01-02"),
		Next:      day.AddDate(0, 0, 1).Format("2006-01-02"),
		IsToday:   !now.Before(from) && now.Before(to),
		Zone:      loc.String(),
		Devices:   devices,
		Only:      only,
		Days:      order,
		Truncated: len(events) == maxPerDay || len(clips) == maxPerDay,
		HasKey:    keyErr == nil,
		Recipient: recipient,
		Location:  loc,
	}
	s.render(w, r, http.StatusOK, "timeline", data)
	return nil
}

// clockTime formats t as a time of day in loc, for a timeline.
func clockTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("15:04:05")
}

// byteSize formats a size for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// eventDetail says in a few words what an event's data holds.
func eventDetail(e *device.Event) string {
	switch e.Type {
	case device.EventMotion:
		if z, ok := e.Data["zone"].(string); ok && z != "" {
			return "in " + z
		}
	case device.EventContact:
		if open, _ := e.Data["open"].(bool); open {
			return "opened"
		}
		return "closed"
	case device.EventAlarm:
		s, _ := e.Data["state"].(string)
		return s
	case device.EventBattery:
		if p, ok := e.Data["percent"].(float64); ok {
			return fmt.Sprintf("%.0f%%", p)
		}
	}
	return ""
}

// clipLength formats a clip's duration, like "12 s".
func clipLength(c *vault.Clip) string {
	return fmt.Sprintf("%.0f s", c.End.Sub(c.Start).Seconds())
}
