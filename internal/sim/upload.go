package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"

	"hearth/client"
	"hearth/internal/apperr"
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
	pr, pw := io.Pipe()
	encrypted := make(chan error, 1)
	go func() {
		err := encryptClip(pw, recipients, d.name, start, end.Sub(start))
		pw.CloseWithError(err) // nil: the server reads EOF
		encrypted <- err
	}()
	// The upload streams while the clip is encrypted; created is false
	// when Hearth already had these bytes.
	clip, _, err := d.api.UploadClip(ctx, client.ClipUpload{Kind: "video", Start: start, End: end}, pr)
	if err != nil {
		err = d.apiError(op, err)
	}
	// The server may have answered without reading everything: unblock the
	// writer. When the upload failed, its error says why; the writer's
	// follows from it.
	pr.CloseWithError(errors.New("the upload ended"))
	if encErr := <-encrypted; err == nil && encErr != nil {
		err = apperr.Wrap(op, encErr)
	}
	if err != nil {
		return "", err
	}
	d.log.Info("clip uploaded", "clip", clip.ID, "start", start.UTC().Format(time.RFC3339), "recipients", len(recipients))
	return string(clip.ID), nil
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
	list, err := d.api.Recipients(ctx)
	if err != nil {
		return nil, d.apiError(op, err)
	}
	out := make([]age.Recipient, 0, len(list))
	for _, s := range list {
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return nil, apperr.Errorf(op, "the server gave a recipient that is not an age X25519 key: %v", err)
		}
		out = append(out, r)
	}
	return out, nil
}

// apiError is apiError for a call the device made. A refused credential
// is ErrRefused, as it is on the broker.
func (d *Device) apiError(op string, err error) error {
	err = apiError(op, d.api, err)
	if apperr.Is(err, apperr.Unauthenticated) {
		return &apperr.Error{Op: op, Code: apperr.Unauthenticated, Message: apperr.MessageOf(err), Err: fmt.Errorf("%w: %w", ErrRefused, err)}
	}
	return err
}

// RecordAt records and uploads a clip of length that started at start,
// as a camera does when it uploads what it kept while offline. It returns
// the clip's id ("" when no member has a key yet).
func (d *Device) RecordAt(ctx context.Context, start time.Time, length time.Duration) (string, error) {
	return d.recordClip(ctx, start, start.Add(length))
}
