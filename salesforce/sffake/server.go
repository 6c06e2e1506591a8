package sffake

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/sfsync/sfsync/salesforce/eventbus"
	"github.com/sfsync/sfsync/salesforce/sffake/internal/bus"
)

// maxRecvMsgSize lets requests larger than gRPC's default 4 MB reach the
// handlers, so that the server can refuse them as Salesforce does
// (UNAVAILABLE) rather than with RESOURCE_EXHAUSTED.
const maxRecvMsgSize = 16 << 20

// closeTimeout bounds how long Close waits for calls to finish.
const closeTimeout = 5 * time.Second

// Server is an emulated Salesforce org: its sObject records, the change
// events and platform events they cause, an event bus, and the Pub/Sub API
// served over gRPC on a real listener, plus an HTTP listener for the REST
// and OAuth endpoints. All methods are safe for concurrent use.
type Server struct {
	cfg   config
	log   *slog.Logger
	clock Clock
	bus   *bus.Bus
	rand  *randSource

	tokens    *tokenSet
	validator TokenValidator

	// mu guards the org: definitions, schemas, records and triggers.
	mu           sync.Mutex
	objects      map[string]*objectDef
	events       map[string]*eventDef
	topics       map[string]topicInfo
	schemas      map[string]*schema
	records      map[string]*record
	idSeq        map[string]uint64
	triggers     []Trigger
	commitNumber int64

	faults     faults
	httpFaults httpFaults
	stats      counters

	apps    []*connectedApp
	limits  *limits
	cursors *cursors
	jobs    *bulkJobs

	startOnce sync.Once
	closeOnce sync.Once
	done      chan struct{}
	grpcSrv   *grpc.Server
	httpSrv   *http.Server
	mux       *http.ServeMux
	pubsubLis net.Listener
	httpLis   net.Listener
	cert      tls.Certificate
	certPEM   []byte
	serveWG   sync.WaitGroup
}

// topicInfo describes a topic to GetTopic.
type topicInfo struct {
	// schema returns the topic's current schema id; "" for
	// /data/ChangeEvents, whose events carry several.
	current func() string
	// publish reports whether the topic accepts Publish.
	publish bool
}

// New returns an org configured by opts, with the built-in objects defined
// (see [AccountObject] and [TerritoryObjects]); it does not listen yet:
// define objects and records, then call [Server.Start]. The options'
// defaults are documented on each option.
func New(opts ...Option) (*Server, error) {
	cfg := config{
		pubsubAddr:  "127.0.0.1:0",
		httpAddr:    "127.0.0.1:0",
		orgID:       DefaultOrgID,
		userID:      ID(PrefixUser, 1),
		instanceURL: "",
		keepalive:   DefaultKeepalive,
		idleTimeout: DefaultIdleTimeout,
		publishIdle: DefaultPublishIdleTimeout,
		retention:   DefaultRetention,
		maxGap:      DefaultMaxReplayGap,
		tokenTTL:    DefaultTokenTTL,
		locatorTTL:  DefaultQueryLocatorTTL,
		bulkDelay:   DefaultBulkJobDelay,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if err := checkOrgID(cfg.orgID); err != nil {
		return nil, fmt.Errorf("sffake: %w", err)
	}
	if !ValidID(cfg.userID, PrefixUser) {
		return nil, fmt.Errorf("sffake: user id %q: want an 18-character id starting with %s", cfg.userID, PrefixUser)
	}
	switch {
	case cfg.keepalive <= 0, cfg.idleTimeout <= 0, cfg.publishIdle <= 0, cfg.retention <= 0:
		return nil, errors.New("sffake: keepalive, idle timeouts and retention must be positive")
	case cfg.tokenTTL <= 0, cfg.locatorTTL <= 0, cfg.bulkDelay < 0:
		return nil, errors.New("sffake: token and locator lifetimes must be positive, the bulk job delay not negative")
	case cfg.maxGap < 0:
		return nil, errors.New("sffake: replay gap must not be negative")
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.clock == nil {
		cfg.clock = SystemClock()
	}
	if !cfg.seeded {
		cfg.seed = rand.Uint64()
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.logger,
		clock:   cfg.clock,
		rand:    newRandSource(cfg.seed),
		objects: make(map[string]*objectDef),
		events:  make(map[string]*eventDef),
		topics:  make(map[string]topicInfo),
		schemas: make(map[string]*schema),
		records: make(map[string]*record),
		idSeq:   make(map[string]uint64),
		done:    make(chan struct{}),
		mux:     http.NewServeMux(),
	}
	s.bus = bus.New(bus.Config{
		Now:       cfg.clock.Now,
		Retention: cfg.retention,
		MaxGap:    cfg.maxGap,
		Seed:      cfg.seed,
		Start:     1_000_000,
	})
	s.topics[AllChangeEventsTopic] = topicInfo{current: func() string { return "" }}
	s.bus.AddTopic(AllChangeEventsTopic)

	s.tokens = newTokenSet(cfg.clock, cfg.tokenTTL, cfg.tokens...)
	if len(cfg.tokens) == 0 {
		s.tokens.add("00D!sffake." + s.rand.uuid())
	}
	s.validator = cfg.validator
	if s.validator == nil {
		s.validator = s.tokens
	}

	objs := append([]Object{AccountObject()}, TerritoryObjects(cfg.territoryCDC)...)
	for _, o := range append(objs, cfg.objects...) {
		if err := s.DefineObject(o); err != nil {
			return nil, fmt.Errorf("sffake: %w", err)
		}
	}
	for _, e := range cfg.events {
		if err := s.DefineEvent(e); err != nil {
			return nil, fmt.Errorf("sffake: %w", err)
		}
	}
	if cfg.territoryEvent {
		if err := s.installTerritoryChangeEvent(); err != nil {
			return nil, fmt.Errorf("sffake: %w", err)
		}
	}
	for _, t := range cfg.triggers {
		if err := s.AddTrigger(t); err != nil {
			return nil, fmt.Errorf("sffake: %w", err)
		}
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	for _, app := range cfg.apps {
		ca, err := compileApp(app)
		if err != nil {
			return nil, fmt.Errorf("sffake: %w", err)
		}
		s.apps = append(s.apps, ca)
	}
	for _, u := range cfg.users {
		if u.Username == "" || u.Password == "" {
			return nil, fmt.Errorf("sffake: user %q: %w: username and password are required", u.Username, ErrInvalidDefinition)
		}
	}
	s.limits = newLimits(cfg.clock, cfg.limits, &s.stats)
	s.cursors = newCursors(cfg.clock, cfg.locatorTTL)
	s.jobs = newBulkJobs()
	s.routeOAuth()
	s.routeREST()
	s.routeSOAP()
	return s, nil
}

// Start is [New] followed by [Server.Start]: it returns a listening
// server, or an error and no server.
func Start(opts ...Option) (*Server, error) {
	s, err := New(opts...)
	if err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Start binds the Pub/Sub API and HTTP listeners and serves them in the
// background until [Server.Close]. Calling it again does nothing.
func (s *Server) Start() error {
	var err error
	s.startOnce.Do(func() { err = s.start() })
	return err
}

func (s *Server) start() error {
	var tlsCfg *tls.Config
	if s.cfg.tls {
		if s.cfg.cert != nil {
			s.cert = *s.cfg.cert
			if len(s.cert.Certificate) > 0 {
				s.certPEM = pemCert(s.cert.Certificate[0])
			}
		} else {
			cert, certPEM, err := selfSigned(time.Now())
			if err != nil {
				return fmt.Errorf("sffake: tls: %w", err)
			}
			s.cert, s.certPEM = cert, certPEM
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
	}

	lis, err := net.Listen("tcp", s.cfg.pubsubAddr)
	if err != nil {
		return fmt.Errorf("sffake: listen pubsub: %w", err)
	}
	hlis, err := net.Listen("tcp", s.cfg.httpAddr)
	if err != nil {
		_ = lis.Close()
		return fmt.Errorf("sffake: listen http: %w", err)
	}
	s.pubsubLis, s.httpLis = lis, hlis

	gopts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(maxRecvMsgSize),
		grpc.ChainUnaryInterceptor(s.unaryInterceptor),
		grpc.ChainStreamInterceptor(s.streamInterceptor),
	}
	if tlsCfg != nil {
		gopts = append(gopts, grpc.Creds(credentials.NewTLS(tlsCfg)))
	}
	s.grpcSrv = grpc.NewServer(gopts...)
	eventbus.RegisterPubSubServer(s.grpcSrv, &pubsub{s: s})

	s.httpSrv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsCfg}
	s.serveWG.Add(2)
	go func() {
		defer s.serveWG.Done()
		if err := s.grpcSrv.Serve(lis); err != nil {
			s.log.Error("pubsub server stopped", "err", err)
		}
	}()
	go func() {
		defer s.serveWG.Done()
		var err error
		if tlsCfg != nil {
			err = s.httpSrv.ServeTLS(hlis, "", "")
		} else {
			err = s.httpSrv.Serve(hlis)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	s.log.Info("sffake started", "pubsub", lis.Addr().String(), "http", hlis.Addr().String(), "tls", tlsCfg != nil, "org", s.cfg.orgID)
	return nil
}

// Close ends every open stream (with UNAVAILABLE), stops the listeners
// and waits up to five seconds for calls in flight to finish before
// cutting them. It is safe to call more than once and on a server that
// was never started.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.grpcSrv == nil {
			return
		}
		stopped := make(chan struct{})
		go func() {
			s.grpcSrv.GracefulStop()
			close(stopped)
		}()
		t := time.NewTimer(closeTimeout)
		select {
		case <-stopped:
			t.Stop()
		case <-t.C:
			s.grpcSrv.Stop()
		}
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		_ = s.httpSrv.Shutdown(ctx)
		s.serveWG.Wait()
	})
	return nil
}

// PubSubAddr returns the address of the Pub/Sub API listener, e.g.
// "127.0.0.1:41234", or "" before [Server.Start].
func (s *Server) PubSubAddr() string {
	if s.pubsubLis == nil {
		return ""
	}
	return s.pubsubLis.Addr().String()
}

// Addr returns the address of the HTTP listener, or "" before
// [Server.Start].
func (s *Server) Addr() string {
	if s.httpLis == nil {
		return ""
	}
	return s.httpLis.Addr().String()
}

// URL returns the base URL of the HTTP listener, the org's instance URL,
// e.g. "http://127.0.0.1:41235" (https with TLS).
func (s *Server) URL() string {
	scheme := "http"
	if s.cfg.tls {
		scheme = "https"
	}
	return scheme + "://" + s.Addr()
}

// HandleHTTP registers h on the HTTP listener for pattern, as
// [http.ServeMux.Handle] does. The server itself serves GET /healthz,
// which answers 200 once the listener is up.
func (s *Server) HandleHTTP(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// OrgID returns the org id.
func (s *Server) OrgID() string { return s.cfg.orgID }

// UserID returns the id of the user that the Go API acts as.
func (s *Server) UserID() string { return s.cfg.userID }

// CertPool returns a pool holding the server's TLS certificate, for
// clients to trust, or nil in plaintext mode or before [Server.Start].
func (s *Server) CertPool() *x509.CertPool {
	if len(s.certPEM) == 0 {
		return nil
	}
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(s.certPEM)
	return p
}

// CertificatePEM returns the server's TLS certificate in PEM form, or nil
// in plaintext mode or before [Server.Start].
func (s *Server) CertificatePEM() []byte { return append([]byte(nil), s.certPEM...) }

// TLS reports whether the server serves TLS.
func (s *Server) TLS() bool { return s.cfg.tls }
