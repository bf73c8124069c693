package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
)

// HouseholdStore implements household.Store.
type HouseholdStore struct{ db *DB }

// NewHouseholdStore returns a HouseholdStore over db.
func NewHouseholdStore(db *DB) *HouseholdStore { return &HouseholdStore{db: db} }

var _ household.Store = (*HouseholdStore)(nil)

// Messages safe to show; the household service replaces most of them with
// its own, so that outsiders learn nothing from them.
const (
	msgHouseholdNone            = "No such household."
	msgHouseholdExists          = "A household with this identifier already exists."
	msgHouseholdNoMember        = "This person is not a member of the household."
	msgHouseholdAlreadyMember   = "You are already a member of this household."
	msgHouseholdNoInvitation    = "This invitation link does not work."
	msgHouseholdInvitationTaken = "An invitation with this token already exists."
	msgHouseholdLastOwner       = "The household's only owner cannot leave while other members remain."
	msgHouseholdNeedOwner       = "A household needs an owner."
	msgHouseholdHasData         = "This household still holds data, such as recorded media, that must be deleted before the household can be."
)

const householdColumns = `id, name, address, home_lat, home_lng, time_zone, retention_days, created_at`

// CreateHousehold inserts h with owner as its first member. NotFound if the
// owner has no account; Conflict if the id is taken.
func (s *HouseholdStore) CreateHousehold(ctx context.Context, h *household.Household, owner identity.UserID) error {
	const op = "sqlstore.CreateHousehold"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO households (`+householdColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			string(h.ID), h.Name, h.Address, h.Home.Lat, h.Home.Lng, h.TimeZone, h.RetentionDays, micros(h.CreatedAt))
		if err := classify(op, tx.db.d, err, msgHouseholdExists); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO household_members (household_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)`,
			string(h.ID), string(owner), string(household.RoleOwner), micros(h.CreatedAt))
		return classify(op, tx.db.d, err, "")
	})
}

// FindHousehold returns the household. NotFound if none.
func (s *HouseholdStore) FindHousehold(ctx context.Context, id household.ID) (*household.Household, error) {
	const op = "sqlstore.FindHousehold"
	return findOne(ctx, s.db, op, msgHouseholdNone, scanHouseholds, `SELECT `+householdColumns+` FROM households WHERE id = ?`, string(id))
}

// ListHouseholdsForUser returns the user's households, oldest first.
func (s *HouseholdStore) ListHouseholdsForUser(ctx context.Context, user identity.UserID) ([]*household.Household, error) {
	const op = "sqlstore.ListHouseholdsForUser"
	var out []*household.Household
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT h.id, h.name, h.address, h.home_lat, h.home_lng, h.time_zone,
			h.retention_days, h.created_at
			FROM households h JOIN household_members m ON m.household_id = h.id
			WHERE m.user_id = ? ORDER BY h.created_at, h.id`, string(user))
		if err != nil {
			return err
		}
		out, err = scanHouseholds(rows)
		return err
	})
	return out, err
}

// UpdateHousehold saves the household's settings. NotFound if none.
func (s *HouseholdStore) UpdateHousehold(ctx context.Context, h *household.Household) error {
	const op = "sqlstore.UpdateHousehold"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE households SET name = ?, address = ?, home_lat = ?, home_lng = ?,
			time_zone = ?, retention_days = ? WHERE id = ?`,
			h.Name, h.Address, h.Home.Lat, h.Home.Lng, h.TimeZone, h.RetentionDays, string(h.ID))
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(op, apperr.NotFound, msgHouseholdNone)
		}
		return nil
	})
}

// ListHomes returns a page of households' precise homes in id order.
func (s *HouseholdStore) ListHomes(ctx context.Context, after household.ID, limit int) ([]household.HomeEntry, error) {
	const op = "sqlstore.ListHomes"
	out := []household.HomeEntry{}
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT id, home_lat, home_lng FROM households WHERE id > ? ORDER BY id LIMIT ?`,
			string(after), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e  household.HomeEntry
				id string
			)
			if err := rows.Scan(&id, &e.Home.Lat, &e.Home.Lng); err != nil {
				return err
			}
			e.Household = household.ID(id)
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

func scanHouseholds(rows *sql.Rows) ([]*household.Household, error) {
	defer rows.Close()
	out := []*household.Household{}
	for rows.Next() {
		var (
			h       household.Household
			id      string
			created int64
		)
		if err := rows.Scan(&id, &h.Name, &h.Address, &h.Home.Lat, &h.Home.Lng, &h.TimeZone,
			&h.RetentionDays, &created); err != nil {
			return nil, err
		}
		h.ID, h.CreatedAt = household.ID(id), fromMicros(created)
		out = append(out, &h)
	}
	return out, rows.Err()
}

// ---- members ----

// FindMember returns the membership. NotFound if user is not a member.
func (s *HouseholdStore) FindMember(ctx context.Context, id household.ID, user identity.UserID) (*household.Member, error) {
	const op = "sqlstore.FindMember"
	var m *household.Member
	err := s.db.read(ctx, op, func(tx *tx) (err error) {
		m, err = findHouseholdMember(ctx, tx, op, id, user)
		return err
	})
	return m, err
}

func findHouseholdMember(ctx context.Context, tx *tx, op string, id household.ID, user identity.UserID) (*household.Member, error) {
	var (
		role   string
		joined int64
	)
	err := tx.queryRow(ctx, `SELECT role, joined_at FROM household_members WHERE household_id = ? AND user_id = ?`,
		string(id), string(user)).Scan(&role, &joined)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.E(op, apperr.NotFound, msgHouseholdNoMember)
	}
	if err != nil {
		return nil, err
	}
	return &household.Member{Household: id, UserID: user, Role: household.MemberRole(role), JoinedAt: fromMicros(joined)}, nil
}

// ListMembers returns the members with their e-mail addresses, owners
// first, then in joining order. NotFound if there is no such household.
func (s *HouseholdStore) ListMembers(ctx context.Context, id household.ID) ([]*household.Member, error) {
	const op = "sqlstore.ListMembers"
	out := []*household.Member{}
	err := s.db.read(ctx, op, func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM households WHERE id = ?`, string(id)).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(op, apperr.NotFound, msgHouseholdNone)
		}
		rows, err := tx.query(ctx, `SELECT m.user_id, m.role, m.joined_at, COALESCE(u.email, '')
			FROM household_members m LEFT JOIN users u ON u.id = m.user_id WHERE m.household_id = ?
			ORDER BY CASE WHEN m.role = 'owner' THEN 0 ELSE 1 END, m.joined_at, m.user_id`, string(id))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				user, role, email string
				joined            int64
			)
			if err := rows.Scan(&user, &role, &joined, &email); err != nil {
				return err
			}
			out = append(out, &household.Member{Household: id, UserID: identity.UserID(user),
				Role: household.MemberRole(role), JoinedAt: fromMicros(joined), Email: email})
		}
		return rows.Err()
	})
	return out, err
}

// lockHousehold makes every transaction that changes a household's
// membership wait for any other doing so, so that each sees the others'
// results when it counts owners and members. It writes the row without
// changing it: on PostgreSQL that takes the row lock (under READ COMMITTED
// two transactions could otherwise each remove a different one of two
// owners); on SQLite BEGIN IMMEDIATE already serialises writers. A
// non-key column is written so that inserts referencing the row, which
// only take a key-share lock, are not blocked. NotFound if none.
func lockHousehold(ctx context.Context, tx *tx, op string, id household.ID) error {
	n, err := tx.execCount(ctx, `UPDATE households SET name = name WHERE id = ?`, string(id))
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.E(op, apperr.NotFound, msgHouseholdNone)
	}
	return nil
}

// countMembers returns how many members and how many owners the household has.
func countHouseholdMembers(ctx context.Context, tx *tx, id household.ID) (members, owners int, err error) {
	err = tx.queryRow(ctx, `SELECT COUNT(*) FROM household_members WHERE household_id = ?`, string(id)).Scan(&members)
	if err != nil {
		return 0, 0, err
	}
	err = tx.queryRow(ctx, `SELECT COUNT(*) FROM household_members WHERE household_id = ? AND role = 'owner'`,
		string(id)).Scan(&owners)
	return members, owners, err
}

// RemoveMember ends a membership, deleting the household with the last one.
// Conflict for the only owner while others remain, or for the last member
// while other tables still refer to the household; NotFound if not a member.
func (s *HouseholdStore) RemoveMember(ctx context.Context, id household.ID, user identity.UserID) (bool, error) {
	const op = "sqlstore.RemoveMember"
	deleted := false
	err := s.db.write(ctx, op, func(tx *tx) error {
		if err := lockHousehold(ctx, tx, op, id); err != nil {
			return err
		}
		m, err := findHouseholdMember(ctx, tx, op, id, user)
		if err != nil {
			return err
		}
		members, owners, err := countHouseholdMembers(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case members == 1:
			// Invitations and memberships go with it (ON DELETE CASCADE).
			// Rows of other domains that must be erased their own way (a
			// clip goes only with its blob) refer to it without a cascade,
			// and stop the deletion until they are gone.
			_, err = tx.exec(ctx, `DELETE FROM households WHERE id = ?`, string(id))
			if err != nil && tx.db.d.foreignKeyViolation(err) {
				return &apperr.Error{Op: op, Code: apperr.Conflict, Message: msgHouseholdHasData, Err: err}
			}
			deleted = err == nil
			return err
		case m.Role == household.RoleOwner && owners == 1:
			return apperr.E(op, apperr.Conflict, msgHouseholdLastOwner)
		}
		_, err = tx.exec(ctx, `DELETE FROM household_members WHERE household_id = ? AND user_id = ?`, string(id), string(user))
		return err
	})
	return deleted, err
}

// SetMemberRole changes a member's role. Conflict if no owner would remain;
// NotFound if not a member.
func (s *HouseholdStore) SetMemberRole(ctx context.Context, id household.ID, user identity.UserID, role household.MemberRole) error {
	const op = "sqlstore.SetMemberRole"
	return s.db.write(ctx, op, func(tx *tx) error {
		if err := lockHousehold(ctx, tx, op, id); err != nil {
			return err
		}
		m, err := findHouseholdMember(ctx, tx, op, id, user)
		if err != nil || m.Role == role {
			return err
		}
		if m.Role == household.RoleOwner {
			_, owners, err := countHouseholdMembers(ctx, tx, id)
			if err != nil {
				return err
			}
			if owners == 1 {
				return apperr.E(op, apperr.Conflict, msgHouseholdNeedOwner)
			}
		}
		_, err = tx.exec(ctx, `UPDATE household_members SET role = ? WHERE household_id = ? AND user_id = ?`,
			string(role), string(id), string(user))
		return err
	})
}

// ---- invitations ----

// CreateInvitation inserts inv. NotFound if there is no such household;
// Conflict if the token hash is taken.
func (s *HouseholdStore) CreateInvitation(ctx context.Context, inv *household.Invitation) error {
	const op = "sqlstore.CreateInvitation"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO household_invitations
			(token_hash, household_id, created_by, created_at, expires_at, used_by, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			inv.TokenHash, string(inv.Household), string(inv.CreatedBy), micros(inv.CreatedAt),
			micros(inv.ExpiresAt), string(inv.UsedBy), micros(inv.UsedAt))
		if err != nil && tx.db.d.foreignKeyViolation(err) {
			return &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgHouseholdNone, Err: err}
		}
		return classify(op, tx.db.d, err, msgHouseholdInvitationTaken)
	})
}

// RedeemInvitation reads the invitation and its creator's role under the
// household's lock, asks usable, and if it agrees uses the invitation for
// user at t and makes them a member. NotFound for an unknown or used
// invitation; Conflict if user is already a member; Invalid for a zero t.
func (s *HouseholdStore) RedeemInvitation(ctx context.Context, hash []byte, user identity.UserID, t time.Time,
	usable func(inv *household.Invitation, creator household.MemberRole) error) (household.ID, error) {
	const op = "sqlstore.RedeemInvitation"
	if t.IsZero() {
		return "", apperr.E(op, apperr.Invalid, "A redemption needs a time.")
	}
	var id household.ID
	err := s.db.write(ctx, op, func(tx *tx) error {
		inv := household.Invitation{TokenHash: hash}
		var hh, by, usedBy string
		var created, expires, used int64
		err := tx.queryRow(ctx, `SELECT household_id, created_by, created_at, expires_at, used_by, used_at
			FROM household_invitations WHERE token_hash = ?`, hash).Scan(&hh, &by, &created, &expires, &usedBy, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.E(op, apperr.NotFound, msgHouseholdNoInvitation)
		} else if err != nil {
			return err
		}
		inv.Household, inv.CreatedBy, inv.UsedBy = household.ID(hh), identity.UserID(by), identity.UserID(usedBy)
		inv.CreatedAt, inv.ExpiresAt, inv.UsedAt = fromMicros(created), fromMicros(expires), fromMicros(used)
		id = inv.Household
		// Lock first, so that the household cannot be emptied and deleted,
		// nor the creator's role change, between the check and the new
		// membership (see lockHousehold).
		if err := lockHousehold(ctx, tx, op, id); err != nil {
			return apperr.E(op, apperr.NotFound, msgHouseholdNoInvitation)
		}
		var creator household.MemberRole
		if m, err := findHouseholdMember(ctx, tx, op, id, inv.CreatedBy); err == nil {
			creator = m.Role
		} else if !apperr.Is(err, apperr.NotFound) {
			return err
		}
		if err := usable(&inv, creator); err != nil {
			return err
		}
		// One conditional UPDATE is what makes an invitation single-use: of
		// two concurrent ones, the second finds used_at already set.
		n, err := tx.execCount(ctx, `UPDATE household_invitations SET used_by = ?, used_at = ? WHERE token_hash = ? AND used_at = 0`,
			string(user), micros(t), hash)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(op, apperr.NotFound, msgHouseholdNoInvitation)
		}
		if _, err := findHouseholdMember(ctx, tx, op, id, user); err == nil {
			// Returning an error rolls back the UPDATE: the link stays usable.
			return apperr.E(op, apperr.Conflict, msgHouseholdAlreadyMember)
		} else if !apperr.Is(err, apperr.NotFound) {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO household_members (household_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)`,
			hh, string(user), string(household.RoleMember), micros(t))
		return classify(op, tx.db.d, err, msgHouseholdAlreadyMember)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
