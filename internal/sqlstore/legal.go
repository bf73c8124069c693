package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"hearth/internal/identity"
	"hearth/internal/legal"
)

// LegalStore implements legal.Store.
type LegalStore struct{ db *DB }

// NewLegalStore returns a LegalStore over db.
func NewLegalStore(db *DB) *LegalStore { return &LegalStore{db: db} }

var _ legal.Store = (*LegalStore)(nil)

const (
	msgNoDemand       = "No such legal demand."
	msgDemandDecided  = "This demand is decided already."
	msgDemandNotified = "The person concerned has been told already."
)

const demandColumns = `id, type, agency, jurisdiction, scope, received_at, account_id, owner_consent, delay_order,
	delay_until, recorded_by, recorded_at, recorded_index, outcome, produced, note, decided_by, decided_at,
	decided_index, notified_at, notified_index`

func scanDemands(rows *sql.Rows) ([]*legal.Demand, error) {
	defer rows.Close()
	var out []*legal.Demand
	for rows.Next() {
		var d legal.Demand
		var account sql.NullString
		var produced string
		var received, delay, recorded, decided, notified, recordedIdx, decidedIdx, notifiedIdx int64
		if err := rows.Scan(&d.ID, &d.Type, &d.Agency, &d.Jurisdiction, &d.Scope, &received, &account, &d.OwnerConsent,
			&d.DelayOrder, &delay, &d.RecordedBy, &recorded, &recordedIdx, &d.Outcome, &produced, &d.Note, &d.DecidedBy,
			&decided, &decidedIdx, &notified, &notifiedIdx); err != nil {
			return nil, err
		}
		d.Account = identity.UserID(account.String)
		for _, c := range strings.Fields(produced) {
			d.Produced = append(d.Produced, legal.Category(c))
		}
		d.ReceivedAt, d.DelayUntil, d.RecordedAt = fromMicros(received), fromMicros(delay), fromMicros(recorded)
		d.DecidedAt, d.NotifiedAt = fromMicros(decided), fromMicros(notified)
		d.RecordedIndex, d.DecidedIndex, d.NotifiedIndex = uint64(recordedIdx), uint64(decidedIdx), uint64(notifiedIdx)
		out = append(out, &d)
	}
	return out, rows.Err()
}

func producedList(cs []legal.Category) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, " ")
}

// CreateDemand inserts the demand. NotFound if its account does not exist.
func (s *LegalStore) CreateDemand(ctx context.Context, d *legal.Demand) error {
	const op = "sqlstore.CreateDemand"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO legal_demands (`+demandColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(d.ID), string(d.Type), d.Agency, d.Jurisdiction, d.Scope, micros(d.ReceivedAt), string(d.Account),
			d.OwnerConsent, d.DelayOrder, micros(d.DelayUntil), string(d.RecordedBy), micros(d.RecordedAt),
			int64(d.RecordedIndex), string(d.Outcome), producedList(d.Produced), d.Note, string(d.DecidedBy),
			micros(d.DecidedAt), int64(d.DecidedIndex), micros(d.NotifiedAt), int64(d.NotifiedIndex))
		return classify(op, tx.db.d, err, "A legal demand with this identifier already exists.")
	})
}

// FindDemand returns the demand. NotFound if none.
func (s *LegalStore) FindDemand(ctx context.Context, id legal.DemandID) (*legal.Demand, error) {
	return findOne(ctx, s.db, "sqlstore.FindDemand", msgNoDemand, scanDemands,
		`SELECT `+demandColumns+` FROM legal_demands WHERE id = ?`, string(id))
}

// listDemands runs a query of whole demands.
func (s *LegalStore) listDemands(ctx context.Context, op, query string, args ...any) ([]*legal.Demand, error) {
	var out []*legal.Demand
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, query, args...)
		if err != nil {
			return err
		}
		out, err = scanDemands(rows)
		return err
	})
	return out, err
}

// ListDemands returns demands, most recently recorded first, at most limit.
func (s *LegalStore) ListDemands(ctx context.Context, limit int) ([]*legal.Demand, error) {
	return s.listDemands(ctx, "sqlstore.ListDemands",
		`SELECT `+demandColumns+` FROM legal_demands ORDER BY recorded_at DESC, id LIMIT ?`, limit)
}

// DecideDemand records the decision of a pending demand.
func (s *LegalStore) DecideDemand(ctx context.Context, d *legal.Demand) error {
	const op = "sqlstore.DecideDemand"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE legal_demands SET outcome = ?, produced = ?, note = ?, decided_by = ?,
			decided_at = ?, decided_index = ?, owner_consent = ?, delay_order = ?, delay_until = ?
			WHERE id = ? AND outcome = ?`,
			string(d.Outcome), producedList(d.Produced), d.Note, string(d.DecidedBy), micros(d.DecidedAt),
			int64(d.DecidedIndex), d.OwnerConsent, d.DelayOrder, micros(d.DelayUntil), string(d.ID), string(legal.Pending))
		if err != nil || n == 1 {
			return err
		}
		return existsOr(ctx, tx, op, `SELECT 1 FROM legal_demands WHERE id = ?`, string(d.ID), msgNoDemand, msgDemandDecided)
	})
}

// ListDemandsReceived returns the demands received in [from, to), oldest first.
func (s *LegalStore) ListDemandsReceived(ctx context.Context, from, to time.Time) ([]*legal.Demand, error) {
	return s.listDemands(ctx, "sqlstore.ListDemandsReceived",
		`SELECT `+demandColumns+` FROM legal_demands WHERE received_at >= ? AND received_at < ? ORDER BY received_at, id`,
		from.UnixMicro(), to.UnixMicro())
}

// FirstReceived returns the earliest day a demand was received, or zero.
func (s *LegalStore) FirstReceived(ctx context.Context) (time.Time, error) {
	const op = "sqlstore.FirstReceived"
	var first sql.NullInt64
	err := s.db.read(ctx, op, func(tx *tx) error {
		return tx.queryRow(ctx, `SELECT MIN(received_at) FROM legal_demands`).Scan(&first)
	})
	return fromMicros(first.Int64), err
}

// ListDueNotices returns the decided, unnotified demands whose delay has
// lapsed at now, oldest decision first. 'pending' is spelled out (it is
// legal.Pending) so that the partial index legal_demands_unnotified serves
// the query: a bound parameter would not prove the index's condition.
func (s *LegalStore) ListDueNotices(ctx context.Context, now time.Time) ([]*legal.Demand, error) {
	return s.listDemands(ctx, "sqlstore.ListDueNotices",
		`SELECT `+demandColumns+` FROM legal_demands
		WHERE notified_at = 0 AND outcome <> 'pending' AND delay_until <= ? AND account_id IS NOT NULL
		ORDER BY decided_at, id`, now.UnixMicro())
}

// ClaimNotice takes on telling the person, unless someone else has.
func (s *LegalStore) ClaimNotice(ctx context.Context, id legal.DemandID, now, staleBefore time.Time) (bool, error) {
	const op = "sqlstore.ClaimNotice"
	var claimed bool
	err := s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE legal_demands SET notice_claimed_at = ?
			WHERE id = ? AND notified_at = 0 AND outcome <> ? AND notice_claimed_at <= ?`,
			now.UnixMicro(), string(id), string(legal.Pending), staleBefore.UnixMicro())
		claimed = n == 1
		return err
	})
	return claimed, err
}

// MarkNotified records that the person was told.
func (s *LegalStore) MarkNotified(ctx context.Context, d *legal.Demand) error {
	const op = "sqlstore.MarkNotified"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE legal_demands SET notified_at = ?, notified_index = ? WHERE id = ? AND notified_at = 0`,
			micros(d.NotifiedAt), int64(d.NotifiedIndex), string(d.ID))
		if err != nil || n == 1 {
			return err
		}
		return existsOr(ctx, tx, op, `SELECT 1 FROM legal_demands WHERE id = ?`, string(d.ID), msgNoDemand, msgDemandNotified)
	})
}
