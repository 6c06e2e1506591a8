package config

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
	"strings"
	"sync"
	"testing"
	"time"
)

// territoryMapping is the absolute path of the bundled mapping.
var territoryMapping = sync.OnceValue(func() string {
	p, err := filepath.Abs("../../../schemas/mappings/territory.yaml")
	if err != nil {
		panic(err)
	}
	return p
})

// rsaKey is one RSA key for all tests, as generating one is slow.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// files writes the fixture files into dir: an RSA key in PKCS#1 and
// PKCS#8, an EC key, a CA certificate, a client certificate and key, and
// files that are not what they claim.
func files(t *testing.T, dir string) {
	t.Helper()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(rsaKey())
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
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("pkcs1.key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey()))
	write("pkcs8.key", "PRIVATE KEY", pkcs8)
	write("ec.key", "PRIVATE KEY", ecDER)
	write("client.key", "PRIVATE KEY", ecDER)
	write("ca.pem", "CERTIFICATE", certDER)
	write("client.pem", "CERTIFICATE", certDER)
	write("garbled.key", "RSA PRIVATE KEY", []byte("not DER"))
	if err := os.WriteFile(filepath.Join(dir, "text.txt"), []byte("no PEM here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad-mapping.yaml"), []byte("version: 1\nobjects:\n  Account:\n    table: account\n    fieldz: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// env returns a lookup function over m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// fixture writes the YAML text, with {{mapping}} replaced by the bundled
// mapping, as reconciler.yaml in a new directory holding the fixture files,
// and returns its path and the directory.
func fixture(t *testing.T, text string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	files(t, dir)
	path = filepath.Join(dir, "reconciler.yaml")
	text = strings.ReplaceAll(text, "{{mapping}}", territoryMapping())
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, dir
}
