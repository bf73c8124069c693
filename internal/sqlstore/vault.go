package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/vault"
)

// VaultStore implements vault.Store: clip metadata, wraps and member keys.
// The ciphertext itself is in the blob store.
type VaultStore struct{ db *DB }

// NewVaultStore returns a VaultStore over db.
func NewVaultStore(db *DB) *VaultStore { return &VaultStore{db: db} }

var _ vault.Store = (*VaultStore)(nil)

// Messages safe to show; the driver error goes into Err for the log.
const (
	msgNoClip        = "No such clip."
	msgNoWrap        = "No such wrap."
	msgNoMemberKey   = "No media key."
	msgClipHousehold = "No such household."
	msgClipExists    = "This clip was already uploaded."
)

// ---- member keys ----

// SetMemberKey inserts or replaces the user's key. NotFound if the user
// does not exist.
func (s *VaultStore) SetMemberKey(ctx context.Context, k *vault.MemberKey) error {
	const op = "sqlstore.SetMemberKey"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO member_keys (user_id, recipient, wrapped_identity, updated_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET recipient = excluded.recipient,
				wrapped_identity = excluded.wrapped_identity, updated_at = excluded.updated_at`,
			string(k.User), k.Recipient, k.WrappedIdentity, micros(k.UpdatedAt))
		return classify(op, tx.db.d, err, "")
	})
}

// FindMemberKey returns the user's key. NotFound if the user has none.
func (s *VaultStore) FindMemberKey(ctx context.Context, user identity.UserID) (*vault.MemberKey, error) {
	const op = "sqlstore.FindMemberKey"
	var k *vault.MemberKey
	err := s.db.read(ctx, op, func(tx *tx) error {
		var wrapped []byte
		var updated int64
		k = &vault.MemberKey{User: user}
		err := tx.queryRow(ctx, `SELECT recipient, wrapped_identity, updated_at FROM member_keys WHERE user_id = ?`,
			string(user)).Scan(&k.Recipient, &wrapped, &updated)
		if err == sql.ErrNoRows {
			return apperr.E(op, apperr.NotFound, msgNoMemberKey)
		}
		k.WrappedIdentity, k.UpdatedAt = wrapped, fromMicros(updated)
		return err
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// ListMemberKeys returns the keys of those of users that have one, in the
// order of users.
func (s *VaultStore) ListMemberKeys(ctx context.Context, users []identity.UserID) ([]*vault.MemberKey, error) {
	const op = "sqlstore.ListMemberKeys"
	out := []*vault.MemberKey{}
	if len(users) == 0 {
		return out, nil
	}
	byUser := make(map[identity.UserID]*vault.MemberKey, len(users))
	err := s.db.read(ctx, op, func(tx *tx) error {
		// One query per distinct list length is cached; households are small.
		args := make([]any, len(users))
		for i, u := range users {
			args[i] = string(u)
		}
		rows, err := tx.query(ctx, `SELECT user_id, recipient, wrapped_identity, updated_at FROM member_keys
			WHERE user_id IN (?`+strings.Repeat(", ?", len(users)-1)+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k vault.MemberKey
			var user string
			var updated int64
			if err := rows.Scan(&user, &k.Recipient, &k.WrappedIdentity, &updated); err != nil {
				return err
			}
			k.User, k.UpdatedAt = identity.UserID(user), fromMicros(updated)
			byUser[k.User] = &k
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if k, ok := byUser[u]; ok {
			out = append(out, k)
			delete(byUser, u) // a user listed twice appears once
		}
	}
	return out, nil
}

// ---- clips ----

const clipColumns = `id, household_id, device_id, kind, start_at, end_at, size, header_size, content_hash, created_at`

// CreateClip inserts c. Conflict if the household already has a clip with
// c.ContentHash or the id is taken; NotFound if the household does not exist.
func (s *VaultStore) CreateClip(ctx context.Context, c *vault.Clip) error {
	const op = "sqlstore.CreateClip"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO clips (`+clipColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(c.ID), string(c.Household), string(c.Device), string(c.Kind), micros(c.Start), micros(c.End),
			c.Size, c.HeaderSize, c.ContentHash, micros(c.CreatedAt))
		switch {
		case err == nil:
			return nil
		case tx.db.d.uniqueViolation(err):
			return &apperr.Error{Op: op, Code: apperr.Conflict, Message: msgClipExists, Err: err}
		case tx.db.d.foreignKeyViolation(err):
			return &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgClipHousehold, Err: err}
		}
		return err
	})
}

// FindClip returns the clip. NotFound if none.
func (s *VaultStore) FindClip(ctx context.Context, id vault.ClipID) (*vault.Clip, error) {
	return s.findClip(ctx, "sqlstore.FindClip", `id = ?`, string(id))
}

// FindClipByHash returns the household's clip with that content hash.
// NotFound if none.
func (s *VaultStore) FindClipByHash(ctx context.Context, hh household.ID, contentHash string) (*vault.Clip, error) {
	return s.findClip(ctx, "sqlstore.FindClipByHash", `household_id = ? AND content_hash = ?`, string(hh), contentHash)
}

func (s *VaultStore) findClip(ctx context.Context, op, where string, args ...any) (*vault.Clip, error) {
	return findOne(ctx, s.db, op, msgNoClip, scanClips, `SELECT `+clipColumns+` FROM clips WHERE `+where, args...)
}

// ListClips returns up to limit of the household's clips whose Start is in
// [from, to), latest Start first (ties by id). A zero from or to leaves
// that side open.
func (s *VaultStore) ListClips(ctx context.Context, hh household.ID, from, to time.Time, limit int) ([]*vault.Clip, error) {
	const op = "sqlstore.ListClips"
	var out []*vault.Clip
	err := s.db.read(ctx, op, func(tx *tx) error {
		// Open sides become the widest bounds, so one statement serves every call.
		lo, hi := micros(from), micros(to)
		if to.IsZero() {
			hi = 1<<63 - 1
		}
		rows, err := tx.query(ctx, `SELECT `+clipColumns+` FROM clips
			WHERE household_id = ? AND start_at >= ? AND start_at < ?
			ORDER BY start_at DESC, id DESC LIMIT ?`, string(hh), lo, hi, limit)
		if err != nil {
			return err
		}
		out, err = scanClips(rows)
		return err
	})
	return out, err
}

// DeleteClip deletes the clip and (by cascade) its wraps. NotFound if none.
func (s *VaultStore) DeleteClip(ctx context.Context, id vault.ClipID) error {
	const op = "sqlstore.DeleteClip"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `DELETE FROM clips WHERE id = ?`, string(id))
		if err == nil && n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoClip)
		}
		return err
	})
}

// ClipsExist returns, of ids, those that are clips of household hh.
func (s *VaultStore) ClipsExist(ctx context.Context, hh household.ID, ids []vault.ClipID) ([]vault.ClipID, error) {
	const op = "sqlstore.ClipsExist"
	out := []vault.ClipID{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{string(hh)}
	for _, id := range ids {
		args = append(args, string(id))
	}
	err := s.db.read(ctx, op, func(tx *tx) error {
		var err error
		out, err = queryIDs[vault.ClipID](ctx, tx, `SELECT id FROM clips WHERE household_id = ? AND id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY id`, args...)
		return err
	})
	return out, err
}

// ClipHouseholds returns every household that has at least one clip.
func (s *VaultStore) ClipHouseholds(ctx context.Context) ([]household.ID, error) {
	const op = "sqlstore.ClipHouseholds"
	out := []household.ID{}
	err := s.db.read(ctx, op, func(tx *tx) error {
		var err error
		out, err = queryIDs[household.ID](ctx, tx, `SELECT DISTINCT household_id FROM clips ORDER BY household_id`)
		return err
	})
	return out, err
}

// ListClipsEndedBefore returns up to limit of the household's clips whose
// End is strictly before t, earliest End first.
func (s *VaultStore) ListClipsEndedBefore(ctx context.Context, hh household.ID, t time.Time, limit int) ([]*vault.Clip, error) {
	const op = "sqlstore.ListClipsEndedBefore"
	var out []*vault.Clip
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT `+clipColumns+` FROM clips
			WHERE household_id = ? AND end_at < ? ORDER BY end_at, id LIMIT ?`, string(hh), micros(t), limit)
		if err != nil {
			return err
		}
		out, err = scanClips(rows)
		return err
	})
	return out, err
}

func scanClips(rows *sql.Rows) ([]*vault.Clip, error) {
	defer rows.Close()
	out := []*vault.Clip{}
	for rows.Next() {
		var (
			c                   vault.Clip
			id, hh, dev, kind   string
			start, end, created int64
		)
		if err := rows.Scan(&id, &hh, &dev, &kind, &start, &end, &c.Size, &c.HeaderSize, &c.ContentHash, &created); err != nil {
			return nil, err
		}
		c.ID, c.Household, c.Device, c.Kind = vault.ClipID(id), household.ID(hh), device.ID(dev), vault.Kind(kind)
		c.Start, c.End, c.CreatedAt = fromMicros(start), fromMicros(end), fromMicros(created)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// ---- wraps ----

const wrapColumns = `clip_id, recipient, header, created_by, created_at`

// PutWrap inserts w, or replaces the clip's wrap for the same recipient.
// NotFound if the clip does not exist.
func (s *VaultStore) PutWrap(ctx context.Context, w *vault.Wrap) error {
	const op = "sqlstore.PutWrap"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO clip_wraps (`+wrapColumns+`) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (clip_id, recipient) DO UPDATE SET header = excluded.header,
				created_by = excluded.created_by, created_at = excluded.created_at`,
			string(w.Clip), w.Recipient, w.Header, string(w.CreatedBy), micros(w.CreatedAt))
		if err != nil && tx.db.d.foreignKeyViolation(err) {
			return &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNoClip, Err: err}
		}
		return err
	})
}

// FindWrap returns the clip's wrap for recipient. NotFound if none.
func (s *VaultStore) FindWrap(ctx context.Context, clip vault.ClipID, recipient string) (*vault.Wrap, error) {
	const op = "sqlstore.FindWrap"
	return findOne(ctx, s.db, op, msgNoWrap, scanWraps, `SELECT `+wrapColumns+` FROM clip_wraps WHERE clip_id = ? AND recipient = ?`,
		string(clip), recipient)
}

// ListWraps returns the clip's wraps, oldest first.
func (s *VaultStore) ListWraps(ctx context.Context, clip vault.ClipID) ([]*vault.Wrap, error) {
	const op = "sqlstore.ListWraps"
	var out []*vault.Wrap
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT `+wrapColumns+` FROM clip_wraps WHERE clip_id = ?
			ORDER BY created_at, recipient`, string(clip))
		if err != nil {
			return err
		}
		out, err = scanWraps(rows)
		return err
	})
	return out, err
}

// DeleteWrap deletes the clip's wrap for recipient. NotFound if none.
func (s *VaultStore) DeleteWrap(ctx context.Context, clip vault.ClipID, recipient string) error {
	const op = "sqlstore.DeleteWrap"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `DELETE FROM clip_wraps WHERE clip_id = ? AND recipient = ?`, string(clip), recipient)
		if err == nil && n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoWrap)
		}
		return err
	})
}

func scanWraps(rows *sql.Rows) ([]*vault.Wrap, error) {
	defer rows.Close()
	out := []*vault.Wrap{}
	for rows.Next() {
		var (
			w        vault.Wrap
			clip, by string
			created  int64
		)
		if err := rows.Scan(&clip, &w.Recipient, &w.Header, &by, &created); err != nil {
			return nil, err
		}
		w.Clip, w.CreatedBy, w.CreatedAt = vault.ClipID(clip), identity.UserID(by), fromMicros(created)
		out = append(out, &w)
	}
	return out, rows.Err()
}
