package emu

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sfsync/sfsync/salesforce/sffake"
)

// certificate returns the TLS certificate kept in certFile and keyFile:
// the pair read from them when both exist, or a self-signed pair
// generated now and written there (the key readable by its owner only),
// with written true. One file without the other is an error, so that a
// certificate clients trust is never silently replaced.
func certificate(certFile, keyFile string, now time.Time) (cert tls.Certificate, written bool, err error) {
	_, certErr := os.Stat(certFile)
	_, keyErr := os.Stat(keyFile)
	switch {
	case certErr == nil && keyErr == nil:
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return tls.Certificate{}, false, fmt.Errorf("tls: %w", err)
		}
		return cert, false, nil
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
	case certErr == nil:
		return tls.Certificate{}, false, fmt.Errorf("tls: %s exists but its key %s does not; remove the certificate to generate a new pair", certFile, keyFile)
	case keyErr == nil:
		return tls.Certificate{}, false, fmt.Errorf("tls: %s exists but its certificate %s does not; remove the key to generate a new pair", keyFile, certFile)
	default:
		return tls.Certificate{}, false, fmt.Errorf("tls: %w", errors.Join(certErr, keyErr))
	}
	certPEM, keyPEM, err := sffake.GenerateCertificate(now)
	if err != nil {
		return tls.Certificate{}, false, fmt.Errorf("tls: %w", err)
	}
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{keyFile, keyPEM, 0o600}, {certFile, certPEM, 0o644}} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return tls.Certificate{}, false, fmt.Errorf("tls: %w", err)
		}
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return tls.Certificate{}, false, fmt.Errorf("tls: %w", err)
		}
	}
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, false, fmt.Errorf("tls: %w", err)
	}
	return cert, true, nil
}
