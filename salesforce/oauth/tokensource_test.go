package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/sfsync/sfsync/salesforce/oauth"
)

// gatedServer is a token endpoint that holds every request until release
// is closed.
func gatedServer(t *testing.T, release <-chan struct{}, arrived chan<- struct{}) *tokenServer {
	return newTokenServer(t, func(r *http.Request, _ url.Values) (int, any) {
		if arrived != nil {
			arrived <- struct{}{}
		}
		<-release
		return 0, nil
	})
}

func newSource(t *testing.T, srv *tokenServer, opts ...oauth.Option) *oauth.TokenSource {
	t.Helper()
	c, err := oauth.NewClient(oauth.Config{Grant: oauth.GrantClientCredentials, LoginURL: srv.URL,
		ClientID: "id", ClientSecret: testClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	return oauth.NewTokenSource(c, opts...)
}

func TestTokenSourceSharesOneFetch(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	arrived := make(chan struct{}, 10)
	srv := gatedServer(t, release, arrived)
	src := newSource(t, srv)

	const callers = 64
	results := make(chan oauth.Token, callers)
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			tok, err := src.Token(t.Context())
			if err != nil {
				errs <- err
				return
			}
			results <- tok
		})
	}
	<-arrived // the one fetch is at the server
	close(release)
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for tok := range results {
		if string(tok.AccessToken) != accessToken(1) {
			t.Fatalf("caller got %q, want the first token", string(tok.AccessToken))
		}
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d fetches for %d concurrent callers, want 1", n, callers)
	}

	// Every caller reports the same rejected token: one refresh.
	first, _ := src.Token(t.Context())
	for range callers {
		wg.Go(func() {
			src.Invalidate(first)
			tok, err := src.Token(t.Context())
			if err != nil {
				t.Error(err)
				return
			}
			if tok.AccessToken == first.AccessToken {
				// Allowed only before anyone invalidated; after our own
				// Invalidate the cached token must be new.
				t.Error("got the rejected token after invalidating it")
			}
		})
	}
	wg.Wait()
	if n := srv.requests.Load(); n != 2 {
		t.Fatalf("%d fetches after one rejection, want 2", n)
	}
	second, _ := src.Token(t.Context())
	if string(second.AccessToken) != accessToken(2) {
		t.Errorf("token after refresh %q, want %q", string(second.AccessToken), accessToken(2))
	}

	// A late report of the old token does not drop the new one.
	src.Invalidate(first)
	if tok, _ := src.Token(t.Context()); tok.AccessToken != second.AccessToken || srv.requests.Load() != 2 {
		t.Errorf("stale Invalidate caused a refresh")
	}
}

func TestTokenSourceCallerCancelDoesNotFailOthers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := gatedServer(t, release, arrived)
	src := newSource(t, srv)

	ctx, cancel := context.WithCancel(t.Context())
	firstErr := make(chan error, 1)
	go func() {
		_, err := src.Token(ctx)
		firstErr <- err
	}()
	<-arrived
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v", err)
	}
	second := make(chan error, 1)
	go func() {
		tok, err := src.Token(t.Context())
		if err == nil && string(tok.AccessToken) != accessToken(1) {
			err = errors.New("wrong token")
		}
		second <- err
	}()
	close(release)
	if err := <-second; err != nil {
		t.Fatalf("second caller: %v", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("%d fetches, want the first one shared", n)
	}
}

func TestTokenSourceErrorsAreNotCached(t *testing.T) {
	t.Parallel()
	fail := true
	var mu sync.Mutex
	srv := newTokenServer(t, func(*http.Request, url.Values) (int, any) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			fail = false
			return http.StatusServiceUnavailable, map[string]string{"error": "server_error"}
		}
		return 0, nil
	})
	src := newSource(t, srv)
	_, err := src.Token(t.Context())
	if !oauth.IsRetryable(err) {
		t.Fatalf("first Token: %v, want a retryable error", err)
	}
	if _, err := src.Token(t.Context()); err != nil {
		t.Fatalf("second Token: %v", err)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
}

func TestTokenSourceMaxAge(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, nil)
	var mu sync.Mutex
	clock := fixedNow
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	src := newSource(t, srv, oauth.WithMaxAge(time.Hour), oauth.WithClock(now))

	for _, step := range []struct {
		advance  time.Duration
		requests int64
	}{
		{0, 1},                // first fetch
		{59 * time.Minute, 1}, // still fresh
		{time.Minute, 2},      // an hour old: refreshed
		{30 * time.Minute, 2}, // the new one is fresh
	} {
		advance(step.advance)
		if _, err := src.Token(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := srv.requests.Load(); n != step.requests {
			t.Fatalf("after %v: %d fetches, want %d", step.advance, n, step.requests)
		}
	}
}
