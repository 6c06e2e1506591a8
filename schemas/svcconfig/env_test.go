package svcconfig

import (
	"errors"
	"strings"
	"testing"
)

func TestUnknownEnv(t *testing.T) {
	t.Parallel()
	environ := []string{
		"SFSYNC_TEST_POSTGRES_URL=postgres://u:secret@h/db", // known
		"SFSYNC_TEST_SALESFORCE_CLIENT_SECRT=hunter2",       // a typo
		"SFSYNC_TEST_NOTHING_LIKE_IT=1",
		"SFSYNC_OTHER_POSTGRES_URL=x", // another service's
		"PATH=/usr/bin",
	}
	err := UnknownEnv("test", "SFSYNC_TEST_", &testConfig{}, environ)
	want := "$SFSYNC_TEST_SALESFORCE_CLIENT_SECRT: overrides no setting; did you mean SFSYNC_TEST_SALESFORCE_CLIENT_SECRET?\n" +
		"$SFSYNC_TEST_NOTHING_LIKE_IT: overrides no setting; the settings' variables are SFSYNC_TEST_<KEY_PATH>, such as SFSYNC_TEST_MAPPING"
	if err == nil || err.Error() != want || !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatal("a value was shown")
	}
	if err := UnknownEnv("test", "SFSYNC_TEST_", &testConfig{}, environ[:1]); err != nil {
		t.Fatalf("known variables only: %v", err)
	}
}
