package config

import (
	"testing"

	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/pubsub"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// TestSharedDefaults checks that svcconfig, which cannot import the
// salesforce module, states its defaults as the salesforce module does.
func TestSharedDefaults(t *testing.T) {
	t.Parallel()
	if svcconfig.DefaultLoginURL != oauth.DefaultLoginURL || svcconfig.DefaultPubSubEndpoint != pubsub.DefaultEndpoint {
		t.Errorf("svcconfig defaults %s %s, salesforce's %s %s", svcconfig.DefaultLoginURL, svcconfig.DefaultPubSubEndpoint, oauth.DefaultLoginURL, pubsub.DefaultEndpoint)
	}
	for name, g := range grants {
		if string(g) == "" || name == "" {
			t.Errorf("grant %q -> %q", name, g)
		}
	}
}
