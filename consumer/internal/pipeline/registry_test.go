package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/integration/harness"
	"github.com/sfsync/sfsync/platform/registry"
	"github.com/sfsync/sfsync/schemas/envelope"
)

// TestRegistryOutageIsRetried: a Schema Registry frame whose writer
// schema the registry cannot give (it answers 503) is decoded again
// until the registry answers, then applied, and never dead-lettered. A
// proxy in front of the stack's registry makes the outage.
func TestRegistryOutageIsRetried(t *testing.T) {
	t.Parallel()
	reg := harness.NewSchemaRegistry(t)
	r := newRig(t, 1)
	writer, err := envelope.NewCodec(envelope.WithRegistry(reg.Client))
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.Register(context.Background(), r.topic); err != nil {
		t.Fatal(err)
	}
	e := account("001000000000000007", 10, envelope.ChangeCreate, "framed")
	frame, err := writer.EncodeTo(nil, r.topic, e)
	if err != nil {
		t.Fatal(err)
	}
	r.sendRaw(kafka.Message{Topic: r.topic, Key: []byte(e.PartitionKey), Value: frame})

	target, err := url.Parse(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	down.Store(true)
	var refused atomic.Int32
	forward := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if down.Load() {
			refused.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		forward.ServeHTTP(w, req)
	}))
	defer proxy.Close()
	settings := registry.Settings{URL: proxy.URL + target.Path}
	if r.codec, err = settings.EnvelopeCodec(); err != nil {
		t.Fatal(err)
	}
	stop, m := r.start(false)
	r.waitFor("decode retries while the registry is down", func() bool {
		return refused.Load() >= 2 && testutil.ToFloat64(m.retries) >= 2
	})
	down.Store(false)
	r.waitFor("the row", func() bool {
		return r.count(`SELECT count(*) FROM account WHERE name = 'framed'`) == 1
	})
	stop()
	if n := testutil.ToFloat64(m.deadLetters.WithLabelValues(r.topic, "decode")); n != 0 {
		t.Errorf("%v records dead-lettered while the registry was down", n)
	}
}
