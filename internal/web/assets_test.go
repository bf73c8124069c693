package web_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"hearth/internal/vault"
)

// The browser bundles: committed esbuild builds of npm packages, so "go run"
// needs no JavaScript toolchain. static/age.js is the age-encryption
// package, the vault's; static/leaflet.js and static/leaflet.css are the
// Leaflet map, for agencies' request areas.
const (
	bundleDir     = "static"
	bundleFile    = "static/age.js"
	leafletFile   = "static/leaflet.js"
	leafletCSS    = "static/leaflet.css"
	jsbuildDir    = "jsbuild"
	rebuildBundle = "cd internal/web/jsbuild && npm ci && npm run build"
)

// bundleGlobs match every file the build writes into static/; a committed
// file they match that the build no longer writes is stale.
var bundleGlobs = []string{"age.js*", "leaflet.js*", "leaflet.css"}

// jsTool returns the path of a JavaScript tool the bundle checks need. They
// skip without it on a developer's machine; CI must run them.
func jsTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is needed to check the browser bundle", name)
	}
	t.Skipf("%s is not installed; the browser bundle is not checked", name)
	return ""
}

// TestBundlesReproducible rebuilds the bundles from a clean copy of jsbuild
// (pinned versions, package-lock.json) and requires the committed files to be
// exactly what the build writes, so nobody can commit a hand-edited or stale
// bundle, and an upgrade is one reviewed change to package.json and the lock.
func TestBundlesReproducible(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("installs packages from the npm registry and rebuilds the bundle")
	}
	npm := jsTool(t, "npm")

	src := t.TempDir()
	err := filepath.WalkDir(jsbuildDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(jsbuildDir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(src, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(src, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, args := range [][]string{
		{"ci", "--no-audit", "--no-fund"},
		{"run", "build", "--", out},
	} {
		cmd := exec.CommandContext(t.Context(), npm, args...)
		cmd.Dir = src
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}

	built, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range built {
		names[e.Name()] = true
		want, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(bundleDir, e.Name()))
		if err != nil {
			t.Errorf("the build writes %s, which is not committed; rebuild with: %s", e.Name(), rebuildBundle)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s/%s (%d bytes) differs from a fresh build (%d bytes); rebuild with: %s",
				bundleDir, e.Name(), len(got), len(want), rebuildBundle)
		}
	}
	for _, f := range []string{bundleFile, bundleFile + ".LICENSE.txt", leafletFile, leafletFile + ".LICENSE.txt", leafletCSS} {
		if !names[filepath.Base(f)] {
			t.Errorf("the build wrote %v, not %s", names, filepath.Base(f))
		}
	}
	for _, g := range bundleGlobs {
		committed, err := filepath.Glob(filepath.Join(bundleDir, g))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range committed {
			if !names[filepath.Base(p)] {
				t.Errorf("%s is committed but the build no longer writes it; remove it", p)
			}
		}
	}
}

// cspViolations lists what in a script the pages' Content-Security-Policy
// (script-src 'self', no 'unsafe-eval' or 'wasm-unsafe-eval') would block, or
// what would need a worker or WebAssembly source the policy does not allow.
func cspViolations(js []byte) []string {
	var found []string
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`\beval\s*\(`),
		regexp.MustCompile(`\bnew\s+Function\b`),
		regexp.MustCompile(`\bFunction\s*\(\s*["'` + "`" + `]`),
		regexp.MustCompile(`\bset(?:Timeout|Interval)\s*\(\s*["'` + "`" + `]`),
		regexp.MustCompile(`\bWebAssembly\b`),
		regexp.MustCompile(`\b(?:Shared)?Worker\s*\(`),
		regexp.MustCompile(`\bimportScripts\b`),
		regexp.MustCompile(`\bURL\.createObjectURL\b`),
	} {
		if loc := re.FindIndex(js); loc != nil {
			found = append(found, string(js[loc[0]:min(loc[1]+20, len(js))]))
		}
	}
	return found
}

func TestBundlesFitCSP(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		`x=eval("1")`, `new Function("a","return a")`, `Function("return this")()`,
		`setTimeout("f()",1)`, `WebAssembly.instantiate(b)`, `new Worker(u)`,
		`importScripts("x.js")`, `URL.createObjectURL(new Blob([s]))`,
	} {
		if len(cspViolations([]byte(bad))) == 0 {
			t.Errorf("cspViolations misses %q", bad)
		}
	}
	for _, f := range []string{bundleFile, leafletFile} {
		js, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if v := cspViolations(js); len(v) > 0 {
			t.Errorf("%s uses what the pages' Content-Security-Policy blocks: %q", f, v)
		}
	}
}

// TestLeafletFitsCSP: the map's stylesheet fetches nothing (its images are
// inlined; img-src allows data:), and its script loads nothing from
// elsewhere and sets no global. (TestBundlesFitCSP checks the script for
// what the policy blocks; the browser tests run the pages under it.)
func TestLeafletFitsCSP(t *testing.T) {
	t.Parallel()
	css, err := os.ReadFile(leafletCSS)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`url\(\s*["']?([^"')]*)`).FindAllSubmatch(css, -1) {
		// "#default#VML" is an old Internet Explorer behaviour, not a fetch.
		if u := string(m[1]); !strings.HasPrefix(u, "data:") && u != "#default#VML" {
			t.Errorf("%s loads %q; inline it (the build's dataurl loader)", leafletCSS, u)
		}
	}
	if bytes.Contains(css, []byte("@import")) {
		t.Errorf("%s still has an @import: the build must inline it", leafletCSS)
	}
	js, err := os.ReadFile(leafletFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"window.L=", "window.L =", "//unpkg.com", "//cdn."} {
		if bytes.Contains(js, []byte(bad)) {
			t.Errorf("%s contains %q", leafletFile, bad)
		}
	}
}

// runBundle runs body as an ES module in node after importing the committed
// bundle as age, the way a page imports /static/age.js, and returns what it
// prints.
func runBundle(t *testing.T, node, body string, env ...string) []byte {
	t.Helper()
	abs, err := filepath.Abs(bundleFile)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := json.Marshal((&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String())
	cmd := exec.CommandContext(t.Context(), node, "--input-type=module", "-e",
		"import * as age from "+string(u)+";\n"+body)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	return out
}

func TestAgeBundleInterop(t *testing.T) {
	t.Parallel()
	node := jsTool(t, "node")
	// A passphrase of the length the vault requires; the wraps use age's
	// default scrypt work factor, the least the server accepts.
	const passphrase = "correct horse battery staple"

	t.Run("GoEncryptsBrowserDecrypts", func(t *testing.T) {
		// Several 64 KiB STREAM chunks and a short last one.
		plain := make([]byte, 300_000+123)
		rand.NewChaCha8([32]byte{1}).Read(plain)
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		var bin, armored bytes.Buffer
		w, err := age.Encrypt(&bin, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plain)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		aw := armor.NewWriter(&armored)
		w, err = age.Encrypt(aw, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plain)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := aw.Close(); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		binPath, armorPath := filepath.Join(dir, "clip.age"), filepath.Join(dir, "clip.age.txt")
		if err := os.WriteFile(binPath, bin.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(armorPath, armored.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}

		// Whole-file, streaming (as from fetch().body) and armored input.
		out := runBundle(t, node, `
import { readFileSync } from "node:fs";
const hex = async (b) => Buffer.from(await crypto.subtle.digest("SHA-256", b)).toString("hex");
const d = new age.Decrypter();
d.addIdentity(process.env.AGE_IDENTITY);
const ct = new Uint8Array(readFileSync(process.env.AGE_BIN));
const whole = await d.decrypt(ct);
const streamed = await new Response(await d.decrypt(new Response(ct).body)).arrayBuffer();
const armored = await d.decrypt(age.armor.decode(readFileSync(process.env.AGE_ARMOR, "utf8")));
console.log(JSON.stringify({ whole: await hex(whole), stream: await hex(streamed), armor: await hex(armored) }));
`, "AGE_IDENTITY="+id.String(), "AGE_BIN="+binPath, "AGE_ARMOR="+armorPath)

		var got map[string]string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("node printed %q: %v", out, err)
		}
		sum := sha256.Sum256(plain)
		want := hex.EncodeToString(sum[:])
		for _, k := range []string{"whole", "stream", "armor"} {
			if got[k] != want {
				t.Errorf("%s: the bundle decrypted to SHA-256 %q, want %s", k, got[k], want)
			}
		}
	})

	t.Run("BrowserWrapsGoUnwraps", func(t *testing.T) {
		// What the key page does: a new X25519 identity, wrapped under the
		// passphrase in age-keygen's layout, as vault.NewMemberKey does.
		out := runBundle(t, node, `
const identity = await age.generateX25519Identity();
const recipient = await age.identityToRecipient(identity);
const e = new age.Encrypter();
e.setScryptWorkFactor(18);
e.setPassphrase(process.env.AGE_PASSPHRASE);
const wrapped = await e.encrypt("# public key: " + recipient + "\n" + identity + "\n");
console.log(JSON.stringify({ recipient, wrapped: Buffer.from(wrapped).toString("base64") }));
`, "AGE_PASSPHRASE="+passphrase)

		var got struct{ Recipient, Wrapped string }
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("node printed %q: %v", out, err)
		}
		wrapped, err := base64.StdEncoding.DecodeString(got.Wrapped)
		if err != nil {
			t.Fatal(err)
		}
		if logN := scryptWorkFactor(t, wrapped); logN != "18" {
			t.Errorf("scrypt work factor %q, want 18", logN)
		}
		sid, err := age.NewScryptIdentity(passphrase)
		if err != nil {
			t.Fatal(err)
		}
		r, err := age.Decrypt(bytes.NewReader(wrapped), sid)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := age.ParseIdentities(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 {
			t.Fatalf("%d identities in the wrapped key, want 1", len(ids))
		}
		id, ok := ids[0].(*age.X25519Identity)
		if !ok {
			t.Fatalf("wrapped identity is a %T, want X25519", ids[0])
		}
		if id.Recipient().String() != got.Recipient {
			t.Errorf("identity's recipient %s, the bundle said %s", id.Recipient(), got.Recipient)
		}
	})

	t.Run("GoWrapsBrowserUnwraps", func(t *testing.T) {
		// A member key made by the CLI, unlocked on the web.
		_, recipient, wrapped, err := vault.NewMemberKey(passphrase)
		if err != nil {
			t.Fatal(err)
		}
		out := runBundle(t, node, `
const d = new age.Decrypter();
d.addPassphrase(process.env.AGE_PASSPHRASE);
const text = await d.decrypt(Buffer.from(process.env.AGE_WRAPPED, "base64"), "text");
const identity = text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"));
console.log(await age.identityToRecipient(identity));
`, "AGE_PASSPHRASE="+passphrase, "AGE_WRAPPED="+base64.StdEncoding.EncodeToString(wrapped))
		if got := strings.TrimSpace(string(out)); got != recipient {
			t.Errorf("the bundle unwrapped an identity for %q, want %s", got, recipient)
		}
	})
}

// scryptWorkFactor returns the log2 N of the scrypt stanza in an age header.
func scryptWorkFactor(t *testing.T, file []byte) string {
	t.Helper()
	sc := bufio.NewScanner(io.LimitReader(bytes.NewReader(file), 4096))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "->" && f[1] == "scrypt" {
			return f[3]
		}
	}
	t.Fatal("no scrypt stanza in the header")
	return ""
}
