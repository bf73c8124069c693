// Package translog is Hearth's public transparency log: every access to
// personal data by anyone but its owner, and every police request, is
// appended here before the data is released.
//
// A Log keeps its tree in a directory with Tessera's POSIX driver, in the
// C2SP tlog-tiles layout, so the directory can be served as it is (see
// Log.ReadResource). Checkpoints are signed notes (Ed25519) whose origin is the
// service's public host name; the private key lives outside the served
// directory. Entries are canonical JSON objects (see Canonical) so that anyone
// can re-hash what they download.
//
// Verify is the other side: it audits a log served at any URL using only HTTP
// (through Tessera's client), checks consistency with the last checkpoint it
// saw, re-hashes the entries added since and compares every tile byte for
// byte. It is what `hearth log verify` runs. It parses what it fetches with
// the transparency-dev libraries Tessera itself uses (formats/log for
// checkpoints, Tessera's api for tiles and bundles, merkle for hashing and
// proofs) and adds only the strictness a verifier needs on top.
//
// Tessera logs through klog. This package does not configure klog: it is a
// domain package and may only import the transparency-dev modules and x/mod
// (deps_test.go). With klog's defaults Tessera prints two lines when a log
// directory is created and otherwise only warnings and errors; the binary may
// route or silence klog.
package translog
