package kafkaconf

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// TestTransportAndDialer builds the kafka-go transport and dialer for
// each SASL mechanism and TLS setting. It needs no network: the local
// Kafka has no SASL or TLS listener, so the handshakes themselves are
// not exercised here.
func TestTransportAndDialer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		kafka    string // appended to the kafka section
		wantSASL string // mechanism name on the wire, "" for none
		wantTLS  bool
	}{
		{scenario: "plaintext"},
		{scenario: "plain", kafka: "  sasl: {mechanism: PLAIN, username: u, password: p}\n", wantSASL: "PLAIN"},
		{scenario: "scram-sha-256", kafka: "  sasl: {mechanism: SCRAM-SHA-256, username: u, password: p}\n", wantSASL: "SCRAM-SHA-256"},
		{scenario: "scram-sha-512 over tls", kafka: "  tls: {enabled: true}\n  sasl: {mechanism: SCRAM-SHA-512, username: u, password: p}\n", wantSASL: "SCRAM-SHA-512", wantTLS: true},
		{scenario: "msk iam", kafka: "  tls: {enabled: true}\n  sasl: {mechanism: AWS_MSK_IAM, aws_region: eu-west-1}\n", wantSASL: "OAUTHBEARER", wantTLS: true},
		{scenario: "mutual tls", kafka: "  tls: {enabled: true, ca_file: ca.pem, cert_file: client.pem, key_file: client.key, insecure_skip_verify: true}\n", wantTLS: true},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			c, dir := load(t, "kafka:\n  brokers: [127.0.0.1:19092]\n  client_id: test-client\n"+tc.kafka)
			if ps := append(c.Kafka.Problems(), c.Kafka.SecurityProblems()...); len(ps) > 0 {
				t.Fatalf("problems in %s: %v", dir, ps)
			}
			tr, d, err := c.Kafka.Clients()
			if err != nil {
				t.Fatal(err)
			}
			if tr.ClientID != "test-client" || d.ClientID != "test-client" || tr.DialTimeout != DialTimeout || d.Timeout != DialTimeout {
				t.Errorf("transport %+v dialer %+v", tr, d)
			}
			for _, m := range []any{tr.SASL, d.SASLMechanism} {
				switch {
				case tc.wantSASL == "" && m != nil:
					t.Errorf("SASL %v, want none", m)
				case tc.wantSASL != "" && (m == nil || m.(interface{ Name() string }).Name() != tc.wantSASL):
					t.Errorf("SASL %v, want %s", m, tc.wantSASL)
				}
			}
			for _, cfg := range []*tls.Config{tr.TLS, d.TLS} {
				if (cfg != nil) != tc.wantTLS {
					t.Fatalf("TLS %v, want %v", cfg, tc.wantTLS)
				}
				if cfg != nil && cfg.MinVersion != tls.VersionTLS12 {
					t.Errorf("min version %x", cfg.MinVersion)
				}
			}
			if tc.scenario == "mutual tls" {
				if tr.TLS.RootCAs == nil || len(tr.TLS.Certificates) != 1 || !tr.TLS.InsecureSkipVerify {
					t.Errorf("tls %+v", tr.TLS)
				}
				if w := c.Kafka.Warnings(); len(w) != 1 {
					t.Errorf("warnings %q", w)
				}
			}
			if tc.wantSASL != "" && tc.wantSASL != "OAUTHBEARER" {
				// The SCRAM and PLAIN mechanisms start without a network.
				if _, ir, err := tr.SASL.Start(context.Background()); err != nil || len(ir) == 0 {
					t.Errorf("Start: %q, %v", ir, err)
				}
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files(t, dir)
	for _, tc := range []struct {
		scenario string
		k        Conn
		want     string
	}{
		{"ca unreadable", Conn{TLS: TLS{Enabled: true, CAFile: filepath.Join(dir, "none.pem")}}, "kafka.tls.ca_file: cannot read " + filepath.Join(dir, "none.pem") + ": no such file or directory"},
		{"unknown mechanism", Conn{SASL: SASL{Mechanism: "GSSAPI"}}, `kafka.sasl.mechanism: unknown mechanism "GSSAPI"`},
		{"msk without region", Conn{SASL: SASL{Mechanism: MechanismAWSMSKIAM}}, "kafka.sasl.aws_region: is required with mechanism AWS_MSK_IAM"},
	} {
		if _, err := tc.k.Transport(); err == nil || err.Error() != tc.want {
			t.Errorf("%s: Transport: %v, want %s", tc.scenario, err, tc.want)
		}
		if _, err := tc.k.Dialer(); err == nil || err.Error() != tc.want {
			t.Errorf("%s: Dialer: %v, want %s", tc.scenario, err, tc.want)
		}
		if _, _, err := tc.k.Clients(); err == nil || err.Error() != tc.want {
			t.Errorf("%s: Clients: %v, want %s", tc.scenario, err, tc.want)
		}
	}
}

// TestMSKIAM checks the OAUTHBEARER exchange with a stand-in token
// function; TestMSKIAMToken runs the real signer.
func TestMSKIAM(t *testing.T) {
	t.Parallel()
	var gotRegion string
	s := SASL{Mechanism: MechanismAWSMSKIAM, AWSRegion: "eu-west-1"}
	m, err := s.mechanism(func(_ context.Context, region string) (string, int64, error) {
		gotRegion = region
		return "c2lnbmVk", 1, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "OAUTHBEARER" {
		t.Errorf("name %s", m.Name())
	}
	sm, ir, err := m.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte("n,,\x01auth=Bearer c2lnbmVk\x01\x01"); !bytes.Equal(ir, want) || gotRegion != "eu-west-1" {
		t.Errorf("initial response %q region %s", ir, gotRegion)
	}
	if done, resp, err := sm.Next(context.Background(), nil); !done || resp != nil || err != nil {
		t.Errorf("success: %v %q %v", done, resp, err)
	}
	_, _, err = sm.Next(context.Background(), []byte(`{"status":"invalid_token"}`))
	if want := `msk iam: broker refused the token: {"status":"invalid_token"}`; err == nil || err.Error() != want {
		t.Errorf("refusal: %v", err)
	}
	if got := fmt.Sprintf("%+v", m); got != "sasl.Mechanism(AWS_MSK_IAM)" {
		t.Errorf("printed as %s", got)
	}

	failing, err := s.mechanism(func(context.Context, string) (string, int64, error) {
		return "", 0, errors.New("no EC2 IMDS role found")
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := failing.Start(context.Background()); err == nil || err.Error() != "msk iam: generate auth token in eu-west-1: no EC2 IMDS role found" {
		t.Errorf("token failure: %v", err)
	}
}
