package access

import (
	"context"
	"encoding/json"

	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/translog"
)

// HistoryItem is one read of the owner's data, with its log entry and the
// proof that the entry is in the published tree.
type HistoryItem struct {
	Event
	Entry []byte // canonical bytes of the log entry
	// NamesYou is true when the entry's subject is the commitment recomputed
	// from the owner's own id: the entry is about them.
	NamesYou bool
	// InCheckpoint is false for an entry newer than the latest checkpoint;
	// it has no proof yet.
	InCheckpoint bool
	Proof        [][]byte
}

// History is everything the owner needs to check their access history
// against the public log.
type History struct {
	Commitment string
	Checkpoint translog.Checkpoint
	Items      []HistoryItem
}

// History returns the latest reads of the user's data by anyone else, each
// with its log entry and an inclusion proof against the latest checkpoint.
func (s *Service) History(ctx context.Context, user identity.UserID) (History, error) {
	const op = "access.History"
	subject := UserSubject(user)
	h := History{Commitment: s.names.Commitment(subject)}
	cp, err := s.log.Checkpoint(ctx)
	if err != nil {
		return History{}, apperr.Wrap(op, err)
	}
	h.Checkpoint = cp
	events, err := s.store.ListEvents(ctx, subject, 100)
	if err != nil {
		return History{}, apperr.Wrap(op, err)
	}
	var proved []int // positions in h.Items of entries the checkpoint covers
	var indices []uint64
	for _, ev := range events {
		item := HistoryItem{Event: *ev}
		if item.Entry, err = s.log.ReadEntry(ctx, ev.LogIndex); err != nil {
			return History{}, apperr.Wrap(op, err)
		}
		var e struct {
			Body struct {
				Subject string `json:"subject"`
			} `json:"body"`
		}
		if json.Unmarshal(item.Entry, &e) == nil {
			item.NamesYou = e.Body.Subject == h.Commitment
		}
		if ev.LogIndex < cp.Size {
			item.InCheckpoint = true
			proved = append(proved, len(h.Items))
			indices = append(indices, ev.LogIndex)
		}
		h.Items = append(h.Items, item)
	}
	if len(indices) > 0 {
		proofs, err := s.log.InclusionProofs(ctx, indices, cp.Size)
		if err != nil {
			return History{}, apperr.Wrap(op, err)
		}
		for i, at := range proved {
			h.Items[at].Proof = proofs[i]
		}
	}
	return h, nil
}
