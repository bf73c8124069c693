package web

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
)

func (s *Server) renderDevices(w http.ResponseWriter, r *http.Request, a *auth, status int, p devicesPage) error {
	ctx := r.Context()
	id := household.ID(r.PathValue("id"))
	h, err := s.households.Get(ctx, a.user.ID, id)
	if err != nil {
		return err
	}
	devices, err := s.devices.List(ctx, a.user.ID, id)
	if err != nil {
		return err
	}
	events, err := s.devices.Recent(ctx, a.user.ID, id, 24*time.Hour, 100)
	if err != nil {
		return err
	}
	names := map[device.ID]string{}
	for _, d := range devices {
		names[d.ID] = d.Name
	}
	p.Title = "Devices · " + h.Name
	p.Household = h
	p.Devices = devices
	p.Kinds = device.Kinds
	p.Events = events
	p.DeviceNames = names
	s.render(w, r, status, "devices", &p)
	return nil
}

func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	return s.renderDevices(w, r, a, http.StatusOK, devicesPage{})
}

func (s *Server) handleStartPairing(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	code, expires, err := s.devices.StartPairing(r.Context(), a.user.ID, household.ID(r.PathValue("id")),
		device.Kind(r.PostFormValue("kind")), r.PostFormValue("name"))
	if apperr.Is(err, apperr.Invalid) {
		return s.renderDevices(w, r, a, http.StatusBadRequest, devicesPage{pageBase: pageBase{Error: apperr.MessageOf(err)}})
	} else if err != nil {
		return err
	}
	return s.renderDevices(w, r, a, http.StatusOK, devicesPage{PairingCode: code, PairingExpires: expires, Server: s.baseURL(r)})
}

// deviceAction runs a change on one device and returns to its household's page.
func (s *Server) deviceAction(change func(r *http.Request, a *auth, id device.ID) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := requireUser(r, identity.ScopeAccountWrite)
		if err != nil {
			return err
		}
		id := device.ID(r.PathValue("id"))
		d, err := s.devices.Get(r.Context(), a.user.ID, id)
		if err != nil {
			return err
		}
		if err := change(r, a, id); err != nil {
			return err
		}
		http.Redirect(w, r, "/households/"+string(d.Household)+"/devices", http.StatusSeeOther)
		return nil
	}
}

func (s *Server) handleRenameDevice(r *http.Request, a *auth, id device.ID) error {
	return s.devices.Rename(r.Context(), a.user.ID, id, r.PostFormValue("name"))
}

func (s *Server) handleRevokeDevice(r *http.Request, a *auth, id device.ID) error {
	return s.devices.Revoke(r.Context(), a.user.ID, id)
}

// apiPair exchanges a one-time pairing code for the device's own credential
// and where to connect. It needs no account: the code is the proof, so
// attempts are limited per client address.
func (s *Server) apiPair(w http.ResponseWriter, r *http.Request) error {
	if !s.pairLimiter.allow(s.clientInfo(r).Addr, time.Now()) {
		return apperr.E("web.apiPair", apperr.RateLimited, "Too many pairing attempts from this address. Wait a minute.")
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	d, secret, err := s.devices.Pair(r.Context(), strings.TrimSpace(req.Code))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"device_id": d.ID, "household_id": d.Household, "kind": d.Kind, "name": d.Name,
		"credential": secret, "mqtt_url": s.cfg.MQTTURL,
		"events_topic":   "hearth/d/" + string(d.ID) + "/events/<type>",
		"commands_topic": "hearth/d/" + string(d.ID) + "/commands/#",
	})
	return nil
}

type apiDevice struct {
	ID         device.ID   `json:"id"`
	Kind       device.Kind `json:"kind"`
	Name       string      `json:"name"`
	Online     bool        `json:"online"`
	PairedAt   time.Time   `json:"paired_at"`
	LastSeenAt *time.Time  `json:"last_seen_at"`
	Revoked    bool        `json:"revoked"`
}

func (s *Server) apiListDevices(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	list, err := s.devices.List(r.Context(), a.user.ID, household.ID(r.PathValue("id")))
	if err != nil {
		return err
	}
	out := make([]apiDevice, 0, len(list))
	for _, d := range list {
		x := apiDevice{ID: d.ID, Kind: d.Kind, Name: d.Name, Online: d.Online, PairedAt: d.PairedAt, Revoked: !d.RevokedAt.IsZero()}
		if !d.LastSeenAt.IsZero() {
			t := d.LastSeenAt
			x.LastSeenAt = &t
		}
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"devices": out})
	return nil
}

// limiter allows a few attempts per key per minute. It guards an
// unauthenticated endpoint against guessing; state is per process.
type limiter struct {
	mu      sync.Mutex
	perMin  int
	windows map[string]window
}

type window struct {
	start time.Time
	count int
}

func newLimiter(perMinute int) *limiter {
	return &limiter{perMin: perMinute, windows: map[string]window{}}
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.windows) > 100000 { // forget everyone rather than grow without bound
		l.windows = map[string]window{}
	}
	w := l.windows[key]
	if now.Sub(w.start) >= time.Minute {
		w = window{start: now}
	}
	w.count++
	l.windows[key] = w
	return w.count <= l.perMin
}
