package svcconfig

import (
	"reflect"
	"testing"
)

func TestPostgresWarnings(t *testing.T) {
	t.Parallel()
	const verify = "; use sslmode=verify-full"
	for _, tc := range []struct{ conn, want string }{
		{conn: "postgres://u:p@127.0.0.1:5432/db?sslmode=disable"},
		{conn: "postgres://u:p@localhost/db"},
		{conn: "postgres://u:p@[::1]:5432/db?sslmode=disable"},
		{conn: "host=/var/run/postgresql user=u"},
		{conn: "postgres://u:p@db.example.internal/db?sslmode=verify-full"},
		{conn: "postgres://u:p@db.example.internal/db?sslmode=verify-ca"},
		{conn: "postgres://u:p@db.example.internal/db?sslmode=disable",
			want: "postgres.url: the connection to db.example.internal does not use TLS (sslmode=disable)" + verify},
		{conn: "host=db.example.internal user=u password=p",
			want: "postgres.url: the connection to db.example.internal may fall back to no TLS and does not verify the server's certificate (sslmode=allow or prefer, the default)" + verify},
		{conn: "postgres://u:p@10.0.0.7/db?sslmode=require",
			want: "postgres.url: the connection to 10.0.0.7 does not verify the server's certificate (sslmode=require)" + verify},
		{conn: "not a connection string ::"},
	} {
		var want []string
		if tc.want != "" {
			want = []string{tc.want}
		}
		if got := PostgresWarnings(tc.conn); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", tc.conn, got, want)
		}
	}
}

func TestSalesforceCleartextWarnings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    Salesforce
		want []string
	}{
		{s: Salesforce{LoginURL: "https://acme.my.salesforce.com", InstanceURL: "https://acme.my.salesforce.com"}},
		{s: Salesforce{LoginURL: "http://127.0.0.1:7012", InstanceURL: "http://localhost:7012"}},
		{s: Salesforce{LoginURL: "http://sfemu.test:7012", InstanceURL: "http://sfemu.test"}, want: []string{
			"salesforce.login_url: http:// sends the login's credentials and the access token unencrypted to sfemu.test:7012; use https://",
			"salesforce.instance_url: http:// sends the access token unencrypted to sfemu.test; use https://"}},
	} {
		if got := tc.s.Warnings(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: got %q, want %q", tc.s, got, tc.want)
		}
	}
}
