package oauth

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxClockSkew is the clock difference Salesforce tolerates on a JWT
// assertion's exp.
const MaxClockSkew = 3 * time.Minute

// assertion returns a signed JWT bearer assertion: RS256, iss the consumer
// key, sub the username, aud the audience, exp now plus the lifetime.
func (c *Client) assertion() (string, error) {
	claims := jwt.MapClaims{ // MapClaims keeps aud a string, as Salesforce's samples have it
		"iss": c.cfg.ClientID,
		"sub": c.cfg.Username,
		"aud": c.cfg.Audience,
		"exp": c.now().Add(c.cfg.AssertionLifetime).Unix(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(c.key)
	if err != nil {
		return "", fmt.Errorf("sign jwt assertion: %w", err)
	}
	return s, nil
}

// Claims are the checked claims of a JWT bearer assertion.
type Claims struct {
	// Issuer is iss, the connected app's consumer key.
	Issuer string
	// Subject is sub, the username to issue a token for.
	Subject string
	// Audience is aud.
	Audience string
	// ExpiresAt is exp.
	ExpiresAt time.Time
}

// VerifyAssertion checks a JWT bearer assertion the way Salesforce's token
// endpoint does, for the emulator: the signature must be RS256 by pub, aud
// must equal wantAud, exp must be present and not more than [MaxClockSkew]
// before now, and iss and sub must be present. The caller then checks that
// Issuer is a known consumer key and Subject an approved user.
//
// Failures are [*Error] values with HTTP status 400 and Salesforce's codes:
// invalid_grant / "audience is invalid" for a wrong aud [S];
// invalid_grant / "expired authorization code" for a missing or past exp
// and invalid_client_id / "client identifier invalid" for a missing iss
// [U: wording chosen for the emulator]; invalid_grant / "invalid assertion"
// for anything else (malformed, other algorithm, bad signature, no sub)
// [U].
func VerifyAssertion(assertion string, pub *rsa.PublicKey, wantAud string, now time.Time) (Claims, error) {
	invalid := func(code, desc string) (Claims, error) {
		return Claims{}, &Error{StatusCode: http.StatusBadRequest, Code: code, Description: desc}
	}
	var mc jwt.MapClaims
	_, err := jwt.ParseWithClaims(assertion, &mc, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithLeeway(MaxClockSkew),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(),
		jwt.WithAudience(wantAud),
	)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenSignatureInvalid),
		errors.Is(err, jwt.ErrTokenUnverifiable):
		return invalid("invalid_grant", "invalid assertion")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return invalid("invalid_grant", "audience is invalid")
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return invalid("invalid_grant", "expired authorization code")
	default:
		return invalid("invalid_grant", "invalid assertion")
	}
	iss, _ := mc.GetIssuer()
	sub, _ := mc.GetSubject()
	aud, _ := mc.GetAudience()
	exp, _ := mc.GetExpirationTime()
	if iss == "" {
		return invalid("invalid_client_id", "client identifier invalid")
	}
	if sub == "" {
		return invalid("invalid_grant", "invalid assertion")
	}
	c := Claims{Issuer: iss, Subject: sub, ExpiresAt: exp.Time}
	if len(aud) > 0 {
		c.Audience = aud[0]
	}
	return c, nil
}
