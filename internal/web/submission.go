package web

import (
	"io"
	"net/http"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/vault"
)

// The residents' and the agency's sides of submissions: a household
// answers a request that reached it with clips of its own, wrapped in the
// member's browser for the agency's key; the agency lists what it
// received and decrypts it in its browser.

type apiSubmission struct {
	ID          neighbors.SubmissionID `json:"id"`
	Request     neighbors.RequestID    `json:"request_id"`
	Household   household.ID           `json:"household_id"`
	Clips       []vault.ClipID         `json:"clips"`
	Note        string                 `json:"note"`
	Commitment  string                 `json:"commitment"`
	LogIndex    uint64                 `json:"log_index"`
	SubmittedAt time.Time              `json:"submitted_at"`
	Opened      bool                   `json:"opened"`
	WithdrawnAt *time.Time             `json:"withdrawn_at"`
}

func toAPISubmission(s *neighbors.Submission) apiSubmission {
	out := apiSubmission{ID: s.ID, Request: s.Request, Household: s.Household, Clips: s.Clips, Note: s.Note,
		Commitment: s.Commitment, LogIndex: s.SubmittedIndex, SubmittedAt: s.SubmittedAt, Opened: s.Opened()}
	if s.Withdrawn() {
		t := s.WithdrawnAt
		out.WithdrawnAt = &t
	}
	return out
}

// apiReceived is a submission as the agency sees it: no household, no device.
type apiReceived struct {
	ID          neighbors.SubmissionID `json:"id"`
	Note        string                 `json:"note"`
	SubmittedAt time.Time              `json:"submitted_at"`
	Opened      bool                   `json:"opened"`
	Clips       []apiReceivedClip      `json:"clips"`
}

type apiReceivedClip struct {
	ID    vault.ClipID `json:"id"`
	Kind  vault.Kind   `json:"kind,omitempty"`
	Start *time.Time   `json:"start,omitempty"`
	End   *time.Time   `json:"end,omitempty"`
	Size  int64        `json:"size"`
	Gone  bool         `json:"gone"`
}

func toAPIReceived(x *neighbors.Received) apiReceived {
	out := apiReceived{ID: x.ID, Note: x.Note, SubmittedAt: x.SubmittedAt, Opened: !x.OpenedAt.IsZero(), Clips: []apiReceivedClip{}}
	for _, c := range x.Clips {
		rc := apiReceivedClip{ID: c.ID, Kind: c.Kind, Size: c.Size, Gone: c.Gone}
		if !c.Gone {
			start, end := c.Start, c.End
			rc.Start, rc.End = &start, &end
		}
		out.Clips = append(out.Clips, rc)
	}
	return out
}

// apiHouseholdRequests lists the requests that reached the household.
func (s *Server) apiHouseholdRequests(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	list, err := s.neighbors.DeliveredRequests(r.Context(), a.user.ID, household.ID(r.PathValue("id")))
	if err != nil {
		return err
	}
	out := make([]apiRequest, 0, len(list))
	for _, x := range list {
		out = append(out, toAPIRequest(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
	return nil
}

type submitBody struct {
	Household household.ID   `json:"household_id"`
	Clips     []vault.ClipID `json:"clips"`
	Note      string         `json:"note"`
}

// apiSubmit answers a request with clips the member's browser has wrapped
// for the agency's key (PUT /api/v1/clips/{id}/wraps) beforehand.
func (s *Server) apiSubmit(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	var body submitBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	sub, err := s.neighbors.Submit(r.Context(), a.user.ID, neighbors.RequestID(r.PathValue("id")),
		neighbors.NewSubmission{Household: body.Household, Clips: body.Clips, Note: body.Note})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toAPISubmission(sub))
	return nil
}

// apiHouseholdSubmissions lists what the household shared.
func (s *Server) apiHouseholdSubmissions(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	list, err := s.neighbors.HouseholdSubmissions(r.Context(), a.user.ID, household.ID(r.PathValue("id")))
	if err != nil {
		return err
	}
	out := make([]apiSubmission, 0, len(list))
	for _, x := range list {
		out = append(out, toAPISubmission(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"submissions": out})
	return nil
}

func (s *Server) apiWithdraw(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	sub, err := s.neighbors.Withdraw(r.Context(), a.user.ID, neighbors.SubmissionID(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPISubmission(sub))
	return nil
}

// apiReceived lists, to the agency's officers, what residents submitted.
func (s *Server) apiReceived(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	list, err := s.neighbors.Received(r.Context(), agencyActor(a), neighbors.RequestID(r.PathValue("id")))
	if err != nil {
		return err
	}
	out := make([]apiReceived, 0, len(list))
	for _, x := range list {
		out = append(out, toAPIReceived(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"submissions": out})
	return nil
}

// apiReceivedClip hands an officer a submitted clip as an age file for the
// agency's key; the read is in the log before a byte is sent.
func (s *Server) apiReceivedClip(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	clip := vault.ClipID(r.PathValue("clip"))
	body, err := s.neighbors.OpenReceived(r.Context(), agencyActor(a), neighbors.SubmissionID(r.PathValue("id")), clip)
	if err != nil {
		return err
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+string(clip)+`.age"`)
	h.Set("Cache-Control", "private, no-store")
	if _, err := io.Copy(w, body); err != nil {
		s.logError(r, apperr.Wrap("web.apiReceivedClip", err)) // the status is already sent
	}
	return nil
}

type optOutBody struct {
	OptOut *bool `json:"opt_out"`
}

// apiSetOptOut sets whether the household receives agencies' requests.
func (s *Server) apiSetOptOut(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	var body optOutBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.OptOut == nil {
		return apperr.E("web.apiSetOptOut", apperr.Invalid, `Give "opt_out": true or false.`)
	}
	hh := household.ID(r.PathValue("id"))
	if err := s.neighbors.SetOptOut(r.Context(), a.user.ID, hh, *body.OptOut); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"household_id": hh, "opt_out": *body.OptOut})
	return nil
}
