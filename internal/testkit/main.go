package testkit

import (
	"log/slog"
	"os"
	"testing"

	"k8s.io/klog/v2"
)

// Main runs a package's tests with the log library's info lines (one per
// new log directory, reported through klog) kept out of the output;
// warnings and errors still show. Call it from TestMain.
func Main(m *testing.M) {
	klog.SetSlogLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}
