package hearth_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The house rules of DESIGN.md as a test: domain packages import the standard
// library (but not the network, processes or the file system), the shared
// kernel and the domains listed for them only; adapters import domains but
// not each other; only cmd/hearth wires everything. The API client imports
// the standard library and the error codes only, and only the virtual
// devices and cmd/hearth use it.
var (
	kernel   = map[string]bool{"apperr": true, "clock": true, "geo": true, "randid": true, "text": true}
	adapters = map[string]bool{"sqlstore": true, "blobstore": true, "mqttgw": true, "web": true, "sim": true, "mail": true}
	// domains lists every domain package with the other domains whose types
	// and services it may use. The graph has no cycles and points from the
	// newer, composite domains to the older, basic ones; a new edge is a
	// design decision, made here on purpose.
	domains = map[string][]string{
		"identity":     nil,
		"translog":     nil,
		"household":    {"identity"},
		"notice":       {"identity"},
		"device":       {"household", "identity"},
		"vault":        {"device", "household", "identity"},
		"access":       {"identity", "notice", "translog"},
		"legal":        {"identity", "notice", "translog"},
		"neighbors":    {"access", "household", "identity", "notice", "translog", "vault"},
		"feed":         {"household", "identity", "neighbors", "translog", "vault"},
		"transparency": {"legal", "neighbors"},
		// The job runner knows no domain: each registers its work with it.
		"jobs": nil,
	}
	// Third-party imports a domain may use, by the domain that needs them.
	domainLibraries = map[string][]string{
		"identity": {"golang.org/x/crypto/argon2", "github.com/pquerna/otp"},
		"translog": {"github.com/transparency-dev/", "golang.org/x/mod/sumdb/"},
		"vault":    {"filippo.io/age"},
		// Agencies receive submissions under an age key; the domain checks its form.
		"neighbors": {"filippo.io/age"},
		"geo":       {"github.com/golang/geo"},
		// The job runner counts its runs on the registry it is given.
		"jobs": {"github.com/prometheus/client_golang/prometheus"},
	}
	// Imports no domain may use: they belong to adapters.
	adapterOnly = []string{"database/sql", "net/http", "github.com/mochi-mqtt", "github.com/eclipse/paho", "gocloud.dev", "github.com/jackc", "modernc.org"}
	// Standard packages that reach outside the process: the network, mail
	// servers, other programs and the file system. Domains and the kernel
	// leave them to adapters, so every rule can be tested in memory. Parsing
	// packages (net/mail, net/netip, net/url, io/fs over embedded files) stay
	// allowed.
	outsideWorld = []string{"net", "net/smtp", "net/rpc", "os", "os/exec", "os/signal", "io/ioutil", "path/filepath", "syscall", "plugin"}
	// fileSystemOwners may use the file system all the same: the log keeps
	// its tiles in a directory through Tessera's POSIX driver, and syncs
	// that directory itself after a crash.
	fileSystemOwners = map[string][]string{"translog": {"os", "path/filepath", "syscall"}}
	// testKits build real services over real stores for tests: they may
	// import domains, sqlstore (and its sqltest), blobstore and libraries,
	// and only test files import them.
	testKits = map[string]bool{"testkit": true}
)

func TestDependencyRules(t *testing.T) {
	pkgs, err := filepath.Glob("internal/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) == 0 {
		t.Fatal("no packages found")
	}
	pkgs = append(pkgs, "client")
	for _, imp := range imports(t, "cmd") {
		if msg := violation("main", imp); msg != "" && testKitImport(imp) {
			t.Errorf("cmd imports %s: %s", imp, msg)
		}
	}
	for _, dir := range pkgs {
		name := filepath.Base(dir)
		for _, imp := range imports(t, dir) {
			if msg := violation(name, imp); msg != "" {
				t.Errorf("%s imports %s: %s", dir, imp, msg)
			}
		}
	}
}

// clientUsers are the packages that may call the API through hearth/client
// (besides cmd/hearth): a virtual device talks to Hearth as a real one would.
var clientUsers = map[string]bool{"sim": true}

// testKitImport reports whether imp is a test kit.
func testKitImport(imp string) bool {
	inner, ok := strings.CutPrefix(imp, "hearth/internal/")
	return ok && testKits[strings.SplitN(inner, "/", 2)[0]]
}

func violation(pkg, imp string) string {
	if testKitImport(imp) {
		return "only test files import a test kit"
	}
	if testKits[pkg] {
		if inner, ok := strings.CutPrefix(imp, "hearth/internal/"); ok {
			inner = strings.SplitN(inner, "/", 2)[0]
			if inner != "sqlstore" && inner != "blobstore" && !kernel[inner] && !isListedDomain(inner) {
				return "a test kit imports domains, sqlstore and blobstore only"
			}
		} else if strings.HasPrefix(imp, "hearth/") {
			return "a test kit imports domains, sqlstore and blobstore only"
		}
		return ""
	}
	if pkg == "client" {
		switch {
		case imp == "hearth/internal/apperr":
			return ""
		case strings.HasPrefix(imp, "hearth/"):
			return "the API client imports nothing of Hearth but apperr's codes: it is what programs outside Hearth use"
		case strings.Contains(strings.SplitN(imp, "/", 2)[0], "."):
			return "the API client uses the standard library only"
		}
		return ""
	}
	if imp == "hearth/client" || strings.HasPrefix(imp, "hearth/client/") {
		if clientUsers[pkg] {
			return ""
		}
		return "only the virtual devices and cmd/hearth call the API through the client"
	}
	if !kernel[pkg] && !adapters[pkg] && !isListedDomain(pkg) {
		return "internal/" + pkg + " is not listed in deps_test.go: say whether it is kernel, adapter or domain, and which domains it may use"
	}
	if inner, ok := strings.CutPrefix(imp, "hearth/internal/"); ok {
		inner = strings.SplitN(inner, "/", 2)[0]
		switch {
		case kernel[pkg]:
			if !kernel[inner] {
				return "the shared kernel imports nothing else of Hearth"
			}
		case adapters[pkg]:
			if adapters[inner] {
				return "adapters never import each other"
			}
		default: // a domain
			if adapters[inner] {
				return "domains never import adapters"
			}
			if !kernel[inner] && inner != pkg && !slices.Contains(domains[pkg], inner) {
				return "internal/" + pkg + " may use only the domains listed for it in deps_test.go"
			}
		}
		return ""
	}
	if imp == "hearth/cmd/hearth" || strings.HasPrefix(imp, "hearth/") {
		return "only cmd/hearth wires packages together"
	}
	if adapters[pkg] || pkg == "apperr" && imp == "net/http" { // apperr maps codes to HTTP statuses, by design
		return ""
	}
	for _, bad := range adapterOnly {
		if imp == bad || strings.HasPrefix(imp, bad+"/") || strings.HasPrefix(imp, bad) && strings.Contains(bad, ".") {
			return "only adapters talk to databases, HTTP, MQTT or blob storage"
		}
	}
	if slices.Contains(outsideWorld, imp) && !slices.Contains(fileSystemOwners[pkg], imp) {
		return "only adapters reach the network, mail servers, other programs or the file system"
	}
	if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
		return "" // standard library
	}
	for _, lib := range domainLibraries[pkg] {
		if strings.HasPrefix(imp, lib) {
			return ""
		}
	}
	return "a domain uses only the libraries listed for it in deps_test.go"
}

func isListedDomain(pkg string) bool {
	_, ok := domains[pkg]
	return ok
}

// imports returns the non-test imports of the package in dir and its subdirectories.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDependencyRulesCatchViolations(t *testing.T) {
	for _, tc := range []struct{ pkg, imp string }{
		{"identity", "database/sql"},
		{"identity", "net/http"},
		{"identity", "hearth/internal/sqlstore"},
		{"web", "hearth/internal/sqlstore"},
		{"apperr", "hearth/internal/identity"},
		{"identity", "github.com/some/orm"},
		{"identity", "net"},
		{"legal", "net/smtp"},
		{"vault", "os/exec"},
		{"household", "os"},
		{"clock", "os"},
		{"neighbors", "path/filepath"},
		{"household", "hearth/internal/vault"},
		{"identity", "hearth/internal/household"},
		{"unlisted", "fmt"},
		{"client", "hearth/internal/sqlstore"},
		{"client", "hearth/internal/vault"},
		{"client", "filippo.io/age"},
		{"web", "hearth/client"},
		{"identity", "hearth/client"},
		{"web", "hearth/internal/testkit"},
		{"identity", "hearth/internal/testkit"},
		{"main", "hearth/internal/testkit"},
		{"testkit", "hearth/internal/web"},
	} {
		if violation(tc.pkg, tc.imp) == "" {
			t.Errorf("%s importing %s was allowed", tc.pkg, tc.imp)
		}
	}
	for _, tc := range []struct{ pkg, imp string }{
		{"identity", "hearth/internal/apperr"},
		{"identity", "golang.org/x/crypto/argon2"},
		{"sqlstore", "hearth/internal/identity"},
		{"sqlstore", "database/sql"},
		{"web", "net/http"},
		{"identity", "net/mail"},
		{"translog", "os"},
		{"feed", "hearth/internal/neighbors"},
		{"feed", "hearth/internal/geo"},
		{"mail", "net/smtp"},
		{"client", "hearth/internal/apperr"},
		{"client", "net/http"},
		{"sim", "hearth/client"},
		{"testkit", "hearth/internal/sqlstore/sqltest"},
		{"testkit", "hearth/internal/vault"},
		{"testkit", "filippo.io/age"},
	} {
		if msg := violation(tc.pkg, tc.imp); msg != "" {
			t.Errorf("%s importing %s refused: %s", tc.pkg, tc.imp, msg)
		}
	}
}
