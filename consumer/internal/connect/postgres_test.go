package connect

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestSetStatementTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, want string }{
		{"postgres://u@127.0.0.1:1/db", "90000"},
		{"postgres://u@127.0.0.1:1/db?statement_timeout=5000", "5000"},
		{"host=127.0.0.1 port=1 user=u statement_timeout=7s", "7s"},
		{"postgres://u@127.0.0.1:1/db?options=-c%20statement_timeout%3D3s", ""},
	} {
		pc, err := pgxpool.ParseConfig(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		setStatementTimeout(pc, 90*time.Second)
		if got := pc.ConnConfig.RuntimeParams["statement_timeout"]; got != tc.want {
			t.Errorf("%s: statement_timeout %q, want %q", tc.url, got, tc.want)
		}
	}
}
