package backfill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"

	"github.com/sfsync/sfsync/platform/checkpointstore"
	"github.com/sfsync/sfsync/reconciler/internal/publish"
	"github.com/sfsync/sfsync/reconciler/internal/source"
	"github.com/sfsync/sfsync/salesforce/bulk"
	"github.com/sfsync/sfsync/salesforce/rest"
	"github.com/sfsync/sfsync/schemas/checkpoint"
	"github.com/sfsync/sfsync/schemas/envelope"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// Defaults of [Config] fields.
const (
	DefaultRunName          = "default"
	DefaultCheckpointTopic  = "sfsync.checkpoints"
	DefaultBatchSize        = 500
	DefaultInFlight         = 4
	DefaultBulkThreshold    = 10_000
	DefaultPositionTimeout  = 10 * time.Minute
	DefaultProgressInterval = 5 * time.Second
)

// Methods of reading an object, in [ObjectSummary.Method].
const (
	MethodBulk = "bulk"
	MethodREST = "rest"
)

// cleanupTimeout bounds work done after the run's context ended.
const cleanupTimeout = 10 * time.Second

// Config configures [Run].
type Config struct {
	// Mapping lists the objects. Required.
	Mapping *mapping.Mapping
	// Objects names the objects to load (Salesforce API names); default
	// every mapped object, in mapping order.
	Objects []string
	// REST counts records and reads small objects. Required.
	REST *rest.Client
	// Bulk reads the other objects with Bulk API 2.0 query jobs. Required.
	Bulk *bulk.Client
	// PubSub records the replay positions of the topics the objects
	// stream; *pubsub.Client is one. Required when a chosen object is
	// streamed.
	PubSub Subscriber
	// OrgID is the Salesforce org id the producer keys its checkpoints
	// by. Required when a chosen object is streamed.
	OrgID string
	// Brokers holds the Kafka bootstrap addresses of the checkpoint
	// topic. Required when a chosen object is streamed.
	Brokers []string
	// Transport carries the checkpoint topic's Kafka requests; default
	// kafka.DefaultTransport.
	Transport kafka.RoundTripper
	// CheckpointTopic is the producer's compacted checkpoint topic;
	// default "sfsync.checkpoints". It is created, compacted, when
	// missing.
	CheckpointTopic string
	// Publisher publishes the SNAPSHOT envelopes. Required.
	Publisher *publish.Publisher
	// DB holds the backfill's progress. Required.
	DB *pgxpool.Pool
	// RunName names the backfill whose progress a restart resumes;
	// default "default". [Reset] forgets a run.
	RunName string
	// Out receives the progress display; default none (io.Discard).
	Out io.Writer
	// ProgressInterval is how often a plain progress line is written
	// when Out is not a terminal; default 5s.
	ProgressInterval time.Duration
	// Logger logs decisions (positions, restarts); default none.
	Logger *slog.Logger
	// BatchSize is the number of envelopes per Publish call; default 500.
	BatchSize int
	// InFlight is the number of Publish calls in flight at once; default 4.
	InFlight int
	// PageSize caps the rows of a Bulk API result page (maxRecords), the
	// unit of progress saved; default 0, the server's page size.
	PageSize int
	// BulkThreshold is the record count (SELECT COUNT()) from which an
	// object is read with Bulk API 2.0 rather than REST; default 10,000.
	// Negative reads every object with Bulk API 2.0.
	BulkThreshold int
	// PollInterval is the first delay between a bulk job's status polls;
	// default bulk.DefaultPollInterval.
	PollInterval time.Duration
	// PositionTimeout bounds the wait for the replay positions, which can
	// take up to a keepalive interval (270 s on Salesforce) on a quiet
	// topic; default 10 minutes.
	PositionTimeout time.Duration
	// AfterPage, when set, is called after each Bulk API page of an
	// object has been published and its progress saved, with the records
	// done so far.
	AfterPage func(object string, recordsDone int64)
}

// Validate reports a missing dependency or an unknown object.
func (c *Config) Validate() error {
	var problems []string
	if c.Mapping == nil {
		return errors.New("backfill: no mapping")
	}
	if _, err := c.objects(); err != nil {
		return err
	}
	if c.REST == nil {
		problems = append(problems, "no REST client")
	}
	if c.Bulk == nil {
		problems = append(problems, "no Bulk client")
	}
	if c.Publisher == nil {
		problems = append(problems, "no publisher")
	}
	if c.DB == nil {
		problems = append(problems, "no database")
	}
	if c.BatchSize < 0 || c.InFlight < 0 || c.PageSize < 0 {
		problems = append(problems, "negative batch size, in-flight count or page size")
	}
	if topics, _ := c.topics(); len(topics) > 0 {
		if c.PubSub == nil {
			problems = append(problems, "no Pub/Sub client to record the replay positions")
		}
		if c.OrgID == "" || strings.Contains(c.OrgID, checkpoint.KeySeparator) {
			problems = append(problems, fmt.Sprintf("org id %q", c.OrgID))
		}
		if len(c.Brokers) == 0 {
			problems = append(problems, "no Kafka brokers for the checkpoint topic")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("backfill: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (c *Config) setDefaults() {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&c.RunName, DefaultRunName)
	def(&c.CheckpointTopic, DefaultCheckpointTopic)
	if c.Transport == nil {
		c.Transport = kafka.DefaultTransport
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.InFlight == 0 {
		c.InFlight = DefaultInFlight
	}
	if c.BulkThreshold == 0 {
		c.BulkThreshold = DefaultBulkThreshold
	}
	if c.PositionTimeout <= 0 {
		c.PositionTimeout = DefaultPositionTimeout
	}
}

// objects returns the chosen objects in mapping order.
func (c *Config) objects() ([]*mapping.Object, error) {
	if len(c.Objects) == 0 {
		return c.Mapping.Objects, nil
	}
	want := map[*mapping.Object]bool{}
	for _, name := range c.Objects {
		o := c.Mapping.Object(name)
		if o == nil {
			return nil, fmt.Errorf("backfill: object %s is not in mapping %s", name, c.Mapping.File)
		}
		want[o] = true
	}
	var out []*mapping.Object
	for _, o := range c.Mapping.Objects {
		if want[o] {
			out = append(out, o)
		}
	}
	return out, nil
}

// topics returns the distinct Pub/Sub topics of the chosen streamed
// objects, in mapping order.
func (c *Config) topics() ([]string, error) {
	objs, err := c.objects()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		if o.Sync == mapping.SyncStream && o.Topic != "" && !slices.Contains(out, o.Topic) {
			out = append(out, o.Topic)
		}
	}
	return out, nil
}

// Summary is the outcome of [Run].
type Summary struct {
	// Run is the run name.
	Run string
	// Positions lists the replay position of every streamed topic.
	Positions []Position
	// Objects lists the objects in the order they were loaded; on error,
	// those done so far and the one that failed.
	Objects []ObjectSummary
	// Elapsed is the run's duration.
	Elapsed time.Duration
}

// Published returns the envelopes published by this call, all objects.
func (s Summary) Published() int64 {
	var n int64
	for _, o := range s.Objects {
		n += o.Published
	}
	return n
}

// Position is the replay position recorded for a topic before the
// snapshot.
type Position struct {
	// Topic is the Pub/Sub topic.
	Topic string
	// ReplayID is the recorded position, or the producer's checkpoint when
	// Checkpoint is CheckpointKept.
	ReplayID []byte
	// Checkpoint is CheckpointWritten or CheckpointKept.
	Checkpoint string
	// Resumed is true when an earlier attempt of the run recorded it.
	Resumed bool
}

// ObjectSummary is the outcome of one object.
type ObjectSummary struct {
	// Object is the Salesforce API name.
	Object string
	// Method is MethodBulk or MethodREST.
	Method string
	// Published is the envelopes this call published.
	Published int64
	// Records is the records published in all, earlier attempts included.
	Records int64
	// Total is the live record count found before reading; -1 unknown.
	Total int64
	// Resumed is true when a saved bulk job was continued.
	Resumed bool
	// Restarted is true when the saved bulk job or its locator was gone
	// and the object started over.
	Restarted bool
	// AlreadyDone is true when an earlier attempt had finished it.
	AlreadyDone bool
	// Elapsed is the time this call spent on the object.
	Elapsed time.Duration
}

// runner is one Run.
type runner struct {
	cfg   Config
	log   *slog.Logger
	state *store
	cps   *checkpointstore.Store
	prog  *progress
	now   func() time.Time
}

// Run loads the chosen objects as SNAPSHOT envelopes, after recording the
// replay position of their topics (see the package doc), and returns what
// it did. A run cut short (cancelled, crashed, failed) resumes where it
// stopped when called again with the same [Config.RunName]; a finished
// run does nothing more until [Reset]. Run is safe to call concurrently
// only with distinct run names.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	cfg.setDefaults()
	start := time.Now()
	sum := Summary{Run: cfg.RunName}
	objs, _ := cfg.objects()
	topics, _ := cfg.topics()
	st, err := openStore(ctx, cfg.DB, cfg.RunName, runLockWait)
	if err != nil {
		return sum, err
	}
	defer st.close()
	r := &runner{
		cfg: cfg, log: cfg.Logger.With("run", cfg.RunName), state: st, now: time.Now,
		prog: &progress{out: cfg.Out, tty: isTerminal(cfg.Out), interval: cfg.ProgressInterval, now: time.Now},
	}
	if len(topics) > 0 {
		if r.cps, err = checkpointstore.New(checkpointstore.Config{Brokers: cfg.Brokers, Transport: cfg.Transport, Topic: cfg.CheckpointTopic}); err != nil {
			return sum, err
		}
		defer r.cps.Close()
		if sum.Positions, err = r.recordPositions(ctx, topics); err != nil {
			return sum, err
		}
	}
	for _, o := range objs {
		done, err := r.object(ctx, o)
		sum.Objects = append(sum.Objects, done)
		if err != nil {
			sum.Elapsed = time.Since(start)
			return sum, err
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// object loads one object, resuming its saved progress.
func (r *runner) object(ctx context.Context, obj *mapping.Object) (ObjectSummary, error) {
	start := time.Now()
	sum := ObjectSummary{Object: obj.Name, Total: -1}
	defer func() { sum.Elapsed = time.Since(start) }()
	st, ok, err := r.state.object(ctx, obj.Name)
	if err != nil {
		return sum, err
	}
	sum.Method, sum.Total, sum.Records = st.Method, st.Total, st.Done
	switch {
	case ok && st.Finish:
		sum.AlreadyDone = true
		r.prog.skip(obj.Name, st.Done)
		return sum, nil
	case ok && st.Method == MethodBulk && st.JobID != "":
		sum.Resumed = st.Done > 0 || st.Locator != ""
		err := r.bulkRead(ctx, obj, st, &sum)
		if err == nil || !jobGone(err) || ctx.Err() != nil {
			return sum, err
		}
		r.log.WarnContext(ctx, "backfill: the saved bulk job or page is gone; the object starts over", "object", obj.Name, "job", st.JobID, "err", err)
		sum.Restarted = true
	}
	total, err := r.count(ctx, obj)
	if err != nil {
		r.log.WarnContext(ctx, "backfill: count failed; reading with Bulk API 2.0", "object", obj.Name, "err", err)
		total = -1
	}
	sum.Total = total
	if total >= 0 && total < int64(r.cfg.BulkThreshold) {
		sum.Method = MethodREST
		return sum, r.restRead(ctx, obj, total, &sum)
	}
	sum.Method = MethodBulk
	job, err := r.cfg.Bulk.Create(ctx, selectAll(obj), r.bulkOptions())
	if err != nil {
		return sum, fmt.Errorf("backfill %s: create bulk job: %w", obj.Name, err)
	}
	st = objectState{Method: MethodBulk, JobID: job.ID, Total: total}
	if err := r.state.saveObject(ctx, obj.Name, st); err != nil {
		return sum, err
	}
	return sum, r.bulkRead(ctx, obj, st, &sum)
}

func (r *runner) bulkOptions() bulk.Options {
	return bulk.Options{Operation: bulk.OpQuery, MaxRecords: r.cfg.PageSize, PollInterval: r.cfg.PollInterval}
}

func selectAll(obj *mapping.Object) string {
	return "SELECT " + strings.Join(source.Fields(obj), ", ") + " FROM " + obj.Name
}

// count returns the number of live records of obj.
func (r *runner) count(ctx context.Context, obj *mapping.Object) (int64, error) {
	rows, err := r.cfg.REST.Query(ctx, "SELECT COUNT() FROM "+obj.Name, rest.QueryOptions{})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", obj.Name, err)
	}
	return int64(rows.TotalSize()), nil
}

// jobGone reports whether err says that a saved bulk job or locator no
// longer exists, so that the object has to start over.
func jobGone(err error) bool {
	var re *rest.Error
	return errors.Is(err, rest.ErrNotFound) || errors.Is(err, rest.ErrQueryLocator) ||
		errors.Is(err, bulk.ErrJobFailed) || errors.Is(err, bulk.ErrJobAborted) ||
		errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}

// bulkRead publishes the rest of a bulk job from st, saving st after
// every page.
func (r *runner) bulkRead(ctx context.Context, obj *mapping.Object, st objectState, sum *ObjectSummary) error {
	rows, err := r.cfg.Bulk.Resume(ctx, st.JobID, st.Locator, r.bulkOptions())
	if err != nil {
		return fmt.Errorf("backfill %s: bulk job %s: %w", obj.Name, st.JobID, err)
	}
	r.prog.begin(obj.Name, MethodBulk, st.Done, st.Total)
	out := r.newPipe(ctx, sum)
	batch := make([]publish.Change, 0, r.cfg.BatchSize)
	var page int64
	for rows.Next() {
		row, err := source.FromMap(obj, rows.Row().Map())
		if err != nil {
			_ = out.wait() // let the publishes in flight end; the error at hand is the one to report
			return fmt.Errorf("backfill %s: bulk job %s: %w", obj.Name, st.JobID, err)
		}
		if !row.Deleted {
			batch = append(batch, snapshot(obj, row))
			page++
		}
		if len(batch) == r.cfg.BatchSize {
			out.send(batch)
			batch = make([]publish.Change, 0, r.cfg.BatchSize)
		}
		if !rows.EndOfPage() {
			continue
		}
		out.send(batch)
		batch = make([]publish.Change, 0, r.cfg.BatchSize)
		if err := out.wait(); err != nil {
			return fmt.Errorf("backfill %s: %w", obj.Name, err)
		}
		st.Locator, st.Done, st.Finish = rows.NextLocator(), st.Done+page, rows.NextLocator() == ""
		page = 0
		if err := r.state.saveObject(ctx, obj.Name, st); err != nil {
			return err
		}
		sum.Records = st.Done
		if r.cfg.AfterPage != nil {
			r.cfg.AfterPage(obj.Name, st.Done)
		}
	}
	if err := rows.Err(); err != nil {
		_ = out.wait() // let the publishes in flight end; the error at hand is the one to report
		return fmt.Errorf("backfill %s: %w", obj.Name, err)
	}
	// A job without rows has no page end.
	out.send(batch)
	if err := out.wait(); err != nil {
		return fmt.Errorf("backfill %s: %w", obj.Name, err)
	}
	st.Locator, st.Done, st.Finish = "", st.Done+page, true
	if err := r.state.saveObject(ctx, obj.Name, st); err != nil {
		return err
	}
	sum.Records = st.Done
	r.prog.end()
	return nil
}

// restRead publishes a small object read with one REST query; it starts
// over after a crash.
func (r *runner) restRead(ctx context.Context, obj *mapping.Object, total int64, sum *ObjectSummary) error {
	st := objectState{Method: MethodREST, Total: total}
	if err := r.state.saveObject(ctx, obj.Name, st); err != nil {
		return err
	}
	r.prog.begin(obj.Name, MethodREST, 0, total)
	out := r.newPipe(ctx, sum)
	reader := source.Reader{REST: r.cfg.REST}
	batch := make([]publish.Change, 0, r.cfg.BatchSize)
	for row, err := range reader.Query(ctx, obj, "", false) {
		if err != nil {
			_ = out.wait() // let the publishes in flight end; the error at hand is the one to report
			return fmt.Errorf("backfill %s: %w", obj.Name, err)
		}
		if row.Deleted {
			continue
		}
		batch = append(batch, snapshot(obj, row))
		st.Done++
		if len(batch) == r.cfg.BatchSize {
			out.send(batch)
			batch = make([]publish.Change, 0, r.cfg.BatchSize)
		}
	}
	out.send(batch)
	if err := out.wait(); err != nil {
		return fmt.Errorf("backfill %s: %w", obj.Name, err)
	}
	st.Finish = true
	if err := r.state.saveObject(ctx, obj.Name, st); err != nil {
		return err
	}
	sum.Records = st.Done
	r.prog.end()
	return nil
}

// snapshot is the SNAPSHOT envelope of row: BaseVersion, keyed by the
// partition key field (the record id when it is empty).
func snapshot(obj *mapping.Object, row source.Row) publish.Change {
	return publish.Change{
		Object: obj, RecordID: row.ID, Type: envelope.ChangeSnapshot, Values: row.Values,
		Version: publish.BaseVersion, Modstamp: row.Modstamp,
	}
}

// pipe runs up to InFlight Publish calls at once; wait returns the first
// error once all have returned.
type pipe struct {
	ctx  context.Context
	pub  *publish.Publisher
	sem  chan struct{}
	wg   sync.WaitGroup
	done func(n int)

	mu  sync.Mutex
	err error
}

func (r *runner) newPipe(ctx context.Context, sum *ObjectSummary) *pipe {
	var mu sync.Mutex
	return &pipe{
		ctx: ctx, pub: r.cfg.Publisher, sem: make(chan struct{}, r.cfg.InFlight),
		done: func(n int) {
			mu.Lock()
			sum.Published += int64(n)
			mu.Unlock()
			r.prog.add(n)
		},
	}
}

func (p *pipe) send(batch []publish.Change) {
	if len(batch) == 0 {
		return
	}
	select {
	case p.sem <- struct{}{}:
	case <-p.ctx.Done():
		p.fail(p.ctx.Err())
		return
	}
	p.wg.Go(func() {
		defer func() { <-p.sem }()
		if err := p.pub.Publish(p.ctx, batch); err != nil {
			p.fail(err)
			return
		}
		p.done(len(batch))
	})
}

func (p *pipe) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

func (p *pipe) wait() error {
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
