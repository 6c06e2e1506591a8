package emu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/sfsync/sfsync/salesforce/sffake"
	"github.com/sfsync/sfsync/salesforce/sffake/load"
	"github.com/sfsync/sfsync/schemas/svcconfig"
)

// Endpoints tell clients how to reach a running emulator.
type Endpoints struct {
	// PubSub is the Pub/Sub API address, e.g. "127.0.0.1:7011".
	PubSub string
	// HTTP is the HTTP address.
	HTTP string
	// InstanceURL is the org's instance URL, the instanceurl header.
	InstanceURL string
	// OrgID is the org id, the tenantid header.
	OrgID string
	// TLS reports whether the listeners serve TLS.
	TLS bool
}

// options returns the sffake options of c.
func (c Config) options(log *slog.Logger) ([]sffake.Option, error) {
	opts := []sffake.Option{
		sffake.WithPubSubAddr(c.Listen.PubSub), sffake.WithHTTPAddr(c.Listen.HTTP),
		sffake.WithOrgID(c.OrgID), sffake.WithKeepalive(c.Keepalive), sffake.WithRetention(c.Retention),
		sffake.WithSeed(c.Seed), sffake.WithLogger(log), sffake.WithTokenTTL(c.TokenTTL),
		sffake.WithLimit(sffake.LimitDailyDeliveredPlatformEvents, c.DeliveryAllocation),
	}
	for _, t := range c.AccessTokens {
		opts = append(opts, sffake.WithAccessToken(string(t)))
	}
	for _, u := range c.Users {
		opts = append(opts, sffake.WithUser(sffake.User{Username: u.Username, Password: string(u.Password)}))
	}
	for _, a := range c.ConnectedApps {
		app := sffake.App{ConsumerKey: a.ConsumerKey, ConsumerSecret: string(a.ConsumerSecret), Username: a.Username}
		if a.CertificateFile != "" {
			pem, err := os.ReadFile(a.CertificateFile)
			if err != nil {
				return nil, fmt.Errorf("%w: connected app %s: %w", svcconfig.ErrInvalid, a.ConsumerKey, err)
			}
			app.CertificatePEM = pem
		}
		opts = append(opts, sffake.WithConnectedApp(app))
	}
	switch {
	case c.TLS && c.TLSCertFile != "":
		cert, written, err := certificate(c.TLSCertFile, c.TLSKeyFile, time.Now())
		if err != nil {
			return nil, fmt.Errorf("%w: %w", svcconfig.ErrInvalid, err)
		}
		if written {
			log.Info("generated a self-signed certificate", "cert_file", c.TLSCertFile, "key_file", c.TLSKeyFile)
		}
		opts = append(opts, sffake.WithCertificate(cert))
	case c.TLS:
		opts = append(opts, sffake.WithTLS())
	}
	if c.Territory.ChangeEvents {
		opts = append(opts, sffake.WithTerritoryChangeEvents())
	}
	if c.Territory.Trigger {
		opts = append(opts, sffake.WithTerritoryChangeEvent())
	}
	for _, o := range c.Objects {
		if builtinObjects[o.Name] {
			continue // its fields are added by addFields
		}
		obj := sffake.Object{Name: o.Name, KeyPrefix: o.KeyPrefix, ChangeEvents: o.ChangeEvents}
		for _, f := range o.Fields {
			typ, ok := FieldTypes[f.Type]
			if !ok {
				return nil, fmt.Errorf("%w: object %s field %s: unknown type %q", svcconfig.ErrInvalid, o.Name, f.Name, f.Type)
			}
			obj.Fields = append(obj.Fields, sffake.Field{Name: f.Name, Type: typ, ExternalID: f.ExternalID})
		}
		opts = append(opts, sffake.WithObject(obj))
	}
	for _, e := range c.PlatformEvents {
		def := sffake.EventDefinition{Name: e.Name}
		for _, f := range e.Fields {
			typ, ok := FieldTypes[f.Type]
			if !ok {
				return nil, fmt.Errorf("%w: event %s field %s: unknown type %q", svcconfig.ErrInvalid, e.Name, f.Name, f.Type)
			}
			def.Fields = append(def.Fields, sffake.Field{Name: f.Name, Type: typ})
		}
		opts = append(opts, sffake.WithEvent(def))
	}
	return opts, nil
}

// addFields appends the fields that c.Objects give to built-in objects.
func (c Config) addFields(srv *sffake.Server) error {
	for _, o := range c.Objects {
		if !builtinObjects[o.Name] {
			continue
		}
		for _, f := range o.Fields {
			typ, ok := FieldTypes[f.Type]
			if !ok {
				return fmt.Errorf("%w: object %s field %s: unknown type %q", svcconfig.ErrInvalid, o.Name, f.Name, f.Type)
			}
			if _, err := srv.AddField(o.Name, sffake.Field{Name: f.Name, Type: typ, ExternalID: f.ExternalID}); err != nil {
				return fmt.Errorf("%w: object %s: %w", svcconfig.ErrInvalid, o.Name, err)
			}
		}
	}
	return nil
}

// Run starts the emulator configured by cfg, which must be valid, seeds
// the territory dataset and churns it until ctx ends; then it stops the
// churn and closes the server within cfg.ShutdownTimeout. ready, when not
// nil, is called once the listeners are up, before seeding. Run returns
// nil after a graceful stop. Secrets are never logged; tokens appear as
// their first four characters, consumer secrets not at all.
func Run(ctx context.Context, cfg Config, log *slog.Logger, ready func(Endpoints)) error {
	opts, err := cfg.options(log.With("component", "sffake"))
	if err != nil {
		return err
	}
	srv, err := sffake.New(opts...)
	if err != nil {
		return err
	}
	if err := cfg.addFields(srv); err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	ep := Endpoints{PubSub: srv.PubSubAddr(), HTTP: srv.Addr(), InstanceURL: srv.URL(), OrgID: srv.OrgID(), TLS: srv.TLS()}
	logConnect(log, cfg, ep)
	if ready != nil {
		ready(ep)
	}

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		runErr error
	)
	setErr := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		runErr = err
	}
	getErr := func() error {
		mu.Lock()
		defer mu.Unlock()
		return runErr
	}
	func() {
		started := time.Now()
		log.Info("seeding dataset", "accounts", cfg.Dataset.Accounts, "users", cfg.Dataset.Users, "seed", cfg.Seed)
		w, err := load.Seed(ctx, srv, load.Dataset{
			Accounts: cfg.Dataset.Accounts, Users: cfg.Dataset.Users,
			NamedShare: cfg.Dataset.NamedShare, Batch: cfg.Dataset.Batch,
		}, cfg.Seed)
		if err != nil {
			if ctx.Err() == nil {
				setErr(fmt.Errorf("seed: %w", err))
			} else {
				log.Info("seeding interrupted")
			}
			return
		}
		log.Info("dataset seeded", "accounts", cfg.Dataset.Accounts, "users", cfg.Dataset.Users,
			"territories", len(w.Territories()), "change_events", srv.Stats().ChangeEvents, "took", time.Since(started).Round(time.Millisecond))
		if !cfg.Churn.Enabled {
			log.Info("churn disabled")
			return
		}
		log.Info("churn started", "rate", cfg.Churn.Rate, "burst", cfg.Churn.Burst)
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := w.Churn(ctx, load.Churn{
				Rate: cfg.Churn.Rate, BurstSize: cfg.Churn.Burst, Mix: cfg.Churn.Mix,
				OverflowAfter: cfg.Churn.OverflowAfter,
				OnOp: func(op load.Op) {
					if op.Seq%1000 == 0 {
						log.Info("churn progress", "ops", op.Seq, "change_events", srv.Stats().ChangeEvents)
					}
				},
			})
			if err != nil {
				setErr(fmt.Errorf("churn: %w", err))
				log.Error("churn failed", "err", err)
			}
			args := []any{"ops", res.Ops, "transactions", res.Transactions}
			for _, k := range append(load.Kinds, load.KindOverflow) {
				args = append(args, string(k), res.ByKind[k])
			}
			log.Info("churn stopped", args...)
		}()
	}()

	<-ctx.Done()
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	done := make(chan struct{})
	go func() {
		wg.Wait()
		_ = srv.Close()
		close(done)
	}()
	t := time.NewTimer(cfg.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-done:
		log.Info("stopped")
		return getErr()
	case <-t.C:
		return errors.Join(getErr(), fmt.Errorf("shutdown: not done after %s", cfg.ShutdownTimeout))
	}
}

// logConnect logs the endpoints and how to connect.
func logConnect(log *slog.Logger, cfg Config, ep Endpoints) {
	hints := make([]string, len(cfg.AccessTokens))
	for i, t := range cfg.AccessTokens {
		hints[i] = t.Hint()
	}
	apps := make([]string, len(cfg.ConnectedApps))
	for i, a := range cfg.ConnectedApps {
		apps[i] = a.ConsumerKey
	}
	log.Info("sfemu listening", "pubsub", ep.PubSub, "http", ep.HTTP, "instance_url", ep.InstanceURL,
		"org_id", ep.OrgID, "tls", ep.TLS, "access_tokens", hints, "connected_apps", apps, "token_ttl", cfg.TokenTTL,
		"territory_change_events", cfg.Territory.ChangeEvents, "territory_trigger", cfg.Territory.Trigger)
	plain := "-plaintext "
	if ep.TLS {
		plain = "-insecure "
	}
	log.Info("connect with", "env", fmt.Sprintf("SF_PUBSUB_ADDR=%s SF_INSTANCE_URL=%s SF_ORG_ID=%s SF_ACCESS_TOKEN=<one of the configured access_tokens>", ep.PubSub, ep.InstanceURL, ep.OrgID))
	log.Info("try", "tail", fmt.Sprintf("sfemu tail --addr %s --token <token> --topic /data/AccountChangeEvent", ep.PubSub),
		"grpcurl", fmt.Sprintf("grpcurl %s-import-path salesforce/eventbus -proto pubsub_api.proto -H 'accesstoken: <token>' -H 'instanceurl: %s' -H 'tenantid: %s' -d '{\"topic_name\":\"/data/AccountChangeEvent\"}' %s eventbus.v1.PubSub/GetTopic",
			plain, ep.InstanceURL, ep.OrgID, ep.PubSub),
		"health", ep.InstanceURL+"/healthz")
	if ep.TLS {
		if cfg.TLSCertFile != "" {
			log.Info("trust the certificate", "cert_file", cfg.TLSCertFile,
				"how", fmt.Sprintf("curl --cacert %[1]s; Go: SSL_CERT_FILE=%[1]s (or an x509.CertPool of it); Python requests: REQUESTS_CA_BUNDLE=%[1]s; Python grpc: GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=%[1]s or grpc.ssl_channel_credentials(open(%[1]q, 'rb').read())", cfg.TLSCertFile))
		} else {
			log.Info("trust the certificate", "cert_file", "none",
				"how", "the certificate is generated for this run and kept nowhere: set tls_cert_file and tls_key_file (or --tls-cert-file and --tls-key-file) to have sfemu write it, then trust that file")
		}
	}
	if len(cfg.Users) > 0 {
		names := make([]string, len(cfg.Users))
		for i, u := range cfg.Users {
			names[i] = u.Username
		}
		log.Info("password logins", "users", names, "soap_login", ep.InstanceURL+"/services/Soap/u/62.0",
			"token_url", ep.InstanceURL+"/services/oauth2/token (grant_type=password, through any connected app)")
	}
	if len(cfg.ConnectedApps) > 0 {
		log.Info("oauth", "token_url", ep.InstanceURL+"/services/oauth2/token",
			"curl", fmt.Sprintf("curl -s -u '%s:<consumer_secret>' -d grant_type=client_credentials %s/services/oauth2/token", cfg.ConnectedApps[0].ConsumerKey, ep.InstanceURL))
	}
}
