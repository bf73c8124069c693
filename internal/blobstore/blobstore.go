package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob" // registers "s3://" with blob.OpenBucket
	"gocloud.dev/gcerrors"

	"hearth/internal/apperr"
)

// Store is a bucket of blobs. It is safe for concurrent use.
type Store struct {
	bucket *blob.Bucket
}

// Open opens the bucket named by rawURL:
//
//   - "file:///abs/dir" — a local directory, created if missing. Blobs are
//     plain files named by their keys, with no ".attrs" sidecar files; an
//     upload in progress is a "*.tmp" file next to its final name (so it
//     never leaves the directory, and the final rename never crosses a
//     mount point).
//   - "s3://bucket?region=eu-west-1" — S3 or any S3-compatible store. The
//     query takes gocloud.dev's parameters, among them endpoint=https://host
//     (MinIO, Ceph, …), use_path_style=true and disable_https=true; the
//     credentials come from the usual AWS environment (AWS_ACCESS_KEY_ID, …).
//
// Open returns Invalid for a URL it cannot use and Unavailable when the
// bucket cannot be opened.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	const op = "blobstore.Open"
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "The blob store URL is not valid.", Err: err}
	}
	var b *blob.Bucket
	switch u.Scheme {
	case "file":
		dir, err := fileDir(u)
		if err != nil {
			return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "The blob store URL is not valid.", Err: err}
		}
		b, err = fileblob.OpenBucket(dir, &fileblob.Options{
			CreateDir: true,
			// Temporary files next to the final path: a clip never lands in
			// the system's temp directory, and rename stays on one mount.
			NoTempDir: true,
			// Content type and MD5 sidecars would be metadata about
			// ciphertext nobody needs; one file per blob is easier to reason about.
			Metadata: fileblob.MetadataDontWrite,
		})
		if err != nil {
			return nil, &apperr.Error{Op: op, Code: apperr.Unavailable, Err: err}
		}
	case "s3":
		b, err = blob.OpenBucket(ctx, rawURL)
		if err != nil {
			return nil, &apperr.Error{Op: op, Code: apperr.Unavailable, Err: err}
		}
	default:
		return nil, &apperr.Error{Op: op, Code: apperr.Invalid,
			Message: "The blob store URL must start with file:// or s3://.", Err: fmt.Errorf("scheme %q", u.Scheme)}
	}
	return &Store{bucket: b}, nil
}

// fileDir returns the absolute directory a file:// URL names.
func fileDir(u *url.URL) (string, error) {
	if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
		return "", fmt.Errorf("file URL with host %q: use file:///absolute/path", u.Host)
	}
	if u.RawQuery != "" {
		return "", errors.New("file URL takes no parameters")
	}
	if u.Path == "" || !filepath.IsAbs(filepath.FromSlash(u.Path)) {
		return "", fmt.Errorf("file URL path %q is not absolute", u.Path)
	}
	return filepath.Clean(filepath.FromSlash(u.Path)), nil
}

// Put stores the bytes of r under key and returns how many there were. It
// streams: r is copied through a fixed buffer, never held whole. If reading
// r fails (including on purpose, to refuse an upload that grew too large),
// the write is abandoned, nothing is stored under key, and the returned error
// wraps r's error (errors.Is finds it). An existing blob under key is
// replaced only by a complete new one.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	const op = "blobstore.Put"
	// Cancelling the writer's context before Close is how gocloud abandons a
	// write; wctx is cancelled on every path.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{
		ContentType: "application/octet-stream", // no sniffing buffer
	})
	if err != nil {
		return 0, classify(op, err)
	}
	n, err := io.Copy(w, onlyReader{r})
	if err != nil {
		cancel()
		w.Close() // reports the cancellation; the copy error is the one that matters
		return n, apperr.Wrap(op, fmt.Errorf("write blob: %w", err))
	}
	if err := w.Close(); err != nil {
		return n, classify(op, err)
	}
	return n, nil
}

// onlyReader hides every method of a reader but Read, so the copy always
// goes through the writer's fixed buffer (1 MiB) and never through a source's
// WriterTo, whose memory use Put cannot bound.
type onlyReader struct{ io.Reader }

// Get opens the blob under key from offset to its end. NotFound if there is
// no such blob.
func (s *Store) Get(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	const op = "blobstore.Get"
	if offset < 0 {
		return nil, apperr.Errorf(op, "negative offset %d", offset)
	}
	r, err := s.bucket.NewRangeReader(ctx, key, offset, -1, nil)
	if err != nil {
		return nil, classify(op, err)
	}
	return r, nil
}

// Delete removes the blob under key. NotFound if there is no such blob.
func (s *Store) Delete(ctx context.Context, key string) error {
	return classify("blobstore.Delete", s.bucket.Delete(ctx, key))
}

// Exists reports whether a blob is stored under key.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := s.bucket.Exists(ctx, key)
	return ok, classify("blobstore.Exists", err)
}

// Keys returns the keys of every blob whose key starts with prefix, in
// lexical order. It is for operators and tests; listing a large bucket is slow.
func (s *Store) Keys(ctx context.Context, prefix string) ([]string, error) {
	const op = "blobstore.Keys"
	var out []string
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, classify(op, err)
		}
		out = append(out, obj.Key)
	}
}

// Walk calls fn with the key and last modification time of every blob
// whose key starts with prefix, in lexical order, a page at a time, so a
// large bucket is never held in memory. fn may delete the blob it is given.
// Walk stops at fn's first error and returns it.
func (s *Store) Walk(ctx context.Context, prefix string, fn func(key string, modified time.Time) error) error {
	const op = "blobstore.Walk"
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return classify(op, err)
		}
		if obj.IsDir {
			continue
		}
		if err := fn(obj.Key, obj.ModTime); err != nil {
			return err
		}
	}
}

// Close releases the bucket.
func (s *Store) Close() error {
	return classify("blobstore.Close", s.bucket.Close())
}

// classify maps gocloud's error codes onto apperr codes.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: "No such blob.", Err: err}
	case gcerrors.InvalidArgument:
		return &apperr.Error{Op: op, Code: apperr.Invalid, Err: err}
	case gcerrors.Canceled, gcerrors.DeadlineExceeded, gcerrors.ResourceExhausted:
		return &apperr.Error{Op: op, Code: apperr.Unavailable, Err: err}
	}
	if errors.Is(err, os.ErrNotExist) {
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: "No such blob.", Err: err}
	}
	return apperr.Wrap(op, err)
}
