package sffake

import (
	"crypto/tls"
	"log/slog"
	"time"
)

// Option configures a [Server]; pass options to [New] or [Start].
type Option func(*config)

// Defaults of the options.
const (
	// DefaultKeepalive is the default keepalive interval: the longest gap
	// Salesforce allows between responses while events are owed (spec
	// §1.7.3).
	DefaultKeepalive = 270 * time.Second
	// DefaultIdleTimeout is how long a Subscribe stream with nothing
	// requested may stay without a new FetchRequest by default.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultPublishIdleTimeout is how long a PublishStream may stay
	// without a publish request by default.
	DefaultPublishIdleTimeout = 70 * time.Second
	// DefaultRetention is the default event retention window.
	DefaultRetention = 72 * time.Hour
	// DefaultMaxReplayGap is the default largest gap between consecutive
	// replay ids.
	DefaultMaxReplayGap = 5
	// DefaultOrgID is the org id used unless WithOrgID gives another.
	DefaultOrgID = "00D000000000001EAA"
	// DefaultUsername is the username of the default user ([Server.UserID])
	// as /services/oauth2/userinfo reports it for static tokens.
	DefaultUsername = "integration@sffake.example"
	// DefaultTokenTTL is how long an access token issued by the OAuth
	// token endpoint stays valid without use: Salesforce's default session
	// timeout (spec §1.5).
	DefaultTokenTTL = 2 * time.Hour
	// DefaultQueryLocatorTTL is how long a REST query locator
	// (nextRecordsUrl) stays valid without use.
	DefaultQueryLocatorTTL = 15 * time.Minute
	// DefaultBulkJobDelay is how long a Bulk API 2.0 query job waits in
	// UploadComplete before it runs, and again in InProgress before it
	// completes.
	DefaultBulkJobDelay = time.Second
)

type config struct {
	pubsubAddr, httpAddr string
	orgID, userID        string
	instanceURL          string
	logger               *slog.Logger
	clock                Clock
	keepalive            time.Duration
	idleTimeout          time.Duration
	publishIdle          time.Duration
	retention            time.Duration
	maxGap               int
	seed                 uint64
	seeded               bool
	tls                  bool
	cert                 *tls.Certificate
	tokens               []string
	validator            TokenValidator
	objects              []Object
	events               []EventDefinition
	triggers             []Trigger
	territoryCDC         bool
	territoryEvent       bool
	apps                 []App
	users                []User
	tokenTTL             time.Duration
	limits               map[string]int64
	locatorTTL           time.Duration
	bulkDelay            time.Duration
}

// WithPubSubAddr sets the address the Pub/Sub API gRPC listener binds,
// e.g. "127.0.0.1:7443". The default is a free loopback port,
// "127.0.0.1:0"; [Server.PubSubAddr] tells the port chosen.
func WithPubSubAddr(addr string) Option { return func(c *config) { c.pubsubAddr = addr } }

// WithHTTPAddr sets the address of the HTTP listener (REST and OAuth
// endpoints). The default is a free loopback port, "127.0.0.1:0";
// [Server.Addr] tells the port chosen.
func WithHTTPAddr(addr string) Option { return func(c *config) { c.httpAddr = addr } }

// WithOrgID sets the org id: 18 characters starting with "00D" and a valid
// case-safe suffix. The default is [DefaultOrgID].
func WithOrgID(id string) Option { return func(c *config) { c.orgID = id } }

// WithUserID sets the id of the user that commits changes made through the
// Go API and creates records (commitUser, CreatedById, OwnerId). The
// default is a fixed id with key prefix 005.
func WithUserID(id string) Option { return func(c *config) { c.userID = id } }

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithClock sets the clock; the default is [SystemClock]. Tests pass a
// [ManualClock] to control timestamps and retention.
func WithClock(clk Clock) Option { return func(c *config) { c.clock = clk } }

// WithKeepalive sets how often an idle Subscribe stream that is owed
// events receives an empty FetchResponse; the default is
// [DefaultKeepalive].
func WithKeepalive(d time.Duration) Option { return func(c *config) { c.keepalive = d } }

// WithIdleTimeout sets how long a Subscribe stream whose requested events
// were all delivered may wait for a new FetchRequest before the server
// ends it with DEADLINE_EXCEEDED; the default is [DefaultIdleTimeout].
func WithIdleTimeout(d time.Duration) Option { return func(c *config) { c.idleTimeout = d } }

// WithPublishIdleTimeout sets how long a PublishStream may go without a
// publish request before the server ends it; the default is
// [DefaultPublishIdleTimeout].
func WithPublishIdleTimeout(d time.Duration) Option {
	return func(c *config) { c.publishIdle = d }
}

// WithRetention sets the event retention window; the default is
// [DefaultRetention]. [Server.Purge] and [Server.ExpireBefore] expire
// events on demand.
func WithRetention(d time.Duration) Option { return func(c *config) { c.retention = d } }

// WithReplayGaps sets the largest number of unused positions between two
// consecutive replay ids; each gap is drawn uniformly from [0, max]. The
// default is [DefaultMaxReplayGap]; 0 makes the ids contiguous on the bus.
func WithReplayGaps(maxGap int) Option { return func(c *config) { c.maxGap = maxGap } }

// WithSeed makes replay id gaps, event ids and transaction keys
// deterministic. By default they are seeded randomly.
func WithSeed(seed uint64) Option {
	return func(c *config) { c.seed, c.seeded = seed, true }
}

// WithTLS serves both listeners over TLS with a self-signed certificate
// generated at start for localhost, 127.0.0.1 and ::1;
// [Server.CertPool] and [Server.CertificatePEM] let clients trust it. The
// default is plaintext.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithCertificate serves both listeners over TLS with cert instead of a
// generated certificate.
func WithCertificate(cert tls.Certificate) Option {
	return func(c *config) { c.tls, c.cert = true, &cert }
}

// WithAccessToken adds tok to the access tokens the default
// [TokenValidator] accepts. Without any, the server makes up one token,
// which [Server.AccessToken] returns.
func WithAccessToken(tok string) Option {
	return func(c *config) { c.tokens = append(c.tokens, tok) }
}

// WithTokenValidator replaces the default validator, a set of static
// tokens, with v. Tokens issued by the OAuth token endpoint are accepted
// until they expire whatever v says; v decides about every other token
// and such tokens act as the default user.
func WithTokenValidator(v TokenValidator) Option { return func(c *config) { c.validator = v } }

// WithObject defines an sObject in addition to the built-in ones, as
// [Server.DefineObject] would.
func WithObject(o Object) Option { return func(c *config) { c.objects = append(c.objects, o) } }

// WithEvent defines a custom platform event, as [Server.DefineEvent]
// would.
func WithEvent(e EventDefinition) Option { return func(c *config) { c.events = append(c.events, e) } }

// WithTrigger installs an automation rule that publishes the platform
// event named event after every committed change of object, as an Apex
// trigger would: fn maps the change to the event's field values, and
// returning nil publishes nothing. The event must be defined (WithEvent)
// and CreatedDate and CreatedById are filled in when fn leaves them out.
func WithTrigger(object, event string, fn func(Change) map[string]any) Option {
	return func(c *config) {
		c.triggers = append(c.triggers, Trigger{Object: object, Event: event, Map: fn})
	}
}

// WithTerritoryChangeEvents enables change events for the built-in
// territory objects. This is an emulator extension: real orgs are not
// known to publish Territory2ChangeEvent and its kin (spec §7.1).
func WithTerritoryChangeEvents() Option { return func(c *config) { c.territoryCDC = true } }

// WithTerritoryChangeEvent defines the platform event Territory_Change__e
// (see [TerritoryChangeEvent]) and installs a trigger on each territory
// object that publishes it on every change, the way real teams stream
// territory changes.
func WithTerritoryChangeEvent() Option { return func(c *config) { c.territoryEvent = true } }

// WithConnectedApp registers a connected app with the OAuth token
// endpoint, which then issues tokens for its consumer key; see [App]. It
// may be given several times. Without any app the endpoint refuses every
// request with invalid_client_id.
func WithConnectedApp(app App) Option { return func(c *config) { c.apps = append(c.apps, app) } }

// User is a user who logs in with a username and password: through the
// OAuth password grant of any connected app, and through the SOAP
// partner API's login call. Every user acts as the org's single user,
// [Server.UserID], under its own username.
type User struct {
	// Username is the login name, matched ignoring case. Required.
	Username string
	// Password is the password, with the security token appended when
	// the client sends one. Required.
	Password string
}

// WithUser adds a user who logs in with a password; see [User]. It may
// be given several times. The password is a secret: the server never
// logs it.
func WithUser(u User) Option { return func(c *config) { c.users = append(c.users, u) } }

// WithTokenTTL sets how long an access token issued by the OAuth token
// endpoint stays valid without being used; each accepted call (Pub/Sub or
// REST) restarts the period, as Salesforce's session timeout does. The
// default is [DefaultTokenTTL]; the server's clock ([WithClock]) measures
// it, so tests expire tokens with [ManualClock.Advance]. Static tokens
// ([WithAccessToken]) never expire.
func WithTokenTTL(d time.Duration) Option { return func(c *config) { c.tokenTTL = d } }

// WithLimit sets the Max of the org limit name as /limits reports it, e.g.
// WithLimit([LimitDailyDeliveredPlatformEvents], 10) to exhaust the
// delivery allocation after ten deliveries. The defaults are those of an
// Enterprise Edition org; see [Limit].
func WithLimit(name string, maxValue int64) Option {
	return func(c *config) {
		if c.limits == nil {
			c.limits = make(map[string]int64)
		}
		c.limits[name] = maxValue
	}
}

// WithQueryLocatorTTL sets how long a REST query locator stays valid
// without being used; the default is [DefaultQueryLocatorTTL], measured on
// the server's clock.
func WithQueryLocatorTTL(d time.Duration) Option { return func(c *config) { c.locatorTTL = d } }

// WithBulkJobDelay sets how long a Bulk API 2.0 query job stays in
// UploadComplete before it runs and in InProgress before it completes,
// measured on the server's clock; the default is [DefaultBulkJobDelay].
// Clients must poll the job until it completes.
func WithBulkJobDelay(d time.Duration) Option { return func(c *config) { c.bulkDelay = d } }
