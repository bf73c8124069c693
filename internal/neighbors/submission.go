package neighbors

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"hearth/internal/access"
	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/randid"
	"hearth/internal/text"
	"hearth/internal/translog"
	"hearth/internal/vault"
)

// Log entry types of submissions. Their bodies carry a commitment, never
// the household or the person.
const (
	EntrySubmitted translog.EntryType = "rfa.submitted"
	EntryWithdrawn translog.EntryType = "rfa.withdrawn"
)

// SubmissionID identifies a submission: "sub_" and 26 base32 characters.
type SubmissionID string

// Valid reports whether id has the shape of the identifier of a submission ("sub_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id SubmissionID) Valid() bool { return randid.Valid("sub", string(id)) }

// Limits on a submission.
const (
	MaxSubmissionClips = 20
	MaxNoteLength      = 1000
	// PublicResponseThreshold is how many households must have answered a
	// request before the number is shown: below it, a count could point
	// at a household.
	PublicResponseThreshold = 5
)

// Submission is a household's answer to a request: clips of its own,
// wrapped by the member's browser for the agency's key, with a note.
type Submission struct {
	ID          SubmissionID
	Request     RequestID
	Household   household.ID    // never shown to the agency
	SubmittedBy identity.UserID // never shown to the agency
	// Recipient is the agency key the clips were wrapped for.
	Recipient string
	Clips     []vault.ClipID
	Note      string
	// Salt and Commitment: the log holds SHA-256(id, request, household,
	// clips, salt), which proves later what was submitted without saying
	// by whom; the salt stays here so a household's submission cannot be
	// guessed from the log.
	Salt           []byte
	Commitment     string
	SubmittedAt    time.Time
	SubmittedIndex uint64
	OpenedAt       time.Time // the agency's first opening; zero before
	WithdrawnAt    time.Time
	WithdrawnIndex uint64
}

// Opened reports whether the agency has opened any of the clips.
func (s *Submission) Opened() bool { return !s.OpenedAt.IsZero() }

// Withdrawn reports whether the household withdrew it.
func (s *Submission) Withdrawn() bool { return !s.WithdrawnAt.IsZero() }

func (s *Submission) commit() string {
	h := sha256.New()
	fmt.Fprintf(h, "hearth rfa submission\n%s\n%s\n%s\n", s.ID, s.Request, s.Household)
	for _, c := range s.Clips {
		fmt.Fprintf(h, "%s\n", c)
	}
	h.Write(s.Salt)
	return hex.EncodeToString(h.Sum(nil))
}

// NewSubmission is what a resident submits.
type NewSubmission struct {
	Household household.ID
	Clips     []vault.ClipID
	Note      string
}

// Submit answers a request with clips of the household's own. Every clip
// must belong to the household, overlap the request's window, and carry a
// wrap for the agency's key (the member's browser makes it: the server
// never can). The submission goes into the log, as a commitment, before
// it is stored. NotFound unless user is a member of a household the
// request reached (as for a request that does not exist to them);
// Conflict if the request is resolved or the agency has no key; Invalid
// for a bad clip list or note.
func (s *Service) Submit(ctx context.Context, user identity.UserID, id RequestID, n NewSubmission) (*Submission, error) {
	const op = "neighbors.Submit"
	r, err := s.requestFor(ctx, op, user, id, n.Household)
	if err != nil {
		return nil, err
	}
	if r.Resolved() {
		return nil, apperr.E(op, apperr.Conflict, "The agency has resolved this request; it no longer takes footage.")
	}
	a, err := s.store.FindAgency(ctx, r.Agency)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if a.Recipient == "" {
		return nil, apperr.E(op, apperr.Conflict, "The agency has not set up its key yet, so nothing can be shared with it.")
	}
	if n.Note, err = (text.Field{Name: "the note", Max: MaxNoteLength, Multiline: true}).Check(n.Note); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if len(n.Clips) == 0 || len(n.Clips) > MaxSubmissionClips {
		return nil, apperr.E(op, apperr.Invalid, fmt.Sprintf("Choose 1 to %d clips to share.", MaxSubmissionClips))
	}
	seen := map[vault.ClipID]bool{}
	for _, c := range n.Clips {
		if seen[c] {
			return nil, apperr.E(op, apperr.Invalid, "Each clip can be shared once per submission.")
		}
		seen[c] = true
		if err := s.checkClip(ctx, op, user, r, a.Recipient, n.Household, c); err != nil {
			return nil, err
		}
	}
	sid, err := s.newID("sub")
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	sub := &Submission{ID: SubmissionID(sid), Request: r.ID, Household: n.Household, SubmittedBy: user,
		Recipient: a.Recipient, Clips: n.Clips, Note: n.Note, Salt: make([]byte, 32), SubmittedAt: s.clock.Now()}
	if _, err := io.ReadFull(s.rand, sub.Salt); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	sub.Commitment = sub.commit()
	if sub.SubmittedIndex, err = s.publish(ctx, op, EntrySubmitted, sub.SubmittedAt, map[string]any{
		"request": string(r.ID), "agency": string(r.Agency), "submission": string(sub.ID),
		"commitment": sub.Commitment, "clips": len(sub.Clips),
	}); err != nil {
		return nil, err
	}
	if err := s.store.CreateSubmission(ctx, sub); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return sub, nil
}

// requestFor returns the request if user is a member of hh and the request
// reached hh; NotFound otherwise.
func (s *Service) requestFor(ctx context.Context, op string, user identity.UserID, id RequestID, hh household.ID) (*Request, error) {
	notFound := apperr.E(op, apperr.NotFound, "This request did not reach that household.")
	if _, err := s.households.MemberRole(ctx, hh, user); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return nil, notFound
		}
		return nil, apperr.Wrap(op, err)
	}
	ok, err := s.reachedHousehold(ctx, id, hh)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if !ok {
		return nil, notFound
	}
	r, err := s.store.FindRequest(ctx, id)
	return r, apperr.Wrap(op, err)
}

func (s *Service) checkClip(ctx context.Context, op string, user identity.UserID, r *Request, recipient string, hh household.ID, id vault.ClipID) error {
	c, err := s.clips.Clip(ctx, user, id)
	if apperr.Is(err, apperr.NotFound) || err == nil && c.Household != hh {
		return apperr.E(op, apperr.Invalid, "Share only clips of this household's own.")
	}
	if err != nil {
		return apperr.Wrap(op, err)
	}
	if c.End.Before(r.WindowStart) || c.Start.After(r.WindowEnd) {
		return apperr.E(op, apperr.Invalid, "Share only clips recorded during the request's time window.")
	}
	wraps, err := s.clips.ListWraps(ctx, user, id)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	for _, w := range wraps {
		if w.Recipient == recipient {
			return nil
		}
	}
	return apperr.E(op, apperr.Invalid, "A clip is not wrapped for the agency's key yet: unlock your key and share it from the request's page.")
}

// Withdraw takes a submission back, if the agency has not opened it: the
// withdrawal goes into the log, and the agency's wraps are deleted so the
// server can no longer hand it the clips. NotFound unless user is a member
// of the household that submitted it; Conflict once opened or withdrawn.
func (s *Service) Withdraw(ctx context.Context, user identity.UserID, id SubmissionID) (*Submission, error) {
	const op = "neighbors.Withdraw"
	sub, err := s.ownSubmission(ctx, op, user, id)
	if err != nil {
		return nil, err
	}
	switch {
	case sub.Withdrawn():
		return nil, apperr.E(op, apperr.Conflict, "This submission is withdrawn already.")
	case sub.Opened():
		return nil, apperr.E(op, apperr.Conflict, "The agency has opened this submission, so it can no longer be withdrawn.")
	}
	now := s.clock.Now()
	idx, err := s.publish(ctx, op, EntryWithdrawn, now, map[string]any{
		"request": string(sub.Request), "submission": string(sub.ID), "clips": len(sub.Clips)})
	if err != nil {
		return nil, err
	}
	sub.WithdrawnAt, sub.WithdrawnIndex = now, idx
	if err := s.store.WithdrawSubmission(ctx, sub); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	for _, c := range sub.Clips {
		if err := s.clips.RemoveWrap(ctx, user, c, sub.Recipient); err != nil && !apperr.Is(err, apperr.NotFound) {
			return nil, apperr.Wrap(op, err)
		}
	}
	return sub, nil
}

func (s *Service) ownSubmission(ctx context.Context, op string, user identity.UserID, id SubmissionID) (*Submission, error) {
	notFound := apperr.E(op, apperr.NotFound, "No such submission.")
	sub, err := s.store.FindSubmission(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if _, err := s.households.MemberRole(ctx, sub.Household, user); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return nil, notFound
		}
		return nil, apperr.Wrap(op, err)
	}
	return sub, nil
}

// HouseholdSubmissions lists what the household shared (withdrawn too),
// newest first. NotFound unless user is a member.
func (s *Service) HouseholdSubmissions(ctx context.Context, user identity.UserID, hh household.ID) ([]*Submission, error) {
	const op = "neighbors.HouseholdSubmissions"
	if _, err := s.households.MemberRole(ctx, hh, user); err != nil {
		return nil, err
	}
	list, err := s.store.ListHouseholdSubmissions(ctx, hh)
	return list, apperr.Wrap(op, err)
}

// RequestAnswers lists what the household submitted to one request
// (withdrawn ones too), oldest first. NotFound unless user is a member.
func (s *Service) RequestAnswers(ctx context.Context, user identity.UserID, id RequestID, hh household.ID) ([]*Submission, error) {
	const op = "neighbors.RequestAnswers"
	if _, err := s.households.MemberRole(ctx, hh, user); err != nil {
		return nil, err
	}
	list, err := s.store.ListSubmissions(ctx, id, hh, true)
	return list, apperr.Wrap(op, err)
}

// Reached reports whether the request reached the household; false for a
// non-member.
func (s *Service) Reached(ctx context.Context, user identity.UserID, id RequestID, hh household.ID) (bool, error) {
	if _, err := s.households.MemberRole(ctx, hh, user); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return false, nil
		}
		return false, err
	}
	ok, err := s.reachedHousehold(ctx, id, hh)
	return ok, apperr.Wrap("neighbors.Reached", err)
}

// ReceivedClip is a submitted clip as the agency sees it: no household,
// no device.
type ReceivedClip struct {
	ID         vault.ClipID
	Kind       vault.Kind
	Start, End time.Time
	Size       int64
	Gone       bool // deleted since (the household's retention ran out)
}

// Received is a submission as the agency sees it.
type Received struct {
	ID          SubmissionID
	Request     RequestID
	Note        string
	Clips       []ReceivedClip
	SubmittedAt time.Time
	OpenedAt    time.Time
}

// Received lists the submissions to a request that are not withdrawn,
// oldest first, as the agency may see them. Forbidden unless officer
// serves the request's agency.
func (s *Service) Received(ctx context.Context, officer Actor, id RequestID) ([]*Received, error) {
	const op = "neighbors.Received"
	r, err := s.store.FindRequest(ctx, id)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if err := s.checkOfficer(ctx, op, officer, r.Agency); err != nil {
		return nil, err
	}
	subs, err := s.store.ListSubmissions(ctx, id, "", false)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	out := make([]*Received, 0, len(subs))
	for _, sub := range subs {
		rec := &Received{ID: sub.ID, Request: sub.Request, Note: sub.Note, SubmittedAt: sub.SubmittedAt, OpenedAt: sub.OpenedAt}
		for _, cid := range sub.Clips {
			rc := ReceivedClip{ID: cid}
			c, err := s.clips.Describe(ctx, cid)
			switch {
			case apperr.Is(err, apperr.NotFound):
				rc.Gone = true
			case err != nil:
				return nil, apperr.Wrap(op, err)
			default:
				rc.Kind, rc.Start, rc.End, rc.Size = c.Kind, c.Start, c.End, c.Size
			}
			rec.Clips = append(rec.Clips, rc)
		}
		out = append(out, rec)
	}
	return out, nil
}

// OpenReceived hands an officer of the request's agency one clip of a
// submission, as an age file for the agency's key. The read is logged
// (and shown in the submitter's access history) before it happens, and
// from then on the household can no longer withdraw the submission.
// Forbidden unless officer serves the agency; NotFound for a withdrawn
// submission or a clip not in it.
func (s *Service) OpenReceived(ctx context.Context, officer Actor, id SubmissionID, clip vault.ClipID) (io.ReadCloser, error) {
	const op = "neighbors.OpenReceived"
	notFound := apperr.E(op, apperr.NotFound, "No such clip in this submission.")
	sub, err := s.store.FindSubmission(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	r, err := s.store.FindRequest(ctx, sub.Request)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if err := s.checkOfficer(ctx, op, officer, r.Agency); err != nil {
		return nil, err
	}
	if sub.Withdrawn() || !containsClip(sub.Clips, clip) {
		return nil, notFound
	}
	// Logged first: a read the log does not hold never happens. Should the
	// household withdraw in between, the log holds a read that did not.
	if _, err := s.gate.Record(ctx, access.Request{
		Actor: access.Actor{ID: officer.ID, Role: officer.Role}, Subject: access.UserSubject(sub.SubmittedBy),
		Object: access.ObjectClip, Purpose: access.PurposeRequestForAssistance, LegalBasis: access.BasisConsent,
	}); err != nil {
		return nil, err
	}
	if err := s.store.MarkSubmissionOpened(ctx, sub.ID, s.clock.Now()); err != nil {
		if apperr.Is(err, apperr.Conflict) { // withdrawn meanwhile
			return nil, notFound
		}
		return nil, apperr.Wrap(op, err)
	}
	rc, err := s.clips.OpenFor(ctx, clip, sub.Recipient)
	if apperr.Is(err, apperr.NotFound) {
		return nil, notFound
	}
	return rc, apperr.Wrap(op, err)
}

func containsClip(list []vault.ClipID, c vault.ClipID) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// PublicResponses returns how many households answered the request, and
// whether that number may be shown: only from PublicResponseThreshold on.
// Below it the count is withheld from everyone, the agency included.
func (s *Service) PublicResponses(ctx context.Context, id RequestID) (int, bool, error) {
	n, err := s.store.CountResponders(ctx, id)
	if err != nil {
		return 0, false, apperr.Wrap("neighbors.PublicResponses", err)
	}
	if n < PublicResponseThreshold {
		return 0, false, nil
	}
	return n, true, nil
}
