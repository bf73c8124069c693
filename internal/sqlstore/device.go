package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/household"
)

// DeviceStore implements device.Store on a DB.
type DeviceStore struct {
	db *DB
}

// NewDeviceStore returns the device store kept in db.
func NewDeviceStore(db *DB) *DeviceStore { return &DeviceStore{db: db} }

var _ device.Store = (*DeviceStore)(nil)

// Messages safe to show.
const (
	msgNoDevice       = "No such device."
	msgNoHouseholdDev = "No such household."
	msgNoPairingCode  = "This pairing code is not valid."
	msgCodeExists     = "This pairing code already exists."
	msgDeviceExists   = "A device with this identifier or credential already exists."
	msgEventExists    = "An event with this identifier already exists."
)

// CreatePairingCode inserts p. NotFound if the household does not exist;
// Conflict if the hash is taken.
func (s *DeviceStore) CreatePairingCode(ctx context.Context, p *device.PairingCode) error {
	const op = "sqlstore.CreatePairingCode"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO pairing_codes (code_hash, household_id, kind, name,
			created_by, created_at, expires_at, used_at, device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Hash, string(p.Household), string(p.Kind), p.Name, p.CreatedBy,
			micros(p.CreatedAt), micros(p.ExpiresAt), micros(p.UsedAt), string(p.Device))
		return classifyRef(op, tx.db.d, err, msgCodeExists, msgNoHouseholdDev)
	})
}

// PairDevice consumes the usable pairing code with this hash and inserts d
// with the code's household, kind and name. The check and the consumption
// are one conditional UPDATE, so concurrent callers with one code cannot
// both pass. NotFound if no usable code; Conflict if d's id or credential
// hash is taken (and then the code stays unused: the transaction rolls back).
func (s *DeviceStore) PairDevice(ctx context.Context, codeHash []byte, d *device.Device) error {
	const op = "sqlstore.PairDevice"
	return s.db.write(ctx, op, func(tx *tx) error {
		var hh, kind, name string
		err := tx.queryRow(ctx, `UPDATE pairing_codes SET used_at = ?, device_id = ?
			WHERE code_hash = ? AND used_at = 0 AND expires_at > ?
			RETURNING household_id, kind, name`,
			micros(d.PairedAt), string(d.ID), codeHash, micros(d.PairedAt)).Scan(&hh, &kind, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.E(op, apperr.NotFound, msgNoPairingCode)
		}
		if err != nil {
			return err
		}
		d.Household, d.Kind, d.Name = household.ID(hh), device.Kind(kind), name
		_, err = tx.exec(ctx, `INSERT INTO devices (`+deviceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(d.ID), hh, kind, name, d.CredentialHash, micros(d.PairedAt),
			micros(d.RevokedAt), micros(d.LastSeenAt), d.Online)
		return classifyRef(op, tx.db.d, err, msgDeviceExists, msgNoHouseholdDev)
	})
}

const deviceColumns = `id, household_id, kind, name, credential_hash, paired_at, revoked_at,
	last_seen_at, online`

// FindDevice returns the device, revoked or not. NotFound if none.
func (s *DeviceStore) FindDevice(ctx context.Context, id device.ID) (*device.Device, error) {
	const op = "sqlstore.FindDevice"
	return findOne(ctx, s.db, op, msgNoDevice, scanDevices, `SELECT `+deviceColumns+` FROM devices WHERE id = ?`, string(id))
}

// ListDevices returns the household's devices, oldest first.
func (s *DeviceStore) ListDevices(ctx context.Context, hh household.ID) ([]*device.Device, error) {
	const op = "sqlstore.ListDevices"
	var out []*device.Device
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT `+deviceColumns+` FROM devices
			WHERE household_id = ? ORDER BY paired_at, id`, string(hh))
		if err != nil {
			return err
		}
		out, err = scanDevices(rows)
		return err
	})
	return out, err
}

// scanDevices reads and closes rows; never a nil slice.
func scanDevices(rows *sql.Rows) ([]*device.Device, error) {
	defer rows.Close()
	out := []*device.Device{}
	for rows.Next() {
		var (
			d                         device.Device
			id, hh, kind              string
			paired, revoked, lastSeen int64
		)
		if err := rows.Scan(&id, &hh, &kind, &d.Name, &d.CredentialHash, &paired, &revoked,
			&lastSeen, &d.Online); err != nil {
			return nil, err
		}
		d.ID, d.Household, d.Kind = device.ID(id), household.ID(hh), device.Kind(kind)
		d.PairedAt, d.RevokedAt, d.LastSeenAt = fromMicros(paired), fromMicros(revoked), fromMicros(lastSeen)
		out = append(out, &d)
	}
	return out, rows.Err()
}

// RenameDevice sets the device's name. NotFound if none.
func (s *DeviceStore) RenameDevice(ctx context.Context, id device.ID, name string) error {
	const op = "sqlstore.RenameDevice"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE devices SET name = ? WHERE id = ?`, name, string(id))
		if err == nil && n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoDevice)
		}
		return err
	})
}

// RevokeDevice marks the device revoked at t (keeping an earlier time) and
// offline. NotFound if none.
func (s *DeviceStore) RevokeDevice(ctx context.Context, id device.ID, t time.Time) error {
	const op = "sqlstore.RevokeDevice"
	if t.IsZero() {
		return apperr.E(op, apperr.Invalid, "A revocation needs its time.")
	}
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE devices
			SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END, online = ?
			WHERE id = ?`, micros(t), false, string(id))
		if err == nil && n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoDevice)
		}
		return err
	})
}

// SetOnline records the device's connection state and LastSeenAt = t.
// NotFound if there is no such unrevoked device.
func (s *DeviceStore) SetOnline(ctx context.Context, id device.ID, online bool, t time.Time) error {
	const op = "sqlstore.SetOnline"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE devices SET online = ?, last_seen_at = ?
			WHERE id = ? AND revoked_at = 0`, online, micros(t), string(id))
		if err == nil && n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoDevice)
		}
		return err
	})
}

// RecordActivity stores events and marks the devices in seen online, in one
// transaction. Each insert takes the device's household from the devices
// row and only happens if the device is not revoked, so an event that races
// a revocation is dropped rather than stored. Conflict if an event id is taken.
func (s *DeviceStore) RecordActivity(ctx context.Context, events []*device.Event, seen map[device.ID]time.Time) (int, error) {
	const op = "sqlstore.RecordActivity"
	if len(events) == 0 && len(seen) == 0 {
		return 0, nil
	}
	stored := 0
	err := s.db.write(ctx, op, func(tx *tx) error {
		for rest := events; len(rest) > 0; {
			chunk := rest[:min(len(rest), eventChunk)]
			rest = rest[len(chunk):]
			n, err := insertEvents(ctx, tx, chunk)
			if err != nil {
				return classifyRef(op, tx.db.d, err, msgEventExists, msgNoDevice)
			}
			stored += n
		}
		for id, t := range seen {
			_, err := tx.exec(ctx, `UPDATE devices SET online = ?,
				last_seen_at = CASE WHEN last_seen_at < ? THEN ? ELSE last_seen_at END
				WHERE id = ? AND revoked_at = 0`, true, micros(t), micros(t), string(id))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return stored, nil
}

// eventChunk is how many events one INSERT carries. Many rows per
// statement is what lets a gateway's batch be written quickly (one
// statement per event costs several times more); the bound keeps the
// statement under both databases' parameter limits and the number of
// distinct cached statements small.
const eventChunk = 100

// insertEvents inserts events with one statement, joined to their devices
// so that events of unknown or revoked devices are skipped and the
// household comes from the device. It returns how many rows it inserted.
// The VALUES columns are column1… in both dialects.
func insertEvents(ctx context.Context, tx *tx, events []*device.Event) (int, error) {
	var q strings.Builder
	q.WriteString(`INSERT INTO device_events (id, device_id, household_id, type, at, data)
		SELECT v.column1, d.id, d.household_id, v.column3, v.column4, v.column5
		FROM (VALUES `)
	args := make([]any, 0, 5*len(events))
	for i, e := range events {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(`(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT))`)
		data, err := encodeData(e.Data)
		if err != nil {
			return 0, err
		}
		args = append(args, e.ID, string(e.Device), string(e.Type), micros(e.At), data)
	}
	q.WriteString(`) AS v JOIN devices d ON d.id = v.column2 WHERE d.revoked_at = 0`)
	return tx.execCount(ctx, q.String(), args...)
}

// ListEvents returns the household's events with from <= At < to, newest first.
func (s *DeviceStore) ListEvents(ctx context.Context, hh household.ID, from, to time.Time, limit int) ([]*device.Event, error) {
	const op = "sqlstore.ListEvents"
	out := []*device.Event{}
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT id, device_id, household_id, type, at, data FROM device_events
			WHERE household_id = ? AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?`,
			string(hh), micros(from), micros(to), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e                 device.Event
				dev, h, typ, data string
				at                int64
			)
			if err := rows.Scan(&e.ID, &dev, &h, &typ, &at, &data); err != nil {
				return err
			}
			e.Device, e.Household, e.Type, e.At = device.ID(dev), household.ID(h), device.EventType(typ), fromMicros(at)
			if e.Data, err = decodeData(data); err != nil {
				return err
			}
			out = append(out, &e)
		}
		return rows.Err()
	})
	return out, err
}

// encodeData stores an event's data as a JSON object; nil and empty become "{}".
func encodeData(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// decodeData is the inverse of encodeData; "{}" comes back as nil.
func decodeData(s string) (map[string]any, error) {
	if s == "{}" || s == "" {
		return nil, nil
	}
	var m map[string]any
	err := json.Unmarshal([]byte(s), &m)
	return m, err
}

// ListHouseholdsWithDevices implements device.Store.
func (s *DeviceStore) ListHouseholdsWithDevices(ctx context.Context, kinds []device.Kind) ([]household.ID, error) {
	const op = "sqlstore.ListHouseholdsWithDevices"
	out := []household.ID{}
	if len(kinds) == 0 {
		return out, nil
	}
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = string(k)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ")
	err := s.db.read(ctx, op, func(tx *tx) error {
		var err error
		out, err = queryIDs[household.ID](ctx, tx, `SELECT DISTINCT household_id FROM devices
			WHERE revoked_at = 0 AND kind IN (`+marks+`) ORDER BY household_id`, args...)
		return err
	})
	return out, err
}
