package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"filippo.io/age"

	"hearth/internal/apperr"
)

// HTTP time limits. An upload streams while the clip is encrypted, so its
// limit covers both.
const (
	requestTimeout = 30 * time.Second
	uploadTimeout  = 5 * time.Minute
)

// recordClip makes the synthetic clip of [start, end), encrypts it on the
// device to every member of the household who has a key, and uploads the
// ciphertext as it is produced: the plaintext exists only in this process.
// It returns the clip's id, or "" when no member has a key yet.
func (d *Device) recordClip(ctx context.Context, start, end time.Time) (string, error) {
	const op = "sim.Device.recordClip"
	recipients, err := d.recipients(ctx)
	if err != nil {
		return "", apperr.Wrap(op, err)
	}
	if len(recipients) == 0 {
		d.log.Info("no member of the household has a key yet; the clip is not uploaded")
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, uploadTimeout)
	defer cancel()
	pr, pw := io.Pipe()
	encrypted := make(chan error, 1)
	go func() {
		err := encryptClip(pw, recipients, d.name, start, end.Sub(start))
		pw.CloseWithError(err) // nil: the server reads EOF
		encrypted <- err
	}()
	q := url.Values{"kind": {"video"}, "start": {start.UTC().Format(time.RFC3339)}, "end": {end.UTC().Format(time.RFC3339)}}
	var clip struct {
		ID string `json:"id"`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.server+"/api/v1/device/clips?"+q.Encode(), pr)
	if err == nil {
		req.Header.Set("Content-Type", "application/octet-stream")
		// 200 rather than 201 means Hearth already had these bytes.
		err = d.do(req, &clip, http.StatusCreated, http.StatusOK)
	}
	// The server may have answered without reading everything: unblock the
	// writer. When the upload failed, its error says why; the writer's
	// follows from it.
	pr.CloseWithError(errors.New("the upload ended"))
	if encErr := <-encrypted; err == nil {
		err = encErr
	}
	if err == nil && clip.ID == "" {
		err = errors.New("the server's answer to the upload has no clip id")
	}
	if err != nil {
		return "", apperr.Wrap(op, err)
	}
	d.log.Info("clip uploaded", "clip", clip.ID, "start", start.UTC().Format(time.RFC3339), "recipients", len(recipients))
	return clip.ID, nil
}

func encryptClip(w io.Writer, to []age.Recipient, name string, start time.Time, length time.Duration) error {
	ew, err := age.Encrypt(w, to...)
	if err != nil {
		return err
	}
	if err := WriteClip(ew, name, start, length); err != nil {
		return err
	}
	return ew.Close()
}

// recipients asks whom to encrypt clips to: every member of the household
// who has set a key.
func (d *Device) recipients(ctx context.Context) ([]age.Recipient, error) {
	const op = "sim.Device.recipients"
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.server+"/api/v1/device/recipients", nil)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	var answer struct {
		Recipients []string `json:"recipients"`
	}
	if err := d.do(req, &answer, http.StatusOK); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	out := make([]age.Recipient, 0, len(answer.Recipients))
	for _, s := range answer.Recipients {
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return nil, apperr.Errorf(op, "the server gave a recipient that is not an age X25519 key: %v", err)
		}
		out = append(out, r)
	}
	return out, nil
}

// do sends a request authenticated as the device. A refused credential is
// ErrRefused, as it is on the broker.
func (d *Device) do(req *http.Request, out any, want ...int) error {
	req.SetBasicAuth(string(d.id), d.cfg.Credentials.Credential)
	err := do(d.http, req, out, want...)
	if apperr.Is(err, apperr.Unauthenticated) {
		return &apperr.Error{Code: apperr.Unauthenticated, Message: apperr.MessageOf(err), Err: fmt.Errorf("%w: %w", ErrRefused, err)}
	}
	return err
}

// RecordAt records and uploads a clip of length that started at start,
// as a camera does when it uploads what it kept while offline. It returns
// the clip's id ("" when no member has a key yet).
func (d *Device) RecordAt(ctx context.Context, start time.Time, length time.Duration) (string, error) {
	return d.recordClip(ctx, start, start.Add(length))
}
