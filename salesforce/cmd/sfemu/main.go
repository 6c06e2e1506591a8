// Command sfemu runs sffake, the emulated Salesforce org, on its own: it
// serves the Pub/Sub API and the HTTP endpoints, seeds the territory
// dataset and churns it, so that clients can watch territory changes
// stream. "sfemu tail" prints the events of a topic. Run "sfemu --help".
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sfsync/sfsync/platform/svcmain"
	"github.com/sfsync/sfsync/salesforce/internal/emu"
	"github.com/sfsync/sfsync/salesforce/sffake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

const usage = `sfemu runs an emulated Salesforce org: the Pub/Sub API (gRPC) and an
HTTP listener, seeded with an Enterprise Territory Management dataset that
then changes at a steady rate, so that clients can watch change events.

Usage:
  sfemu [flags]              run the emulator until SIGINT or SIGTERM
  sfemu tail [flags]         print the events of a topic (sfemu tail --help)
  sfemu --version            print the version and exit
  sfemu --probe URL          exit 0 when URL answers 2xx (a container health check)

The configuration file (--config, YAML; unknown keys are errors) holds,
with their defaults:
  listen: {pubsub: 127.0.0.1:7011, http: 127.0.0.1:7012}   loopback only
  org_id: 00D000000000001EAA
  access_tokens: [...]          required; secrets, logged as their first 4 chars
  connected_apps:               OAuth apps of POST /services/oauth2/token, e.g.
    - consumer_key: sfemu-local-dev-app          required, unique
      consumer_secret: <secret> client credentials grant (body or HTTP
                                Basic); a secret, shown as its first 4 chars
      certificate_file: app.crt JWT bearer grant: PEM certificate (or RSA
                                public key), relative to the config file
      username: integration@sfemu.local          required: run-as user and
                                the only accepted JWT sub
  users:                        password logins: the OAuth password grant (through
                                any connected app) and the SOAP partner login
    - username: dev@sfemu.local required, unique
      password: <secret>        a secret, never shown; or
      password_env: SFEMU_DEV_PASSWORD   an environment variable holding it
  token_ttl: 2h                 issued tokens expire after this long unused
  tls: false                    true: self-signed certificate on both listeners
  tls_cert_file: sfemu-tls.crt  with tls, where the certificate and key are kept:
  tls_key_file: sfemu-tls.key   read when both exist, else generated and
                                written there; relative to the config file
  keepalive: 270s               keepalive interval of idle Subscribe streams
  retention: 72h                event retention window
  delivery_allocation: 100000000
                                events delivered per day before Subscribe
                                fails with subscription.limit.exceeded
  territory: {change_events: true, trigger: true}
                                change_events: Territory2ChangeEvent and kin
                                (an emulator extension); trigger: publish
                                /event/Territory_Change__e on territory changes
  seed: 1                       same seed, same data and churn
  dataset: {accounts: 5000, users: 50, named_share: 0.25, batch: 200}
  churn: {enabled: true, rate: 20, burst: 20, overflow_after: 0,
          mix: {account_edit: 45, address_change: 12, reassign: 14,
                user_move: 5, delete: 4, undelete: 3, burst: 2,
                multi_record: 5, gap: 1}}
                                rate: transactions per second at most;
                                overflow_after: one GAP_OVERFLOW after N ops
  platform_events:              custom platform events, e.g.
    - name: Order_Event__e
      fields: [{name: OrderId__c, type: Text}, {name: Amount__c, type: Number}]
                                types: Text TextArea Email Phone URL Picklist
                                Reference Number Currency Percent Int Checkbox
                                Date DateTime Time
  objects:                      sObjects beside Account and the territory objects,
    - name: Opportunity         e.g. for a client that writes them through REST
      key_prefix: "006"         required for a new object
      change_events: true       publish /data/OpportunityChangeEvent
      fields: [{name: Name, type: Text},
               {name: Ref__c, type: Text, external_id: true}]
                                external_id: upsert by it (Text, Int, Number);
                                an entry naming a built-in object (Account)
                                with fields only adds those fields to it
  shutdown_timeout: 10s
  log_level: info               debug, info, warn or error
See salesforce/cmd/sfemu/sfemu.example.yaml. Flags override the file.
SFEMU_ACCESS_TOKEN adds an access token.

Flags:
`

// run runs sfemu with args and returns the exit code. ready, when not
// nil, receives the endpoints once the emulator listens.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(emu.Endpoints)) int {
	if len(args) > 0 && args[0] == "tail" {
		return runTail(ctx, args[1:], getenv, stdout, stderr)
	}
	fs := newFlagSet("sfemu", usage, stderr)
	var (
		configPath  = fs.String("config", "", "YAML configuration `file`; without it, the defaults and flags")
		printConfig = fs.Bool("print-config", false, "print the effective configuration (tokens redacted) and exit")
		seed        = fs.Uint64("seed", 0, "seed of the dataset, churn and ids (config seed)")
		pubsubAddr  = fs.String("pubsub-addr", "", "Pub/Sub API listen `address` (config listen.pubsub)")
		httpAddr    = fs.String("http-addr", "", "HTTP listen `address` (config listen.http)")
		orgID       = fs.String("org-id", "", "org `id` (config org_id)")
		token       = fs.String("token", "", "an access `token` to accept, in addition to config access_tokens")
		useTLS      = fs.Bool("tls", false, "serve TLS with a self-signed certificate (config tls)")
		tlsCert     = fs.String("tls-cert-file", "", "with --tls, the certificate `file` to serve, written when missing (config tls_cert_file)")
		tlsKey      = fs.String("tls-key-file", "", "with --tls, the private key `file`, written when missing (config tls_key_file)")
		accounts    = fs.Int("accounts", 0, "number of accounts to seed (config dataset.accounts)")
		rate        = fs.Float64("rate", 0, "churn: most transactions per second (config churn.rate)")
		noChurn     = fs.Bool("no-churn", false, "seed only, no churn (config churn.enabled: false)")
		logLevel    = fs.String("log-level", "", "debug, info, warn or error (config log_level)")
		flags       = svcmain.NewFlags("sfemu", fs)
	)
	if code, done := flags.Parse(ctx, fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sfemu: unexpected argument %q\n", fs.Arg(0))
		return 2
	}

	cfg, src := emu.Default(), &emu.Source{}
	if *configPath != "" {
		var err error
		if cfg, src, err = emu.Load(*configPath); err != nil {
			fmt.Fprintln(stderr, "sfemu:", err)
			return 2
		}
	}
	// The flags that set a key: the key's path, to place its problems
	// at the flag ("" for flags that add to a key or place nothing), and
	// how the flag sets it.
	keys := map[string]struct {
		path string
		set  func(*emu.Config)
	}{
		"seed":          {"seed", func(c *emu.Config) { c.Seed = *seed }},
		"pubsub-addr":   {"listen.pubsub", func(c *emu.Config) { c.Listen.PubSub = *pubsubAddr }},
		"http-addr":     {"listen.http", func(c *emu.Config) { c.Listen.HTTP = *httpAddr }},
		"org-id":        {"org_id", func(c *emu.Config) { c.OrgID = *orgID }},
		"token":         {"", func(c *emu.Config) { c.AccessTokens = append(c.AccessTokens, emu.Secret(*token)) }},
		"tls":           {"", func(c *emu.Config) { c.TLS = *useTLS }},
		"tls-cert-file": {"tls_cert_file", func(c *emu.Config) { c.TLSCertFile = *tlsCert }},
		"tls-key-file":  {"tls_key_file", func(c *emu.Config) { c.TLSKeyFile = *tlsKey }},
		"accounts":      {"dataset.accounts", func(c *emu.Config) { c.Dataset.Accounts = *accounts }},
		"rate":          {"churn.rate", func(c *emu.Config) { c.Churn.Rate = *rate }},
		"no-churn":      {"", func(c *emu.Config) { c.Churn.Enabled = !*noChurn }},
		"log-level":     {"log_level", func(c *emu.Config) { c.LogLevel = *logLevel }},
	}
	fs.Visit(func(f *flag.Flag) {
		k, ok := keys[f.Name]
		if !ok {
			return
		}
		k.set(&cfg)
		if k.path != "" {
			src.SetFlag(k.path, f.Name)
		}
	})
	if tok := getenv("SFEMU_ACCESS_TOKEN"); tok != "" {
		cfg.AccessTokens = append(cfg.AccessTokens, emu.Secret(tok))
	}
	cfg.ApplyEnv(getenv)
	if err := src.Check(cfg); err != nil {
		fmt.Fprintln(stderr, "sfemu:", strings.ReplaceAll(err.Error(), "\n", "\nsfemu: "))
		return 2
	}
	if *printConfig {
		out, err := emu.Marshal(cfg)
		if err != nil {
			fmt.Fprintln(stderr, "sfemu:", err)
			return 1
		}
		_, _ = stdout.Write(out)
		return 0
	}

	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := emu.Run(ctx, cfg, log, ready); err != nil {
		log.Error("sfemu failed", "err", err)
		return 1
	}
	return 0
}

const tailUsage = `sfemu tail subscribes to a topic of a running sfemu (or any Pub/Sub API
server) and prints one line per event: replay id, changeType, entity,
record ids, changed and nulled fields and a few values.

Topics: /data/AccountChangeEvent, /data/ChangeEvents,
/data/ObjectTerritory2AssociationChangeEvent (emulator extension),
/event/Territory_Change__e, and configured platform events.

Usage:
  sfemu tail [flags]

Flags:
`

func runTail(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sfemu tail", tailUsage, stderr)
	var tc emu.TailConfig
	var token string
	fs.StringVar(&tc.Addr, "addr", emu.DefaultPubSubAddr, "Pub/Sub API `address`")
	fs.StringVar(&token, "token", "", "access `token` (default $SFEMU_ACCESS_TOKEN)")
	fs.StringVar(&tc.InstanceURL, "instance-url", "http://"+emu.DefaultHTTPAddr, "instance `URL` sent in the instanceurl header")
	fs.StringVar(&tc.OrgID, "org-id", sffake.DefaultOrgID, "org `id` sent in the tenantid header")
	fs.StringVar(&tc.Topic, "topic", "/data/AccountChangeEvent", "`topic` to subscribe to")
	fs.StringVar(&tc.Replay, "replay", "latest", "where to start: latest or earliest")
	fs.BoolVar(&tc.TLS, "tls", false, "dial with TLS")
	fs.BoolVar(&tc.InsecureSkipVerify, "insecure-skip-verify", false, "with --tls, accept any certificate (sfemu's is self-signed)")
	fs.IntVar(&tc.Count, "count", 0, "stop after `n` events; 0 tails until interrupted")
	if code, done := svcmain.ParseFlags(fs, args); done {
		return code
	}
	if token == "" {
		token = getenv("SFEMU_ACCESS_TOKEN")
	}
	if token == "" {
		fmt.Fprintln(stderr, "sfemu tail: --token or SFEMU_ACCESS_TOKEN is required")
		return 2
	}
	tc.Token = emu.Secret(token)
	if err := emu.Tail(ctx, tc, stdout); err != nil {
		fmt.Fprintln(stderr, "sfemu tail:", err)
		return 1
	}
	return 0
}

// newFlagSet returns the flag set of the command name, writing to stderr
// and printing usage before the flags' defaults on --help.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}
