package translog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"hearth/internal/apperr"
)

// The write-ahead log makes an entry durable before Tessera integrates it.
// Tessera's POSIX driver creates and fsyncs several files per batch, so the
// log could only acknowledge as fast as Tessera integrates; one write and
// one fdatasync of an append-only file shared by every entry that arrived
// meanwhile costs a millisecond or two. An entry is acknowledged once its
// record is synced, with the index it will have in the tree; the integrator
// (group.go) then feeds Tessera in large batches behind it.
//
// The WAL lives in walDirName inside the log directory, which ReadResource
// never serves. It is a series of segment files named by the index of their
// first record ("%020d.wal"). A record is
//
//	length uint32 | crc32c uint32 | index uint64 | entry (length bytes)
//
// little-endian, the checksum covering length, index and entry. Records in
// a segment have consecutive indices starting at the segment's name. A
// segment is retired (deleted) once a published checkpoint covers all its
// records.

const (
	walDirName    = ".hearth-wal"
	walSuffix     = ".wal"
	walHeaderSize = 16
	// walSegmentBytes is the size at which the WAL moves to a new segment,
	// so that old ones can be deleted once integrated.
	walSegmentBytes = 32 << 20
)

var walTable = crc32.MakeTable(crc32.Castagnoli)

// walRecord is one entry read back from the WAL.
type walRecord struct {
	index uint64
	data  []byte
}

// appendRecord encodes a record onto buf.
func appendRecord(buf []byte, index uint64, data []byte) []byte {
	var h [walHeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(data)))
	binary.LittleEndian.PutUint64(h[8:16], index)
	binary.LittleEndian.PutUint32(h[4:8], recordSum(h[:], data))
	buf = append(buf, h[:]...)
	return append(buf, data...)
}

func recordSum(header, data []byte) uint32 {
	sum := crc32.Update(0, walTable, header[0:4])
	sum = crc32.Update(sum, walTable, header[8:16])
	return crc32.Update(sum, walTable, data)
}

// parseRecord decodes the record at the start of b and its encoded length;
// ok is false unless b starts with a whole record whose checksum matches.
func parseRecord(b []byte) (r walRecord, n int, ok bool) {
	if len(b) < walHeaderSize {
		return walRecord{}, 0, false
	}
	length := binary.LittleEndian.Uint32(b[0:4])
	if length == 0 || length > MaxEntrySize || len(b) < walHeaderSize+int(length) {
		return walRecord{}, 0, false
	}
	data := b[walHeaderSize : walHeaderSize+int(length)]
	if binary.LittleEndian.Uint32(b[4:8]) != recordSum(b[:walHeaderSize], data) {
		return walRecord{}, 0, false
	}
	return walRecord{index: binary.LittleEndian.Uint64(b[8:16]), data: data}, walHeaderSize + int(length), true
}

// wal appends records to the current segment. write and rotation run on
// the committer's writer goroutine only; retire may run on another, so the
// list of finished segments has its own lock.
type wal struct {
	dir  string
	f    *os.File // the current segment
	path string   // its path
	size int64    // bytes in it
	end  uint64   // the index after its last record

	mu       sync.Mutex
	finished []walSegment // older segments, oldest first
}

// walSegment is a finished segment: all its records are below end.
type walSegment struct {
	path string
	end  uint64
}

func segmentName(first uint64) string { return fmt.Sprintf("%020d%s", first, walSuffix) }

// openWAL opens the WAL in logDir, creating it if missing, and returns the
// records that Tessera has not integrated yet (index >= integrated), in
// order. A last record cut short by a crash is dropped: it was never
// acknowledged. Anything else that does not read back whole and in order
// is an Internal error: acknowledged entries would be lost.
func openWAL(logDir string, integrated uint64) (*wal, []walRecord, error) {
	const op = "translog.Open"
	dir := filepath.Join(logDir, walDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, apperr.Errorf(op, "create write-ahead log directory: %w", err)
	}
	if err := syncDir(logDir); err != nil {
		return nil, nil, err
	}
	segments, err := listSegments(dir)
	if err != nil {
		return nil, nil, apperr.Errorf(op, "list write-ahead log: %w", err)
	}
	w := &wal{dir: dir}
	var pending []walRecord
	next := integrated // the index the next unintegrated record must have
	for i, first := range segments {
		path := filepath.Join(dir, segmentName(first))
		last := i == len(segments)-1
		records, end, err := readSegment(path, first, last)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range records {
			if r.index < integrated {
				continue
			}
			if r.index != next {
				return nil, nil, apperr.Errorf(op, "write-ahead log %s holds entry %d where entry %d was expected: acknowledged entries %d to %d are missing", path, r.index, next, next, r.index-1)
			}
			pending = append(pending, r)
			next++
		}
		if last && end == next {
			// Keep writing the last segment: it ends where the log does.
			if w.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err != nil {
				return nil, nil, apperr.Errorf(op, "open write-ahead log: %w", err)
			}
			st, err := w.f.Stat()
			if err != nil {
				w.f.Close()
				return nil, nil, apperr.Errorf(op, "open write-ahead log: %w", err)
			}
			w.path, w.size, w.end = path, st.Size(), next
			continue
		}
		w.finished = append(w.finished, walSegment{path: path, end: end})
	}
	if w.f == nil {
		if err := w.create(next); err != nil {
			return nil, nil, apperr.Errorf(op, "create write-ahead log: %w", err)
		}
	}
	return w, pending, nil
}

// listSegments returns the first indices of the segments in dir, in order.
// Other files (none are expected) are left alone.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var firsts []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), walSuffix)
		if !ok || len(name) != 20 || !e.Type().IsRegular() {
			continue
		}
		first, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		firsts = append(firsts, first)
	}
	slices.Sort(firsts)
	return firsts, nil
}

// readSegment reads the records of the segment starting at first and
// returns them with the index after the last one. In the last segment a
// bad record followed by nothing valid is a write cut short by a crash: the
// file is truncated before it. A bad record anywhere else, or followed by a
// valid one, is corruption.
func readSegment(path string, first uint64, last bool) ([]walRecord, uint64, error) {
	const op = "translog.Open"
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, apperr.Errorf(op, "read write-ahead log: %w", err)
	}
	var records []walRecord
	next := first
	off := 0
	for off < len(b) {
		r, n, ok := parseRecord(b[off:])
		if !ok {
			if !last {
				return nil, 0, apperr.Errorf(op, "write-ahead log %s is damaged at byte %d (entry %d) before its end; it holds acknowledged entries, so the log is not opened", path, off, next)
			}
			if at, found := validRecordAfter(b, off+1, next); found {
				return nil, 0, apperr.Errorf(op, "write-ahead log %s is damaged at byte %d (entry %d) but holds valid entries after it (at byte %d); it holds acknowledged entries, so the log is not opened", path, off, next, at)
			}
			if err := truncateSynced(path, int64(off)); err != nil {
				return nil, 0, apperr.Errorf(op, "drop the unfinished end of the write-ahead log: %w", err)
			}
			break
		}
		if r.index != next {
			return nil, 0, apperr.Errorf(op, "write-ahead log %s holds entry %d at byte %d where entry %d was expected", path, r.index, off, next)
		}
		records = append(records, r)
		next++
		off += n
	}
	return records, next, nil
}

// validRecordAfter looks for a whole record with an index of at least next
// anywhere from byte from on: a write cut short ends the file with garbage
// or zeros, never with a record that reads back whole.
func validRecordAfter(b []byte, from int, next uint64) (int, bool) {
	for at := from; at+walHeaderSize <= len(b); at++ {
		if r, _, ok := parseRecord(b[at:]); ok && r.index >= next {
			return at, true
		}
	}
	return 0, false
}

func truncateSynced(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// create starts a new segment whose first record will be first, and syncs
// the directory so that the file survives a crash.
func (w *wal) create(first uint64) error {
	path := filepath.Join(w.dir, segmentName(first))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return err
	}
	w.f, w.path, w.size, w.end = f, path, 0, first
	return nil
}

// write appends buf, whose records end before end, with one write and one
// fdatasync, and moves to a new segment when the current one is full.
func (w *wal) write(buf []byte, end uint64) error {
	if _, err := w.f.Write(buf); err != nil {
		return fmt.Errorf("write the write-ahead log: %w", err)
	}
	if err := fdatasync(w.f); err != nil {
		return fmt.Errorf("sync the write-ahead log: %w", err)
	}
	w.size += int64(len(buf))
	w.end = end
	if w.size < walSegmentBytes {
		return nil
	}
	old := walSegment{path: w.path, end: w.end}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("close a write-ahead log segment: %w", err)
	}
	w.mu.Lock()
	w.finished = append(w.finished, old)
	w.mu.Unlock()
	if err := w.create(end); err != nil {
		return fmt.Errorf("start a write-ahead log segment: %w", err)
	}
	return nil
}

// fdatasync flushes the data and the size of f, not its times.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// hasFinished reports whether any finished segment awaits retirement.
func (w *wal) hasFinished() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.finished) > 0
}

// retire deletes the finished segments whose records a published
// checkpoint of size covered covers.
func (w *wal) retire(covered uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.finished) > 0 && w.finished[0].end <= covered {
		if err := os.Remove(w.finished[0].path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("retire write-ahead log segment: %w", err)
		}
		w.finished = w.finished[1:]
	}
	return nil
}

// close closes the current segment, and deletes it too if covered covers
// all its records. No write may follow.
func (w *wal) close(covered uint64) error {
	err := w.f.Close()
	if rerr := w.retire(covered); err == nil {
		err = rerr
	}
	if err == nil && w.end <= covered {
		if rerr := os.Remove(w.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = rerr
		}
	}
	return err
}
