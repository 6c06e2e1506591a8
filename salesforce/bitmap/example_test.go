package bitmap_test

import (
	"fmt"

	"github.com/sfsync/sfsync/salesforce/bitmap"
)

func ExampleDecode() {
	schema := bitmap.Schema{Fields: []bitmap.Field{
		{Name: "ChangeEventHeader"},
		{Name: "Name"},
		{Name: "BillingAddress", Components: []string{"Street", "City", "State"}},
		{Name: "Phone"},
		{Name: "LastModifiedDate"},
	}}
	names, err := bitmap.Decode(schema, []string{"0x18", "2-0x06"})
	if err != nil {
		panic(err)
	}
	fmt.Println(names)
	// Output: [BillingAddress.City BillingAddress.State Phone LastModifiedDate]
}

func ExampleEncode() {
	schema := bitmap.Schema{Fields: []bitmap.Field{
		{Name: "ChangeEventHeader"},
		{Name: "Name"},
		{Name: "BillingAddress", Components: []string{"Street", "City", "State"}},
		{Name: "Phone"},
		{Name: "LastModifiedDate"},
	}}
	elems, err := bitmap.Encode(schema, []string{"LastModifiedDate", "BillingAddress.State"})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", elems)
	// Output: ["0x10" "2-0x04"]
}
