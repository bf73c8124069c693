package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/vault"
)

const (
	msgNoSubmission        = "No such submission."
	msgSubmissionWithdrawn = "This submission is withdrawn."
	msgSubmissionClosed    = "This submission is opened or withdrawn already."
)

// ListOptedOut returns every household that opted out.
func (s *NeighborsStore) ListOptedOut(ctx context.Context) ([]household.ID, error) {
	const op = "sqlstore.ListOptedOut"
	out := []household.ID{}
	err := s.db.read(ctx, op, func(tx *tx) error {
		var err error
		out, err = queryIDs[household.ID](ctx, tx, `SELECT household_id FROM household_rfa_opt_outs WHERE opted_out ORDER BY household_id`)
		return err
	})
	return out, err
}

// AddDelivery records that the request reached the household.
func (s *NeighborsStore) AddDelivery(ctx context.Context, id neighbors.RequestID, hh household.ID, at time.Time) (bool, error) {
	const op = "sqlstore.AddDelivery"
	var added bool
	err := s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `INSERT INTO rfa_deliveries (request_id, household_id, delivered_at) VALUES (?, ?, ?)
			ON CONFLICT (request_id, household_id) DO NOTHING`, string(id), string(hh), micros(at))
		added = n == 1
		return classifyRef(op, tx.db.d, err, "", "No such household or request.")
	})
	return added, err
}

// MarkDelivered records that the request's delivery finished.
func (s *NeighborsStore) MarkDelivered(ctx context.Context, id neighbors.RequestID, at time.Time) error {
	const op = "sqlstore.MarkDelivered"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE rfa_requests SET delivered_at = ? WHERE id = ?`, micros(at), string(id))
		if err == nil && n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoRequest)
		}
		return err
	})
}

// ListUndelivered returns the requests whose delivery has not finished, oldest first.
func (s *NeighborsStore) ListUndelivered(ctx context.Context) ([]*neighbors.Request, error) {
	return s.listRequests(ctx, "sqlstore.ListUndelivered",
		`SELECT `+requestColumns+` FROM rfa_requests WHERE delivered_at = 0 ORDER BY posted_at, id`)
}

// Delivered reports whether the request reached the household.
func (s *NeighborsStore) Delivered(ctx context.Context, id neighbors.RequestID, hh household.ID) (bool, error) {
	const op = "sqlstore.Delivered"
	var found bool
	err := s.db.read(ctx, op, func(tx *tx) error {
		var one int
		err := tx.queryRow(ctx, `SELECT 1 FROM rfa_deliveries WHERE request_id = ? AND household_id = ?`, string(id), string(hh)).Scan(&one)
		if err == sql.ErrNoRows {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}

// ListDelivered returns the requests that reached the household, newest first.
func (s *NeighborsStore) ListDelivered(ctx context.Context, hh household.ID) ([]*neighbors.Request, error) {
	return s.listRequests(ctx, "sqlstore.ListDelivered", `SELECT `+prefixed("r.", requestColumns)+`
		FROM rfa_requests r JOIN rfa_deliveries d ON d.request_id = r.id
		WHERE d.household_id = ? ORDER BY r.posted_at DESC, r.id`, string(hh))
}

func (s *NeighborsStore) listRequests(ctx context.Context, op, query string, args ...any) ([]*neighbors.Request, error) {
	out := []*neighbors.Request{}
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, query, args...)
		if err != nil {
			return err
		}
		list, err := scanRequests(rows)
		if list != nil {
			out = list
		}
		return err
	})
	return out, err
}

const submissionColumns = `id, request_id, household_id, submitted_by, recipient, note, salt, commitment, clip_count,
	submitted_at, submitted_index, opened_at, withdrawn_at, withdrawn_index`

// CreateSubmission inserts the submission with its clips.
func (s *NeighborsStore) CreateSubmission(ctx context.Context, sub *neighbors.Submission) error {
	const op = "sqlstore.CreateSubmission"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO rfa_submissions (`+submissionColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(sub.ID), string(sub.Request), string(sub.Household), string(sub.SubmittedBy), sub.Recipient, sub.Note,
			sub.Salt, sub.Commitment, len(sub.Clips), micros(sub.SubmittedAt), int64(sub.SubmittedIndex),
			micros(sub.OpenedAt), micros(sub.WithdrawnAt), int64(sub.WithdrawnIndex))
		if err := classifyRef(op, tx.db.d, err, "A submission with this identifier already exists.", msgNoRequest); err != nil {
			return err
		}
		for i, c := range sub.Clips {
			if _, err := tx.exec(ctx, `INSERT INTO rfa_submission_clips (submission_id, position, clip_id) VALUES (?, ?, ?)`,
				string(sub.ID), i, string(c)); err != nil {
				return err
			}
		}
		return nil
	})
}

// FindSubmission returns the submission. NotFound if none.
func (s *NeighborsStore) FindSubmission(ctx context.Context, id neighbors.SubmissionID) (*neighbors.Submission, error) {
	list, err := s.listSubmissions(ctx, "sqlstore.FindSubmission", `SELECT `+submissionColumns+` FROM rfa_submissions WHERE id = ?`, string(id))
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, apperr.E("sqlstore.FindSubmission", apperr.NotFound, msgNoSubmission)
	}
	return list[0], nil
}

// ListSubmissions returns the request's submissions, oldest first.
func (s *NeighborsStore) ListSubmissions(ctx context.Context, id neighbors.RequestID, hh household.ID, withdrawn bool) ([]*neighbors.Submission, error) {
	q, args := `SELECT `+submissionColumns+` FROM rfa_submissions WHERE request_id = ?`, []any{string(id)}
	if hh != "" {
		q, args = q+` AND household_id = ?`, append(args, string(hh))
	}
	if !withdrawn {
		q += ` AND withdrawn_at = 0`
	}
	return s.listSubmissions(ctx, "sqlstore.ListSubmissions", q+` ORDER BY submitted_at, id`, args...)
}

// ListHouseholdSubmissions returns the household's submissions, newest first.
func (s *NeighborsStore) ListHouseholdSubmissions(ctx context.Context, hh household.ID) ([]*neighbors.Submission, error) {
	return s.listSubmissions(ctx, "sqlstore.ListHouseholdSubmissions",
		`SELECT `+submissionColumns+` FROM rfa_submissions WHERE household_id = ? ORDER BY submitted_at DESC, id`, string(hh))
}

// listSubmissions runs query and reads each submission's clips, in one transaction.
func (s *NeighborsStore) listSubmissions(ctx context.Context, op, query string, args ...any) ([]*neighbors.Submission, error) {
	out := []*neighbors.Submission{}
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				sub                                      neighbors.Submission
				id, req, hh, by                          string
				clips                                    int
				submitted, opened, withdrawn, sIdx, wIdx int64
			)
			if err := rows.Scan(&id, &req, &hh, &by, &sub.Recipient, &sub.Note, &sub.Salt, &sub.Commitment, &clips,
				&submitted, &sIdx, &opened, &withdrawn, &wIdx); err != nil {
				return err
			}
			sub.ID, sub.Request, sub.Household, sub.SubmittedBy = neighbors.SubmissionID(id), neighbors.RequestID(req), household.ID(hh), identity.UserID(by)
			sub.SubmittedAt, sub.OpenedAt, sub.WithdrawnAt = fromMicros(submitted), fromMicros(opened), fromMicros(withdrawn)
			sub.SubmittedIndex, sub.WithdrawnIndex = uint64(sIdx), uint64(wIdx)
			sub.Clips = make([]vault.ClipID, 0, clips)
			out = append(out, &sub)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for _, sub := range out {
			crows, err := tx.query(ctx, `SELECT clip_id FROM rfa_submission_clips WHERE submission_id = ? ORDER BY position`, string(sub.ID))
			if err != nil {
				return err
			}
			for crows.Next() {
				var c string
				if err := crows.Scan(&c); err != nil {
					crows.Close()
					return err
				}
				sub.Clips = append(sub.Clips, vault.ClipID(c))
			}
			crows.Close()
			if err := crows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// MarkSubmissionOpened records the agency's first opening.
func (s *NeighborsStore) MarkSubmissionOpened(ctx context.Context, id neighbors.SubmissionID, at time.Time) error {
	const op = "sqlstore.MarkSubmissionOpened"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE rfa_submissions SET opened_at = CASE WHEN opened_at = 0 THEN ? ELSE opened_at END
			WHERE id = ? AND withdrawn_at = 0`, micros(at), string(id))
		if err != nil || n == 1 {
			return err
		}
		return existsOr(ctx, tx, op, `SELECT 1 FROM rfa_submissions WHERE id = ?`, string(id), msgNoSubmission, msgSubmissionWithdrawn)
	})
}

// WithdrawSubmission records a withdrawal of a submission neither opened nor withdrawn.
func (s *NeighborsStore) WithdrawSubmission(ctx context.Context, sub *neighbors.Submission) error {
	const op = "sqlstore.WithdrawSubmission"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE rfa_submissions SET withdrawn_at = ?, withdrawn_index = ?
			WHERE id = ? AND opened_at = 0 AND withdrawn_at = 0`, micros(sub.WithdrawnAt), int64(sub.WithdrawnIndex), string(sub.ID))
		if err != nil || n == 1 {
			return err
		}
		return existsOr(ctx, tx, op, `SELECT 1 FROM rfa_submissions WHERE id = ?`, string(sub.ID), msgNoSubmission, msgSubmissionClosed)
	})
}

// CountResponders counts households with a submission not withdrawn.
func (s *NeighborsStore) CountResponders(ctx context.Context, id neighbors.RequestID) (int, error) {
	return s.count(ctx, "sqlstore.CountResponders",
		`SELECT COUNT(DISTINCT household_id) FROM rfa_submissions WHERE request_id = ? AND withdrawn_at = 0`, string(id))
}

// CountClipsShared counts clips in submissions made in [from, to) and not withdrawn.
func (s *NeighborsStore) CountClipsShared(ctx context.Context, from, to time.Time) (int, error) {
	return s.count(ctx, "sqlstore.CountClipsShared",
		`SELECT COALESCE(SUM(clip_count), 0) FROM rfa_submissions WHERE submitted_at >= ? AND submitted_at < ? AND withdrawn_at = 0`,
		micros(from), micros(to))
}

func (s *NeighborsStore) count(ctx context.Context, op, query string, args ...any) (int, error) {
	var n int64
	err := s.db.read(ctx, op, func(tx *tx) error { return tx.queryRow(ctx, query, args...).Scan(&n) })
	return int(n), err
}

// prefixed qualifies each of a comma-separated column list with p.
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
