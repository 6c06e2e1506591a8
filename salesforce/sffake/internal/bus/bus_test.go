package bus

import (
	"errors"
	"testing"
	"time"
)

func TestAppendReadGapsAndRetention(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	b := New(Config{Now: func() time.Time { return now }, Retention: time.Hour, MaxGap: 5, Seed: 1, Start: 100})
	b.AddTopic("/event/A__e")
	b.AddTopic("/event/B__e")
	var last uint64 = 100
	for i := range 10 {
		topic := "/event/A__e"
		if i%2 == 1 {
			topic = "/event/B__e"
		}
		evs, err := b.Append(topic, Event{ID: "x", Payload: []byte{byte(i)}})
		if err != nil {
			t.Fatal(err)
		}
		if got := evs[0].ReplayID; got <= last || got > last+6 {
			t.Fatalf("replay id %d after %d: want increasing with gap <= 5", got, last)
		}
		last = evs[0].ReplayID
	}
	evs, tip, err := b.Read("/event/A__e", 0, 3, 1<<20)
	if err != nil || len(evs) != 3 || tip != last {
		t.Fatalf("Read = %d events, tip %d, %v; want 3, %d", len(evs), tip, err, last)
	}
	if err := b.Check("/event/A__e", last+1); !errors.Is(err, ErrUnknown) {
		t.Fatalf("Check beyond tip = %v, want ErrUnknown", err)
	}
	first := evs[0].ReplayID
	now = now.Add(2 * time.Hour)
	if err := b.Check("/event/A__e", first); !errors.Is(err, ErrExpired) {
		t.Fatalf("Check after retention = %v, want ErrExpired", err)
	}
	if n := b.Len("/event/A__e"); n != 0 {
		t.Fatalf("Len after retention = %d, want 0", n)
	}
	if err := b.Check("/event/A__e", last); err != nil {
		t.Fatalf("Check tip after retention = %v, want nil", err)
	}
}
