package svcconfig

import (
	"net/url"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Warnings about settings that send credentials across the network in
// the clear or to an unverified peer. Loopback peers are exempt: that is
// local development, and the traffic never leaves the host.

// cleartextURL returns a warning when u, the value of the setting at
// path, is an http:// URL to a host beyond loopback; what says what
// travels unencrypted.
func cleartextURL(path, u, what string) []string {
	p, err := url.Parse(u)
	if err != nil || !strings.EqualFold(p.Scheme, "http") || loopbackHost(p.Hostname()) {
		return nil
	}
	return []string{path + ": http:// sends " + what + " unencrypted to " + p.Host + "; use https://"}
}

// PostgresWarnings returns a warning when the connection string conn
// (postgres.url) reaches a host beyond loopback without a verified TLS
// certificate: sslmode disable, allow and prefer (the default) may send
// the password and the data in the clear, and require does not verify
// whom it talks to. A string that does not parse gets none; the
// validation reports it.
func PostgresWarnings(conn string) []string {
	cfg, err := pgconn.ParseConfig(conn)
	if err != nil || strings.HasPrefix(cfg.Host, "/") || loopbackHost(cfg.Host) {
		return nil
	}
	plain := slices.ContainsFunc(cfg.Fallbacks, func(f *pgconn.FallbackConfig) bool { return f.TLSConfig == nil })
	var problem string
	switch {
	case cfg.TLSConfig == nil:
		problem = "does not use TLS (sslmode=disable)"
	case plain:
		// allow and prefer: a fallback without TLS, unverified anyway.
		problem = "may fall back to no TLS and does not verify the server's certificate (sslmode=allow or prefer, the default)"
	case cfg.TLSConfig.InsecureSkipVerify && cfg.TLSConfig.VerifyPeerCertificate == nil:
		problem = "does not verify the server's certificate (sslmode=require)"
	default:
		return nil
	}
	return []string{"postgres.url: the connection to " + cfg.Host + " " + problem + "; use sslmode=verify-full"}
}
