package envelope

import "testing"

func TestCorrective(t *testing.T) {
	for _, tc := range []struct {
		channel string
		want    bool
	}{
		{"/data/AccountChangeEvent", false},
		{"/event/Order_Placed__e", false},
		{"", false},
		{PollOrigin, false},
		{ReconcilerOrigin + "repair", true},
		{ReconcilerOrigin + "verify", true},
		{ReconcilerOrigin + "refetch", true},
		{ReconcilerOrigin + "backfill", true},
		{ReconcilerOrigin + "compact", true},
	} {
		e := &Envelope{SourceChannel: tc.channel}
		if got := e.Corrective(); got != tc.want {
			t.Errorf("SourceChannel %q: Corrective() = %v, want %v", tc.channel, got, tc.want)
		}
	}
}
