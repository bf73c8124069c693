package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// A clip can take longer than any fixed limit to go over a slow link, so a
// transfer is bounded by its progress instead: it fails once no byte has
// moved for the client's timeout.

// watchdog cancels a transfer that makes no progress for d.
type watchdog struct {
	d     time.Duration
	t     *time.Timer
	fired atomic.Bool
}

func newWatchdog(d time.Duration, cancel context.CancelFunc) *watchdog {
	w := &watchdog{d: d}
	w.t = time.AfterFunc(d, func() {
		w.fired.Store(true)
		cancel()
	})
	return w
}

// kick notes progress.
func (w *watchdog) kick() {
	if !w.fired.Load() {
		w.t.Reset(w.d)
	}
}

func (w *watchdog) stop() { w.t.Stop() }

// stalled returns the error for a transfer the watchdog ended, or err.
func (w *watchdog) stalled(err error) error {
	if w.fired.Load() {
		return fmt.Errorf("no data moved for %v: %w", w.d, context.DeadlineExceeded)
	}
	return err
}

// progressReader kicks the watchdog on every read that moved bytes.
type progressReader struct {
	r io.Reader
	w *watchdog
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.w.kick()
	}
	return n, err
}

// stream makes a request whose body or answer is a clip, under the
// watchdog, and returns the response; the caller closes it with done.
//
// The transport cannot take back a Read of the body it started, so when
// the request ends early a body that is an io.Closer (a pipe from an
// encoder) is closed, as net/http closes the bodies it is given: a
// producer that stalled is unblocked rather than holding the call.
func (c *Client) stream(ctx context.Context, r request) (resp *http.Response, done func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	w := newWatchdog(c.timeout, cancel)
	if r.body != nil {
		if closer, ok := r.body.(io.Closer); ok {
			stop := context.AfterFunc(ctx, func() { closer.Close() })
			defer stop()
		}
		r.body = &progressReader{r: r.body, w: w}
	}
	resp, err = c.send(ctx, r)
	if err != nil {
		w.stop()
		cancel()
		return nil, nil, w.stalled(err)
	}
	resp.Body = &content{body: resp.Body, w: w, left: MaxContentBytes}
	return resp, func() { w.stop(); cancel(); resp.Body.Close() }, nil
}

// open GETs a clip's ciphertext as a stream.
func (c *Client) open(ctx context.Context, path string) (io.ReadCloser, error) {
	resp, done, err := c.stream(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return nil, err
	}
	return &closer{Reader: resp.Body, done: done}, nil
}

// content is an answer's body read under the watchdog, up to a limit.
type content struct {
	body io.ReadCloser
	w    *watchdog
	left int64
}

func (c *content) Read(b []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := c.body.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w (%d bytes)", ErrResponseTooLarge, MaxContentBytes)
		}
		return 0, c.failed(err)
	}
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	n, err := c.body.Read(b)
	c.left -= int64(n)
	if n > 0 {
		c.w.kick()
	}
	return n, c.failed(err)
}

// failed says why a read failed: the watchdog's reason if it ended it.
func (c *content) failed(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return c.w.stalled(err)
}

func (c *content) Close() error { return c.body.Close() }

// closer is the stream a caller reads and closes.
type closer struct {
	io.Reader
	done func()
}

func (c *closer) Close() error {
	c.done()
	return nil
}
