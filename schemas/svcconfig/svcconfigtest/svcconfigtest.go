package svcconfigtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// MappingFile returns the absolute path of the bundled territory mapping,
// schemas/mappings/territory.yaml.
func MappingFile() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "mappings", "territory.yaml")
}

// RSAKey is one RSA key for all tests, as generating one is slow.
var RSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// WriteFiles writes the fixture files into dir:
//   - pkcs1.key (also rsa.key) and pkcs8.key: one RSA key, [RSAKey], in
//     PKCS#1 and PKCS#8;
//   - ec.key (also client.key): an EC key in PKCS#8;
//   - ca.pem (also client.pem): a self-signed certificate of that EC key,
//     usable as a CA and as a client certificate;
//   - garbled.key: a PEM block that holds no key; text.txt: no PEM at all;
//   - bad-mapping.yaml: a mapping with an unknown key.
func WriteFiles(t testing.TB, dir string) {
	t.Helper()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(RSAKey())
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sfsync test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ec.PublicKey, ec)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	block := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	pkcs1 := block("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(RSAKey()))
	write("pkcs1.key", pkcs1)
	write("rsa.key", pkcs1)
	write("pkcs8.key", block("PRIVATE KEY", pkcs8))
	write("ec.key", block("PRIVATE KEY", ecDER))
	write("client.key", block("PRIVATE KEY", ecDER))
	write("ca.pem", block("CERTIFICATE", certDER))
	write("client.pem", block("CERTIFICATE", certDER))
	write("garbled.key", block("RSA PRIVATE KEY", []byte("not DER")))
	write("text.txt", []byte("no PEM here\n"))
	write("bad-mapping.yaml", []byte("version: 1\nobjects:\n  Account:\n    table: account\n    fieldz: {}\n"))
}

// Env returns a lookup function, as os.LookupEnv, over m.
func Env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// Fixture writes text, with {{mapping}} replaced by [MappingFile], as the
// file name in a new directory holding the [WriteFiles] files, and
// returns its path and the directory.
func Fixture(t testing.TB, name, text string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	WriteFiles(t, dir)
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "{{mapping}}", MappingFile())), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// MetricsPublic checks a service's metrics_public wiring: a metrics_addr
// beyond loopback is warned about unless metrics_public, from the file or
// from the environment (prefix is the service's, e.g. SFSYNC_CONSUMER_),
// says it is intended. warnings loads the service's base configuration
// with extra appended and the environment env, and returns its warnings.
func MetricsPublic(t *testing.T, prefix string, warnings func(t *testing.T, extra string, env map[string]string) []string) {
	t.Helper()
	const addr = "0.0.0.0:9999"
	warning := "metrics_addr: metrics are served beyond this host on " + addr + " (set metrics_public: true if intended)"
	for _, tc := range []struct {
		scenario string
		extra    string
		env      map[string]string
		want     bool
	}{
		{scenario: "loopback default"},
		{scenario: "all interfaces", extra: "metrics_addr: " + addr + "\n", want: true},
		{scenario: "all interfaces, not public", extra: "metrics_addr: " + addr + "\nmetrics_public: false\n", want: true},
		{scenario: "all interfaces, public", extra: "metrics_addr: " + addr + "\nmetrics_public: true\n"},
		{scenario: "public from env", extra: "metrics_addr: " + addr + "\n", env: map[string]string{prefix + "METRICS_PUBLIC": "true"}},
		{scenario: "address and public from env", env: map[string]string{prefix + "METRICS_ADDR": addr, prefix + "METRICS_PUBLIC": "true"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, w := range warnings(t, tc.extra, tc.env) {
				if strings.HasPrefix(w, "metrics_addr:") {
					got = append(got, w)
				}
			}
			if tc.want && (len(got) != 1 || got[0] != warning) || !tc.want && len(got) != 0 {
				t.Errorf("warnings %q; want the metrics_addr warning: %v", got, tc.want)
			}
		})
	}
}

// Case is one configuration file and environment, and the error its
// loading must return.
type Case struct {
	// Scenario names the case.
	Scenario string
	// YAML is the file, {{mapping}} standing for [MappingFile].
	YAML string
	// Env is the environment.
	Env map[string]string
	// Want is the error's text, {{file}} and {{dir}} standing for the
	// file's path and directory; "" when the file must load.
	Want string
}

// Problems runs each case in parallel: it writes the case's file as a
// [Fixture] called name, loads it with load and the case's environment
// (a nil map for none),
// and compares the error's text with the case's. check, when not nil,
// checks each error further, such as the sentinel it wraps.
func Problems(t *testing.T, name string, load func(path string, env map[string]string) error, check func(t *testing.T, err error), cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Scenario, func(t *testing.T) {
			t.Parallel()
			path, dir := Fixture(t, name, tc.YAML)
			err := load(path, tc.Env)
			want := strings.NewReplacer("{{file}}", path, "{{dir}}", dir).Replace(tc.Want)
			switch {
			case want == "" && err != nil:
				t.Fatal(err)
			case want == "":
				return
			case err == nil:
				t.Fatalf("loaded; want:\n%s", want)
			}
			if check != nil {
				check(t, err)
			}
			if got := err.Error(); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
