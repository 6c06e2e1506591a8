{{/* The release's full name, the prefix of every object. */}}
{{- define "sfsync.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object but the selector labels (see sfsync.selectorLabels). */}}
{{- define "sfsync.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: sfsync
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "producer"). */}}
{{- define "sfsync.selectorLabels" -}}
app.kubernetes.io/name: sfsync-{{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "sfsync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "sfsync.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/*
The Secrets of one service, as YAML: the shared `secrets` with the
service's own `secrets` over them. Call with (dict "root" $ "component" "producer").
*/}}
{{- define "sfsync.secrets" -}}
{{- $v := index .root.Values .component -}}
{{- mergeOverwrite (deepCopy .root.Values.secrets) (deepCopy ($v.secrets | default dict)) | toYaml -}}
{{- end -}}

{{- define "sfsync.privateKeyDir" -}}/var/run/secrets/sfsync/salesforce{{- end -}}

{{/*
The configuration file of one service, as YAML: the shared blocks it uses,
the service's own config over them, then the keys the chart owns. Call with
(dict "root" $ "component" "producer" "salesforce" true "postgres" false).
*/}}
{{- define "sfsync.config" -}}
{{- $root := .root -}}
{{- $v := index $root.Values .component -}}
{{- $cfg := dict "kafka" (deepCopy $root.Values.kafka) -}}
{{- if .salesforce -}}
{{- $sf := deepCopy $root.Values.salesforce -}}
{{- $pk := (include "sfsync.secrets" . | fromYaml).salesforcePrivateKey -}}
{{- if $pk.name -}}
{{- $_ := set $sf "private_key_file" (printf "%s/%s" (include "sfsync.privateKeyDir" $root) $pk.key) -}}
{{- end -}}
{{- $_ := set $cfg "salesforce" $sf -}}
{{- end -}}
{{- if .postgres -}}
{{- $_ := set $cfg "postgres" (deepCopy $root.Values.postgres) -}}
{{- end -}}
{{- if ($root.Values.schemaRegistry | default dict).url -}}
{{- $_ := set $cfg "schema_registry" (deepCopy $root.Values.schemaRegistry) -}}
{{- end -}}
{{- $cfg = mergeOverwrite $cfg (deepCopy ($v.config | default dict)) -}}
{{- $_ := set $cfg "mapping" "/etc/sfsync/mapping.yaml" -}}
{{- $_ := set $cfg "metrics_addr" (printf "0.0.0.0:%v" $v.metricsPort) -}}
{{- $_ := set $cfg "metrics_public" true -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* One env override from an existing Secret, when it is named. */}}
{{- define "sfsync.secretEnv" -}}
{{- if .ref.name }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .ref.name | quote }}
      key: {{ .ref.key | quote }}
{{- end }}
{{- end -}}

{{/*
The pod template of one service. Call with (dict "root" $ "component"
"producer" "prefix" "PRODUCER" "salesforce" true "postgres" false "redis"
false "args" (list ...)).
*/}}
{{- define "sfsync.podTemplate" -}}
{{- $root := .root -}}
{{- $v := index $root.Values .component -}}
{{- $s := include "sfsync.secrets" . | fromYaml -}}
{{- $key := and .salesforce $s.salesforcePrivateKey.name -}}
metadata:
  labels:
    {{- include "sfsync.labels" $root | nindent 4 }}
    {{- include "sfsync.selectorLabels" . | nindent 4 }}
  annotations:
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    {{- with $v.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "sfsync.serviceAccountName" $root }}
  automountServiceAccountToken: false
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    fsGroup: 65532
    seccompProfile:
      type: RuntimeDefault
  terminationGracePeriodSeconds: 45
  containers:
    - name: {{ .component }}
      image: "{{ $root.Values.image.repository }}/sfsync-{{ .component }}:{{ $root.Values.image.tag | default $root.Chart.AppVersion }}"
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args:
        - --config
        - /etc/sfsync/{{ .component }}.yaml
        {{- range .args }}
        - {{ . | quote }}
        {{- end }}
      ports:
        - name: metrics
          containerPort: {{ $v.metricsPort }}
          protocol: TCP
      env:
        - name: GOMEMLIMIT
          valueFrom:
            resourceFieldRef:
              resource: limits.memory
        {{- if .salesforce }}
        {{- include "sfsync.secretEnv" (dict "env" (printf "SFSYNC_%s_SALESFORCE_CLIENT_SECRET" .prefix) "ref" $s.salesforceClientSecret) | nindent 8 }}
        {{- include "sfsync.secretEnv" (dict "env" (printf "SFSYNC_%s_SALESFORCE_ACCESS_TOKEN" .prefix) "ref" $s.salesforceAccessToken) | nindent 8 }}
        {{- end }}
        {{- include "sfsync.secretEnv" (dict "env" (printf "SFSYNC_%s_KAFKA_SASL_PASSWORD" .prefix) "ref" $s.kafkaSaslPassword) | nindent 8 }}
        {{- include "sfsync.secretEnv" (dict "env" (printf "SFSYNC_%s_SCHEMA_REGISTRY_PASSWORD" .prefix) "ref" $s.schemaRegistryPassword) | nindent 8 }}
        {{- if .postgres }}
        {{- include "sfsync.secretEnv" (dict "env" (printf "SFSYNC_%s_POSTGRES_URL" .prefix) "ref" $s.postgresURL) | nindent 8 }}
        {{- include "sfsync.secretEnv" (dict "env" "PGPASSWORD" "ref" $s.postgresPassword) | nindent 8 }}
        {{- end }}
        {{- if .redis }}
        {{- include "sfsync.secretEnv" (dict "env" (printf "SFSYNC_%s_REDIS_URL" .prefix) "ref" $s.redisURL) | nindent 8 }}
        {{- end }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: metrics
        periodSeconds: 10
        failureThreshold: 3
      readinessProbe:
        httpGet:
          path: /readyz
          port: metrics
        periodSeconds: 5
        failureThreshold: 3
      startupProbe:
        httpGet:
          path: /healthz
          port: metrics
        periodSeconds: 2
        failureThreshold: 60
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
        capabilities:
          drop: [ALL]
        seccompProfile:
          type: RuntimeDefault
      {{- with $v.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: config
          mountPath: /etc/sfsync
          readOnly: true
        {{- if $key }}
        - name: salesforce-key
          mountPath: {{ include "sfsync.privateKeyDir" $root }}
          readOnly: true
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "sfsync.fullname" $root }}
        items:
          - {key: {{ .component }}.yaml, path: {{ .component }}.yaml}
          - {key: mapping.yaml, path: mapping.yaml}
    {{- if $key }}
    - name: salesforce-key
      secret:
        secretName: {{ $s.salesforcePrivateKey.name | quote }}
        defaultMode: 0440
        items:
          - {key: {{ $s.salesforcePrivateKey.key | quote }}, path: {{ $s.salesforcePrivateKey.key | quote }}}
    {{- end }}
  {{- if $root.Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range $root.Values.topologySpreadConstraints }}
    - {{- toYaml . | nindent 6 }}
      labelSelector:
        matchLabels:
          {{- include "sfsync.selectorLabels" $ | nindent 10 }}
    {{- end }}
  {{- end }}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* The metrics Service of one component. */}}
{{- define "sfsync.service" -}}
{{- $v := index .root.Values .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "sfsync.fullname" .root }}-{{ .component }}
  labels:
    {{- include "sfsync.labels" .root | nindent 4 }}
    {{- include "sfsync.selectorLabels" . | nindent 4 }}
    sfsync.io/metrics: "true"
spec:
  type: ClusterIP
  selector:
    {{- include "sfsync.selectorLabels" . | nindent 4 }}
  ports:
    - name: metrics
      port: {{ $v.metricsPort }}
      targetPort: metrics
      protocol: TCP
{{- end -}}
