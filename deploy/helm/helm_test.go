package helm

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// chart is the chart under test, relative to this package.
const chart = "sfsync"

// serviceMonitor holds the fields of a monitoring.coreos.com/v1
// ServiceMonitor that the chart sets; decoding into it strictly fails on
// any other.
type serviceMonitor struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   objectMeta         `json:"metadata"`
	Spec       serviceMonitorSpec `json:"spec"`
}

type objectMeta struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type serviceMonitorSpec struct {
	JobLabel string `json:"jobLabel"`
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	Endpoints []struct {
		Port     string `json:"port"`
		Path     string `json:"path"`
		Interval string `json:"interval"`
	} `json:"endpoints"`
}

// scaledObject holds the fields of a keda.sh/v1alpha1 ScaledObject that
// the chart sets.
type scaledObject struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       struct {
		ScaleTargetRef struct {
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount int `json:"minReplicaCount"`
		MaxReplicaCount int `json:"maxReplicaCount"`
		PollingInterval int `json:"pollingInterval"`
		CooldownPeriod  int `json:"cooldownPeriod"`
		Triggers        []struct {
			Type              string            `json:"type"`
			Metadata          map[string]string `json:"metadata"`
			AuthenticationRef *struct {
				Name string `json:"name"`
			} `json:"authenticationRef,omitempty"`
		} `json:"triggers"`
	} `json:"spec"`
}

// prometheusRule holds the fields of a monitoring.coreos.com/v1
// PrometheusRule that the chart sets; its groups are a Prometheus rules
// file's, so the rules file decodes strictly into its spec too.
type prometheusRule struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   objectMeta         `json:"metadata"`
	Spec       prometheusRuleSpec `json:"spec"`
}

type prometheusRuleSpec struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert       string            `json:"alert"`
			Expr        string            `json:"expr"`
			For         string            `json:"for,omitempty"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

// rendered is one `helm template` output, decoded.
type rendered struct {
	deployments    map[string]*appsv1.Deployment // by component
	services       map[string]*corev1.Service
	configMaps     []*corev1.ConfigMap
	pdbs           []*policyv1.PodDisruptionBudget
	serviceMonitor []*serviceMonitor
	scaledObjects  []*scaledObject
	prometheusRule []*prometheusRule
}

// values is the part of the chart's values the checks read, after
// merging a values file over values.yaml.
type values struct {
	TopicPartitions int       `json:"topicPartitions"`
	Secrets         secretMap `json:"secrets"`
	Producer        struct {
		Secrets secretMap `json:"secrets"`
	} `json:"producer"`
	Consumer struct {
		Secrets     secretMap `json:"secrets"`
		Replicas    int       `json:"replicas"`
		Autoscaling struct {
			Enabled bool `json:"enabled"`
		} `json:"autoscaling"`
	} `json:"consumer"`
	Reconciler struct {
		Secrets secretMap `json:"secrets"`
	} `json:"reconciler"`
	Mapping        string         `json:"mapping"`
	SchemaRegistry registryConfig `json:"schemaRegistry"`
	PrometheusRule struct {
		Enabled        bool              `json:"enabled"`
		Labels         map[string]string `json:"labels"`
		RunbookBaseURL string            `json:"runbookBaseURL"`
	} `json:"prometheusRule"`
}

// secretMap is a values `secrets` block: Secret references by setting.
type secretMap map[string]map[string]string

// declared returns the Secret name and key pairs a component may use: the
// shared `secrets` and its own.
func (v values) declared(component string) map[[2]string]bool {
	own := map[string]secretMap{"producer": v.Producer.Secrets, "consumer": v.Consumer.Secrets, "reconciler": v.Reconciler.Secrets}
	declared := map[[2]string]bool{}
	for _, m := range []secretMap{v.Secrets, own[component]} {
		for _, ref := range m {
			if ref["name"] != "" {
				declared[[2]string{ref["name"], ref["key"]}] = true
			}
		}
	}
	return declared
}

// helmBinary finds helm in PATH or GOPATH/bin, where `make test-helm`
// installs it.
func helmBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "helm")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("SFSYNC_REQUIRE_SERVICES") == "1" {
		t.Fatal("no helm binary in PATH or GOPATH/bin: run make test-helm")
	}
	t.Skip("no helm binary in PATH or GOPATH/bin: run make test-helm")
	return ""
}

// valuesFiles returns "" (the defaults) and every example values file.
func valuesFiles(t *testing.T) []string {
	t.Helper()
	examples, err := filepath.Glob(filepath.Join(chart, "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"msk-iam.yaml", "msk-scram.yaml", "self-hosted-plaintext.yaml"} {
		if !slices.Contains(examples, filepath.Join(chart, "examples", want)) {
			t.Errorf("examples/%s is missing", want)
		}
	}
	return append([]string{""}, examples...)
}

// mergedValues merges file (when not "") over the chart's values.yaml,
// maps key by key as helm does, and decodes the result.
func mergedValues(t *testing.T, file string) values {
	t.Helper()
	base := readYAML(t, filepath.Join(chart, "values.yaml"))
	if file != "" {
		merge(base, readYAML(t, file))
	}
	b, err := yaml.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	var v values
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// render runs helm template with the values file (none for "") and
// decodes every document strictly into its type.
func render(t *testing.T, helm, file string) rendered {
	t.Helper()
	args := []string{"template", "sfsync", chart, "--namespace", "sfsync"}
	if file != "" {
		args = append(args, "--values", file)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(helm, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	r := rendered{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{}}
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(out), -1) {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name   string            `json:"name"`
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		if meta.Kind == "" && meta.APIVersion == "" {
			continue // comments only
		}
		strict := func(into any) {
			if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
				t.Errorf("%s %s: %v", meta.Kind, meta.Metadata.Name, err)
			}
		}
		component := strings.TrimPrefix(meta.Metadata.Labels["app.kubernetes.io/name"], "sfsync-")
		switch meta.APIVersion + " " + meta.Kind {
		case "apps/v1 Deployment":
			d := &appsv1.Deployment{}
			strict(d)
			r.deployments[component] = d
		case "v1 Service":
			s := &corev1.Service{}
			strict(s)
			r.services[component] = s
		case "v1 ConfigMap":
			c := &corev1.ConfigMap{}
			strict(c)
			r.configMaps = append(r.configMaps, c)
		case "v1 ServiceAccount":
			strict(&corev1.ServiceAccount{})
		case "policy/v1 PodDisruptionBudget":
			p := &policyv1.PodDisruptionBudget{}
			strict(p)
			r.pdbs = append(r.pdbs, p)
		case "monitoring.coreos.com/v1 ServiceMonitor":
			s := &serviceMonitor{}
			strict(s)
			r.serviceMonitor = append(r.serviceMonitor, s)
		case "monitoring.coreos.com/v1 PrometheusRule":
			p := &prometheusRule{}
			strict(p)
			r.prometheusRule = append(r.prometheusRule, p)
		case "keda.sh/v1alpha1 ScaledObject":
			s := &scaledObject{}
			strict(s)
			r.scaledObjects = append(r.scaledObjects, s)
		default:
			t.Errorf("unexpected object %s %s %s", meta.APIVersion, meta.Kind, meta.Metadata.Name)
		}
	}
	return r
}

// TestChart renders the chart with the default values and each example
// and checks every object and its wiring.
func TestChart(t *testing.T) {
	t.Parallel()
	helm := helmBinary(t)
	for _, file := range valuesFiles(t) {
		name := "default"
		if file != "" {
			name = filepath.Base(file)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := render(t, helm, file)
			v := mergedValues(t, file)
			checkChart(t, r, v)
		})
	}
}

func checkChart(t *testing.T, r rendered, v values) {
	t.Helper()
	if len(r.configMaps) != 1 {
		t.Fatalf("%d ConfigMaps, want 1", len(r.configMaps))
	}
	cm := r.configMaps[0]
	if got := cm.Data["mapping.yaml"]; got != v.Mapping {
		t.Errorf("mapping.yaml is not the values' mapping")
	}
	for _, component := range []string{"producer", "consumer", "reconciler"} {
		d := r.deployments[component]
		if d == nil {
			t.Errorf("no %s Deployment", component)
			continue
		}
		port, sasl := checkConfig(t, cm, component)
		checkPod(t, component, &d.Spec.Template.Spec, port, v.declared(component))
		checkSASL(t, component, sasl, &d.Spec.Template.Spec)
		checkRegistry(t, cm, component, v.SchemaRegistry, &d.Spec.Template.Spec)
		if s := r.services[component]; s == nil || len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Port != port || s.Spec.Ports[0].TargetPort.String() != "metrics" {
			t.Errorf("%s Service %+v, want port %d to metrics", component, s, port)
		}
	}
	if d := r.deployments["producer"]; d != nil {
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("producer replicas %s, strategy %q: want exactly 1 and Recreate", replicas(d), d.Spec.Strategy.Type)
		}
	}
	if d := r.deployments["consumer"]; d != nil {
		if v.Consumer.Autoscaling.Enabled {
			if d.Spec.Replicas != nil {
				t.Errorf("consumer replicas %d under autoscaling", *d.Spec.Replicas)
			}
			if len(r.scaledObjects) != 1 {
				t.Fatalf("%d ScaledObjects, want 1", len(r.scaledObjects))
			}
			so := r.scaledObjects[0]
			if so.Spec.ScaleTargetRef.Name != d.Name || so.Spec.MaxReplicaCount < 1 || so.Spec.MaxReplicaCount > v.TopicPartitions ||
				len(so.Spec.Triggers) != 1 || so.Spec.Triggers[0].Type != "kafka" || so.Spec.Triggers[0].Metadata["consumerGroup"] == "" {
				t.Errorf("ScaledObject %+v", so.Spec)
			}
		} else {
			if d.Spec.Replicas == nil || *d.Spec.Replicas < 1 || int(*d.Spec.Replicas) > v.TopicPartitions {
				t.Errorf("consumer replicas %s, want 1 to topicPartitions (%d)", replicas(d), v.TopicPartitions)
			}
			if len(r.scaledObjects) != 0 {
				t.Errorf("ScaledObject without consumer.autoscaling.enabled")
			}
		}
	}
	for _, p := range r.pdbs {
		if p.Spec.Selector == nil || !reflect.DeepEqual(p.Spec.Selector.MatchLabels, r.deployments["consumer"].Spec.Selector.MatchLabels) {
			t.Errorf("PodDisruptionBudget %s does not select the consumer", p.Name)
		}
	}
	for _, sm := range r.serviceMonitor {
		if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" || sm.Spec.Endpoints[0].Path != "/metrics" {
			t.Errorf("ServiceMonitor endpoints %+v", sm.Spec.Endpoints)
		}
		// The alerts select the jobs sfsync-producer, sfsync-consumer and
		// sfsync-reconciler: the Services' app.kubernetes.io/name.
		if sm.Spec.JobLabel != "app.kubernetes.io/name" {
			t.Errorf("ServiceMonitor jobLabel %q, want app.kubernetes.io/name", sm.Spec.JobLabel)
		}
	}
	checkPrometheusRule(t, r, v)
}

// rulesFile is the Prometheus rules file the chart's PrometheusRule
// renders, and runbookBase the runbook_url base it is written with.
const (
	rulesFile   = "../monitoring/prometheus/sfsync-alerts.yaml"
	runbookBase = "https://github.com/sfsync/sfsync/blob/main/docs/runbooks/"
)

// checkPrometheusRule checks the PrometheusRule is there when enabled,
// with the values' labels, and that its groups are the rules file's with
// each runbook_url on the values' runbookBaseURL.
func checkPrometheusRule(t *testing.T, r rendered, v values) {
	t.Helper()
	if !v.PrometheusRule.Enabled {
		if len(r.prometheusRule) != 0 {
			t.Errorf("PrometheusRule without prometheusRule.enabled")
		}
		return
	}
	if len(r.prometheusRule) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(r.prometheusRule))
	}
	got := r.prometheusRule[0]
	for k, want := range v.PrometheusRule.Labels {
		if got.Metadata.Labels[k] != want {
			t.Errorf("PrometheusRule label %s=%q, want %q", k, got.Metadata.Labels[k], want)
		}
	}
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var want prometheusRuleSpec
	if err := yaml.UnmarshalStrict(b, &want); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	base := strings.TrimSuffix(v.PrometheusRule.RunbookBaseURL, "/") + "/"
	alerts := 0
	for _, g := range want.Groups {
		for _, rule := range g.Rules {
			alerts++
			rule.Annotations["runbook_url"] = strings.Replace(rule.Annotations["runbook_url"], runbookBase, base, 1)
		}
	}
	if alerts == 0 {
		t.Fatalf("%s has no rules", rulesFile)
	}
	if !reflect.DeepEqual(got.Spec, want) {
		t.Errorf("PrometheusRule spec differs from %s with runbooks at %s:\ngot  %+v\nwant %+v", rulesFile, base, got.Spec, want)
	}
	for _, g := range got.Spec.Groups {
		for _, rule := range g.Rules {
			if !strings.HasPrefix(rule.Annotations["runbook_url"], base) {
				t.Errorf("%s: runbook_url %s, want it under %s", rule.Alert, rule.Annotations["runbook_url"], base)
			}
		}
	}
}

// saslConfig is a service's rendered kafka.sasl block.
type saslConfig struct {
	Mechanism string `json:"mechanism"`
	Username  string `json:"username"`
	Password  string `json:"password"`
}

// checkConfig checks the service's rendered configuration and returns the
// port of its metrics_addr and its kafka.sasl block.
func checkConfig(t *testing.T, cm *corev1.ConfigMap, component string) (int32, saslConfig) {
	t.Helper()
	text, ok := cm.Data[component+".yaml"]
	if !ok {
		t.Errorf("ConfigMap has no %s.yaml", component)
		return 0, saslConfig{}
	}
	var c struct {
		Mapping       string `json:"mapping"`
		MetricsAddr   string `json:"metrics_addr"`
		MetricsPublic bool   `json:"metrics_public"`
		Kafka         struct {
			SASL saslConfig `json:"sasl"`
		} `json:"kafka"`
	}
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Errorf("%s.yaml: %v", component, err)
		return 0, saslConfig{}
	}
	if c.Mapping != "/etc/sfsync/mapping.yaml" || !c.MetricsPublic {
		t.Errorf("%s.yaml: mapping %q, metrics_public %v", component, c.Mapping, c.MetricsPublic)
	}
	_, p, err := net.SplitHostPort(c.MetricsAddr)
	var port int32
	if err == nil {
		_, err = fmt.Sscan(p, &port)
	}
	if err != nil || port <= 0 {
		t.Errorf("%s.yaml: metrics_addr %q", component, c.MetricsAddr)
	}
	return port, c.Kafka.SASL
}

// checkSASL checks that a service with a username and password mechanism
// has its username in the ConfigMap and its password from a Secret only.
func checkSASL(t *testing.T, component string, sasl saslConfig, pod *corev1.PodSpec) {
	t.Helper()
	if sasl.Password != "" {
		t.Errorf("%s: a Kafka SASL password in the ConfigMap; it belongs in a Secret", component)
	}
	if sasl.Mechanism == "" || sasl.Mechanism == "AWS_MSK_IAM" {
		return
	}
	env := "SFSYNC_" + strings.ToUpper(component) + "_KAFKA_SASL_PASSWORD"
	fromSecret := slices.ContainsFunc(pod.Containers[0].Env, func(e corev1.EnvVar) bool {
		return e.Name == env && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil
	})
	if sasl.Username == "" || !fromSecret {
		t.Errorf("%s: SASL %s with username %q and %s from a Secret: %v; want both", component, sasl.Mechanism, sasl.Username, env, fromSecret)
	}
}

// registryConfig is a schema_registry block, in the values or a
// service's configuration.
type registryConfig struct {
	URL      string `json:"url"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// checkRegistry checks that a service's schema_registry is the values'
// schemaRegistry, and that a username comes with its password from a
// Secret only.
func checkRegistry(t *testing.T, cm *corev1.ConfigMap, component string, want registryConfig, pod *corev1.PodSpec) {
	t.Helper()
	var c struct {
		SchemaRegistry *registryConfig `json:"schema_registry"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data[component+".yaml"]), &c); err != nil {
		t.Errorf("%s.yaml: %v", component, err)
		return
	}
	if want.URL == "" {
		if c.SchemaRegistry != nil {
			t.Errorf("%s: schema_registry %+v without schemaRegistry.url in the values", component, *c.SchemaRegistry)
		}
		return
	}
	if c.SchemaRegistry == nil || c.SchemaRegistry.URL != want.URL || c.SchemaRegistry.Username != want.Username {
		t.Errorf("%s: schema_registry %+v, want url %s and username %q", component, c.SchemaRegistry, want.URL, want.Username)
		return
	}
	if c.SchemaRegistry.Password != "" {
		t.Errorf("%s: a Schema Registry password in the ConfigMap; it belongs in a Secret", component)
	}
	env := "SFSYNC_" + strings.ToUpper(component) + "_SCHEMA_REGISTRY_PASSWORD"
	fromSecret := slices.ContainsFunc(pod.Containers[0].Env, func(e corev1.EnvVar) bool {
		return e.Name == env && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil
	})
	if want.Username != "" && !fromSecret {
		t.Errorf("%s: Schema Registry username %q without %s from a Secret", component, want.Username, env)
	}
}

// checkPod checks a pod spec: the config argument, probes on the metrics
// port, Secrets declared in the values, and the security context.
func checkPod(t *testing.T, component string, pod *corev1.PodSpec, port int32, declared map[[2]string]bool) {
	t.Helper()
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != 65532 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v", component, psc)
	}
	if len(pod.TopologySpreadConstraints) == 0 {
		t.Errorf("%s: no topologySpreadConstraints", component)
	}
	for _, vol := range pod.Volumes {
		if s := vol.Secret; s != nil {
			for _, item := range s.Items {
				if !declared[[2]string{s.SecretName, item.Key}] {
					t.Errorf("%s: volume %s mounts Secret %s key %s, not declared in the values", component, vol.Name, s.SecretName, item.Key)
				}
			}
		}
	}
	containers := append(slices.Clone(pod.InitContainers), pod.Containers...)
	if len(pod.Containers) != 1 {
		t.Errorf("%s: %d containers, want 1", component, len(pod.Containers))
		return
	}
	for _, c := range containers {
		checkSecurity(t, component+"/"+c.Name, c.SecurityContext)
		if c.Resources.Requests == nil {
			t.Errorf("%s/%s: no resource requests", component, c.Name)
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				ref := e.ValueFrom.SecretKeyRef
				if !declared[[2]string{ref.Name, ref.Key}] {
					t.Errorf("%s/%s: %s from Secret %s key %s, not declared in the values", component, c.Name, e.Name, ref.Name, ref.Key)
				}
			}
		}
	}
	c := pod.Containers[0]
	if i := slices.Index(c.Args, "--config"); i < 0 || i+1 >= len(c.Args) || c.Args[i+1] != "/etc/sfsync/"+component+".yaml" {
		t.Errorf("%s: args %q", component, c.Args)
	}
	probes := map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
	paths := map[string]string{"liveness": "/healthz", "readiness": "/readyz"}
	for kind, p := range probes {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: no %s httpGet probe", component, kind)
			continue
		}
		if p.HTTPGet.Path != paths[kind] {
			t.Errorf("%s: %s probe path %s, want %s", component, kind, p.HTTPGet.Path, paths[kind])
		}
		if got, err := containerPort(c, p.HTTPGet.Port.String()); err != nil || got != port {
			t.Errorf("%s: %s probe port %s is %d (%v), want metrics_addr's %d", component, kind, p.HTTPGet.Port.String(), got, err, port)
		}
	}
	if p := c.StartupProbe; p != nil && p.HTTPGet != nil {
		if got, err := containerPort(c, p.HTTPGet.Port.String()); err != nil || got != port {
			t.Errorf("%s: startup probe port %d (%v), want %d", component, got, err, port)
		}
	}
}

// replicas prints a Deployment's replicas, "unset" when nil.
func replicas(d *appsv1.Deployment) string {
	if d.Spec.Replicas == nil {
		return "unset"
	}
	return fmt.Sprint(*d.Spec.Replicas)
}

// containerPort resolves a probe's port, a number or a port name.
func containerPort(c corev1.Container, port string) (int32, error) {
	for _, p := range c.Ports {
		if p.Name == port || fmt.Sprint(p.ContainerPort) == port {
			return p.ContainerPort, nil
		}
	}
	return 0, errors.New("no such container port")
}

func checkSecurity(t *testing.T, name string, sc *corev1.SecurityContext) {
	t.Helper()
	ok := sc != nil &&
		sc.RunAsNonRoot != nil && *sc.RunAsNonRoot &&
		sc.RunAsUser != nil && *sc.RunAsUser == 65532 &&
		sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem &&
		sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation &&
		sc.Capabilities != nil && reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) && len(sc.Capabilities.Add) == 0 &&
		sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault
	if !ok {
		t.Errorf("%s: securityContext %+v", name, sc)
	}
}

// TestDefaultMapping checks that values.yaml's mapping is the copy of
// schemas/mappings/territory.yaml it says it is.
func TestDefaultMapping(t *testing.T) {
	t.Parallel()
	want, err := os.ReadFile(filepath.Join("..", "..", "schemas", "mappings", "territory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := mergedValues(t, "").Mapping; got != string(want) {
		t.Error("values.yaml's mapping differs from schemas/mappings/territory.yaml: copy it again")
	}
}
