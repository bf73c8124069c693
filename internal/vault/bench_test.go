package vault_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"filippo.io/age"
)

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// encryptedStream is an age file of n plaintext bytes, encrypted while it
// is read, so a test can upload far more than it ever holds.
func encryptedStream(t testing.TB, n int64, to age.Recipient) io.Reader {
	t.Helper()
	r, err := age.EncryptReader(io.LimitReader(zeros{}, n), to)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPut_Streams uploads 64 MiB and checks that Put allocated a small
// fraction of that in all: a Put that buffered the clip, anywhere, would
// allocate at least its size. TotalAlloc counts every allocation, so
// unlike a heap snapshot it cannot miss a buffer the GC already freed.
// TotalAlloc counts the whole process's allocations, so this test does not
// run beside the others (a full-cost scrypt key alone allocates 256 MiB).
func TestPut_Streams(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 64 MiB")
	}
	dir := t.TempDir()
	e := newEnv(t, "sqlite:"+dir+"/hearth.db", dir)
	const size = 64 << 20
	src := encryptedStream(t, size, e.recipient(e.ana))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, _, err := e.svc.Put(context.Background(), e.upload(), src, 2*size)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if c.Size < size {
		t.Fatalf("stored %d bytes, want more than %d", c.Size, size)
	}
	const bound = 16 << 20
	if grew := after.TotalAlloc - before.TotalAlloc; grew > bound {
		t.Errorf("Put of %d MiB allocated %d MiB, want under %d MiB", size>>20, grew>>20, bound>>20)
	} else {
		t.Logf("Put of %d MiB allocated %.1f MiB", size>>20, float64(grew)/(1<<20))
	}
}

// BenchmarkPut measures upload throughput into a fileblob directory with
// SQLite metadata: hashing, the header check, the file write and the row.
// The ciphertext is prepared in advance so only Put is timed.
func BenchmarkPut(b *testing.B) {
	for _, size := range []int{1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			dir := b.TempDir()
			e := newEnv(b, "sqlite:"+dir+"/hearth.db", dir)
			plain := make([]byte, size)
			ct := e.encrypt(b, plain, e.ana, e.bob)
			ctx := context.Background()
			b.SetBytes(int64(len(ct)))
			b.ResetTimer()
			for i := range b.N {
				// Every upload must be new bytes, or idempotency would skip the
				// write; change a payload byte, which the server never reads.
				ct[len(ct)-1-i%(len(ct)/2)]++
				e.clock.Advance(time.Second)
				if _, created, err := e.svc.Put(ctx, e.upload(), bytes.NewReader(ct), 1<<30); err != nil || !created {
					b.Fatalf("Put = %v, %v", created, err)
				}
			}
		})
	}
}

// BenchmarkEncrypt measures age encryption of a clip on one core, against
// the clip-encryption budget in DESIGN.md (≥ 2 GB/s per core).
func BenchmarkEncrypt(b *testing.B) {
	id, _ := age.GenerateX25519Identity()
	plain := make([]byte, 16<<20)
	b.SetBytes(int64(len(plain)))
	b.ResetTimer()
	for range b.N {
		w, err := age.Encrypt(io.Discard, id.Recipient(), id.Recipient())
		if err != nil {
			b.Fatal(err)
		}
		w.Write(plain)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecrypt is BenchmarkEncrypt's counterpart, what a viewer pays.
func BenchmarkDecrypt(b *testing.B) {
	id, _ := age.GenerateX25519Identity()
	var ct bytes.Buffer
	w, _ := age.Encrypt(&ct, id.Recipient())
	w.Write(make([]byte, 16<<20))
	w.Close()
	b.SetBytes(16 << 20)
	b.ResetTimer()
	for range b.N {
		r, err := age.Decrypt(bytes.NewReader(ct.Bytes()), id)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
