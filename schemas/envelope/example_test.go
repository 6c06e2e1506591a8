package envelope_test

import (
	"fmt"
	"time"

	"github.com/sfsync/sfsync/schemas/envelope"
)

func Example() {
	codec, err := envelope.NewCodec()
	if err != nil {
		panic(err)
	}
	revenue, err := envelope.ParseDecimal("1250000.50")
	if err != nil {
		panic(err)
	}
	frame, err := codec.Encode(nil, &envelope.Envelope{
		EventID:         "6a2c1b5e-55d2-4a43-9a8e-0e7b3c1d2f40",
		Entity:          "Account",
		RecordID:        "001000000000001AAA",
		ChangeType:      envelope.ChangeUpdate,
		CommitTimestamp: time.Date(2026, 1, 1, 9, 30, 0, 0, time.UTC),
		CommitNumber:    10876543210,
		SequenceNumber:  1,
		ChangedFields:   []string{"AnnualRevenue", "BillingCity"},
		Values: map[string]envelope.Value{
			"AnnualRevenue": envelope.DecimalValue(revenue),
			"BillingCity":   envelope.StringValue("Zürich"),
		},
		PartitionKey: "0MI000000000001AAA",
	})
	if err != nil {
		panic(err)
	}

	e, err := codec.Decode(frame)
	if err != nil {
		panic(err)
	}
	amount, _ := e.Values["AnnualRevenue"].AsDecimal()
	fmt.Println(e.ChangeType, e.Entity, e.RecordID, e.CommitTimestamp.Format(time.RFC3339))
	fmt.Println(amount, e.Values["BillingCity"])
	fmt.Printf("%x\n", frame[:2])
	// Output:
	// UPDATE Account 001000000000001AAA 2026-01-01T09:30:00Z
	// 1250000.50 "Zürich"
	// c301
}
