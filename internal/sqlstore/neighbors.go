package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
)

// NeighborsStore implements neighbors.Store.
type NeighborsStore struct{ db *DB }

// NewNeighborsStore returns a NeighborsStore over db.
func NewNeighborsStore(db *DB) *NeighborsStore { return &NeighborsStore{db: db} }

var _ neighbors.Store = (*NeighborsStore)(nil)

const (
	msgNoAgency        = "No such agency."
	msgNoRequest       = "No such request."
	msgAgencyVerified  = "This agency is verified already."
	msgRequestResolved = "This request is resolved already."
)

const agencyColumns = `id, name, jurisdiction, kind, recipient, registered_by, registered_at, verified_by, verified_at`

func scanAgencies(rows *sql.Rows) ([]*neighbors.Agency, error) {
	defer rows.Close()
	var out []*neighbors.Agency
	for rows.Next() {
		var a neighbors.Agency
		var registered, verified int64
		if err := rows.Scan(&a.ID, &a.Name, &a.Jurisdiction, &a.Kind, &a.Recipient, &a.RegisteredBy, &registered,
			&a.VerifiedBy, &verified); err != nil {
			return nil, err
		}
		a.RegisteredAt, a.VerifiedAt = fromMicros(registered), fromMicros(verified)
		out = append(out, &a)
	}
	return out, rows.Err()
}

// CreateAgency inserts the agency and its first officer.
func (s *NeighborsStore) CreateAgency(ctx context.Context, a *neighbors.Agency, officer identity.UserID) error {
	const op = "sqlstore.CreateAgency"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO agencies (`+agencyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(a.ID), a.Name, a.Jurisdiction, string(a.Kind), a.Recipient, string(a.RegisteredBy), micros(a.RegisteredAt),
			string(a.VerifiedBy), micros(a.VerifiedAt))
		if err := classify(op, tx.db.d, err, "An agency with this identifier already exists."); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO agency_officers (agency_id, user_id) VALUES (?, ?)`, string(a.ID), string(officer))
		return classify(op, tx.db.d, err, "")
	})
}

// FindAgency returns the agency. NotFound if none.
func (s *NeighborsStore) FindAgency(ctx context.Context, id neighbors.AgencyID) (*neighbors.Agency, error) {
	return findOne(ctx, s.db, "sqlstore.FindAgency", msgNoAgency, scanAgencies,
		`SELECT `+agencyColumns+` FROM agencies WHERE id = ?`, string(id))
}

// ListAgencies returns every agency, verified first, then by name.
func (s *NeighborsStore) ListAgencies(ctx context.Context) ([]*neighbors.Agency, error) {
	const op = "sqlstore.ListAgencies"
	var out []*neighbors.Agency
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT `+agencyColumns+` FROM agencies
			ORDER BY CASE WHEN verified_at > 0 THEN 0 ELSE 1 END, name, id`)
		if err != nil {
			return err
		}
		out, err = scanAgencies(rows)
		return err
	})
	return out, err
}

// ListOfficerAgencies returns the agencies user serves, by name.
func (s *NeighborsStore) ListOfficerAgencies(ctx context.Context, user identity.UserID) ([]*neighbors.Agency, error) {
	const op = "sqlstore.ListOfficerAgencies"
	var out []*neighbors.Agency
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT a.id, a.name, a.jurisdiction, a.kind, a.recipient, a.registered_by,
			a.registered_at, a.verified_by, a.verified_at
			FROM agencies a JOIN agency_officers o ON o.agency_id = a.id
			WHERE o.user_id = ? ORDER BY a.name, a.id`, string(user))
		if err != nil {
			return err
		}
		out, err = scanAgencies(rows)
		return err
	})
	return out, err
}

// VerifyAgency records the verification of an agency not yet verified.
func (s *NeighborsStore) VerifyAgency(ctx context.Context, a *neighbors.Agency) error {
	const op = "sqlstore.VerifyAgency"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE agencies SET verified_by = ?, verified_at = ? WHERE id = ? AND verified_at = 0`,
			string(a.VerifiedBy), micros(a.VerifiedAt), string(a.ID))
		if err != nil || n == 1 {
			return err
		}
		return existsOr(ctx, tx, op, `SELECT 1 FROM agencies WHERE id = ?`, string(a.ID), msgNoAgency, msgAgencyVerified)
	})
}

// SetAgencyRecipient saves the agency's age recipient.
func (s *NeighborsStore) SetAgencyRecipient(ctx context.Context, id neighbors.AgencyID, recipient string) error {
	const op = "sqlstore.SetAgencyRecipient"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE agencies SET recipient = ? WHERE id = ?`, recipient, string(id))
		if err == nil && n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoAgency)
		}
		return err
	})
}

// IsOfficer reports whether user serves the agency.
func (s *NeighborsStore) IsOfficer(ctx context.Context, id neighbors.AgencyID, user identity.UserID) (bool, error) {
	const op = "sqlstore.IsOfficer"
	var found bool
	err := s.db.read(ctx, op, func(tx *tx) error {
		var one int
		err := tx.queryRow(ctx, `SELECT 1 FROM agency_officers WHERE agency_id = ? AND user_id = ?`, string(id), string(user)).Scan(&one)
		if err == sql.ErrNoRows {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}

const requestColumns = `id, agency_id, posted_by, incident_type, title, description, case_number, contact,
	window_start, window_end, area, square_miles, posted_at, posted_index, resolved_at, resolved_index`

func scanRequests(rows *sql.Rows) ([]*neighbors.Request, error) {
	defer rows.Close()
	var out []*neighbors.Request
	for rows.Next() {
		var r neighbors.Request
		var start, end, posted, resolved, postedIdx, resolvedIdx int64
		var area string
		if err := rows.Scan(&r.ID, &r.Agency, &r.PostedBy, &r.IncidentType, &r.Title, &r.Description, &r.CaseNumber,
			&r.Contact, &start, &end, &area, &r.SquareMiles, &posted, &postedIdx, &resolved, &resolvedIdx); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(area), &r.Area); err != nil {
			return nil, err
		}
		r.WindowStart, r.WindowEnd, r.PostedAt, r.ResolvedAt = fromMicros(start), fromMicros(end), fromMicros(posted), fromMicros(resolved)
		r.PostedIndex, r.ResolvedIndex = uint64(postedIdx), uint64(resolvedIdx)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// CreateRequest inserts the request. NotFound if its agency does not exist.
func (s *NeighborsStore) CreateRequest(ctx context.Context, r *neighbors.Request) error {
	const op = "sqlstore.CreateRequest"
	area, err := json.Marshal(r.Area)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO rfa_requests (`+requestColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(r.ID), string(r.Agency), string(r.PostedBy), r.IncidentType, r.Title, r.Description, r.CaseNumber, r.Contact,
			micros(r.WindowStart), micros(r.WindowEnd), string(area), r.SquareMiles, micros(r.PostedAt), int64(r.PostedIndex),
			micros(r.ResolvedAt), int64(r.ResolvedIndex))
		return classifyRef(op, tx.db.d, err, "A request with this identifier already exists.", msgNoAgency)
	})
}

// FindRequest returns the request. NotFound if none.
func (s *NeighborsStore) FindRequest(ctx context.Context, id neighbors.RequestID) (*neighbors.Request, error) {
	return findOne(ctx, s.db, "sqlstore.FindRequest", msgNoRequest, scanRequests,
		`SELECT `+requestColumns+` FROM rfa_requests WHERE id = ?`, string(id))
}

// ListRequests returns the agency's requests (every agency's for ""), newest first.
func (s *NeighborsStore) ListRequests(ctx context.Context, agency neighbors.AgencyID) ([]*neighbors.Request, error) {
	const op = "sqlstore.ListRequests"
	var out []*neighbors.Request
	err := s.db.read(ctx, op, func(tx *tx) error {
		q, args := `SELECT `+requestColumns+` FROM rfa_requests ORDER BY posted_at DESC, id`, []any{}
		if agency != "" {
			q, args = `SELECT `+requestColumns+` FROM rfa_requests WHERE agency_id = ? ORDER BY posted_at DESC, id`, []any{string(agency)}
		}
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return err
		}
		out, err = scanRequests(rows)
		return err
	})
	return out, err
}

// ResolveRequest records the resolution of a request not yet resolved.
func (s *NeighborsStore) ResolveRequest(ctx context.Context, r *neighbors.Request) error {
	const op = "sqlstore.ResolveRequest"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE rfa_requests SET resolved_at = ?, resolved_index = ? WHERE id = ? AND resolved_at = 0`,
			micros(r.ResolvedAt), int64(r.ResolvedIndex), string(r.ID))
		if err != nil || n == 1 {
			return err
		}
		return existsOr(ctx, tx, op, `SELECT 1 FROM rfa_requests WHERE id = ?`, string(r.ID), msgNoRequest, msgRequestResolved)
	})
}

// SetOptOut records the household's choice.
func (s *NeighborsStore) SetOptOut(ctx context.Context, hh household.ID, optOut bool, at time.Time) error {
	const op = "sqlstore.SetOptOut"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO household_rfa_opt_outs (household_id, opted_out, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (household_id) DO UPDATE SET opted_out = excluded.opted_out, updated_at = excluded.updated_at`,
			string(hh), optOut, micros(at))
		return classifyRef(op, tx.db.d, err, "", "No such household.")
	})
}

// OptedOut reports the household's choice; false when never made.
func (s *NeighborsStore) OptedOut(ctx context.Context, hh household.ID) (bool, error) {
	const op = "sqlstore.OptedOut"
	var out bool
	err := s.db.read(ctx, op, func(tx *tx) error {
		err := tx.queryRow(ctx, `SELECT opted_out FROM household_rfa_opt_outs WHERE household_id = ?`, string(hh)).Scan(&out)
		if err == sql.ErrNoRows {
			return nil
		}
		return err
	})
	return out, err
}
