package kafkaconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// config is a service configuration with a kafka section.
type config struct {
	Kafka struct {
		Conn  `yaml:",inline"`
		Group string `yaml:"group"`
	} `yaml:"kafka"`
}

// files writes the fixture files into dir: a CA certificate, a client
// certificate and key, and a file that holds no PEM.
func files(t *testing.T, dir string) {
	t.Helper()
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
	write("client.key", "PRIVATE KEY", ecDER)
	write("ca.pem", "CERTIFICATE", certDER)
	write("client.pem", "CERTIFICATE", certDER)
	if err := os.WriteFile(filepath.Join(dir, "text.txt"), []byte("no PEM here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// load writes text as service.yaml beside the fixture files and loads
// it, failing on decoding problems; it returns the directory too.
func load(t *testing.T, text string) (*config, string) {
	t.Helper()
	dir := t.TempDir()
	files(t, dir)
	path := filepath.Join(dir, "service.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &config{}
	if err := svcconfig.Load(path, c, svcconfig.Options{}); err != nil {
		t.Fatal(err)
	}
	return c, dir
}
