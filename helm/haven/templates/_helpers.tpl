{{/* Names. */}}
{{- define "haven.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "haven.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "haven.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* helm.sh recommended labels. Call with (dict "root" $ "component" "api"). */}}
{{- define "haven.labels" -}}
helm.sh/chart: {{ include "haven.chart" .root }}
{{ include "haven.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: haven
{{- end }}

{{- define "haven.selectorLabels" -}}
app.kubernetes.io/name: {{ include "haven.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{- define "haven.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "haven.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "haven.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "haven.secretName" -}}
{{- printf "%s-secrets" (include "haven.fullname" .) }}
{{- end }}

{{/* The bundled stores' passwords: a Secret of their own, never in Haven's environment. */}}
{{- define "haven.storesSecretName" -}}
{{- printf "%s-bundled-stores" (include "haven.fullname" .) }}
{{- end }}

{{- define "haven.configName" -}}
{{- printf "%s-config" (include "haven.fullname" .) }}
{{- end }}

{{- define "haven.policiesName" -}}
{{- default (printf "%s-policies" (include "haven.fullname" .)) .Values.policies.existingConfigMap }}
{{- end }}

{{- define "haven.redisName" -}}
{{- printf "%s-redis" (include "haven.fullname" .) }}
{{- end }}

{{- define "haven.postgresqlName" -}}
{{- printf "%s-postgresql" (include "haven.fullname" .) }}
{{- end }}

{{/*
Checks the choices that the schema cannot: exactly one source for Redis and for
PostgreSQL. Included by the templates every install renders.
*/}}
{{- define "haven.validate" -}}
{{- range $name := list "redis" "postgresql" }}
{{- $v := index $.Values $name }}
{{- $sources := 0 }}
{{- if $v.url }}{{ $sources = add1 $sources }}{{ end }}
{{- if $v.existingSecret }}{{ $sources = add1 $sources }}{{ end }}
{{- if $v.bundled.enabled }}{{ $sources = add1 $sources }}{{ end }}
{{- if ne (int $sources) 1 }}
{{- fail (printf "%s: choose exactly one of %s.url, %s.existingSecret and %s.bundled.enabled (found %d)" $name $name $name $name (int $sources)) }}
{{- end }}
{{- end }}
{{- if and .Values.policies.files .Values.policies.existingConfigMap }}
{{- fail "policies: set policies.files or policies.existingConfigMap, not both" }}
{{- end }}
{{- if and .Values.redis.state.url .Values.redis.state.existingSecret }}
{{- fail "redis.state: set redis.state.url or redis.state.existingSecret, not both" }}
{{- end }}
{{- if and .Values.redis.state.cluster (not (or .Values.redis.state.url .Values.redis.state.existingSecret)) }}
{{- fail "redis.state.cluster needs redis.state.url or redis.state.existingSecret: the broker cannot run on a Redis Cluster" }}
{{- end }}
{{- if and .Values.keda.enabled (not .Values.keda.redis.address) (not .Values.redis.bundled.enabled) }}
{{- fail "keda.enabled needs keda.redis.address (host:port of the broker Redis) when Redis is external" }}
{{- end }}
{{- end }}

{{/*
Generated passwords survive upgrades: read back from the stores' Secret. A password
made in this render is remembered (in a scratch map on .Values) so that every template
that includes it gets the same one.
*/}}
{{- define "haven.generatedPassword" -}}
{{- $root := .root }}
{{- if not (hasKey $root.Values "_generated") }}
{{- $_ := set $root.Values "_generated" dict }}
{{- end }}
{{- $memo := get $root.Values "_generated" }}
{{- if .value }}
{{- .value }}
{{- else if hasKey $memo .key }}
{{- get $memo .key }}
{{- else }}
{{- $existing := lookup "v1" "Secret" $root.Release.Namespace (include "haven.storesSecretName" $root) }}
{{- $pw := "" }}
{{- if and $existing $existing.data (hasKey $existing.data .key) }}
{{- $pw = index $existing.data .key | b64dec }}
{{- else }}
{{- $pw = randAlphaNum 32 }}
{{- end }}
{{- $_ := set $memo .key $pw }}
{{- $pw }}
{{- end }}
{{- end }}

{{/* The bundled stores' passwords, as a dict. */}}
{{- define "haven.storesData" -}}
{{- $data := dict }}
{{- if and .Values.redis.bundled.enabled (not .Values.redis.url) (not .Values.redis.existingSecret) }}
{{- $_ := set $data "redis-password" (include "haven.generatedPassword" (dict "root" . "key" "redis-password" "value" .Values.redis.bundled.password)) }}
{{- end }}
{{- if and .Values.postgresql.bundled.enabled (not .Values.postgresql.url) (not .Values.postgresql.existingSecret) }}
{{- $_ := set $data "postgresql-password" (include "haven.generatedPassword" (dict "root" . "key" "postgresql-password" "value" .Values.postgresql.bundled.password)) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/*
Everything that goes in the chart's Secret (Haven's environment), as a dict. Generated
passwords are the same in every include of a render (see haven.generatedPassword).
*/}}
{{- define "haven.secretData" -}}
{{- $data := dict }}
{{- range $k, $v := .Values.secrets.values }}
{{- $_ := set $data $k (toString $v) }}
{{- end }}
{{- if .Values.redis.url }}
{{- $_ := set $data "HAVEN_REDIS_URL" .Values.redis.url }}
{{- else if .Values.redis.bundled.enabled }}
{{- $pw := include "haven.generatedPassword" (dict "root" . "key" "redis-password" "value" .Values.redis.bundled.password) }}
{{- $_ := set $data "HAVEN_REDIS_URL" (printf "redis://:%s@%s:6379/0" $pw (include "haven.redisName" .)) }}
{{- end }}
{{- if .Values.redis.state.url }}
{{- $_ := set $data "HAVEN_STATE_REDIS_URL" .Values.redis.state.url }}
{{- end }}
{{- if .Values.postgresql.url }}
{{- $_ := set $data "HAVEN_DATABASE_URL" .Values.postgresql.url }}
{{- else if .Values.postgresql.bundled.enabled }}
{{- $pg := .Values.postgresql.bundled }}
{{- $pw := include "haven.generatedPassword" (dict "root" . "key" "postgresql-password" "value" $pg.password) }}
{{- $_ := set $data "HAVEN_DATABASE_URL" (printf "postgresql://%s:%s@%s:5432/%s" $pg.username $pw (include "haven.postgresqlName" .) $pg.database) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/* Environment of every Haven container. */}}
{{- define "haven.env" -}}
- name: HOME
  value: /tmp
{{- if .Values.redis.existingSecret }}
- name: HAVEN_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.existingSecretKey }}
{{- end }}
{{- if .Values.redis.state.existingSecret }}
- name: HAVEN_STATE_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.state.existingSecret }}
      key: {{ .Values.redis.state.existingSecretKey }}
{{- end }}
{{- if .Values.postgresql.existingSecret }}
- name: HAVEN_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.postgresql.existingSecret }}
      key: {{ .Values.postgresql.existingSecretKey }}
{{- end }}
{{- end }}

{{- define "haven.envFrom" -}}
- configMapRef:
    name: {{ include "haven.configName" . }}
{{- if include "haven.secretData" . | fromYaml }}
- secretRef:
    name: {{ include "haven.secretName" . }}
{{- end }}
{{- with .Values.secrets.existingSecret }}
- secretRef:
    name: {{ . }}
{{- end }}
{{- end }}

{{- define "haven.policiesVolume" -}}
{{- if or .Values.policies.files .Values.policies.existingConfigMap }}
- name: policies
  configMap:
    name: {{ include "haven.policiesName" . }}
    {{- if .Values.policies.files }}
    items:
      {{- range $path, $_ := .Values.policies.files }}
      - key: {{ $path | replace "/" "__" }}
        path: {{ $path }}
      {{- end }}
    {{- end }}
{{- end }}
{{- end }}

{{- define "haven.policiesMount" -}}
{{- if or .Values.policies.files .Values.policies.existingConfigMap }}
- name: policies
  mountPath: {{ .Values.policies.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/* Pod annotations: a change of settings, secrets or chart-managed policies rolls the pods. */}}
{{- define "haven.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include "haven.secretData" . | sha256sum }}
{{- if and .Values.policies.files .Values.policies.rollOnChange }}
checksum/policies: {{ toYaml .Values.policies.files | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The pod spec parts every Haven pod shares. */}}
{{- define "haven.podCommon" -}}
serviceAccountName: {{ include "haven.serviceAccountName" . }}
automountServiceAccountToken: false
# No HAVEN_API_PORT=tcp://... and the like from the namespace's Services in the environment.
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "haven.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- include "haven.policiesVolume" . }}
{{- end }}

{{- define "haven.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- include "haven.policiesMount" . }}
{{- end }}

{{/*
topologySpreadConstraints for one component: a constraint without a labelSelector gets
the component's own selector labels, so each Deployment spreads its own pods.
*/}}
{{- define "haven.topologySpread" -}}
{{- $out := list }}
{{- range .root.Values.topologySpreadConstraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" (include "haven.selectorLabels" (dict "root" $.root "component" $.component) | fromYaml)) }}
{{- end }}
{{- $out = append $out $c }}
{{- end }}
{{- with $out }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The fewest pods a Deployment runs: a PodDisruptionBudget needs more than one. */}}
{{- define "haven.minPods" -}}
{{- if .autoscaled }}{{ .min }}{{ else }}{{ .replicas }}{{ end }}
{{- end }}
