package web

import (
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/vault"
)

// MaxClipBytes bounds one uploaded clip.
const MaxClipBytes = 512 << 20

// requireDevice authenticates a device by HTTP Basic auth: its id and its
// credential, as given when it paired.
func (s *Server) requireDevice(r *http.Request) (*device.Device, error) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return nil, apperr.E("web.requireDevice", apperr.Unauthenticated, "Devices authenticate with their id and credential (HTTP Basic).")
	}
	return s.devices.Authenticate(r.Context(), device.ID(id), secret)
}

type apiClip struct {
	ID          vault.ClipID `json:"id"`
	Household   household.ID `json:"household_id"`
	Device      device.ID    `json:"device_id"`
	Kind        vault.Kind   `json:"kind"`
	Start       time.Time    `json:"start"`
	End         time.Time    `json:"end"`
	Size        int64        `json:"size"`
	ContentHash string       `json:"content_hash"`
}

func toAPIClip(c *vault.Clip) apiClip {
	return apiClip{ID: c.ID, Household: c.Household, Device: c.Device, Kind: c.Kind, Start: c.Start, End: c.End, Size: c.Size, ContentHash: c.ContentHash}
}

// apiDeviceRecipients tells a device whom to encrypt its clips to: every
// current member of its household who has set a key.
func (s *Server) apiDeviceRecipients(w http.ResponseWriter, r *http.Request) error {
	d, err := s.requireDevice(r)
	if err != nil {
		return err
	}
	recipients, err := s.vault.Recipients(r.Context(), d.Household)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"recipients": recipients})
	return nil
}

func parseTimeParam(r *http.Request, name string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, r.URL.Query().Get(name))
	if err != nil {
		return time.Time{}, apperr.E("web.parseTimeParam", apperr.Invalid, "Give "+name+" as an RFC 3339 time, like 2026-03-01T10:00:00Z.")
	}
	return t, nil
}

// apiUploadClip takes an age-encrypted clip from a device, streamed.
func (s *Server) apiUploadClip(w http.ResponseWriter, r *http.Request) error {
	d, err := s.requireDevice(r)
	if err != nil {
		return err
	}
	start, err := parseTimeParam(r, "start")
	if err != nil {
		return err
	}
	end, err := parseTimeParam(r, "end")
	if err != nil {
		return err
	}
	c, created, err := s.vault.Put(r.Context(), vault.Upload{
		Household: d.Household, Device: d.ID, Kind: vault.Kind(r.URL.Query().Get("kind")), Start: start, End: end,
	}, http.MaxBytesReader(w, r.Body, MaxClipBytes+1), MaxClipBytes)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, toAPIClip(c))
	return nil
}

func (s *Server) apiListClips(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	// Without bounds, everything the household keeps (retention bounds it).
	from, to := time.Unix(0, 0), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	if r.URL.Query().Has("from") {
		if from, err = parseTimeParam(r, "from"); err != nil {
			return err
		}
	}
	if r.URL.Query().Has("to") {
		if to, err = parseTimeParam(r, "to"); err != nil {
			return err
		}
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return apperr.E("web.apiListClips", apperr.Invalid, "limit is a number from 1 to 1000.")
		}
	}
	list, err := s.vault.List(r.Context(), a.user.ID, household.ID(r.PathValue("id")), from, to, limit)
	if err != nil {
		return err
	}
	out := make([]apiClip, 0, len(list))
	for _, c := range list {
		out = append(out, toAPIClip(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"clips": out})
	return nil
}

// apiClipContent streams a clip's ciphertext to a member of its household;
// it decrypts with the member's age identity (and the standard age tool).
func (s *Server) apiClipContent(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	c, body, err := s.vault.OpenForMember(r.Context(), a.user.ID, vault.ClipID(r.PathValue("id")))
	if err != nil {
		return err
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+string(c.ID)+`.age"`)
	h.Set("Cache-Control", "private, no-store")
	_, err = io.Copy(w, body)
	if err != nil {
		s.logError(r, apperr.Wrap("web.apiClipContent", err)) // the status is already sent
	}
	return nil
}

func (s *Server) apiDeleteClip(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	if err := s.vault.Delete(r.Context(), a.user.ID, vault.ClipID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type apiKey struct {
	Recipient       string `json:"recipient"`
	WrappedIdentity string `json:"wrapped_identity"` // base64 of the passphrase-encrypted age identity
}

func (s *Server) apiGetKey(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	recipient, wrapped, err := s.vault.Key(r.Context(), a.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiKey{Recipient: recipient, WrappedIdentity: base64.StdEncoding.EncodeToString(wrapped)})
	return nil
}

func (s *Server) apiSetKey(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	var req apiKey
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	wrapped, err := base64.StdEncoding.DecodeString(req.WrappedIdentity)
	if err != nil {
		return apperr.E("web.apiSetKey", apperr.Invalid, "wrapped_identity must be base64.")
	}
	if err := s.vault.SetKey(r.Context(), a.user.ID, req.Recipient, wrapped); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleKey is the member's key page. Making, unlocking and changing the
// passphrase of the key all happen in the browser (static/vault.js); the
// page only says whether there is a key and which recipient it is.
func (s *Server) handleKey(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	recipient, _, err := s.vault.Key(r.Context(), a.user.ID)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return err
	}
	s.render(w, r, http.StatusOK, "key", &keyPage{
		pageBase: pageBase{Title: "Your vault key"}, Recipient: recipient, MinPassphrase: vault.MinPassphraseLength,
	})
	return nil
}

// apiAddWrap stores an extra age header a member made for one clip (see
// vault.Rewrap), so that another key — the member's new one, or a member
// who joined later — opens the clip without the video being uploaded again.
func (s *Server) apiAddWrap(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	var req struct {
		Recipient string `json:"recipient"`
		Header    string `json:"header"` // base64 of the age header
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	header, err := base64.StdEncoding.DecodeString(req.Header)
	if err != nil {
		return apperr.E("web.apiAddWrap", apperr.Invalid, "header must be base64.")
	}
	if err := s.vault.AddWrap(r.Context(), a.user.ID, vault.ClipID(r.PathValue("id")), req.Recipient, header); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
