package pubsub_test

import (
	"context"
	"errors"
	"log"

	"github.com/sfsync/sfsync/salesforce/pubsub"
)

// store stands for the caller's checkpoint store.
type store interface {
	Load(topic string) []byte
	Save(topic string, replayID []byte)
}

// Example_resubscribe shows the reconnect policy that the client leaves to
// its caller: resume with CUSTOM from the last checkpoint, back off on
// retryable errors, start over from EARLIEST when the stored replay id
// is corrupted or expired, and give up on anything else.
func Example_resubscribe() {
	run := func(ctx context.Context, c *pubsub.Client, topic string, st store, handle func(pubsub.Event) error) error {
		var b pubsub.Backoff
		for {
			req := pubsub.SubscribeRequest{Topic: topic, Preset: pubsub.Earliest}
			if id := st.Load(topic); id != nil {
				req = pubsub.SubscribeRequest{Topic: topic, Preset: pubsub.Custom, ReplayID: id}
			}
			sub, err := c.Subscribe(ctx, req)
			if err == nil {
				for {
					var ev pubsub.Event
					if ev, err = sub.Next(ctx); err != nil {
						break
					}
					b.Reset()
					if !ev.Keepalive {
						if err = handle(ev); err != nil { // dead-letter DecodeErr events inside
							break
						}
					}
					st.Save(topic, ev.ReplayID)
				}
				_ = sub.Close()
			}
			switch {
			case errors.Is(err, pubsub.ErrReplayIDCorrupted):
				// The stored position is outside the retention window:
				// replay what is retained and suspect a gap.
				log.Printf("%s: replay id unusable, restarting from EARLIEST: %v", topic, err)
				st.Save(topic, nil)
			case pubsub.IsRetryable(err):
				// Auth errors included: the client already invalidated
				// the rejected token.
				if werr := b.Wait(ctx); werr != nil {
					return werr
				}
			default:
				return err
			}
		}
	}
	_ = run
}
