package web

import (
	"net/http"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/vault"
)

// reachedView is one of the viewer's households a request reached: the
// clips it may share, and what it shared already.
type reachedView struct {
	Household *household.Household
	Clips     []*vault.Clip
	Shared    []*neighbors.Submission
}

// windowMargin widens the clip listing before the window: a clip that
// began a little before it may still show the window.
const windowMargin = 15 * time.Minute

// addRequestAnswers adds to the request page's data what the viewer may do
// with it: the public response count for everyone; for officers of the
// agency, the way to what residents submitted; for residents whose
// household the request reached, the clips they may share and what they
// shared.
func (s *Server) addRequestAnswers(r *http.Request, req *neighbors.Request, ag *neighbors.Agency, data *requestPage) error {
	ctx := r.Context()
	n, shown, err := s.neighbors.PublicResponses(ctx, req.ID)
	if err != nil {
		return err
	}
	data.Responses, data.ResponsesShown, data.ResponseThreshold = n, shown, neighbors.PublicResponseThreshold
	a := agencyViewer(r)
	if a == nil {
		return nil
	}
	households, err := s.households.ListForUser(ctx, a.user.ID)
	if err != nil {
		return err
	}
	var reached []reachedView
	for _, h := range households {
		ok, err := s.neighbors.Reached(ctx, a.user.ID, req.ID, h.ID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		v := reachedView{Household: h}
		clips, err := s.vault.List(ctx, a.user.ID, h.ID, req.WindowStart.Add(-windowMargin), req.WindowEnd, 100)
		if err != nil {
			return err
		}
		for _, c := range clips {
			if !c.End.Before(req.WindowStart) && !c.Start.After(req.WindowEnd) {
				v.Clips = append(v.Clips, c)
			}
		}
		if v.Shared, err = s.neighbors.RequestAnswers(ctx, a.user.ID, req.ID, h.ID); err != nil {
			return err
		}
		reached = append(reached, v)
	}
	if len(reached) == 0 {
		return nil
	}
	data.Reached = reached
	data.Home = &reached[0].Household.Home // the viewer's own home, on the map for them only
	data.AgencyRecipient = ag.Recipient
	recipient, _, err := s.vault.Key(ctx, a.user.ID)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return err
	}
	data.MemberRecipient = recipient
	return nil
}

// handleWithdraw is the page form's way to withdraw a submission.
func (s *Server) handleWithdraw(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	sub, err := s.neighbors.Withdraw(r.Context(), a.user.ID, neighbors.SubmissionID(r.PathValue("id")))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/requests/"+string(sub.Request)+"#shared", http.StatusSeeOther)
	return nil
}

// handleOptOut is the household page's switch for agencies' requests.
func (s *Server) handleOptOut(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	hh := household.ID(r.PathValue("id"))
	var optOut bool
	switch r.PostFormValue("opt_out") {
	case "true":
		optOut = true
	case "false":
	default:
		return apperr.E("web.handleOptOut", apperr.Invalid, "Choose whether the household receives agencies' requests.")
	}
	if err := s.neighbors.SetOptOut(r.Context(), a.user.ID, hh, optOut); err != nil {
		return s.householdFailure(w, r, a, err)
	}
	http.Redirect(w, r, "/households/"+string(hh)+"#requests", http.StatusSeeOther)
	return nil
}

// addHouseholdRequests adds to the household page the requests that
// reached it, what it shared, and its opt-out.
func (s *Server) addHouseholdRequests(r *http.Request, a *auth, hh household.ID, data *householdPage) error {
	ctx := r.Context()
	reqs, err := s.neighbors.DeliveredRequests(ctx, a.user.ID, hh)
	if err != nil {
		return err
	}
	subs, err := s.neighbors.HouseholdSubmissions(ctx, a.user.ID, hh)
	if err != nil {
		return err
	}
	out, err := s.neighbors.OptedOut(ctx, a.user.ID, hh)
	if err != nil {
		return err
	}
	data.Requests, data.Submissions, data.OptedOut = reqs, subs, out
	return nil
}

// handleReceived shows an agency's officers what residents submitted to a
// request; their browser decrypts it with the agency's key.
func (s *Server) handleReceived(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	req, err := s.neighbors.Request(r.Context(), neighbors.RequestID(r.PathValue("id")))
	if err != nil {
		return err
	}
	list, err := s.neighbors.Received(r.Context(), agencyActor(a), req.ID)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "received", &receivedPage{
		pageBase: pageBase{Title: "Footage received: " + req.Title}, Request: req, Received: list,
	})
	return nil
}
