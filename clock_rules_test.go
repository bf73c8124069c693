package hearth_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The house rule for time in tests as a test: a test waits on an event (a
// channel, a fake clock's timers, the page or the broker saying it is done),
// never on the wall clock. Sleeping, real timers and tickers, and reading
// the wall clock inside a loop (a poll until a deadline) are refused in
// every _test.go file, except in the few files listed here with the reason.
var wallClockExceptions = map[string]string{
	"internal/translog/bench_test.go":  "a benchmark: it measures latency and throughput in real time",
	"internal/geo/index_bench_test.go": "a benchmark: it measures query latency in real time",
	"internal/geo/pg_bench_test.go":    "a benchmark: it measures query latency in real time",
	"internal/translog/crash_test.go":  "a real child process is killed while it appends; its entries carry the real time and it stops itself after a bound if never killed",
}

// wallClockCalls are the functions of package time that wait on, or fire
// from, the wall clock: refused anywhere in a test.
var wallClockCalls = []string{"Sleep", "After", "AfterFunc", "Tick", "NewTicker", "NewTimer"}

// wallClockReads read the wall clock: refused inside a loop, where they
// make a poll against a deadline. Outside one they only date something (a
// TOTP code for a real browser sign-in, a window that must contain now).
var wallClockReads = []string{"Now", "Since", "Until"}

// wallClockWaits returns where the Go source src (named name) waits on the
// wall clock, as "name:line: time.X" entries.
func wallClockWaits(fset *token.FileSet, name string, src any) ([]string, error) {
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	timeName := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "time" {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	if timeName == "" || timeName == "_" {
		return nil, nil
	}
	var found []string
	var loops []ast.Node // the for statements around the node being visited
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			loops = append(loops, n)
			// Every part of the loop is inside it: a poll's deadline is
			// often read in its condition. Absent parts are nil interfaces.
			var parts []ast.Node
			if f, ok := n.(*ast.ForStmt); ok {
				parts = []ast.Node{f.Init, f.Cond, f.Post, f.Body}
			} else {
				r := n.(*ast.RangeStmt)
				parts = []ast.Node{r.Key, r.Value, r.X, r.Body}
			}
			for _, c := range parts {
				if c != nil {
					ast.Inspect(c, visit)
				}
			}
			loops = loops[:len(loops)-1]
			return false
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok || pkg.Name != timeName {
				return true
			}
			if slices.Contains(wallClockCalls, sel.Sel.Name) || len(loops) > 0 && slices.Contains(wallClockReads, sel.Sel.Name) {
				found = append(found, fset.Position(n.Pos()).String()+": time."+sel.Sel.Name)
			}
		}
		return true
	}
	ast.Inspect(f, visit)
	return found, nil
}

func TestNoWallClockWaits(t *testing.T) {
	fset := token.NewFileSet()
	used := map[string]bool{}
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		found, err := wallClockWaits(fset, path, nil)
		if err != nil {
			return err
		}
		path = filepath.ToSlash(path)
		if _, ok := wallClockExceptions[path]; ok {
			used[path] = len(found) > 0
			return nil
		}
		for _, f := range found {
			t.Errorf("%s waits on or polls the wall clock: use clock.Fake (Advance, WaitTimers) or wait on a channel the work signals", f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("found only %d test files: is the walk at the module root?", files)
	}
	for path := range wallClockExceptions {
		if !used[path] {
			t.Errorf("%s is listed as an exception but does not wait on the wall clock (or is gone): remove it from the list", path)
		}
	}
}

// TestWallClockWaitsDetected shows what the rule flags and what it lets
// through.
func TestWallClockWaitsDetected(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string // the calls flagged, in order
	}{
		{"Sleep", `time.Sleep(time.Millisecond)`, []string{"time.Sleep"}},
		{"AfterInSelect", `select { case <-ch: case <-time.After(time.Second): }`, []string{"time.After"}},
		{"TickerAndTimer", `t := time.NewTicker(time.Second); u := time.NewTimer(time.Second); _, _ = t, u`, []string{"time.NewTicker", "time.NewTimer"}},
		{"Tick", `for range time.Tick(time.Second) { break }`, []string{"time.Tick"}},
		{"PollUntilDeadline", `deadline := time.Now().Add(time.Second); for time.Now().Before(deadline) { }`, []string{"time.Now"}},
		{"NowInLoopBody", `for { if time.Since(start) > time.Second { break } }`, []string{"time.Since"}},
		{"NowInRangeLoop", `for range 3 { _ = time.Now() }`, []string{"time.Now"}},
		{"NowOutsideLoop", `code := totp(time.Now()); _ = code`, nil},
		{"Durations", `d := 3 * time.Second; _ = d.String(); _ = time.Unix(0, 0)`, nil},
		{"FakeClock", `clk.Advance(time.Minute); <-clk.NewTimer(time.Second).C`, nil},
		{"Renamed", `stdtime.Sleep(1)`, []string{"time.Sleep"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imp := `"time"`
			if strings.Contains(tc.src, "stdtime.") {
				imp = `stdtime "time"`
			}
			src := "package x\nimport " + imp + "\nfunc f() {\n" + tc.src + "\n}\n"
			found, err := wallClockWaits(token.NewFileSet(), "x_test.go", src)
			if err != nil {
				t.Fatalf("parse %q: %v", src, err)
			}
			var got []string
			for _, f := range found {
				got = append(got, f[strings.LastIndex(f, " ")+1:])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("flagged %q, want %q", got, tc.want)
			}
		})
	}
}
