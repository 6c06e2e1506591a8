package tabletest_test

import (
	"testing"

	"github.com/sfsync/sfsync/reconciler/internal/tabletest"
	"github.com/sfsync/sfsync/schemas/mapping"
)

func TestDDL(t *testing.T) {
	t.Parallel()
	m, err := mapping.Parse("test.yaml", []byte(`version: 1
objects:
  Account:
    kafka_topic: sfsync.account
    fields:
      Id: varchar(18)
      Name: text
`))
	if err != nil {
		t.Fatal(err)
	}
	got := tabletest.DDL(m.Object("Account"))
	want := `CREATE TABLE "account" ("id" varchar(18) PRIMARY KEY, "name" text, ` +
		`_sf_deleted boolean NOT NULL DEFAULT false, _sf_base_commit bigint NOT NULL DEFAULT 0, ` +
		`_sf_base_seq integer NOT NULL DEFAULT 0, _sf_versions jsonb NOT NULL DEFAULT '{}', ` +
		`_sf_commit_timestamp timestamptz, _sf_synced_at timestamptz NOT NULL DEFAULT now())`
	if got != want {
		t.Errorf("DDL =\n%s\nwant\n%s", got, want)
	}
}
