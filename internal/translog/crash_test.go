package translog

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashEnv carries the child's configuration; TestCrashChild runs only
// when it is set.
const crashEnv = "HEARTH_TRANSLOG_CRASH_CHILD"

type crashConfig struct {
	Dir, KeyFile, Origin string
	Iteration            int
}

// TestCrashRecovery kills a process appending to the log at random moments
// and checks that every entry it acknowledged survives at its index, that a
// checkpoint covering them is published after reopening, and that a full
// audit passes, consistent with the previous iteration's checkpoint. Entries
// are acknowledged once in the write-ahead log, before Tessera integrates
// them, so most kills leave some that only the WAL holds: the test fails
// if no reopen ever recovered one.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	base := t.TempDir()
	cc := crashConfig{Dir: filepath.Join(base, "log"), KeyFile: filepath.Join(base, "log.key"), Origin: testOrigin}
	state := filepath.Join(base, "verify-state.json")
	acked := make(map[uint64]string) // index → hex SHA-256 of the entry, over all iterations
	var prevSize uint64
	recovered := 0

	const iterations = 20
	for it := range iterations {
		cc.Iteration = it
		// Mostly a few hundred acks, sometimes a kill right at the start.
		killAfter := 1 + rng.IntN(300)
		if rng.IntN(5) == 0 {
			killAfter = 1 + rng.IntN(3)
		}
		acks, stderr := runChild(t, cc, killAfter)
		for idx, sum := range acks {
			if old, ok := acked[idx]; ok && old != sum {
				t.Fatalf("iteration %d: index %d acknowledged twice, for different entries", it, idx)
			}
			acked[idx] = sum
		}
		if len(acks) < killAfter {
			t.Fatalf("iteration %d: child stopped after %d acks, before the kill at %d; stderr:\n%s", it, len(acks), killAfter, stderr)
		}

		size, fromWAL := checkRecovered(t, cc, acked, state, prevSize)
		recovered += fromWAL
		if size < prevSize {
			t.Fatalf("iteration %d: size %d after %d", it, size, prevSize)
		}
		prevSize = size
	}
	t.Logf("%d iterations, %d acknowledged entries, %d recovered from the write-ahead log, final size %d", iterations, len(acked), recovered, prevSize)
	if recovered == 0 {
		t.Errorf("no reopen recovered an entry from the write-ahead log: the kills never caught one there")
	}
}

// runChild starts the child, reads its acks, kills it with SIGKILL after
// killAfter acks, and returns every ack it printed (index → hex SHA-256).
func runChild(t *testing.T, cc crashConfig, killAfter int) (map[uint64]string, string) {
	t.Helper()
	env, err := json.Marshal(cc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+string(env))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acks := make(map[uint64]string)
	r := bufio.NewReader(out)
	killed := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break // EOF once the child is dead; a partial last line is not an ack
		}
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "ACK" {
			continue // the test framework's own output
		}
		idx, perr := strconv.ParseUint(f[1], 10, 64)
		if perr != nil {
			t.Fatalf("bad ack %q", line)
		}
		acks[idx] = f[2]
		if !killed && len(acks) >= killAfter {
			// Acks printed before the kill lands are still read below:
			// they were acknowledged too.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	cmd.Wait() // killed: the error only says so
	return acks, stderr.String()
}

// checkRecovered reopens the log in this process and checks it; it returns
// the verified tree size and how many entries Open read back from the WAL.
func checkRecovered(t *testing.T, cc crashConfig, acked map[uint64]string, state string, prevSize uint64) (uint64, int) {
	t.Helper()
	cfg := Config{Dir: cc.Dir, KeyFile: cc.KeyFile, Origin: cc.Origin, CheckpointInterval: 100 * time.Millisecond}
	l, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("iteration %d: reopen: %v", cc.Iteration, err)
	}
	defer func() {
		if err := l.Close(t.Context()); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	var last uint64
	for idx, sum := range acked {
		last = max(last, idx)
		got, err := l.ReadEntry(t.Context(), idx)
		if err != nil {
			t.Fatalf("iteration %d: acknowledged entry %d: %v", cc.Iteration, idx, err)
		}
		if s := sha256.Sum256(got); hex.EncodeToString(s[:]) != sum {
			t.Fatalf("iteration %d: entry %d is not the one acknowledged: %s", cc.Iteration, idx, got)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cp, err := l.AwaitCheckpoint(ctx, last)
	if err != nil {
		t.Fatalf("iteration %d: no checkpoint covers entry %d: %v", cc.Iteration, last, err)
	}
	res, err := Verify(t.Context(), VerifyOptions{URL: serve(t, l), Key: l.VerifierKey(), StateFile: state, Entry: int64(last), Full: true})
	if err != nil {
		t.Fatalf("iteration %d: Verify: %v", cc.Iteration, err)
	}
	if res.Size < cp.Size || res.PreviousSize != prevSize || res.Audited != res.Size {
		t.Fatalf("iteration %d: Verify = size %d previous %d audited %d; checkpoint %d, previous %d", cc.Iteration, res.Size, res.PreviousSize, res.Audited, cp.Size, prevSize)
	}
	return res.Size, l.commit.recovered
}

// TestCrashChild is the process TestCrashRecovery kills: it appends from
// several goroutines as fast as it can and prints "ACK <index> <sha256>"
// as soon as each Append returns.
func TestCrashChild(t *testing.T) {
	t.Parallel()
	env := os.Getenv(crashEnv)
	if env == "" {
		t.Skip("run by TestCrashRecovery")
	}
	var cc crashConfig
	if err := json.Unmarshal([]byte(env), &cc); err != nil {
		t.Fatal(err)
	}
	l, err := Open(t.Context(), Config{Dir: cc.Dir, KeyFile: cc.KeyFile, Origin: cc.Origin})
	if err != nil {
		t.Fatal(err)
	}
	// Stop on our own if the parent never kills us.
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(cc.Iteration), uint64(g)))
			for n := 0; ctx.Err() == nil; n++ {
				e := Entry{Type: "test.crash", Time: time.Now(), Body: map[string]any{
					"iteration": cc.Iteration, "worker": g, "n": n, "pad": strings.Repeat("x", rng.IntN(200)),
				}}
				data, err := Canonical(e)
				if err != nil {
					t.Error(err)
					return
				}
				idx, err := l.Append(ctx, e)
				if err != nil {
					return
				}
				sum := sha256.Sum256(data)
				mu.Lock()
				// One write per line, so a line is either whole or absent.
				io.WriteString(os.Stdout, fmt.Sprintf("ACK %d %s\n", idx, hex.EncodeToString(sum[:])))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	l.Close(context.Background())
}
