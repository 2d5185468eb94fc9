{{/* Names, labels, images and the environment every process of the assistant shares. */}}

{{- define "shop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "shop.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The resource name of one component: (dict "root" $ "component" "orders") */}}
{{- define "shop.componentName" -}}
{{- printf "%s-%s" (include "shop.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "shop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shop.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "shop.labels" -}}
{{ include "shop.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* An image reference, always with a tag: (dict "root" $ "image" .Values.rasa.image) */}}
{{- define "shop.image" -}}
{{- $repository := .image.repository | default (printf "%s/%s" .root.Values.registry .image.name) -}}
{{- printf "%s:%s" $repository (.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{/* The in-cluster URL of a component: (dict "root" $ "component" "orders" "port" 8101) */}}
{{- define "shop.url" -}}
{{- printf "http://%s:%v" (include "shop.componentName" .) .port -}}
{{- end -}}

{{/* A PostgreSQL URL for the asyncpg services; the password comes from TRACKER_PG_PASSWORD (a secret). */}}
{{- define "shop.databaseUrl" -}}
{{- $pg := .root.Values.external.postgresql -}}
{{- printf "postgresql+asyncpg://%s:$(TRACKER_PG_PASSWORD)@%s:%v/%s" $pg.username $pg.host $pg.port .database -}}
{{- end -}}

{{/*
The environment every container gets, besides the shared ConfigMap and the secrets: passwords from the
existing Secrets, and the database URLs built from them (Kubernetes expands $(VAR) of earlier entries).
*/}}
{{- define "shop.secretEnv" -}}
{{- $pg := .Values.external.postgresql -}}
{{- $neo4j := .Values.external.neo4j -}}
- name: TRACKER_PG_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $pg.existingSecret }}
      key: {{ $pg.existingSecretPasswordKey }}
- name: NEO4J_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $neo4j.existingSecret }}
      key: {{ $neo4j.existingSecretPasswordKey }}
- name: ORDERS_DB_URL
  value: {{ include "shop.databaseUrl" (dict "root" . "database" $pg.databases.orders) | quote }}
- name: PRICING_DB_URL
  value: {{ include "shop.databaseUrl" (dict "root" . "database" $pg.databases.pricing) | quote }}
- name: RECS_DB_URL
  value: {{ include "shop.databaseUrl" (dict "root" . "database" $pg.databases.recommendations) | quote }}
- name: RETENTION_DB_URL
  value: {{ include "shop.databaseUrl" (dict "root" . "database" $pg.databases.retention) | quote }}
- name: HANDOFF_DB_URL
  value: {{ include "shop.databaseUrl" (dict "root" . "database" $pg.databases.handoff) | quote }}
{{- with .Values.applicationSettings.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* envFrom of every container: the shared ConfigMap and the launcher's secrets. */}}
{{- define "shop.envFrom" -}}
- configMapRef:
    name: {{ include "shop.componentName" (dict "root" . "component" "env") }}
- secretRef:
    name: {{ .Values.existingSecret }}
{{- end -}}

{{/* Volumes of every pod: the per-pod state directory. */}}
{{- define "shop.stateVolume" -}}
- name: state
  {{- toYaml .Values.stateVolume | nindent 2 }}
{{- end -}}

{{- define "shop.stateMount" -}}
- name: state
  mountPath: /var/lib/shop-assistant
{{- end -}}
