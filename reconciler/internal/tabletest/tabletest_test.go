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
  Widget__c:
    table: widget
    kafka_topic: sfsync.widget
    fields:
      Id: varchar(18)
      Amount__c: numeric(18,2)
`))
	if err != nil {
		t.Fatal(err)
	}
	got := tabletest.DDL(m.Object("Widget__c"))
	want := `CREATE TABLE "widget" ("id" varchar(18) PRIMARY KEY, "amount__c" numeric(18,2), ` +
		`_sf_deleted boolean NOT NULL DEFAULT false, _sf_base_commit bigint NOT NULL DEFAULT 0, ` +
		`_sf_base_seq integer NOT NULL DEFAULT 0, _sf_versions jsonb NOT NULL DEFAULT '{}', ` +
		`_sf_commit_timestamp timestamptz, _sf_synced_at timestamptz NOT NULL DEFAULT now())`
	if got != want {
		t.Errorf("DDL =\n%s\nwant\n%s", got, want)
	}
}
