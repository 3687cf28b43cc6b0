{{/* The release's full name, cut to 63 characters (a DNS label). */}}
{{- define "nftpol.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "nftpol.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "nftpol.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end -}}

{{- define "nftpol.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nftpol.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "nftpol.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Prometheus needs the metrics port on the node's address: metrics on means every interface. */}}
{{- define "nftpol.metricsOn" -}}
{{- if or .Values.metrics.enabled .Values.metrics.serviceMonitor.enabled -}}true{{- end -}}
{{- end -}}

{{/* The address the agent binds: listen.host if given; else loopback, or every interface ("") with metrics on. */}}
{{- define "nftpol.listenHost" -}}
{{- if .Values.listen.host -}}
{{- .Values.listen.host -}}
{{- else if include "nftpol.metricsOn" . -}}
{{- "" -}}
{{- else -}}
127.0.0.1
{{- end -}}
{{- end -}}

{{/* --listen's value: HOST:PORT, [IPv6]:PORT, or :PORT for every interface. */}}
{{- define "nftpol.listenFlag" -}}
{{- $host := include "nftpol.listenHost" . -}}
{{- if contains ":" $host -}}
[{{ $host }}]:{{ .Values.listen.port }}
{{- else -}}
{{ $host }}:{{ .Values.listen.port }}
{{- end -}}
{{- end -}}

{{/*
Where the kubelet (on the node: the pod shares its network) reaches the agent:
loopback when the agent binds loopback or every interface, else the address it binds.
*/}}
{{- define "nftpol.probeHost" -}}
{{- $host := include "nftpol.listenHost" . -}}
{{- if or (eq $host "") (eq $host "0.0.0.0") -}}
127.0.0.1
{{- else if eq $host "::" -}}
::1
{{- else -}}
{{ $host }}
{{- end -}}
{{- end -}}

{{/* The agent container's security context: root with NET_ADMIN only (docs/helm.md says why). */}}
{{- define "nftpol.securityContext" -}}
runAsUser: 0
runAsNonRoot: false
privileged: false
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
  add: [NET_ADMIN]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
