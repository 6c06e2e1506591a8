package oauth_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

// errRejected stands for a 401 INVALID_SESSION_ID or a Pub/Sub
// service.auth.error.
var errRejected = errors.New("session expired or invalid")

func ExampleTokenSource() {
	client, err := oauth.NewClient(oauth.Config{
		Grant:      oauth.GrantJWTBearer,
		ClientID:   os.Getenv("SF_CLIENT_ID"),
		Username:   os.Getenv("SF_USERNAME"),
		PrivateKey: oauth.Secret(os.Getenv("SF_PRIVATE_KEY")),
	})
	if err != nil {
		slog.Error("oauth config", "err", err)
		return
	}
	tokens := oauth.NewTokenSource(client)
	call := func(ctx context.Context) error {
		tok, err := tokens.Token(ctx)
		if err != nil {
			return err // oauth.IsRetryable(err) says whether to back off and retry
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tok.InstanceURL+"/services/data/", nil)
		req.Header.Set("Authorization", "Bearer "+string(tok.AccessToken))
		// ... send req; on HTTP 401:
		tokens.Invalidate(tok) // the next Token call fetches a fresh one, once for all callers
		return errRejected
	}
	_ = call
}
