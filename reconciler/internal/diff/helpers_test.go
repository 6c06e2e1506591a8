package diff

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/salesforce/oauth"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/load"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// accountMapping is a small Account mapping with a field of most kinds,
// a sensitive one and a partition key of its own.
func accountMapping(t testing.TB, kafkaTopic string) *mapping.Object {
	t.Helper()
	yaml := fmt.Sprintf(`version: 1
objects:
  Account:
    table: account
    kafka_topic: %s
    partition_key: Territory_Key__c
    fields:
      Id: varchar(18)
      Name: text
      Industry: text
      AnnualRevenue: numeric(18,2)
      NumberOfEmployees: integer
      Phone: {type: text, sensitive: true}
      BillingLatitude: double precision
      BillingLongitude: double precision
      CreatedDate: timestamptz
      LastModifiedDate: timestamptz
      Territory_Key__c: {column: territory_key, type: varchar(18)}
`, kafkaTopic)
	m, err := mapping.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return m.Objects[0]
}

// startOrg starts sffake with the demo dataset of accounts accounts and
// returns it with a reader over its REST API.
func startOrg(t testing.TB, accounts int) (*sffake.Server, *source.Reader) {
	t.Helper()
	s, err := sffake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := load.Seed(context.Background(), s, load.Dataset{Accounts: accounts, Users: 5}, 7); err != nil {
		t.Fatal(err)
	}
	rc, err := rest.New(rest.Config{
		Credentials: rest.StaticCredentials(rest.Token{AccessToken: oauth.Secret(s.AccessToken()), InstanceURL: s.URL()}),
		BackoffMin:  time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, &source.Reader{REST: rc}
}

// pgText returns v as PostgreSQL text input for a column of its kind, nil
// for NULL.
func pgText(v envelope.Value) any {
	if v.IsNull() {
		return nil
	}
	if s, ok := v.AsString(); ok {
		return s
	}
	if ts, ok := v.AsDateTime(); ok {
		return ts.Format(time.RFC3339Nano)
	}
	if f, ok := v.AsDouble(); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return v.String()
}

// fill writes the Salesforce rows into obj's table as the consumer's
// SNAPSHOT at version (commit, 1) would: live rows, base version set.
func fill(t testing.TB, pool *pgxpool.Pool, obj *mapping.Object, rows []source.Row, commit int64) {
	t.Helper()
	fillFrom(t, pool, obj, func(yield func(source.Row, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}, commit)
}

// fillFrom is fill for rows as they stream, so that any number of them
// loads without being held: it copies text into a staging table and
// casts. It returns the number of rows.
func fillFrom(t testing.TB, pool *pgxpool.Pool, obj *mapping.Object, rows iter.Seq2[source.Row, error], commit int64) int64 {
	t.Helper()
	ctx := context.Background()
	var cols, casts, stage []string
	for _, f := range obj.Fields {
		c := pgx.Identifier{f.Column}.Sanitize()
		cols = append(cols, c)
		stage = append(stage, c+" text")
		casts = append(casts, c+"::"+f.Type.String())
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	stageName := "stage_" + obj.Table + "_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE "+stageName+" ("+strings.Join(stage, ", ")+")"); err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(obj.Fields))
	for i, f := range obj.Fields {
		names[i] = f.Column
	}
	next, stop := iter.Pull2(rows)
	defer stop()
	src := pgx.CopyFromFunc(func() ([]any, error) {
		row, err, ok := next()
		if !ok || err != nil {
			return nil, err
		}
		out := make([]any, len(obj.Fields))
		for j, f := range obj.Fields {
			if f.Name == obj.Key {
				out[j] = row.ID
			} else {
				out[j] = pgText(row.Values[f.Name])
			}
		}
		return out, nil
	})
	n, err := conn.CopyFrom(ctx, pgx.Identifier{stageName}, names, src)
	if err != nil {
		t.Fatal(err)
	}
	q := fmt.Sprintf("INSERT INTO %s (%s, _sf_base_commit, _sf_base_seq, _sf_commit_timestamp) SELECT %s, %d, 1, now() FROM %s",
		pgx.Identifier{obj.Table}.Sanitize(), strings.Join(cols, ", "), strings.Join(casts, ", "), commit, stageName)
	if _, err := conn.Exec(ctx, q); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "DROP TABLE "+stageName); err != nil {
		t.Fatal(err)
	}
	return n
}

// readAll reads every live record of obj.
func readAll(t testing.TB, r *source.Reader, obj *mapping.Object) []source.Row {
	t.Helper()
	var out []source.Row
	for row, err := range r.Query(context.Background(), obj, "", false) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
	return out
}
