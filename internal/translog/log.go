package translog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"hearth/internal/apperr"
)

// Defaults for the zero values of Config. Appends are acknowledged from
// the write-ahead log (wal.go); Tessera's POSIX driver, which creates and
// fsyncs several files per batch, integrates behind it in large batches
// (group.go).
const (
	// DefaultCheckpointInterval is how often a new checkpoint is published
	// while the tree grows. Tessera's POSIX driver allows 100 ms at least.
	DefaultCheckpointInterval = 200 * time.Millisecond
	// DefaultBatchMaxSize is the largest batch handed to Tessera: 16
	// bundles.
	DefaultBatchMaxSize = 4096
)

// tesseraFlushAge is the age at which Tessera's own queue flushes a batch
// smaller than BatchMaxSize. The integrator hands Tessera a whole batch at
// once and waits for it, so this only needs to exceed the time to add one;
// a batch cut by this timer in the middle is written in two.
const tesseraFlushAge = 5 * time.Millisecond

// MaxEntrySize is the largest canonical entry Append accepts (C2SP
// tlog-tiles entry bundles store lengths in 16 bits).
const MaxEntrySize = 1<<16 - 1

// minCheckpointInterval is Tessera's POSIX minimum.
const minCheckpointInterval = 100 * time.Millisecond

// lockName is the file in Dir that Open locks so that one process appends at
// a time. ReadResource never serves it.
const lockName = ".hearth.lock"

// Config says where a log lives and how it batches.
type Config struct {
	// Dir is the log directory, served publicly; created if missing.
	Dir string
	// KeyFile is the private signing key (note format "PRIVATE+KEY+..."),
	// mode 0600, not inside Dir. It is generated on first Open.
	KeyFile string
	// Origin is the checkpoint origin and the key's name: the service's
	// public host name. Open fails if an existing key has another name.
	Origin string
	// CheckpointInterval is how often checkpoints are published; 0 means
	// DefaultCheckpointInterval. At least 100 ms.
	CheckpointInterval time.Duration
	// BatchMaxSize is the largest batch handed to Tessera; 0 means
	// DefaultBatchMaxSize.
	BatchMaxSize uint
	// Logger receives what the log cannot report to a caller (a storage
	// failure it retries, a broken tree); nil means slog.Default().
	Logger *slog.Logger
	// Rand is the randomness for a new key; nil means crypto/rand.
	Rand io.Reader
}

// Log is an open transparency log. Its methods are safe for concurrent use.
type Log struct {
	key      signingKey
	verifier note.Verifier
	root     *os.Root // the served directory; ReadResource reads only through it
	lock     *os.File // holds the flock on lockName

	commit   *committer // acknowledges from the WAL and feeds Tessera's appender
	wal      *wal
	shutdown func(context.Context) error
	reader   tessera.LogReader
	cancel   context.CancelFunc // stops Tessera's and the watcher's goroutines

	mu       sync.RWMutex // guards closed against in-flight Appends
	closed   bool
	inflight sync.WaitGroup
	stopped  chan struct{} // closed when the background goroutines are told to stop

	watch watcher
}

// Open opens the log in cfg.Dir, creating it and its key on first use, and
// starts Tessera's sequencer and checkpoint publisher. The log runs until
// Close; ctx only bounds the opening. Open fails with Invalid for a bad
// Config or a key for another origin, Conflict if the log is already open
// (in this process or another), and Internal for storage failures.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	const op = "translog.Open"
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, apperr.Errorf(op, "create log directory: %w", err)
	}
	if err := keyOutsideDir(cfg.KeyFile, cfg.Dir); err != nil {
		return nil, err
	}
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	l, err := open(ctx, cfg, lock)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return l, nil
}

func open(ctx context.Context, cfg Config, lock *os.File) (*Log, error) {
	const op = "translog.Open"
	key, err := loadOrCreateKey(cfg.KeyFile, cfg.Origin, cfg.Rand)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(key.verifierKey)
	if err != nil {
		return nil, apperr.Errorf(op, "verifier: %w", err)
	}
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		return nil, apperr.Errorf(op, "open log directory: %w", err)
	}
	driver, err := posix.New(ctx, posix.Config{Path: cfg.Dir})
	if err != nil {
		root.Close()
		return nil, apperr.Errorf(op, "tessera posix driver: %w", err)
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(key.signer).
		WithCheckpointInterval(cfg.CheckpointInterval).
		WithBatching(cfg.BatchMaxSize, tesseraFlushAge).
		WithPushback(2 * cfg.BatchMaxSize)
	// The appender's goroutines outlive Open's ctx: they stop at Close.
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	appender, shutdown, reader, err := tessera.NewAppender(bg, driver, opts)
	if err != nil {
		cancel()
		root.Close()
		return nil, apperr.Errorf(op, "start tessera appender: %w", err)
	}
	integrated, err := reader.IntegratedSize(ctx)
	if err != nil {
		cancel()
		root.Close()
		return nil, apperr.Errorf(op, "integrated size: %w", err)
	}
	w, recovered, err := openWAL(cfg.Dir, integrated)
	if err != nil {
		cancel()
		root.Close()
		return nil, err
	}
	l := &Log{
		key: key, verifier: verifier, root: root, lock: lock, wal: w,
		shutdown: shutdown, reader: reader, cancel: cancel,
		stopped: make(chan struct{}),
	}
	l.watch.init()
	if _, err := l.refresh(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		cancel()
		w.close(0)
		root.Close()
		return nil, apperr.Wrap(op, err)
	}
	// Entries recovered from the WAL go to Tessera first, in order.
	l.commit = newCommitter(w, appender.Add, integrated, recovered, int(cfg.BatchMaxSize), cfg.Logger, l.retireWAL)
	go l.poll(bg)
	return l, nil
}

func (c *Config) check() error {
	const op = "translog.Open"
	switch {
	case c.Dir == "":
		return apperr.E(op, apperr.Invalid, "the log directory is not set")
	case c.KeyFile == "":
		return apperr.E(op, apperr.Invalid, "the log key file is not set")
	case !validOrigin(c.Origin):
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("the log origin %q must be a host name without spaces or '+'", c.Origin))
	case c.CheckpointInterval != 0 && c.CheckpointInterval < minCheckpointInterval:
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("the checkpoint interval must be at least %v", minCheckpointInterval))
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = DefaultCheckpointInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.BatchMaxSize == 0 {
		c.BatchMaxSize = DefaultBatchMaxSize
	}
	return nil
}

// validOrigin follows the note format's rule for key names.
func validOrigin(s string) bool {
	return s != "" && utf8.ValidString(s) && !strings.Contains(s, "+") &&
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) < 0
}

// keyOutsideDir refuses a key file inside the served directory: everything
// there may be published.
func keyOutsideDir(keyFile, dir string) error {
	resolve := func(p string) string {
		abs, err := filepath.Abs(p)
		if err != nil {
			return filepath.Clean(p)
		}
		// Resolve symlinks of the deepest existing ancestor, so a link
		// cannot smuggle the key into the directory.
		rest := ""
		for cur := abs; ; {
			if r, err := filepath.EvalSymlinks(cur); err == nil {
				return filepath.Join(r, rest)
			}
			parent := filepath.Dir(cur)
			if parent == cur {
				return abs
			}
			rest = filepath.Join(filepath.Base(cur), rest)
			cur = parent
		}
	}
	rel, err := filepath.Rel(resolve(dir), resolve(keyFile))
	if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return apperr.E("translog.Open", apperr.Invalid, fmt.Sprintf("the log key %s must not be inside the log directory %s, which is public", keyFile, dir))
	}
	return nil
}

// lockDir takes an exclusive flock on the log directory's lock file. flock
// (unlike the fcntl locks Tessera uses) also excludes a second Open in the
// same process, whose fcntl locks would not conflict with the first.
func lockDir(dir string) (*os.File, error) {
	const op = "translog.Open"
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, apperr.Errorf(op, "open log lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, apperr.E(op, apperr.Conflict, fmt.Sprintf("the log in %s is already open", dir))
		}
		return nil, apperr.Errorf(op, "lock log directory: %w", err)
	}
	return f, nil
}

// Append adds e and returns its index once the entry is durable in the
// write-ahead log: it will be at that index in the tree, even after a crash.
// Tessera integrates it shortly after; ReadEntry waits for that, and
// AwaitCheckpoint for the checkpoint covering it, published within about
// CheckpointInterval.
// It fails with Invalid for an entry that has no canonical form or is larger
// than MaxEntrySize, Unavailable once the log is closed or when ctx ends
// first, and Internal when the storage fails. On any error there is no index;
// if ctx ended first the entry may still be appended later, which can only
// over-record an access, never hide one.
func (l *Log) Append(ctx context.Context, e Entry) (uint64, error) {
	const op = "translog.Append"
	data, err := Canonical(e)
	if err != nil {
		return 0, apperr.Wrap(op, err)
	}
	if len(data) > MaxEntrySize {
		return 0, apperr.E(op, apperr.Invalid, fmt.Sprintf("the entry is %d bytes; the log takes at most %d", len(data), MaxEntrySize))
	}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return 0, apperr.E(op, apperr.Unavailable, "the transparency log is closed")
	}
	l.inflight.Add(1)
	l.mu.RUnlock()
	defer l.inflight.Done()

	select {
	case r := <-l.commit.submit(data):
		if r.err != nil {
			return 0, &apperr.Error{Op: op, Code: apperr.Internal, Message: "the transparency log cannot be written", Err: r.err}
		}
		return r.idx, nil
	case <-ctx.Done():
		return 0, &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "the transparency log did not confirm the entry in time", Err: ctx.Err()}
	case <-l.stopped:
		return 0, apperr.E(op, apperr.Unavailable, "the transparency log closed before the entry was written")
	}
}

// Checkpoint returns the latest published checkpoint, signature verified.
// It fails with NotFound if none is published yet and Internal if the stored
// checkpoint does not verify.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, error) {
	cp, err := l.refresh()
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, apperr.E("translog.Checkpoint", apperr.NotFound, "no checkpoint is published yet")
	}
	if err != nil {
		return Checkpoint{}, apperr.Wrap("translog.Checkpoint", err)
	}
	return cp, nil
}

// AwaitCheckpoint blocks until a published checkpoint covers index
// (Size > index) and returns it. It fails with Unavailable when ctx ends or
// the log is closed first, and Internal if the stored checkpoint stops
// verifying.
func (l *Log) AwaitCheckpoint(ctx context.Context, index uint64) (Checkpoint, error) {
	const op = "translog.AwaitCheckpoint"
	for {
		cp, changed, err := l.watch.wait(index)
		if err != nil {
			return Checkpoint{}, apperr.Wrap(op, err)
		}
		if changed == nil {
			return cp, nil
		}
		select {
		case <-changed:
			l.watch.done()
		case <-ctx.Done():
			l.watch.done()
			return Checkpoint{}, &apperr.Error{Op: op, Code: apperr.Unavailable, Message: fmt.Sprintf("no checkpoint covered entry %d in time", index), Err: ctx.Err()}
		case <-l.stopped:
			l.watch.done()
			return Checkpoint{}, apperr.E(op, apperr.Unavailable, "the transparency log is closed")
		}
	}
}

// ReadEntry returns the canonical bytes of the entry at index, waiting for
// Tessera to integrate it if it was acknowledged but is not yet. It fails
// with NotFound if index was never acknowledged, Unavailable if ctx ends or
// the log closes while it waits, and Internal if the stored bundle cannot
// be read or the log stopped taking entries.
func (l *Log) ReadEntry(ctx context.Context, index uint64) ([]byte, error) {
	const op = "translog.ReadEntry"
	if next, integrated := l.commit.state(); index >= integrated && index < next {
		if err := l.commit.awaitIntegrated(ctx, index); errors.Is(err, errBroken) {
			return nil, &apperr.Error{Op: op, Code: apperr.Internal, Message: "the transparency log cannot be written", Err: err}
		} else if err != nil {
			return nil, &apperr.Error{Op: op, Code: apperr.Unavailable, Message: fmt.Sprintf("entry %d was not integrated in time", index), Err: err}
		}
	}
	size, err := l.reader.IntegratedSize(ctx)
	if err != nil {
		return nil, apperr.Errorf(op, "integrated size: %w", err)
	}
	if index >= size {
		return nil, apperr.E(op, apperr.NotFound, fmt.Sprintf("the log has no entry %d", index))
	}
	n := index / layout.EntryBundleWidth
	raw, err := l.reader.ReadEntryBundle(ctx, n, layout.PartialTileSize(0, n, size))
	if err != nil {
		return nil, apperr.Errorf(op, "read entry bundle %d: %w", n, err)
	}
	var b api.EntryBundle
	if err := b.UnmarshalText(raw); err != nil {
		return nil, apperr.Errorf(op, "parse entry bundle %d: %w", n, err)
	}
	i := index % layout.EntryBundleWidth
	if i >= uint64(len(b.Entries)) {
		return nil, apperr.Errorf(op, "entry bundle %d has %d entries, want more than %d", n, len(b.Entries), i)
	}
	return b.Entries[i], nil
}

// InclusionProof proves entry index in the tree of the given size, which
// must be integrated (any published checkpoint's size is). It fails with
// Invalid if index >= size, NotFound if size is beyond the integrated tree,
// and Internal if the stored tiles cannot be read.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	proofs, err := l.InclusionProofs(ctx, []uint64{index}, size)
	if err != nil {
		return nil, err
	}
	return proofs[0], nil
}

// InclusionProofs proves each of the entries in the tree of the given size,
// reading each tile once however many proofs need it; proofs[i] is the
// proof of indices[i]. Errors as for InclusionProof.
func (l *Log) InclusionProofs(ctx context.Context, indices []uint64, size uint64) ([][][]byte, error) {
	const op = "translog.InclusionProof"
	for _, index := range indices {
		if index >= size {
			return nil, apperr.E(op, apperr.Invalid, fmt.Sprintf("entry %d is not in a tree of size %d", index, size))
		}
	}
	integrated, err := l.reader.IntegratedSize(ctx)
	if err != nil {
		return nil, apperr.Errorf(op, "integrated size: %w", err)
	}
	if size > integrated {
		return nil, apperr.E(op, apperr.NotFound, fmt.Sprintf("the log has no tree of size %d yet", size))
	}
	// Tessera writes partial tiles only for the sizes it integrated, and a
	// caller may ask for any size: fall back to the partial tile of the
	// current tree. Tiles only grow, so it holds the same hashes.
	readTile := func(ctx context.Context, level, n uint64, p uint8) ([]byte, error) {
		b, err := l.reader.ReadTile(ctx, level, n, p)
		if errors.Is(err, fs.ErrNotExist) && p != 0 {
			if cur := layout.PartialTileSize(level, n, integrated); cur > p {
				return l.reader.ReadTile(ctx, level, n, cur)
			}
		}
		return b, err
	}
	// One builder: it caches the tiles it has read across proofs.
	pb, err := client.NewProofBuilder(ctx, size, readTile)
	if err != nil {
		return nil, apperr.Errorf(op, "proof builder: %w", err)
	}
	proofs := make([][][]byte, len(indices))
	for i, index := range indices {
		if proofs[i], err = pb.InclusionProof(ctx, index); err != nil {
			return nil, apperr.Errorf(op, "inclusion proof of entry %d: %w", index, err)
		}
	}
	return proofs, nil
}

// VerifierKey returns the note verifier key ("<origin>+<hash>+<base64>").
func (l *Log) VerifierKey() string { return l.key.verifierKey }

// Close stops new Appends, waits for those in flight, for every entry in
// the write-ahead log to be integrated and for a checkpoint covering them
// (bounded by ctx), then stops the background goroutines and releases the
// directory. Append after Close fails with Unavailable; Close twice is a
// no-op. It fails with Unavailable if ctx ended before the final checkpoint
// was published, and Internal if the log had stopped taking entries; the log
// is closed anyway, and whatever was acknowledged is integrated at the next
// Open.
func (l *Log) Close(ctx context.Context) error {
	const op = "translog.Close"
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()

	waited := make(chan struct{})
	go func() { l.inflight.Wait(); close(waited) }()
	var err error
	select {
	case <-waited:
		// Entries whose callers gave up may still be queued; they are
		// written and integrated like the others.
		if derr := l.commit.drain(ctx); errors.Is(derr, errBroken) {
			err = &apperr.Error{Op: op, Code: apperr.Internal, Message: "the transparency log had stopped taking entries", Err: derr}
		} else if derr != nil {
			err = &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "acknowledged entries were still being integrated", Err: derr}
		}
	case <-ctx.Done():
		err = &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "appends were still in flight", Err: ctx.Err()}
	}
	l.commit.close()
	if err == nil {
		if serr := l.shutdown(ctx); serr != nil {
			err = &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "the final checkpoint was not published", Err: serr}
		}
	}
	// The WAL goes once a checkpoint covers it; otherwise the next Open
	// integrates what it holds.
	var covered uint64
	if cp, cerr := l.refresh(); cerr == nil {
		covered = cp.Size
	}
	if werr := l.wal.close(covered); werr != nil && err == nil {
		err = apperr.Errorf(op, "close the write-ahead log: %w", werr)
	}
	l.stop()
	return err
}

// retireWAL deletes the WAL segments a published checkpoint covers. It runs
// on the integrator's goroutine after each batch.
func (l *Log) retireWAL() {
	if !l.wal.hasFinished() {
		return
	}
	cp, err := l.refresh()
	if err != nil {
		return // nothing published yet, or the watcher reports the error
	}
	if err := l.wal.retire(cp.Size); err != nil {
		l.commit.logger.Warn("the transparency log could not delete an integrated write-ahead log segment", "err", err)
	}
}

// stop ends the background goroutines and releases the directory.
func (l *Log) stop() {
	l.cancel()
	close(l.stopped)
	l.root.Close()
	l.lock.Close() // releases the flock
}
