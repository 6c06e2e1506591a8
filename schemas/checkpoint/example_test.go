package checkpoint_test

import (
	"fmt"
	"time"

	"github.com/sfsync/sfsync/schemas/checkpoint"
)

func Example() {
	codec, err := checkpoint.NewCodec()
	if err != nil {
		panic(err)
	}
	cp := checkpoint.Checkpoint{
		OrgID:        "00D000000000001AAA",
		Subscription: "/data/AccountChangeEvent",
		ReplayID:     []byte{0, 0, 0, 0, 0, 0, 0x30, 0x39},
		UpdatedAt:    time.Now(),
		ProducerID:   "producer-0",
	}
	value, err := codec.Encode(nil, cp) // the Kafka record value
	if err != nil {
		panic(err)
	}
	back, err := codec.Decode(value)
	if err != nil {
		panic(err)
	}
	fmt.Printf("key %s, replay id %x\n", back.Key(), back.ReplayID)
	// Output: key 00D000000000001AAA|/data/AccountChangeEvent, replay id 0000000000003039
}
