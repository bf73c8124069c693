package sqlstore

import (
	"context"
	"time"
	"unicode/utf8"

	"hearth/internal/identity"
	"hearth/internal/notice"
)

var _ notice.MailStore = (*NoticeStore)(nil)

const mailColumns = `id, user_id, recipient, subject, body, created_at, sent_at, attempts, last_error`

// maxMailError bounds the kept text of a failed send.
const maxMailError = 500

// EnqueueMail inserts m.
func (s *NoticeStore) EnqueueMail(ctx context.Context, m *notice.Mail) error {
	const op = "sqlstore.EnqueueMail"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO mail_outbox (`+mailColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, string(m.UserID), m.To, m.Subject, m.Body, micros(m.CreatedAt), micros(m.SentAt), m.Attempts, m.LastError)
		return err
	})
}

// ListMail returns the latest mail, newest first.
func (s *NoticeStore) ListMail(ctx context.Context, limit int) ([]*notice.Mail, error) {
	return s.listMail(ctx, "sqlstore.ListMail",
		`SELECT `+mailColumns+` FROM mail_outbox ORDER BY created_at DESC, id LIMIT ?`, limit)
}

// ListUnsentMail returns unsent mail tried fewer than maxAttempts times, oldest first.
func (s *NoticeStore) ListUnsentMail(ctx context.Context, maxAttempts, limit int) ([]*notice.Mail, error) {
	return s.listMail(ctx, "sqlstore.ListUnsentMail",
		`SELECT `+mailColumns+` FROM mail_outbox WHERE sent_at = 0 AND attempts < ? ORDER BY created_at, id LIMIT ?`, maxAttempts, limit)
}

func (s *NoticeStore) listMail(ctx context.Context, op, query string, args ...any) ([]*notice.Mail, error) {
	out := []*notice.Mail{}
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m notice.Mail
			var user string
			var created, sent int64
			if err := rows.Scan(&m.ID, &user, &m.To, &m.Subject, &m.Body, &created, &sent, &m.Attempts, &m.LastError); err != nil {
				return err
			}
			m.UserID, m.CreatedAt, m.SentAt = identity.UserID(user), fromMicros(created), fromMicros(sent)
			out = append(out, &m)
		}
		return rows.Err()
	})
	return out, err
}

// MarkMailSent records a successful send.
func (s *NoticeStore) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	const op = "sqlstore.MarkMailSent"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `UPDATE mail_outbox SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, micros(at), id)
		return err
	})
}

// MarkMailFailed counts a failed attempt.
func (s *NoticeStore) MarkMailFailed(ctx context.Context, id, msg string) error {
	const op = "sqlstore.MarkMailFailed"
	if len(msg) > maxMailError {
		msg = msg[:maxMailError]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?`, msg, id)
		return err
	})
}
