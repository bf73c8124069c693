package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"hearth/internal/access"
	"hearth/internal/identity"
	"hearth/internal/notice"
)

// AccessStore implements access.Store.
type AccessStore struct{ db *DB }

// NewAccessStore returns an AccessStore over db.
func NewAccessStore(db *DB) *AccessStore { return &AccessStore{db: db} }

var _ access.Store = (*AccessStore)(nil)

const grantColumns = `id, staff_id, subject_id, object, reason, duration_seconds, status,
	requested_at, decided_by, decided_at, expires_at`

// CreateGrant inserts g. NotFound if the staff member or subject does not exist.
func (s *AccessStore) CreateGrant(ctx context.Context, g *access.Grant) error {
	const op = "sqlstore.CreateGrant"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO access_grants (`+grantColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(g.ID), string(g.Staff), string(g.Subject), string(g.Object), g.Reason,
			int64(g.Duration/time.Second), string(g.Status), micros(g.RequestedAt),
			string(g.DecidedBy), micros(g.DecidedAt), micros(g.ExpiresAt))
		return classify(op, tx.db.d, err, "")
	})
}

// FindGrant returns the grant. NotFound if none.
func (s *AccessStore) FindGrant(ctx context.Context, id access.GrantID) (*access.Grant, error) {
	const op = "sqlstore.FindGrant"
	return findOne(ctx, s.db, op, "No such access grant.", scanGrants, `SELECT `+grantColumns+` FROM access_grants WHERE id = ?`, string(id))
}

// ListGrants returns the grants requested by staff (all when staff is ""),
// pending first, then newest first.
func (s *AccessStore) ListGrants(ctx context.Context, staff string, limit int) ([]*access.Grant, error) {
	const op = "sqlstore.ListGrants"
	var out []*access.Grant
	err := s.db.read(ctx, op, func(tx *tx) error {
		const order = ` ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, requested_at DESC, id DESC LIMIT ?`
		var rows *sql.Rows
		var err error
		if staff == "" {
			rows, err = tx.query(ctx, `SELECT `+grantColumns+` FROM access_grants`+order, limit)
		} else {
			rows, err = tx.query(ctx, `SELECT `+grantColumns+` FROM access_grants WHERE staff_id = ?`+order, staff, limit)
		}
		if err != nil {
			return err
		}
		out, err = scanGrants(rows)
		return err
	})
	return out, err
}

// DecideGrant records a decision on a still-pending grant. Conflict if it is
// no longer pending, NotFound if there is no such grant.
func (s *AccessStore) DecideGrant(ctx context.Context, g *access.Grant) error {
	const op = "sqlstore.DecideGrant"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE access_grants SET status = ?, decided_by = ?, decided_at = ?, expires_at = ?
			WHERE id = ? AND status = 'pending'`,
			string(g.Status), string(g.DecidedBy), micros(g.DecidedAt), micros(g.ExpiresAt), string(g.ID))
		if err != nil || n == 1 {
			return err
		}
		return existsOr(ctx, tx, op, `SELECT 1 FROM access_grants WHERE id = ?`, string(g.ID),
			"No such access grant.", "This request was already decided.")
	})
}

func scanGrants(rows *sql.Rows) ([]*access.Grant, error) {
	defer rows.Close()
	out := []*access.Grant{}
	for rows.Next() {
		var (
			g                                      access.Grant
			id, staff, subject, object, status, by string
			duration, requested, decided, expires  int64
		)
		if err := rows.Scan(&id, &staff, &subject, &object, &g.Reason, &duration, &status,
			&requested, &by, &decided, &expires); err != nil {
			return nil, err
		}
		g.ID, g.Staff, g.Subject = access.GrantID(id), identity.UserID(staff), identity.UserID(subject)
		g.Object, g.Status, g.DecidedBy = access.ObjectKind(object), access.GrantStatus(status), identity.UserID(by)
		g.Duration = time.Duration(duration) * time.Second
		g.RequestedAt, g.DecidedAt, g.ExpiresAt = fromMicros(requested), fromMicros(decided), fromMicros(expires)
		out = append(out, &g)
	}
	return out, rows.Err()
}

const eventColumns = `id, subject, log_index, actor, actor_role, object, purpose, legal_basis, grant_id, at`

// CreateEvent inserts a gated-read event.
func (s *AccessStore) CreateEvent(ctx context.Context, e *access.Event) error {
	const op = "sqlstore.CreateEvent"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO access_events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, string(e.Subject), int64(e.LogIndex), e.Actor, string(e.ActorRole), string(e.Object),
			string(e.Purpose), string(e.LegalBasis), string(e.Grant), micros(e.Time))
		return err
	})
}

// ListEvents returns the subject's events, newest first.
func (s *AccessStore) ListEvents(ctx context.Context, subject access.Subject, limit int) ([]*access.Event, error) {
	const op = "sqlstore.ListEvents"
	out := []*access.Event{}
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT `+eventColumns+` FROM access_events WHERE subject = ?
			ORDER BY at DESC, log_index DESC LIMIT ?`, string(subject), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e                                         access.Event
				subj, role, object, purpose, basis, grant string
				index, at                                 int64
			)
			if err := rows.Scan(&e.ID, &subj, &index, &e.Actor, &role, &object, &purpose, &basis, &grant, &at); err != nil {
				return err
			}
			e.Subject, e.LogIndex, e.ActorRole = access.Subject(subj), uint64(index), identity.Role(role)
			e.Object, e.Purpose, e.LegalBasis = access.ObjectKind(object), access.Purpose(purpose), access.LegalBasis(basis)
			e.Grant, e.Time = access.GrantID(grant), fromMicros(at)
			out = append(out, &e)
		}
		return rows.Err()
	})
	return out, err
}

// NoticeStore implements notice.Store.
type NoticeStore struct{ db *DB }

// NewNoticeStore returns a NoticeStore over db.
func NewNoticeStore(db *DB) *NoticeStore { return &NoticeStore{db: db} }

var _ notice.Store = (*NoticeStore)(nil)

// CreateNotice inserts n. NotFound if the user does not exist.
func (s *NoticeStore) CreateNotice(ctx context.Context, n *notice.Notice) error {
	const op = "sqlstore.CreateNotice"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO notices (id, user_id, kind, text, created_at, read_at) VALUES (?, ?, ?, ?, ?, ?)`,
			string(n.ID), string(n.UserID), string(n.Kind), n.Text, micros(n.CreatedAt), micros(n.ReadAt))
		return classify(op, tx.db.d, err, "")
	})
}

// ListNotices returns the user's notices, newest first.
func (s *NoticeStore) ListNotices(ctx context.Context, user identity.UserID, limit int) ([]*notice.Notice, error) {
	const op = "sqlstore.ListNotices"
	out := []*notice.Notice{}
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT id, user_id, kind, text, created_at, read_at FROM notices
			WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, string(user), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				n             notice.Notice
				id, uid, kind string
				created, read int64
			)
			if err := rows.Scan(&id, &uid, &kind, &n.Text, &created, &read); err != nil {
				return err
			}
			n.ID, n.UserID, n.Kind = notice.ID(id), identity.UserID(uid), notice.Kind(kind)
			n.CreatedAt, n.ReadAt = fromMicros(created), fromMicros(read)
			out = append(out, &n)
		}
		return rows.Err()
	})
	return out, err
}

// MarkNoticesRead marks the user's unread notices read at t.
func (s *NoticeStore) MarkNoticesRead(ctx context.Context, user identity.UserID, t time.Time) error {
	const op = "sqlstore.MarkNoticesRead"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `UPDATE notices SET read_at = ? WHERE user_id = ? AND read_at = 0`, micros(t), string(user))
		return err
	})
}
