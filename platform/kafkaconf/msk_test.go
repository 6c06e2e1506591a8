package kafkaconf

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-msk-iam-sasl-signer-go/signer"
)

// isolateAWS points the AWS SDK's default credential chain at the given
// environment credentials only: no shared config files, no IMDS, no
// container or web-identity providers, so the test never leaves the
// machine.
func isolateAWS(t *testing.T, keyID, secret, session string) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":                      keyID,
		"AWS_SECRET_ACCESS_KEY":                  secret,
		"AWS_SESSION_TOKEN":                      session,
		"AWS_CONFIG_FILE":                        filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":            filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":              "true",
		"AWS_PROFILE":                            "",
		"AWS_REGION":                             "",
		"AWS_ROLE_ARN":                           "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
	} {
		t.Setenv(k, v)
	}
}

// TestMSKIAMToken runs the real signer through the mechanism and checks
// the client's first message against the documented formats, not against
// the signer: RFC 7628's OAUTHBEARER initial response, whose bearer token
// is the base64url (unpadded) encoding of a SigV4-presigned
// "kafka-cluster:Connect" request to kafka.REGION.amazonaws.com. The
// signature is recomputed here from the AWS Signature Version 4 steps.
func TestMSKIAMToken(t *testing.T) {
	const (
		keyID   = "AKIDEXAMPLE"
		secret  = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
		session = "FQoGZXIvYXdzEXAMPLESESSION"
		region  = "eu-west-1"
	)
	isolateAWS(t, keyID, secret, session)

	m, err := (&SASL{Mechanism: MechanismAWSMSKIAM, AWSRegion: region}).mechanism(signer.GenerateAuthToken)
	if err != nil {
		t.Fatal(err)
	}
	_, ir, err := m.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ir, []byte(secret)) {
		t.Fatal("the initial response carries the secret key")
	}

	// RFC 7628 §3.1: gs2-header "n,," then kvpairs separated by 0x01,
	// "auth=Bearer TOKEN", closed by 0x01 0x01.
	rest, ok := strings.CutPrefix(string(ir), "n,,\x01auth=Bearer ")
	if !ok {
		t.Fatalf("initial response %q does not start with the GS2 header and auth=Bearer", ir)
	}
	token, ok := strings.CutSuffix(rest, "\x01\x01")
	if !ok || strings.ContainsAny(token, "\x01 =+/") {
		t.Fatalf("token %q: want unpadded base64url closed by two 0x01", rest)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatalf("token is not unpadded base64url: %v", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatalf("token %q is not a URL: %v", raw, err)
	}
	host := "kafka." + region + ".amazonaws.com"
	if u.Scheme != "https" || u.Host != host || u.Path != "/" {
		t.Errorf("signed request %s://%s%s, want https://%s/", u.Scheme, u.Host, u.Path, host)
	}

	q := u.Query()
	date := q.Get("X-Amz-Date")
	signedAt, err := time.Parse("20060102T150405Z", date)
	if err != nil {
		t.Fatalf("X-Amz-Date %q: %v", date, err)
	}
	scope := signedAt.Format("20060102") + "/" + region + "/kafka-cluster/aws4_request"
	for k, want := range map[string]string{
		"Action":               "kafka-cluster:Connect",
		"X-Amz-Algorithm":      "AWS4-HMAC-SHA256",
		"X-Amz-Credential":     keyID + "/" + scope,
		"X-Amz-Expires":        "900",
		"X-Amz-SignedHeaders":  "host",
		"X-Amz-Security-Token": session,
	} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if ua := q.Get("User-Agent"); !strings.HasPrefix(ua, "aws-msk-iam-sasl-signer-go/") {
		t.Errorf("User-Agent = %q, want the signer's name first", ua)
	}

	// SigV4 for a presigned URL: the canonical query holds every
	// parameter but the signature (and the User-Agent, which the signer
	// adds after signing), sorted and RFC 3986-encoded; the only signed
	// header is host; the payload hash is that of an empty body.
	var keys []string
	for k := range q {
		if k != "X-Amz-Signature" && k != "User-Agent" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = uriEncode(k) + "=" + uriEncode(q.Get(k))
	}
	canonical := strings.Join([]string{"GET", "/", strings.Join(pairs, "&"),
		"host:" + host + "\n", "host", hexSHA256("")}, "\n")
	toSign := strings.Join([]string{"AWS4-HMAC-SHA256", date, scope, hexSHA256(canonical)}, "\n")
	key := []byte("AWS4" + secret)
	for _, part := range []string{signedAt.Format("20060102"), region, "kafka-cluster", "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	if want := hex.EncodeToString(hmacSHA256(key, toSign)); q.Get("X-Amz-Signature") != want {
		t.Errorf("X-Amz-Signature = %q, want %q from the SigV4 steps", q.Get("X-Amz-Signature"), want)
	}
}

// TestMSKIAMNoCredentials checks that with no AWS credentials anywhere
// the connection fails at once with an error that says so, naming the
// region.
func TestMSKIAMNoCredentials(t *testing.T) {
	isolateAWS(t, "", "", "")
	m, err := (&SASL{Mechanism: MechanismAWSMSKIAM, AWSRegion: "eu-west-1"}).mechanism(signer.GenerateAuthToken)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = m.Start(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "msk iam: generate auth token in eu-west-1: failed to load credentials") {
		t.Fatalf("got %v, want a credentials error naming the region", err)
	}
}

func hexSHA256(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// uriEncode is SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~
// as %XX with upper-case hex.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}
