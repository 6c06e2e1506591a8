package sffake_test

import (
	"testing"

	"github.com/sfsync/sfsync/salesforce/sffake"
)

func TestValidAPIName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"Account", true}, {"Invoice__c", true}, {"Order_Event__e", true}, {"x006", true}, {"A1", true},
		{"", false}, {"1Account", false}, {"_x", false}, {"Bad Name", false}, {"Name-c", false}, {"Zürich", false},
	} {
		if got := sffake.ValidAPIName(tc.name); got != tc.want {
			t.Errorf("ValidAPIName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
